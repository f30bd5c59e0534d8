"""Every command line's --help lists every subcommand it runs, down to the admin commands' own."""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
from typing import Any

import pytest

from deploy.local import infra
from services.intake import admin as intake_admin
from services.routing import admin as routing_admin
from shared.cli import admin_commands
from shared.settings import ROOT

SERVICES: dict[str, tuple[set[str], Any]] = {
    "intake": ({"serve", "migrate"}, intake_admin),
    "routing": ({"serve", "migrate", "rebuild"}, routing_admin),
    "notify": ({"serve", "migrate", "rebuild"}, None),
    "reporting": ({"serve", "migrate", "rebuild"}, None),
}


def _listed(help_text: str) -> list[str]:
    """The subcommands a help text lists: the names at the start of the lines under its positional arguments."""
    block = help_text.split("positional arguments:", 1)[1].split("\noptions:", 1)[0]
    return re.findall(r"^ {4}([a-z][a-z-]*)(?:\s|$)", block, re.M)


def _help(main: Any, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    return capsys.readouterr().out


def _actions(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


@pytest.mark.parametrize("service", list(SERVICES))
def test_a_services_help_lists_its_commands_and_its_admin_commands(service: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    own, admin = SERVICES[service]
    main = importlib.import_module(f"services.{service}.__main__").main
    extra = list(admin_commands(admin.build_parser())) if admin else []
    assert sorted(_listed(_help(main, ["--help"], capsys))) == sorted(own | set(extra))
    # Each admin command's own help, reached through the service's command line, lists its actions.
    for name, parser in _actions(admin.build_parser()).items() if admin else []:
        actions = _actions(parser)
        if actions:
            assert _listed(_help(main, [name, "--help"], capsys)) == list(actions), name


def test_routings_admin_commands_are_all_there() -> None:
    assert set(admin_commands(routing_admin.build_parser())) == {"users", "teams", "erase", "erasures", "keys",
                                                                  "directory"}
    assert set(admin_commands(intake_admin.build_parser())) == {"keys", "feedback"}


def test_the_module_itself_answers_help() -> None:
    """`python -m services.intake --help` as an operator types it (the module's entry, not only main())."""
    out = subprocess.run([sys.executable, "-m", "services.intake", "--help"], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    assert _listed(out) == ["serve", "migrate", "keys", "feedback"]


def test_the_local_infra_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    listed = _listed(_help(infra.main, ["--help"], capsys))
    assert listed == list(infra.COMMANDS) == ["up", "down", "status", "fetch", "reset"]
    with pytest.raises(SystemExit):
        infra.main(["start"])


@pytest.mark.parametrize("module", ["deploy.configdoc", "deploy.licences", "deploy.demo"])
def test_the_deploy_tools_answer_help(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _help(importlib.import_module(module).main if module != "deploy.demo"
                else importlib.import_module("deploy.demo.__main__").main, ["--help"], capsys)
    assert out.startswith(f"usage: python -m {module}")
