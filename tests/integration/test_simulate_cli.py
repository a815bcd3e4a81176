"""`vigil simulate`, run as a user runs it: in a subprocess, on SQLite and on PostgreSQL, against
a mission with a line of contact and a few of the demo's posts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from tests.conftest import OPERATOR

from vigil.formats.geography_files import parse_posts_csv, parse_zones
from vigil.services import accounts, geography, mission
from vigil.store.db import Database
from vigil.store.tables import (
    AuditEvent,
    Observation,
    TruthCover,
    TruthEvent,
    TruthLink,
    User,
)

VIGIL = Path(sys.executable).parent / "vigil"
POSTS = ("OP-01", "OP-02", "AC-01", "CAM-01", "OP-05", "OP-06")
START = "2021-03-10T00:00+04:00"
TABLES = (Observation, TruthEvent, TruthLink, TruthCover, AuditEvent)


def _data(name: str) -> bytes:
    return resources.files("vigil.demo").joinpath("data", name).read_bytes()


def _setup(db: Database, *, with_mission: bool = True, posts: bool = True, line: bool = True):
    """A monitor, a party liaison, and as much of a mission as asked for."""
    with db.writing() as session:
        mission.add_parties(session, OPERATOR, [{"code": "P1", "names": {"en": "Party One"}}])
        accounts.add_user(session, OPERATOR.actor, "mon", "monitor", None, "", None)
        accounts.add_user(session, OPERATOR.actor, "liaison", "party_liaison", None, "", "P1")
        for wanted, add in ((with_mission, _add_mission), (line, _add_line), (posts, _add_posts)):
            if wanted:
                add(session)


def _add_mission(session) -> None:
    mission.set_mission(
        session,
        OPERATOR,
        {"name": "Test", "mandate_start": "2021-03-01", "timezone": "Asia/Baku"},
    )


def _add_line(session) -> None:
    zones = [z for z in parse_zones(_data("zones.geojson")) if z.kind == "line_of_contact"]
    geography.add_zones(session, OPERATOR, zones)


def _add_posts(session) -> None:
    chosen = [p for p in parse_posts_csv(_data("posts.csv")) if p.code in POSTS]
    geography.add_posts(session, OPERATOR, chosen)


def _start_vigil(db: Database, tmp_path: Path, *args: str) -> subprocess.Popen:
    """Start `vigil ARGS` on the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env |= {"VIGIL_DATA_DIR": str(tmp_path / "data"), "VIGIL_DATABASE_URL": db.url}
    return subprocess.Popen(
        [str(VIGIL), *args],
        env={**env, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _vigil(db: Database, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """`vigil ARGS` on the test's database; no output may ever hold a traceback."""
    run = _start_vigil(db, tmp_path, *args)
    stdout, stderr = run.communicate(timeout=120)
    assert "Traceback" not in stdout + stderr, stderr
    return subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)


def _ok(db: Database, tmp_path: Path, *args: str) -> str:
    done = _vigil(db, tmp_path, *args)
    assert done.returncode == 0, f"vigil {' '.join(args)}: {done.stderr}"
    return done.stdout


def _counts(db: Database) -> tuple[int, ...]:
    with db.reading() as session:
        return tuple(int(session.scalar(select(func.count()).select_from(t)) or 0) for t in TABLES)


def test_simulate_records_observations_and_truth_once(db: Database, tmp_path: Path) -> None:
    _setup(db)
    args = ("simulate", "--as", "mon", "--days", "4", "--start", START, "--seed", "3")
    first = _ok(db, tmp_path, *args)
    assert "simulated 4 days from 2021-03-10T00:00+04:00 (seed 3, density 1)" in first
    made = re.search(r": (\d+) observations \((\d+) new\) of (\d+) events \((\d+) new\)", first)
    assert made is not None, first
    n_obs, new_obs, n_events, new_events = (int(g) for g in made.groups())
    assert n_obs == new_obs > 50 and n_events == new_events > 20
    with db.reading() as session:
        mon = session.scalars(select(User).where(User.username == "mon")).one()
        stored = session.scalars(select(Observation)).all()
        assert len(stored) == n_obs
        assert {(o.channel, o.submitted_by) for o in stored} == {("simulation", mon.id)}
        assert all(re.fullmatch(r"sim-3-202103092000-\d{6}", o.client_id) for o in stored)
        assert {o.observer_kind for o in stored} <= {"post", "patrol"}
        assert all(o.observer_name for o in stored if o.observer_kind == "patrol")
        keys = set(session.scalars(select(TruthEvent.key)))
        assert len(keys) == n_events
        links = dict(session.execute(select(TruthLink.client_id, TruthLink.truth_key)).all())
        assert set(links) == {o.client_id for o in stored}
        assert {k for k in links.values() if k} <= keys
        covers = session.execute(select(TruthCover.client_id, TruthCover.truth_key)).all()
        assert all(c in links and links[c] and k in keys for c, k in covers)
    counts = _counts(db)
    again = _ok(db, tmp_path, *args)
    assert f"{n_obs} observations (0 new) of {n_events} events (0 new)" in again
    assert _counts(db) == counts
    assert "intact" in _ok(db, tmp_path, "verify")


def test_without_start_it_continues_after_the_latest_observation(
    db: Database, tmp_path: Path
) -> None:
    _setup(db)
    first = _ok(db, tmp_path, "simulate", "--as", "mon", "--days", "2", "--density", "2")
    assert "from 2021-03-01T00:00+04:00" in first  # the mandate's start, local midnight
    with db.reading() as session:
        latest = session.scalar(select(func.max(Observation.observed_at)))
        before = set(session.scalars(select(Observation.client_id)))
    assert latest is not None
    day = latest.astimezone(ZoneInfo("Asia/Baku")).date() + timedelta(days=1)
    second = _ok(db, tmp_path, "simulate", "--as", "mon", "--days", "1")
    assert f"from {day.isoformat()}T00:00+04:00" in second
    assert re.search(r"\((\d+) new\) of", second) and "(0 new)" not in second
    with db.reading() as session:
        after = set(session.scalars(select(Observation.client_id)))
        assert before < after
        assert all(o.observed_at.date() >= day - timedelta(days=1) for o in _new(session, before))


def _new(session, before: set[str]) -> list[Observation]:
    rows = session.scalars(select(Observation)).all()
    return [o for o in rows if o.client_id not in before]


BAD_INPUT = [
    (("--as", "nobody"), "no user 'nobody'"),
    (("--as", "liaison"), "may not report observations"),
    (("--as", "mon", "--days", "0"), "days"),
    (("--as", "mon", "--days", "3661"), "3660"),
    (("--as", "mon", "--density", "0"), "density"),
    (("--as", "mon", "--density", "20.5"), "density"),
    (("--as", "mon", "--start", "10/03/2021"), "ISO 8601"),
    (("--as", "mon", "--start", "2021-03-10T00:00"), "UTC offset"),
]


def test_bad_input_is_refused_in_one_line(db: Database, tmp_path: Path) -> None:
    _setup(db)
    counts = _counts(db)
    runs = [_start_vigil(db, tmp_path, "simulate", *args) for args, _ in BAD_INPUT]  # at once
    for run, (args, says) in zip(runs, BAD_INPUT, strict=True):
        stdout, stderr = run.communicate(timeout=120)
        assert "Traceback" not in stdout + stderr, stderr
        assert run.returncode == 1, args
        assert stderr.startswith("error:") and says in stderr, (args, stderr)
        assert len(stderr.strip().splitlines()) == 1, stderr
    assert _counts(db) == counts


def test_a_mission_needs_posts_and_a_line(db: Database, tmp_path: Path) -> None:
    _setup(db, with_mission=False, posts=False, line=False)
    for says, add in (
        ("no mission", _add_mission),
        ("no active posts", _add_posts),
        ("no line of contact", _add_line),
    ):
        done = _vigil(db, tmp_path, "simulate", "--as", "mon", "--days", "1")
        assert done.returncode == 1 and says in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        with db.writing() as session:
            add(session)
    assert "simulated 1 days" in _ok(db, tmp_path, "simulate", "--as", "mon", "--days", "1")
