"""The issue's "done when", end to end (SQLite and PostgreSQL): an admin issues a phone, ODK
Collect scans the QR code's settings, gets the form, sends a filled form with a photo, and the
observation appears on the map of its day with its photo, flagged if it was taken elsewhere."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from tests.conftest import OPERATOR
from tests.evidence_samples import photo
from tests.factories import add_post, observation
from tests.integration.odk_collect import Collect, fill, md5

from vigil.formats import collect_qr
from vigil.services import forms
from vigil.store.db import Database

# A monitor south-east of Aghdam hears shelling and photographs the smoke.
VALUES = {
    "category": "ceasefire_violation.explosion.artillery",
    "observed_at": "2020-11-12T14:05:00.000+04:00",
    "observer_kind": "monitor",
    "observer_position": "39.8 46.75 0 5",
    "location_method": "bearing",
    "bearing": "120",
    "distance_m": "4000",
    "count": "3",
    "text": "three explosions south-east, smoke photographed",
    "photo": "1605175500000.jpg",
}


def _scan_qr(client: TestClient, admin: dict[str, str]) -> str:
    """What the admin's Phones page shows, decoded as Collect decodes the QR code."""
    issued = client.post(
        "/api/v1/devices", json={"username": "monitor", "label": "patrol 2 tablet"}, headers=admin
    )
    assert issued.status_code == 201, issued.text
    settings = collect_qr.read_payload(issued.json()["settings_payload"])
    return settings["general"]["server_url"]


def _send(collect: Collect, image: bytes, instance_id: str) -> None:
    """Get Blank Form, fill it in offline, Send Finalized Form."""
    [entry] = [f for f in collect.form_list() if f["formID"] == forms.FORM_ID]
    xform = collect.download(entry["downloadUrl"])
    assert entry["hash"] == "md5:" + md5(xform)
    xml = fill(xform, VALUES, instance_id)
    answers = collect.submit(xml, [(VALUES["photo"], image)])
    assert [a.status_code for a in answers] == [201], [a.text for a in answers]


def test_a_phone_set_up_by_qr_code_puts_an_observation_with_its_photo_on_the_map(
    users, client: TestClient
) -> None:
    server_url = _scan_qr(client, users["admin"].headers)
    assert "/key/" in server_url
    image = photo(lat=39.78, lon=46.79, taken="2020:11:12 14:06:10", offset="+04:00")
    _send(Collect(client, server=server_url), image, "uuid:6d1c2f0e-field-reporting-1")

    analyst = users["analyst"].headers
    day = client.get("/api/v1/map/day", params={"date": "2020-11-12"}, headers=analyst)
    assert day.status_code == 200, day.text
    seen = [f["properties"] for f in day.json()["features"]]
    found = {p["id"] for p in seen if p.get("client_id") == "uuid:6d1c2f0e-field-reporting-1"}
    assert len(found) == 1, seen[:3]
    [observation_id] = found
    [shown] = [p for p in seen if p.get("id") == observation_id and p["layer"] == "observation"][:1]
    assert shown["text"] == VALUES["text"] and shown["count"] == 3
    marked = {p["evidence"] for p in seen if p.get("id") == observation_id}
    assert marked == {1}  # the map can mark it as having a photo before any popup opens

    evidence = client.get(f"/api/v1/observations/{observation_id}/evidence", headers=analyst)
    assert evidence.status_code == 200, evidence.text
    [item] = evidence.json()
    sha = hashlib.sha256(image).hexdigest()
    assert item["sha256"] == sha and item["flags"] == []
    stored = client.get(f"/api/v1/evidence/{sha}", headers=analyst)
    assert stored.content == image  # kept exactly as received
    thumb = client.get(f"/api/v1/evidence/{sha}/thumbnail", headers=analyst)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"


