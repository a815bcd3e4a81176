"""Issue 5's "done when", on SQLite and PostgreSQL: an analyst takes the demo month from
reported to verified, every provision of the demo agreement then shows a compliance status
backed by linked incidents, restrictions of movement are counted, and all of it is in the
audit chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import OPERATOR
from typer.testing import CliRunner

from vigil.cli.main import app as cli
from vigil.config import get_settings
from vigil.domain.compliance import STATUSES
from vigil.services import accounts
from vigil.services.demo import END, START, load_demo
from vigil.services.verify import verify
from vigil.store.tables import AuditEvent, Incident, Provision

MONTH = {"from": START.isoformat(), "to": END.isoformat()}
LAST_WEEK = "2020-12-02T20:00:00+00:00"


@pytest.fixture
def demo(db) -> Iterator[dict[str, dict[str, str]]]:
    """The demo loaded, a token for its analyst and head of mission, and the CLI pointed at it."""
    get_settings.cache_clear()
    with db.writing() as session:
        load_demo(session, OPERATOR, 1, lambda stage, n: None)
        tokens = {
            name: accounts.create_token(session, OPERATOR.actor, name, "tests")
            for name in ("analyst", "head-of-mission")
        }
    yield {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}
    get_settings.cache_clear()


def sweep(db, *args: str) -> str:
    done = CliRunner().invoke(
        cli, ["review", "sweep", "verified", *args, "--as", "analyst"],
        env={"VIGIL_DATABASE_URL": db.url},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return done.output


def open_flags(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"status": "open", "limit": 500}
    while True:
        page = client.get("/api/v1/flags", params=params, headers=headers).json()
        found += page["items"]
        if not page["next_cursor"]:
            return found
        params["cursor"] = page["next_cursor"]


def test_the_demo_month_verified_and_judged(db, demo, client: TestClient) -> None:
    analyst = demo["analyst"]
    # 1. Reported to verified: what the agreement's rules look at over the month, and every
    # ceasefire violation of its last week, where the review policy allows.
    for category in ("implementation", "humanitarian", "weapons_forces"):
        assert "moved to verified" in sweep(db, "--category", category)
    said = sweep(db, "--category", "ceasefire_violation", "--from", LAST_WEEK,
                 "--to", END.isoformat())  # fmt: skip
    assert "left as they are" in said  # single-source reports stay for a closer look
    with db.reading() as session:
        verified = session.scalar(
            select(func.count()).select_from(Incident).where(Incident.status == "verified")
        )
    assert verified and verified > 50

    # 2. Verifying raised flags against the provisions; the analyst decides each one.
    flags = open_flags(client, analyst)
    assert {f["provision"] for f in flags} == {str(n) for n in range(1, 10)}
    for flag in flags:
        body = {"status": "confirmed", "reason": "seen by our patrols"}
        if flag["effect"] == "breach" and flag["provision"] == "9":
            body = {"status": "dismissed", "reason": "not a transport link"}
        done = client.post(f"/api/v1/flags/{flag['id']}/decision", json=body, headers=analyst)
        assert done.status_code == 200, done.text
    assert open_flags(client, analyst) == []

    # 3. Every provision has a status backed by the incidents behind it.
    judged = client.get(
        "/api/v1/compliance", params={"as_of": END.isoformat()}, headers=analyst
    ).json()
    by_number = {p["number"]: p for p in judged["provisions"]}
    with db.reading() as session:
        numbers = session.scalars(select(Provision.number)).all()
    assert sorted(by_number) == sorted(numbers) and len(numbers) == 9
    for number, p in by_number.items():
        assert p["status"]["status"] in STATUSES and p["status"]["status"] != "unknown", p
        assert p["status"]["incident_ids"], f"provision {number} has no incidents behind it"
    assert by_number["1"]["status"]["status"] == "breached"  # violations in the last week
    assert by_number["3"]["status"]["status"] == "complied"  # peacekeepers seen deployed
    for incident_id in by_number["8"]["status"]["incident_ids"]:
        page = client.get(f"/incidents/{incident_id}", headers=analyst)
        assert page.status_code == 200 and "humanitarian.exchange" in page.text

    # 4. Restrictions of movement are counted, per area and per party as stated.
    counted = client.get("/api/v1/restrictions/counts", params=MONTH, headers=analyst).json()
    assert counted["total"]["count"] >= 10
    assert sum(a["count"] for a in counted["by_area"]) == counted["total"]["count"]
    assert sum(p["count"] for p in counted["by_party"]) == counted["total"]["count"]
    assert any(a["key"] == "lachin-corridor" for a in counted["by_area"])

    # 5. All of it is in the audit chain, and the chain verifies.
    with db.reading() as session:
        actions = set(session.scalars(select(AuditEvent.action).distinct()))
        assert verify(session).ok
    expected = {"incident.review", "provision_flag.raise", "provision_flag.decide", "fusion.pin"}
    assert expected <= actions, sorted(actions)
