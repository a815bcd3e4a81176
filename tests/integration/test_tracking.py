"""Live tracking (SQLite and PostgreSQL): a phone registered to a patrol member sends the exact
requests Traccar Client and OsmAnd send (GET with a query, POST with a form body, POST with the
newer client's JSON); its positions are tagged with the patrol and drawn in the live view and
the patrol's track; unknown devices, impossible coordinates, far times and floods are refused
without storing anything; a resent report is stored once; GPX tracks import (a hostile XML is
refused); the CLI does the same; `vigil verify` passes after every write."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import OPERATOR, Account
from tests.integration.test_report_form import hidden, sign_in
from tests.integration.test_sources import assert_problem, assert_verified

from vigil.services.audit import Auditor
from vigil.store.db import Database
from vigil.store.tables import Patrol, PatrolMember, Position, User

UA = {"User-Agent": "Traccar Client/8.0 (Android 14)"}


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def count(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Position)) or 0)


def register(client: TestClient, who: Account, username: str, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/trackers", json={"username": username, **extra}, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()


def add_patrol(db: Database, username: str, code: str = "PTL-01", status: str = "under_way") -> int:
    """A patrol under way with the user on it, written as the patrols service would (audited)."""
    at = now() - timedelta(hours=1)
    with db.writing() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        patrol = Patrol(
            code=code, name="Line patrol", route={"type": "LineString", "coordinates": [
                [46.7, 39.8], [46.8, 39.9]]}, planned_start=at, planned_end=at + timedelta(hours=6),
            check_in_interval_s=1800, notified=[], status=status, started_at=at, ended_at=None,
            notes="", created_by=None, created_at=at,
        )  # fmt: skip
        session.add(patrol)
        session.flush()
        audit = Auditor(session, OPERATOR.actor)
        audit.created("patrol.plan", patrol)
        member = PatrolMember(patrol_id=patrol.id, user_id=user.id, role="leader")
        session.add(member)
        session.flush()
        audit.created("patrol.member", member)
        return patrol.id


@pytest.fixture
def phone(db, users, client) -> dict[str, Any]:
    """The patrol leader's phone, registered by the duty officer, on a patrol under way."""
    patrol_id = add_patrol(db, "patrol-leader")
    device = register(client, users["duty_officer"], "patrol-leader", label="PL Pixel")
    return {**device, "patrol_id": patrol_id}


def test_traccar_and_osmand_requests_move_the_patrol(db, users, client, phone, cli) -> None:
    ident, t = phone["identifier"], now()
    assert len(ident) >= 24 and phone["server_url"].endswith("/tracking")
    # OsmAnd / Traccar Client (older): GET with the query, timestamp in seconds
    q = (f"id={ident}&timestamp={int(t.timestamp())}&lat=39.81&lon=46.71&speed=12.0"
         "&bearing=80&altitude=1200&accuracy=8&batt=90")  # fmt: skip
    r = client.get(f"/tracking?{q}", headers=UA)
    assert r.status_code == 200 and r.text == ""
    # Traccar Client: POST with the same parameters as a form body, timestamp in ms
    form = {"id": ident, "timestamp": str(int(t.timestamp() * 1000) + 30_000), "lat": "39.82",
            "lon": "46.72", "speed": "14", "bearing": "85", "batt": "89"}  # fmt: skip
    r = client.post("/tracking", data=form, headers=UA)
    assert r.status_code == 200, r.text
    # the newer Traccar Client: POST JSON
    body = {"device_id": ident, "location": {
        "timestamp": (t + timedelta(seconds=60)).isoformat().replace("+00:00", "Z"),
        "coords": {"latitude": 39.83, "longitude": 46.73, "speed": 5.0, "heading": 90,
                   "altitude": 1210, "accuracy": 6},
        "battery": {"level": 0.88, "is_charging": False}, "is_moving": True}}  # fmt: skip
    r = client.post(
        "/tracking", content=json.dumps(body), headers={**UA, "Content-Type": "application/json"}
    )
    assert r.status_code == 200, r.text
    assert count(db) == 3
    live = client.get("/api/v1/positions/live", headers=users["monitor"].headers)
    assert live.status_code == 200 and live.headers["content-type"].startswith(
        "application/geo+json"
    )
    [feature] = live.json()["features"]
    props = feature["properties"]
    assert feature["geometry"]["coordinates"] == [46.73, 39.83]
    assert props["patrol_code"] == "PTL-01" and props["member"] == "patrol-leader"
    assert props["source"] == "traccar_json" and props["battery_pct"] == pytest.approx(88)
    track = client.get(f"/api/v1/tracks/{phone['patrol_id']}", headers=users["analyst"].headers)
    kinds = [f["properties"]["kind"] for f in track.json()["features"]]
    assert kinds == ["track", "position", "position", "position"]
    assert track.json()["features"][0]["geometry"]["coordinates"] == [
        [46.71, 39.81], [46.72, 39.82], [46.73, 39.83]]  # fmt: skip
    listed = client.get("/api/v1/trackers", headers=users["admin"].headers).json()
    assert listed[0]["last_position"]["lat"] == 39.83 and "identifier" not in listed[0]
    assert_verified(cli)


