"""The shape of the code: no import cycles, route modules apart, modules a newcomer can hold in mind.

The layers (adapters → use cases → command side and queries → projections → domain) are kept by imports:
a cycle, or one HTTP adapter importing another, is where a rule starts to live in two places.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every package of the project's own code: the services and shared/, and the tools around them (make run, the demo,
# the benchmarks), which a newcomer reads too.
PACKAGES = ("shared", "services", "deploy", "bench")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The project's modules a file imports, at run time or for the type checker alike."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in known}


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(path, known) - {name} for name, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_route_module(path: Path) -> bool:
    return "APIRouter(" in path.read_text(encoding="utf-8")


def test_no_import_cycles_in_the_project() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_route_module_imports_another() -> None:
    modules = _modules()
    routes = {name for name, path in modules.items() if name.startswith("services.") and _is_route_module(path)}
    crossing = {name: sorted(_imports(modules[name], modules) & (routes - {name})) for name in routes}
    assert {name: others for name, others in crossing.items() if others} == {}


def test_services_import_only_shared_and_themselves() -> None:
    graph = _graph()
    wrong = {name: sorted(other for other in imported
                          if other.startswith("services.") and other.split(".")[1] != name.split(".")[1])
             for name, imported in graph.items() if name.startswith("services.")}
    assert {name: others for name, others in wrong.items() if others} == {}
    assert {name: sorted(i for i in imported if i.startswith("services."))
            for name, imported in graph.items() if name.startswith("shared")
            if any(i.startswith("services.") for i in imported)} == {}


def test_modules_stay_under_about_four_hundred_lines() -> None:
    long = {str(path.relative_to(ROOT)): n for path in _modules().values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_length_check_reads_deploy_and_bench_too() -> None:
    modules = _modules()
    assert {"deploy.local.infra", "deploy.demo.model", "bench.replay"} <= set(modules)
    assert all(path.suffix == ".py" for path in modules.values())
