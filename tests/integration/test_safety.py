"""Patrol safety (SQLite and PostgreSQL), with a controllable clock: the timer raises one alarm
past the interval and none before, check-ins and position reports restart it, overdue
patrols and stops in forbidden zones raise theirs, duty officers acknowledge (audited, twice is
a 409); the worker thread raises alarms with nobody looking and sends them to the webhook,
retrying, without a hanging gateway holding up the next check; bad input is a clear 4xx that
stores nothing; `vigil verify` passes."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.conftest import OPERATOR, PASSWORD, Account
from tests.integration.test_sources import assert_problem, assert_verified

from vigil.domain.geography import ZoneDraft
from vigil.domain.patrols import PatrolPlan
from vigil.queries import accounts as accounts_q
from vigil.services import accounts, geography, patrols, restrictions, safety
from vigil.services.audit import Auditor
from vigil.store.db import Database
from vigil.store.tables import (
    Alarm,
    AlarmDelivery,
    AuditEvent,
    CheckIn,
    Patrol,
    Position,
    TrackerDevice,
)
from vigil.worker.safety import SafetyWorker

T0 = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
SAFETY = "/api/v1"
ROUTE = {"type": "LineString", "coordinates": [[46.55, 39.55], [46.56, 39.56]]}
ZONE = {
    "type": "Polygon",
    "coordinates": [[[46.5, 39.5], [46.6, 39.5], [46.6, 39.6], [46.5, 39.6], [46.5, 39.5]]],
}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_patrol(
    db: Database, code: str, status: str = "under_way", interval_s: int = 600,
    end_min: float = 360, leader: str | None = None,
) -> int:  # fmt: skip
    """A patrol planned and set out at T0 through the patrols service; led by `leader`, or by
    a monitor of its own (a person is on one patrol at a time)."""
    with db.writing() as session:
        if leader is None:
            leader = f"m-{code.lower()}"
            accounts.add_user(session, "test", leader, "monitor", PASSWORD, "", None)
        plan = PatrolPlan(code=code, name=code, route=ROUTE, planned_start=T0,
                          planned_end=at(end_min), check_in_interval_s=interval_s,
                          members=[{"user": leader, "role": "leader"}])  # fmt: skip
        row = patrols.plan(session, OPERATOR, plan)
        patrols.start(session, OPERATOR, row.id, T0)
        if status == "completed":
            patrols.complete(session, OPERATOR, row.id, at(1))
        return row.id


def report_positions(db: Database, patrol_id: int, times: list[datetime], lat=39.55, lon=46.55):
    """Position reports of the leader's phone (audited, as the tracking service would)."""
    with db.writing() as session:
        audit = Auditor(session, "test", T0)
        device = session.scalar(select(TrackerDevice).where(TrackerDevice.identifier == "ph-1"))
        if device is None:
            user = accounts_q.user_by_name(session, "patrol-leader")
            device = TrackerDevice(identifier="ph-1", user_id=user.id, label="", created_at=T0)
            session.add(device)
            session.flush()
            audit.created("tracker.register", device)
        for t in times:
            row = Position(device_id=device.id, patrol_id=patrol_id, recorded_at=t, received_at=t,
                           lat=lat, lon=lon, speed_kn=0.0, bearing_deg=None, altitude_m=None,
                           accuracy_m=5.0, battery_pct=80.0, source="traccar")  # fmt: skip
            session.add(row)
            session.flush()
            audit.created("position.report", row)


def evaluate(db: Database, now: datetime) -> list[tuple[int, str]]:
    with db.writing() as session:
        return [(a.patrol_id, a.kind) for a in safety.evaluate(session, OPERATOR, now)]


def count(db: Database, table: Any) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def post(client, who: Account, path: str, body: dict[str, Any]):
    return client.post(f"{SAFETY}{path}", json=body, headers=who.headers)


# --- the timer ---------------------------------------------------------------------------------