def test_a_resent_report_is_stored_once(db, users, client, phone, cli) -> None:
    q = f"/tracking?id={phone['identifier']}&timestamp={int(now().timestamp())}&lat=39.8&lon=46.7"
    assert [client.get(q).status_code for _ in range(3)] == [200, 200, 200]
    assert count(db) == 1
    assert_verified(cli)


def test_a_position_off_patrol_is_not_live(db, users, client) -> None:
    device = register(client, users["admin"], "monitor", identifier="monitor-own-id-1")
    assert device["identifier"] == "monitor-own-id-1"
    r = client.get("/tracking?id=monitor-own-id-1&lat=39.8&lon=46.7")
    assert r.status_code == 200
    with db.reading() as session:
        assert session.scalars(select(Position.patrol_id)).one() is None
    assert (
        client.get("/api/v1/positions/live", headers=users["monitor"].headers).json()["features"]
        == []
    )


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("id=nobody-knows-me&lat=39.8&lon=46.7", 404, "unknown"),
        ("lat=39.8&lon=46.7", 404, "identifier"),
        ("id={id}&lat=95&lon=46.7", 400, "lat"),
        ("id={id}&lat=39.8&lon=200", 400, "lon"),
        ("id={id}&lat=north&lon=46.7", 400, "lat"),
        ("id={id}&lat=39.8&lon=46.7&timestamp={future}", 400, "future"),
        ("id={id}&lat=39.8&lon=46.7&timestamp={past}", 400, "past"),
        ("id={id}&lat=39.8&lon=46.7&timestamp=soon", 400, "timestamp"),
    ],
)
def test_bad_reports_are_refused_and_store_nothing(
    db, users, client, phone, cli, query: str, status: int, says: str
) -> None:
    stamps = {"future": int((now() + timedelta(minutes=10)).timestamp()),
              "past": int((now() - timedelta(days=31)).timestamp())}  # fmt: skip
    r = client.get("/tracking?" + query.format(id=phone["identifier"], **stamps))
    assert r.status_code == status and says in r.text, r.text
    assert count(db) == 0
    assert_verified(cli)


