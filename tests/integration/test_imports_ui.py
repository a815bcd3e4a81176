"""Imports of observations through the command line and the import page (SQLite and
PostgreSQL): what a person sees, and that a refusal stores nothing."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import OPERATOR, PASSWORD
from tests.factories import add_post
from tests.integration.test_imports import BAD, GOOD, GPX, counts, csv_file

from vigil.formats.import_csv import template_csv
from vigil.store.db import Database

VIGIL = Path(sys.executable).parent / "vigil"


@pytest.fixture
def monitor(db: Database, users) -> dict[str, str]:
    """The monitor's headers, with post OP-T1 in place."""
    with db.writing() as session:
        add_post(session, OPERATOR)
    return users["monitor"].headers


# The command line


def run_cli(db: Database, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`vigil ARGS` in a subprocess, as a user runs it."""
    env = {**os.environ, "VIGIL_DATABASE_URL": db.url, "COLUMNS": "250"}
    done = subprocess.run(
        [str(VIGIL), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


@dataclass
class Ran:
    """What a command printed, and how it exited."""

    returncode: int
    stdout: str
    stderr: str


def cli(db: Database, *args: str) -> Ran:
    """The same command through Typer's runner, without starting an interpreter."""
    from typer.testing import CliRunner

    from vigil.cli.main import app
    from vigil.config import get_settings

    get_settings.cache_clear()
    try:
        env = {"VIGIL_DATABASE_URL": db.url, "COLUMNS": "250"}
        done = CliRunner().invoke(app, list(args), env=env)
    finally:
        get_settings.cache_clear()
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    ran = Ran(done.exit_code, done.stdout, done.stderr)
    assert "Traceback" not in ran.stdout + ran.stderr
    return ran


def test_cli_dry_run_prints_each_row_and_exits_non_zero_when_refused(
    db, monitor, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_file(*GOOD, *BAD))
    before = counts(db)
    done = cli(db, "observations", "import", str(path), "--as", "monitor", "--dry-run")
    assert done.returncode == 1, done.stderr
    assert counts(db) == before
    lines = done.stdout.splitlines()
    for n in range(2, 5):
        assert any(f"row {n} " in line and "would import" in line for line in lines), lines
    row5 = next(line for line in lines if "row 5 " in line)
    assert "REFUSED" in row5 and "unknown category 'no_such.category'" in row5
    assert "3 would be imported" in done.stdout and "3 refused" in done.stdout


def test_cli_all_or_nothing_refusal_is_one_message(db, monitor, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_file(*GOOD, *BAD))
    before = counts(db)
    done = run_cli(db, "observations", "import", str(path), "--as", "monitor", cwd=tmp_path)
    assert done.returncode != 0
    assert done.stderr.startswith("error: 3 of 6 rows refused, nothing imported"), done.stderr
    assert "row 7.lat" in done.stderr
    assert counts(db) == before


def test_cli_partial_writes_refused_rows_with_reasons(db, monitor, tmp_path: Path) -> None:
    path, refused = tmp_path / "mixed.csv", tmp_path / "refused.csv"
    path.write_bytes(csv_file(*GOOD, *BAD))
    done = cli(
        db,
        "observations",
        "import",
        str(path),
        "--as",
        "monitor",
        "--partial",
        "--refused",
        str(refused),
    )
    assert done.returncode == 0, done.stderr
    assert "3 imported" in done.stdout and "3 refused rows written" in done.stdout
    assert counts(db)["observation"] == 3
    rows = list(csv.DictReader(io.StringIO(refused.read_text(encoding="utf-8"))))
    assert [r["refused_row"] for r in rows] == ["row 5", "row 6", "row 7"]
    assert [r["text"] for r in rows] == ["bad category", "future and no post", "latitude 200"]
    assert "unknown category" in rows[0]["reason"] and "lat:" in rows[2]["reason"]
    assert "future" in rows[1]["reason"] and "unknown post 'OP-NONE'" in rows[1]["reason"]
    # corrected, the refused file imports as it is (its extra columns are ignored)
    fixed = refused.read_text(encoding="utf-8").replace("no_such.category", "weapons_forces")
    fixed = fixed.replace("2099-01-01", "2020-11-13").replace("OP-NONE", "OP-T1")
    path.write_text(fixed.replace(",200,", ",39.9,"), encoding="utf-8")
    again = cli(db, "observations", "import", str(path), "--as", "monitor")
    assert again.returncode == 0, again.stderr
    assert counts(db)["observation"] == 6


def test_cli_reimport_adds_nothing_and_template_prints(db, monitor, tmp_path: Path) -> None:
    path = tmp_path / "walk.gpx"
    path.write_bytes(GPX.encode())
    first = cli(db, "observations", "import", str(path), "--as", "monitor")
    assert first.returncode == 0 and "2 imported" in first.stdout, first.stderr
    assert "1 not imported" in first.stdout
    before = counts(db)
    second = cli(db, "observations", "import", str(path), "--as", "monitor")
    assert "0 imported, 2 already there" in second.stdout
    assert counts(db)["observation"] == before["observation"]
    listed = cli(db, "observations", "imports")
    assert listed.stdout.count("walk.gpx") == 2
    template = cli(db, "observations", "template")
    assert template.stdout.encode() == template_csv().replace(b"\r\n", b"\n")


def test_cli_refuses_unknown_users_and_bad_files(db, monitor, tmp_path: Path) -> None:
    path = tmp_path / "page.gpx"
    path.write_bytes(b"<html><body>Sign in</body></html>")
    before = counts(db)
    done = cli(db, "observations", "import", str(path), "--as", "monitor")
    assert done.returncode != 0 and "HTML (a web page), not GPX" in done.stderr
    nobody = cli(db, "observations", "import", str(path), "--as", "nobody")
    assert nobody.returncode != 0 and "no user 'nobody'" in nobody.stderr
    assert counts(db) == before


# The page


def sign_in(client: TestClient, username: str) -> str:
    """Sign in with a browser session; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/import").text)
    assert csrf is not None
    return csrf.group(1)


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, f"no hidden {name}"
    return found.group(1)


def test_page_dry_run_then_partial_import(db, monitor, client) -> None:
    csrf = sign_in(client, "monitor")
    before = counts(db)
    files = {"file": ("mixed.csv", csv_file(*GOOD, *BAD))}
    checked = client.post("/import", files=files, data={"csrf_token": csrf})
    assert checked.status_code == 200, checked.text
    assert counts(db) == before
    page = checked.text
    assert page.count(">would import<") == 3 and page.count(">refused<") == 3
    assert "unknown category &#39;no_such.category&#39;" in page
    assert 'value="all"' not in page and 'value="partial"' in page
    sha = hidden(page, "sha256")
    refused = client.get("/import/refused.csv", params={"sha256": sha, "filename": "mixed.csv"})
    assert refused.status_code == 200 and refused.text.count("\n") == 4
    form = {"csrf_token": csrf, "sha256": sha, "filename": "mixed.csv", "format": "csv"}
    forged = client.post(
        "/import/confirm", data={**form, "csrf_token": "forged", "mode": "partial"}
    )
    assert forged.status_code == 403 and counts(db) == before
    done = client.post("/import/confirm", data={**form, "mode": "partial"})
    assert done.status_code == 200, done.text
    assert done.text.count(">imported<") == 3 and "Recorded as import" in done.text
    assert counts(db)["observation"] == before["observation"] + 3


def test_page_all_or_nothing_refusal_and_unknown_upload(db, monitor, client) -> None:
    csrf = sign_in(client, "monitor")
    checked = client.post(
        "/import", files={"file": ("mixed.csv", csv_file(*GOOD, *BAD))}, data={"csrf_token": csrf}
    )
    form = {"csrf_token": csrf, "sha256": hidden(checked.text, "sha256"), "filename": "mixed.csv"}
    before = counts(db)
    refused = client.post("/import/confirm", data={**form, "mode": "all"})
    assert refused.status_code == 422 and "Nothing was imported" in refused.text
    assert "row 5.category" in refused.text
    unknown = client.post("/import/confirm", data={**form, "sha256": "0" * 64, "mode": "all"})
    assert unknown.status_code == 404 and "upload it again" in unknown.text
    assert counts(db) == before


def test_page_without_csrf_or_with_a_bad_file_stores_nothing(db, monitor, client) -> None:
    csrf = sign_in(client, "monitor")
    before = counts(db)
    files = {"file": ("good.csv", csv_file(*GOOD))}
    assert client.post("/import", files=files).status_code == 403
    html = client.post(
        "/import",
        files={"file": ("x.gpx", b"<html><body>x</body></html>")},
        data={"csrf_token": csrf},
    )
    assert html.status_code == 415 and "HTML (a web page), not GPX" in html.text
    assert counts(db) == before


def test_page_is_for_reporters(db, users, client) -> None:
    sign_in_as = users["head_of_mission"].headers
    assert client.get("/import", headers=sign_in_as).status_code == 403
    assert client.get("/import", headers=users["monitor"].headers).status_code == 200
