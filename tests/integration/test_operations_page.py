"""The operations page (SQLite and PostgreSQL): open alarms with their Acknowledge form, the
patrols out with their radio check-in form and, for members, the Check in button; refusals
come back as a message beside the form and store nothing; `vigil verify` passes."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.integration.test_report_form import hidden, sign_in
from tests.integration.test_safety import assert_verified, at, count, evaluate, make_patrol

from vigil.store.tables import Alarm, AuditEvent, CheckIn


def form(client: TestClient, path: str, data: dict[str, str]):
    page = client.get("/operations")
    return client.post(path, data={"csrf_token": hidden(page.text, "csrf_token"), **data},
                       follow_redirects=False)  # fmt: skip


def test_duty_officer_sees_and_acknowledges_an_alarm(db, users, app, cli) -> None:
    pid = make_patrol(db, "PTL-OPS")
    evaluate(db, at(11))
    with db.reading() as session:
        alarm_id = session.scalars(select(Alarm.id)).one()
    with TestClient(app) as client:
        sign_in(client, "duty-officer")
        page = client.get("/operations")
        assert page.status_code == 200
        assert f'id="alarm-{alarm_id}"' in page.text and "MISSED CHECK IN" in page.text
        assert "PTL-OPS" in page.text and "Log radio check-in" in page.text
        assert "/static/vigil/operations.js" in page.text and 'id="reload"' in page.text
        done = form(client, f"/operations/alarms/{alarm_id}/acknowledge", {"note": "on radio"})
        assert done.status_code == 303 and "acknowledged" in done.headers["location"]
        page = client.get(done.headers["location"])
        assert "No open alarms." in page.text and "on radio" in page.text
        again = form(client, f"/operations/alarms/{alarm_id}/acknowledge", {"note": ""})
        assert again.status_code == 409 and "acknowledged already" in again.text
        radio = form(client, "/operations/check-ins",
                     {"patrol_id": str(pid), "kind": "radio", "note": "all fine"})  # fmt: skip
        assert radio.status_code == 303 and "PTL-OPS" in radio.headers["location"]
    with db.reading() as session:
        assert session.scalars(select(CheckIn.note)).one() == "all fine"
    assert_verified(cli)


def test_a_patrol_member_presses_check_in_for_their_own_patrol(db, users, app, cli) -> None:
    own = make_patrol(db, "PTL-MINE", leader="patrol-leader")
    other = make_patrol(db, "PTL-OTHER")
    with TestClient(app) as client:
        sign_in(client, "patrol-leader")
        page = client.get("/operations").text
        buttons = re.findall(r'name="patrol_id" value="(\d+)">\s*<input type="hidden" '
                             r'name="kind" value="button"', page)  # fmt: skip
        assert buttons == [str(own)], "only their own patrol's button"
        assert "Log radio check-in" not in page and ">Acknowledge</button>" not in page
        done = form(client, "/operations/check-ins", {"patrol_id": str(own), "kind": "button"})
        assert done.status_code == 303
        before = count(db, AuditEvent)
        refused = form(client, "/operations/check-ins", {"patrol_id": str(other), "kind": "button"})
        assert refused.status_code == 403 and "not on patrol PTL-OTHER" in refused.text
        radio = form(client, "/operations/check-ins", {"patrol_id": str(own), "kind": "radio"})
        assert radio.status_code == 403 and "duty officer" in radio.text
        assert count(db, AuditEvent) == before
    assert_verified(cli)


def test_bad_input_on_the_page_is_a_message_and_stores_nothing(db, users, app, cli) -> None:
    pid = make_patrol(db, "PTL-BAD")
    evaluate(db, at(11))
    with db.reading() as session:
        alarm_id = session.scalars(select(Alarm.id)).one()
    with TestClient(app) as client:
        sign_in(client, "duty-officer")
        long = form(client, f"/operations/alarms/{alarm_id}/acknowledge", {"note": "x" * 2001})
        assert long.status_code == 422 and "at most 2000" in long.text
        assert re.search(rf'id="alarm-{alarm_id}".*?field-error', long.text, re.S)
        for data, status in (({"patrol_id": "abc", "kind": "radio"}, 404),
                             ({"patrol_id": "999", "kind": "radio"}, 404),
                             ({"patrol_id": str(pid), "kind": "smoke"}, 422)):  # fmt: skip
            r = form(client, "/operations/check-ins", data)
            assert r.status_code == status and 'id="operations-error"' in r.text, r.text[-500:]
        missing = client.post(f"/operations/alarms/{alarm_id}/acknowledge", data={"note": ""})
        assert missing.status_code == 403
        unknown = form(client, "/operations/alarms/999/acknowledge", {"note": ""})
        assert unknown.status_code == 404 and "no alarm 999" in unknown.text
    with TestClient(app) as client:
        sign_in(client, "monitor")
        page = client.get("/operations").text
        assert f'id="alarm-{alarm_id}"' in page and ">Acknowledge</button>" not in page
        assert form(client, f"/operations/alarms/{alarm_id}/acknowledge", {}).status_code == 403
    with TestClient(app) as client:
        sign_in(client, "party-liaison")
        assert client.get("/operations").status_code == 403
    with db.reading() as session:
        assert session.get(Alarm, alarm_id).acknowledged_at is None
        assert session.scalars(select(CheckIn)).all() == []
    assert_verified(cli)