def test_broken_json_and_revoked_devices(db, users, client, phone) -> None:
    r = client.post(
        "/tracking", content=b'{"device_id": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 404  # no readable identifier: nobody to store for
    huge = client.post("/tracking", content=b"id=x&" + b"a" * 70_000)
    assert huge.status_code == 413
    bad = json.dumps({"device_id": phone["identifier"], "location": {"coords": {"latitude": 1}}})
    r = client.post("/tracking", content=bad, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "longitude" in r.text
    revoked = client.post(f"/api/v1/trackers/{phone['id']}/revoke", headers=users["admin"].headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get(f"/tracking?id={phone['identifier']}&lat=1&lon=2").status_code == 404
    again = client.post(f"/api/v1/trackers/{phone['id']}/revoke", headers=users["admin"].headers)
    assert_problem(again, 409, "state_conflict")
    assert count(db) == 0


def test_register_refusals(db, users, client) -> None:
    admin = users["admin"].headers
    cases = [
        ({"username": "nobody"}, 422, "unknown_reference"),
        ({"username": "party-liaison"}, 422, "validation_failed"),
        ({"username": "monitor", "identifier": "short"}, 422, "validation_failed"),
        ({"username": "monitor", "identifier": "has space in it"}, 422, "validation_failed"),
    ]
    for body, status, code in cases:
        assert_problem(client.post("/api/v1/trackers", json=body, headers=admin), status, code)
    register(client, users["admin"], "monitor", identifier="same-id-twice")
    same = {"username": "analyst", "identifier": "same-id-twice"}
    twice = client.post("/api/v1/trackers", json=same,
                        headers=admin)  # fmt: skip
    assert_problem(twice, 409, "already_exists")
    denied = client.post("/api/v1/trackers", json={"username": "monitor"},
                         headers=users["monitor"].headers)  # fmt: skip
    assert_problem(denied, 403, "forbidden")


def test_a_flood_is_limited_and_nothing_accepted_is_lost(db, users, client, phone, app) -> None:
    other = register(client, users["admin"], "monitor")
    base = int(now().timestamp() * 1000) - 200_000
    statuses = []
    started = time.monotonic()
    for n in range(100):
        r = client.get(
            f"/tracking?id={phone['identifier']}&timestamp={base + n * 1000}&lat=39.8&lon=46.7"
        )
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["retry-after"]) >= 1
    elapsed = time.monotonic() - started
    accepted = statuses.count(200)
    assert set(statuses) == {200, 429} and statuses.count(429) >= 100 - 20 - 5 * elapsed - 5
    assert count(db) == accepted, "every accepted report is stored"
    r = client.get(f"/tracking?id={other['identifier']}&lat=39.8&lon=46.7")
    assert r.status_code == 200, "another device is unaffected"


def test_stream_sends_the_live_collection(db, users, client, phone) -> None:
    client.get(f"/tracking?id={phone['identifier']}&lat=39.8&lon=46.7")
    r = client.get("/api/v1/positions/stream", headers=users["duty_officer"].headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    event = r.text.split("event: live\ndata: ", 1)[1].split("\n\n", 1)[0]
    assert json.loads(event)["features"][0]["properties"]["patrol_code"] == "PTL-01"
    r = client.get("/api/v1/positions/stream?max_s=0",
                   headers={**users["monitor"].headers, "Accept": "text/event-stream"})  # fmt: skip
    assert r.text.count("event: live") == 1
    anonymous = client.get("/api/v1/positions/stream")
    assert anonymous.status_code == 401


GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="OsmAnd~ 4.6" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>Offline patrol</name><trkseg>
    <trkpt lat="39.8000" lon="46.7000"><ele>1200</ele><time>{t0}</time></trkpt>
    <trkpt lat="39.8050" lon="46.7050"><ele>1210</ele><time>{t1}</time></trkpt>
    <trkpt lat="39.8100" lon="46.7100"><time>{t2}</time></trkpt>
    <trkpt lat="39.8150" lon="46.7150"></trkpt>
  </trkseg></trk>
</gpx>"""


def gpx(offset_days: float = 0) -> bytes:
    t = now() - timedelta(minutes=30) - timedelta(days=offset_days)
    stamps = {
        f"t{i}": (t + timedelta(minutes=i)).isoformat().replace("+00:00", "Z") for i in range(3)
    }
    return GPX.format(**stamps).encode()


def test_gpx_import_then_again(db, users, client, phone, cli) -> None:
    data = gpx()
    send = {"device": phone["identifier"]}
    r = client.post("/api/v1/tracks/import", data=send, files={"file": ("t.gpx", data)},
                    headers=users["duty_officer"].headers)  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json() == {
        "device_id": phone["id"],
        "stored": 3,
        "already_there": 0,
        "without_time": 1,
    }
    r = client.post("/api/v1/tracks/import", data=send, files={"file": ("t.gpx", data)},
                    headers=users["admin"].headers)  # fmt: skip
    assert r.json()["stored"] == 0 and r.json()["already_there"] == 3
    with db.reading() as session:
        rows = session.scalars(select(Position)).all()
        assert {p.source for p in rows} == {"gpx"} and {p.patrol_id for p in rows} == {
            phone["patrol_id"]
        }
    assert_verified(cli)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<gpx><trk><trkseg><trkpt lat="1" lon="2"><time>&lol3;</time></trkpt></trkseg></trk></gpx>"""


@pytest.mark.parametrize(
    ("data", "device", "status", "code"),
    [
        (BOMB, None, 400, "malformed_xml"),
        (b"not xml at all", None, 400, "malformed_xml"),
        (b"<html><body>login</body></html>", None, 415, "unsupported_file_type"),
        (None, "no-such-device-xx", 404, "not_found"),
        ("old", None, 422, "import_refused"),
    ],
)
def test_gpx_import_refusals(db, users, client, phone, data, device, status, code) -> None:
    content = gpx(31) if data == "old" else (data or gpx())
    r = client.post("/api/v1/tracks/import", data={"device": device or phone["identifier"]},
                    files={"file": ("t.gpx", content)}, headers=users["admin"].headers)  # fmt: skip
    assert_problem(r, status, code)
    assert count(db) == 0


def test_cli_register_list_positions_import_revoke(db, users, client, cli, tmp_path) -> None:
    add_patrol(db, "monitor", "PTL-CLI")
    code, out, err = cli(
        "trackers", "register", "monitor", "--label", "M phone", "--as", "duty-officer"
    )
    assert code == 0, err
    ident = out.split("identifier: ", 1)[1].split()[0]
    assert client.get(f"/tracking?id={ident}&lat=39.8&lon=46.7").status_code == 200
    path = tmp_path / "t.gpx"
    path.write_bytes(gpx())
    code, out, err = cli("trackers", "import-gpx", str(path), "--device", ident, "--as", "admin")
    assert code == 0 and "3 position(s) stored" in out, out + err
    code, out, _ = cli("trackers", "list")
    assert code == 0 and "M phone" in out
    code, out, _ = cli("trackers", "positions", "--device", "1")
    assert code == 0 and "4 position(s)" in out
    code, out, err = cli("trackers", "revoke", "1", "--as", "monitor")
    assert code == 1 and "may not" in err
    code, out, err = cli("trackers", "revoke", "1", "--as", "admin")
    assert code == 0 and "revoked" in out
    code, _, err = cli(
        "trackers", "import-gpx", str(tmp_path / "none.gpx"), "--device", ident, "--as", "admin"
    )
    assert code == 1 and "no file" in err
    bomb = tmp_path / "bomb.gpx"
    bomb.write_bytes(BOMB)
    code, _, err = cli("trackers", "import-gpx", str(bomb), "--device", ident, "--as", "admin")
    assert code == 1 and "DTD" in err
    code, _, err = cli("trackers", "positions", "--since", "yesterday")
    assert code == 1 and "ISO 8601" in err
    assert_verified(cli)


def test_trackers_page_registers_refuses_and_revokes(db, users, client, cli) -> None:
    sign_in(client, "monitor")
    assert client.get("/trackers").status_code == 403, "monitors may not manage phones"
    client.cookies.clear()
    sign_in(client, "duty-officer")
    page = client.get("/trackers")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    csrf = hidden(page.text, "csrf_token")
    form = {"username": "monitor", "label": "M phone", "identifier": "bad id", "csrf_token": csrf}
    refused = client.post("/trackers", data=form)
    assert refused.status_code == 422 and 'id="e-identifier"' in refused.text
    assert 'value="M phone"' in refused.text, "the values are kept"
    forged = client.post("/trackers", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403
    done = client.post("/trackers", data={**form, "identifier": ""})
    assert done.status_code == 200
    ident = re.search(r'<code class="identifier">([^<]+)</code>', done.text).group(1)
    assert "/tracking</code>" in done.text
    assert client.get(f"/tracking?id={ident}&lat=39.8&lon=46.7&batt=55").status_code == 200
    listed = client.get("/trackers").text
    assert ident not in listed and "39.80000, 46.70000" in listed and "battery 55 %" in listed
    gone = client.post("/trackers/1/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/trackers?revoked=1"
    again = client.post("/trackers/1/revoke", data={"csrf_token": csrf})
    assert again.status_code == 409 and "revoked already" in again.text
    assert client.get(f"/tracking?id={ident}&lat=39.8&lon=46.7").status_code == 404
    assert_verified(cli)