def test_a_photo_taken_far_from_the_report_is_flagged(users, client: TestClient) -> None:
    server_url = _scan_qr(client, users["admin"].headers)
    far = photo(lat=40.2, lon=46.75, taken="2020:11:12 14:06:10", offset="+04:00")  # ~44 km
    _send(Collect(client, server=server_url), far, "uuid:6d1c2f0e-field-reporting-2")
    analyst = users["analyst"].headers
    listed = client.get("/api/v1/observations", headers=analyst).json()
    [obs] = [o for o in listed["items"] if o["client_id"] == "uuid:6d1c2f0e-field-reporting-2"]
    [item] = client.get(f"/api/v1/observations/{obs['id']}/evidence", headers=analyst).json()
    assert "far_from_report" in item["flags"] and item["distance_m"] > 40_000


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements sent to the database meanwhile."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _observe(client: TestClient, headers: dict[str, str], **changes: Any) -> int:
    created = client.post("/api/v1/observations", json=observation(**changes), headers=headers)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _attach(client: TestClient, headers: dict[str, str], oid: int, image: bytes) -> None:
    files = {"file": ("IMG.jpg", image, "image/jpeg")}
    sent = client.post(f"/api/v1/observations/{oid}/evidence", files=files, headers=headers)
    assert sent.status_code == 201, sent.text


def _evidence_on_map(client: TestClient, headers: dict[str, str], day: str) -> dict[int, set]:
    """Observation id -> the `evidence` values of its features on the map of `day`."""
    got = client.get("/api/v1/map/day", params={"date": day}, headers=headers)
    assert got.status_code == 200, got.text
    found: dict[int, set] = {}
    for f in got.json()["features"]:
        p = f["properties"]
        if p["layer"] == "observation":
            found.setdefault(p["id"], set()).add(p["evidence"])
    return found


def test_the_map_of_the_day_counts_each_observations_files_in_one_query(
    db: Database, users, client: TestClient
) -> None:
    """Two files, none, one shared file (bearing only: a ray), and one on the next day: each
    observation's features carry its own count, read by one grouped query for the day."""
    with db.writing() as session:
        add_post(session, OPERATOR)
    monitor = users["monitor"].headers
    two = _observe(client, monitor)
    none = _observe(client, monitor, observed_at="2020-11-12T15:00:00Z")
    shared = _observe(client, monitor, observed_at="2020-11-12T16:00:00Z", distance=None)
    tomorrow = _observe(client, monitor, observed_at="2020-11-13T09:00:00Z")
    red, blue = photo(colour="red"), photo(colour="blue")
    _attach(client, monitor, two, red)
    _attach(client, monitor, two, blue)
    _attach(client, monitor, shared, red)  # the same bytes: stored once, linked twice
    _attach(client, monitor, tomorrow, blue)

    analyst = users["analyst"].headers
    with _statements(db) as sent:
        day = _evidence_on_map(client, analyst, "2020-11-12")
    assert day == {two: {2}, none: {0}, shared: {1}}
    assert len([s for s in sent if "observation_evidence" in s]) == 1, sent
    assert _evidence_on_map(client, analyst, "2020-11-13") == {tomorrow: {1}}
    assert _evidence_on_map(client, analyst, "2020-11-11") == {}


def test_a_monitors_own_report_names_the_monitor(users, client: TestClient) -> None:
    """Kind "monitor" without a name is the sender's own sighting: it carries their name."""
    server_url = _scan_qr(client, users["admin"].headers)
    image = photo(lat=39.78, lon=46.79, taken="2020:11:12 14:06:10", offset="+04:00")
    _send(Collect(client, server=server_url), image, "uuid:6d1c2f0e-field-reporting-3")
    listed = client.get("/api/v1/observations", headers=users["analyst"].headers).json()
    [obs] = [o for o in listed["items"] if o["client_id"] == "uuid:6d1c2f0e-field-reporting-3"]
    assert obs["observer"]["kind"] == "monitor" and obs["observer"]["name"] == "monitor"