def test_one_alarm_past_the_interval_acknowledged_by_the_duty_officer(
    db, users, client, cli
) -> None:
    pid = make_patrol(db, "PTL-1")
    assert evaluate(db, at(9)) == []
    assert evaluate(db, at(11)) == [(pid, "missed_check_in")]
    assert evaluate(db, at(12)) == []  # one open: never the same kind twice
    listed = client.get(f"{SAFETY}/alarms", headers=users["monitor"].headers).json()["items"]
    assert [(a["patrol"], a["kind"]) for a in listed] == [("PTL-1", "missed_check_in")]
    alarm_id = listed[0]["id"]
    done = post(client, users["duty_officer"], f"/alarms/{alarm_id}/acknowledge",
                {"note": "called them on the radio"})  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["acknowledged_by"] == "duty-officer"
    again = post(client, users["duty_officer"], f"/alarms/{alarm_id}/acknowledge", {"note": ""})
    assert_problem(again, 409, "state_conflict")
    assert client.get(f"{SAFETY}/alarms", headers=users["monitor"].headers).json()["items"] == []
    all_ = client.get(f"{SAFETY}/alarms?state=all", headers=users["monitor"].headers).json()
    assert all_["items"][0]["note"] == "called them on the radio"
    with db.reading() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert "alarm.missed_check_in" in actions and actions[-1] == "alarm.acknowledge"
    assert_verified(cli)


def test_position_reports_and_button_check_ins_restart_the_timer(db, users, client, cli) -> None:
    by_phone = make_patrol(db, "PTL-P")
    by_button = make_patrol(db, "PTL-B", leader="patrol-leader")
    report_positions(db, by_phone, [at(5)])
    pressed = post(client, users["patrol_leader"], "/check-ins",
                   {"patrol_id": by_button, "kind": "button", "at": at(8).isoformat()})  # fmt: skip
    assert pressed.status_code == 201, pressed.text
    assert pressed.json()["by"] == "patrol-leader" and pressed.json()["patrol"] == "PTL-B"
    assert evaluate(db, at(14)) == []
    assert evaluate(db, at(16)) == [(by_phone, "missed_check_in")]
    assert evaluate(db, at(18.5)) == [(by_button, "missed_check_in")]
    radio = post(client, users["duty_officer"], "/check-ins",
                 {"patrol_id": by_phone, "kind": "radio", "note": "all fine"})  # fmt: skip
    assert radio.status_code == 201, radio.text
    listed = client.get(f"{SAFETY}/check-ins?patrol={by_phone}", headers=users["analyst"].headers)
    assert [c["kind"] for c in listed.json()["items"]] == ["radio"]
    assert_verified(cli)


def test_overdue_after_the_planned_end_and_the_grace(db, users, cli) -> None:
    pid = make_patrol(db, "PTL-O", interval_s=7200, end_min=60)
    assert evaluate(db, at(65)) == []
    assert evaluate(db, at(66)) == [(pid, "overdue")]
    with db.reading() as session:
        assert session.get(Patrol, pid).status == "overdue"
        last = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc())).first()
    assert last == "patrol.overdue"
    assert evaluate(db, at(100)) == []  # overdue already: no second overdue alarm
    assert_verified(cli)


def test_stopped_inside_a_forbidden_zone_or_a_no_access_area(db, users, cli) -> None:
    in_zone = make_patrol(db, "PTL-Z")
    in_area = make_patrol(db, "PTL-A")
    passing = make_patrol(db, "PTL-M")
    with db.writing() as session:
        geography.add_zones(session, OPERATOR, [ZoneDraft(code="closed", kind="no_access",
                            names={"en": "Closed"}, geometry=ZONE)])  # fmt: skip
        area = {"type": "Polygon", "coordinates": [[[46.7, 39.7], [46.8, 39.7], [46.8, 39.8],
                                                    [46.7, 39.8], [46.7, 39.7]]]}  # fmt: skip
        closed = {"client_id": "t-1", "kind": "denied", "occurred_at": T0.isoformat(),
                  "lat": 39.75, "lon": 46.75, "place": "hill", "area": area}  # fmt: skip
        restrictions.record_all(session, OPERATOR, [closed], T0)
    minutes = [at(20 + i) for i in range(11)]
    report_positions(db, in_zone, minutes)
    report_positions(db, in_area, [t + timedelta(seconds=1) for t in minutes], 39.75, 46.75)
    report_positions(db, passing, [t + timedelta(seconds=2) for t in minutes[:3]])
    found = evaluate(db, at(30.1))
    assert sorted(found) == sorted([(in_zone, "forbidden_zone"), (in_area, "forbidden_zone")])
    with db.reading() as session:
        details = {a.patrol_id: a.detail for a in session.scalars(select(Alarm))}
    assert details[in_zone]["zone"] == "no_access closed"
    assert "restriction" in details[in_area]["zone"]
    assert_verified(cli)


