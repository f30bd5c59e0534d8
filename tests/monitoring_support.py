"""The monitoring as code (deploy/k8s/components/monitoring) as the tests read it: the dashboards' and the
alerts' queries, and the metric names each query reads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from shared.settings import ROOT

MONITORING = ROOT / "deploy" / "k8s" / "components" / "monitoring"
DASHBOARDS = sorted((MONITORING / "dashboards").glob("*.json"))
RULE = MONITORING / "prometheusrule.yaml"
KAFKA_METRICS = ROOT / "deploy" / "k8s" / "base" / "kafka-metrics.yaml"

# PromQL words that look like names but are none: aggregations' modifiers, set operators, offset, bool.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "inf", "nan"}
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: its identifiers that are not functions (followed by a
    parenthesis), label matchers, grouping labels, durations or keywords."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals (label values, regexes)
    text = re.sub(r"\{[^{}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\[\]]*\]", " ", text)  # ranges and subqueries' steps
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", text)
    names = set()
    for match in NAME.finditer(text):
        rest = text[match.end():].lstrip()
        before = text[:match.start()]
        if rest.startswith("(") or match.group() in KEYWORDS:
            continue
        if before and (before[-1].isdigit() or before[-1] == "."):  # 1e3, 0.95 and the like
            continue
        names.add(match.group())
    return names


def dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in DASHBOARDS}


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries() -> dict[str, str]:
    """Every query of every dashboard (panels and template variables), by where it is."""
    found = {}
    for name, board in dashboards().items():
        for panel in panels(board):
            for target in panel.get("targets", []):
                found[f"{name}: {panel['title']} {target['refId']}"] = target["expr"]
        for variable in board.get("templating", {}).get("list", []):
            if variable["type"] == "query":
                query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
                inner = re.fullmatch(r"label_values\((.+),\s*\w+\)", query)
                assert inner, f"{name}: variable {variable['name']} is not label_values(<query>, <label>)"
                found[f"{name}: variable {variable['name']}"] = inner.group(1)
    return found


def rule() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(RULE.read_text(encoding="utf-8"))
    return loaded


def alert_queries() -> dict[str, str]:
    return {r["alert"]: r["expr"] for group in rule()["spec"]["groups"] for r in group["rules"] if "alert" in r}


def kafka_metric_names() -> set[str]:
    """The names the brokers' JMX exporter rules make (lower-cased, as lowercaseOutputName says), each
    alternative of a rule's $1 spelt out."""
    [configmap] = [doc for doc in yaml.safe_load_all(KAFKA_METRICS.read_text(encoding="utf-8"))
                   if doc["kind"] == "ConfigMap"]
    config = yaml.safe_load(configmap["data"]["kafka-metrics-config.yml"])
    assert config["lowercaseOutputName"] is True
    names = set()
    for item in config["rules"]:
        name = item["name"]
        if "$1" in name:
            alternatives = re.search(r"name=\(([^()]+)\)", item["pattern"])
            assert alternatives, item
            names |= {name.replace("$1", alt).lower() for alt in alternatives.group(1).split("|")}
        else:
            names.add(name.lower())
    return names


def exposed_names(families: Any) -> set[str]:
    """Every name a scrape answers to in a query: each family's samples (`_total`, `_bucket`, …)."""
    return {sample.name for family in families for sample in family.samples}


def in_path(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()
