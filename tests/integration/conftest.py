"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from tests.integration.test_cli import site  # noqa: F401  (a fixture: a fresh Vigil site)
from typer.testing import CliRunner

from vigil.config import get_settings
from vigil.store.db import Database

CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(db: Database) -> Iterator[CliRun]:
    """`vigil ARGS` in process on the test's database: (exit code, stdout, stderr). Never a
    traceback; wide columns, so that Rich does not wrap what tests look for."""
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        from vigil.cli.main import app

        get_settings.cache_clear()
        try:
            env = {"VIGIL_DATABASE_URL": db.url, "VIGIL_PUBLIC_URL": None, "COLUMNS": "200"}
            done = runner.invoke(app, list(args), input=stdin, env=env)
        finally:
            get_settings.cache_clear()
        assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
        assert "Traceback" not in done.stdout + done.stderr
        return done.exit_code, done.stdout, done.stderr

    yield run