# --- the worker --------------------------------------------------------------------------------


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_worker_raises_alarms_with_nobody_looking(db, users, cli) -> None:
    make_patrol(db, "PTL-W")
    clock = FakeClock(at(9))
    worker = SafetyWorker(db, 0.05, clock=clock)
    worker.start()
    try:
        time.sleep(0.3)
        assert count(db, Alarm) == 0
        clock.now = at(11)
        wait_for(lambda: count(db, Alarm) == 1)
        time.sleep(0.3)
        assert count(db, Alarm) == 1
    finally:
        worker.stop()
    assert_verified(cli)


@pytest.fixture
def gateway() -> Iterator[dict[str, Any]]:
    """A local webhook: answers `status` (or hangs `hang` seconds first); keeps the bodies."""
    state: dict[str, Any] = {"status": 204, "hang": 0.0, "bodies": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["bodies"].append(json.loads(body))
            time.sleep(state["hang"])
            try:
                self.send_response(state["status"])
                self.end_headers()
            except OSError:
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/alarm"
    yield state
    server.shutdown()
    server.server_close()


def outcomes(db: Database) -> list[tuple[str, int | None]]:
    with db.reading() as session:
        rows = session.scalars(select(AlarmDelivery).order_by(AlarmDelivery.id))
        return [(r.outcome, r.status_code) for r in rows]


def test_webhook_delivered(db, users, gateway, cli) -> None:
    make_patrol(db, "PTL-H")
    worker = SafetyWorker(db, 0.05, clock=FakeClock(at(11)), webhook_url=gateway["url"],
                          public_url="https://vigil.example.org/")  # fmt: skip
    worker.start()
    try:
        wait_for(lambda: outcomes(db) == [("delivered", 204)])
    finally:
        worker.stop()
    sent = gateway["bodies"][0]
    assert sent["patrol"] == "PTL-H" and sent["kind"] == "missed_check_in"
    assert sent["link"].startswith("https://vigil.example.org/operations#alarm-")
    assert sent["raised_at"].startswith(at(11).date().isoformat()) and sent["detail"]
    assert_verified(cli)


def test_webhook_failing_is_retried_three_times(db, users, gateway, cli) -> None:
    gateway["status"] = 500
    make_patrol(db, "PTL-F")
    worker = SafetyWorker(db, 0.05, clock=FakeClock(at(11)), webhook_url=gateway["url"],
                          backoff_s=(0.05, 0.1))  # fmt: skip
    worker.start()
    try:
        wait_for(lambda: len(outcomes(db)) == 3)
        time.sleep(0.3)
    finally:
        worker.stop()
    assert outcomes(db) == [("failed", 500)] * 3
    assert len(gateway["bodies"]) == 3
    assert_verified(cli)


def test_a_hanging_webhook_never_blocks_the_next_check(db, users, gateway, cli) -> None:
    gateway["hang"] = 4.0
    make_patrol(db, "PTL-1")
    make_patrol(db, "PTL-2", interval_s=1800)
    clock = FakeClock(at(11))
    worker = SafetyWorker(db, 0.05, clock=clock, webhook_url=gateway["url"], timeout_s=2.0,
                          backoff_s=(0.05, 0.05))  # fmt: skip
    worker.start()
    try:
        wait_for(lambda: len(gateway["bodies"]) == 1)  # the gateway now holds the sender
        clock.now = at(31)
        wait_for(lambda: count(db, Alarm) == 2, seconds=0.9)  # checked while the POST hangs
        assert outcomes(db) == []
        wait_for(lambda: len(outcomes(db)) >= 1, seconds=5)
    finally:
        worker.stop()
    assert outcomes(db)[0] == ("failed", None)
    with db.reading() as session:
        assert "Timeout" in session.scalars(select(AlarmDelivery.error)).first()
    assert_verified(cli)


# --- bad input ---------------------------------------------------------------------------------


def test_bad_input_is_a_clear_4xx_and_stores_nothing(db, users, client, cli) -> None:
    pid = make_patrol(db, "PTL-X")
    done = make_patrol(db, "PTL-C", status="completed")
    evaluate(db, at(11))
    with db.reading() as session:
        alarm_id = session.scalars(select(Alarm.id)).one()
    before = count(db, AuditEvent), count(db, CheckIn)
    duty, monitor, leader = users["duty_officer"], users["monitor"], users["patrol_leader"]
    liaison = users["party_liaison"]
    radio = {"patrol_id": pid, "kind": "radio"}
    assert_problem(post(client, duty, "/check-ins", {**radio, "patrol_id": 9999}), 404, "not_found")
    assert_problem(post(client, duty, "/check-ins", {**radio, "patrol_id": done}), 409,
                   "state_conflict")  # fmt: skip
    assert_problem(post(client, monitor, "/check-ins", radio), 403, "forbidden")
    assert_problem(post(client, duty, "/check-ins", {**radio, "kind": "button"}), 403, "forbidden")
    assert_problem(post(client, leader, "/check-ins", {**radio, "kind": "smoke"}), 422,
                   "validation_failed", "kind")  # fmt: skip
    for bad in ({"at": "2020-11-20T10:00:00"}, {"at": "2999-01-01T00:00:00Z"},
                {"note": "x" * 2001}, {"extra": 1}, {"at": at(-5).isoformat()}):  # fmt: skip
        r = post(client, duty, "/check-ins", {**radio, **bad})
        assert_problem(r, 422, "validation_failed")
    assert_problem(post(client, liaison, "/check-ins", radio), 403, "forbidden")
    assert_problem(client.get(f"{SAFETY}/alarms", headers=liaison.headers), 403, "forbidden")
    assert_problem(client.get(f"{SAFETY}/alarms?state=maybe", headers=duty.headers), 422,
                   "validation_failed")  # fmt: skip
    assert_problem(client.get(f"{SAFETY}/check-ins?patrol=9999", headers=duty.headers), 422,
                   "unknown_reference")  # fmt: skip
    ack = f"/alarms/{alarm_id}/acknowledge"
    assert_problem(post(client, monitor, ack, {"note": ""}), 403, "forbidden")
    assert_problem(post(client, liaison, ack, {"note": ""}), 403, "forbidden")
    assert_problem(post(client, duty, "/alarms/9999/acknowledge", {}), 404, "not_found")
    assert_problem(post(client, duty, ack, {"note": "x" * 2001}), 422, "validation_failed")
    assert_problem(client.post(f"{SAFETY}{ack}", content=b"{", headers={
        **duty.headers, "Content-Type": "application/json"}), 400, "malformed_request")  # fmt: skip
    assert (count(db, AuditEvent), count(db, CheckIn)) == before
    assert_verified(cli)


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_check_in_alarms_ack_and_check(db, users, cli) -> None:
    pid = make_patrol(db, "PTL-CLI")
    code, out, err = cli("safety", "check", "--at", at(11).isoformat())
    assert code == 0 and "missed_check_in on patrol PTL-CLI" in out and "1 alarm(s)" in out, err
    code, out, _ = cli("safety", "alarms")
    assert code == 0 and "PTL-CLI" in out and "OPEN" in out
    with db.reading() as session:
        alarm_id = session.scalars(select(Alarm.id)).one()
    code, out, err = cli("safety", "ack", str(alarm_id), "--note", "ok", "--as", "duty-officer")
    assert code == 0 and "acknowledged" in out, err
    code, _, err = cli("safety", "ack", str(alarm_id), "--as", "duty-officer")
    assert code == 1 and "already" in err
    code, _, err = cli("safety", "ack", str(alarm_id), "--as", "monitor")
    assert code == 1 and "may not" in err
    code, out, err = cli("safety", "check-in", str(pid), "--note", "radio ok", "--as",
                         "duty-officer")  # fmt: skip
    assert code == 0 and "logged" in out, err
    assert cli("safety", "check-in", "999", "--as", "duty-officer")[0] == 1
    assert cli("safety", "check-in", str(pid), "--as", "nobody")[0] == 1
    assert cli("safety", "check", "--at", "yesterday")[0] == 1
    code, out, _ = cli("safety", "alarms", "--all")
    assert code == 0 and "1 alarm(s)" in out
    assert_verified(cli)
