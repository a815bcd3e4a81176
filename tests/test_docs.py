"""Documented or it does not exist: every setting, CLI command, problem code and route."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer.main

from vigil.cli.main import app as cli_app
from vigil.config import Settings
from vigil.errors import CATALOGUE

DOCS = Path(__file__).parents[1] / "docs"


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "vigil") -> list[str]:
    """Every leaf command. Groups are recognised by their subcommands: newer Typer has its own
    Click classes, which are not click.Group."""
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"VIGIL_{name.upper()}" in _text("configuration.md")


@pytest.mark.parametrize("command", _commands(typer.main.get_group(cli_app)))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`{command}" in _text("cli.md")


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_problem_code_is_documented(code: str) -> None:
    assert f"`{code}`" in _text("api.md")


def test_every_api_route_is_documented(tmp_path: Path) -> None:
    from vigil.web.app import api_routes, create_app

    app = create_app(Settings(data_dir=tmp_path))
    api = _text("api.md")
    routes = [(path, methods) for path, methods, _ in api_routes(app) if path.startswith("/api/")]
    assert routes
    missing = [
        f"{sorted(methods)} {path}"
        for path, methods in routes
        if not any(f"{m} {path}" in api for m in methods)
    ]
    assert not missing, f"not in docs/api.md: {missing}"
