"""Submissions as ODK Collect sends them (SQLite and PostgreSQL): the HEAD probe, multipart
with xml_submission_file and photos, split submissions, repeats, conflicts and edits."""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from tests.conftest import OPERATOR, PASSWORD
from tests.factories import add_post
from tests.integration.odk_collect import Collect, fill, response_message
from tests.integration.test_openrosa import (
    XML,
    app_clients,
    assert_openrosa,
    assert_refused,
    current_form,
)

from vigil.domain.geodesy import magnetic_declination
from vigil.services import devices
from vigil.services.verify import verify
from vigil.store.blobs import BlobStore
from vigil.store.db import Database
from vigil.store.tables import (
    AuditEvent,
    EvidenceFile,
    Observation,
    ObservationEvidence,
    Submission,
    SubmissionAttachment,
)

VALUES = {
    "category": "ceasefire_violation.explosion.artillery",
    "observed_at": "2020-11-12T14:05:00.000+04:00",
    "observer_kind": "monitor",
    "observer_position": "39.8 46.75 0 5",
    "location_method": "bearing",
    "bearing": "120",
    "distance_m": "4000",
    "count": "3",
    "weapon_class": "artillery",
    "text": "three explosions south-east",
}
OBSERVED = datetime(2020, 11, 12, 10, 5, tzinfo=UTC)  # VALUES' observed_at


@pytest.fixture
def phone_app(db: Database, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """A client on an app with chosen settings."""
    yield from app_clients(db, tmp_path)


@pytest.fixture
def monitor(users, client: TestClient) -> Collect:
    """Collect configured with the monitor's user name and password, over http."""
    return Collect(client, username="monitor", password=PASSWORD)


def jpeg(seed: int, size: int = 160) -> bytes:
    """A photo (noise, so it does not compress away), different for each seed."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (size, size), rng.randbytes(size * size * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def rows(db: Database, cls: type, **where: Any) -> list[Any]:
    with db.reading() as session:
        found = list(session.scalars(select(cls).filter_by(**where)))
        session.expunge_all()  # keep the loaded values after the read-only rollback
        return found


def assert_received(r: httpx.Response) -> str:
    """A 201 OpenRosaResponse with nature submit_success; its message."""
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == XML
    assert_openrosa(r)
    assert int(r.headers["x-openrosa-accept-content-length"]) > 0
    message, nature, code, _ = response_message(r)
    assert nature == "submit_success" and code is None
    return message


def assert_verified(db: Database, blobs: BlobStore) -> None:
    """`vigil verify` finds every row written by the submissions in the audit chain."""
    with db.reading() as session:
        verdict = verify(session, blobs=blobs)
    assert verdict.ok, verdict.problems


def observation_of(db: Database, instance_id: str) -> Observation:
    [obs] = rows(db, Observation, client_id=instance_id)
    return obs


def test_submission_with_photo_is_stored_and_linked(db, users, monitor: Collect, app) -> None:
    _, xform = current_form(monitor)
    photo = jpeg(1)
    instance = f"uuid:{uuid.uuid4()}"
    xml = fill(xform, {**VALUES, "photo": "1605189900123.jpg"}, instance)
    [answer] = monitor.submit(xml, [("1605189900123.jpg", photo)])
    assert "received" in assert_received(answer)
    assert [r.request.method for r in monitor.log[-3:]] == ["GET", "HEAD", "POST"]
    [sub] = rows(db, Submission, instance_id=instance)
    assert sub.xml.encode() == xml and sub.xml_sha256 == hashlib.sha256(xml).hexdigest()
    assert sub.complete and sub.deprecated_id is None and sub.device_token_id is None
    obs = observation_of(db, instance)
    assert sub.observation_id == obs.id and obs.channel == "odk" and obs.status == "new"
    assert obs.count == 3 and obs.observer_lat == 39.8
    # The form's bearing_north defaults to magnetic (Collect's compass): stored from true north.
    true_deg = 120 + magnetic_declination(39.8, 46.75, OBSERVED)
    assert obs.bearing_deg == pytest.approx(true_deg, abs=0.006) and obs.bearing_deg > 126
    [link] = rows(db, ObservationEvidence, observation_id=obs.id)
    assert link.name == "1605189900123.jpg" and link.field == "photo"
    assert link.sha256 == hashlib.sha256(photo).hexdigest()
    [attachment] = rows(db, SubmissionAttachment, submission_id=sub.id)
    assert (attachment.name, attachment.field, attachment.sha256) == (
        "1605189900123.jpg",
        "photo",
        link.sha256,
    )
    blobs = BlobStore.of(app.state.settings)
    assert blobs.path(link.sha256).read_bytes() == photo
    analyst = users["analyst"].headers
    got = monitor.client.get(f"/api/v1/observations/{obs.id}", headers=analyst)
    assert got.status_code == 200 and got.json()["client_id"] == instance


def test_bearings_are_stored_from_true_north(db, users, monitor: Collect) -> None:
    """A magnetic bearing from a post is turned at the post's position; a true one is kept;
    the submission's XML keeps the bearing as the monitor gave it."""
    with db.writing() as session:
        add_post(session, OPERATOR)  # at 39.8, 46.75
    _, xform = current_form(monitor)
    assert "<bearing_north>magnetic</bearing_north>" in xform, "magnetic by default"
    from_post = {
        **VALUES,
        "observer_kind": "post",
        "post": "OP-T1",
        "observer_position": "",
        "bearing": "358",
    }
    magnetic, true = f"uuid:{uuid.uuid4()}", f"uuid:{uuid.uuid4()}"
    [answer] = monitor.submit(fill(xform, from_post, magnetic), [])
    assert_received(answer)
    [answer] = monitor.submit(fill(xform, {**VALUES, "bearing_north": "true"}, true), [])
    assert_received(answer)
    turned = observation_of(db, magnetic)
    assert turned.post_id is not None and turned.observer_lat == 39.8, "the post's position"
    expected = (358 + magnetic_declination(39.8, 46.75, OBSERVED)) % 360
    assert 4 < expected < 5 and turned.bearing_deg == pytest.approx(expected, abs=0.006)
    [sub] = rows(db, Submission, instance_id=magnetic)
    assert "<bearing>358</bearing>" in sub.xml and "<bearing_north>magnetic<" in sub.xml
    assert observation_of(db, true).bearing_deg == 120


def test_split_submission_is_assembled_once(db, users, phone_app) -> None:
    """Files too big for one POST (X-OpenRosa-Accept-Content-Length) come in parts with
    *isIncomplete*: one submission, one observation, every file."""
    photos = [(f"p{i}.jpg", jpeg(10 + i)) for i in range(3)]
    limit = max(len(p) for _, p in photos) + 4_000
    collect = Collect(phone_app(max_upload_bytes=limit), username="monitor", password=PASSWORD)
    _, xform = current_form(collect)
    instance = f"uuid:{uuid.uuid4()}"
    xml = fill(xform, {**VALUES, "photo": "p0.jpg", "video": "p1.jpg", "audio": "p2.jpg"}, instance)
    answers = collect.submit(xml, photos)
    assert len(answers) == 3
    messages = [assert_received(a) for a in answers]
    assert "Still to come: p1.jpg, p2.jpg" in messages[0] and "Still to come" not in messages[2]
    bodies = [a.request.content for a in answers]
    assert [b"*isIncomplete*" in b for b in bodies] == [True, True, False]
    assert all(b.count(b'name="xml_submission_file"') == 1 for b in bodies)
    [sub] = rows(db, Submission, instance_id=instance)
    assert sub.complete
    obs = observation_of(db, instance)
    links = rows(db, ObservationEvidence, observation_id=obs.id)
    assert sorted(link.name for link in links) == ["p0.jpg", "p1.jpg", "p2.jpg"]
    assert len(rows(db, Observation)) == 1
    assert_verified(db, BlobStore.of(collect.client.app.state.settings))


def test_first_part_alone_leaves_the_submission_incomplete(db, users, monitor) -> None:
    _, xform = current_form(monitor)
    instance = f"uuid:{uuid.uuid4()}"
    xml = fill(xform, {**VALUES, "photo": "a.jpg", "video": "b.jpg"}, instance)
    body, kind = _body(xml, [("a.jpg", jpeg(2))], incomplete=True)
    message = assert_received(_post(monitor, body, kind))
    assert "Still to come: b.jpg" in message
    [sub] = rows(db, Submission, instance_id=instance)
    assert not sub.complete and sub.observation_id is not None
    body, kind = _body(xml, [("b.jpg", jpeg(3))])
    assert "1 new file(s) added" in assert_received(_post(monitor, body, kind))
    [sub] = rows(db, Submission, instance_id=instance)
    assert sub.complete
    assert len(rows(db, ObservationEvidence, observation_id=sub.observation_id)) == 2
    events = [e.action for e in rows(db, AuditEvent, entity_type="submission")]
    assert events == ["submission.receive", "submission.complete"]


def _body(xml: bytes, files: list[tuple[str, bytes]], incomplete: bool = False):
    from tests.integration.odk_collect import content_type, multipart, submission_name

    parts = [("xml_submission_file", submission_name(), "text/xml", xml)]
    parts += [(name, name, content_type(name), data) for name, data in files]
    if incomplete:
        parts.append(("*isIncomplete*", None, None, b"yes"))
    return multipart(parts)


def _post(collect: Collect, body: bytes, kind: str) -> httpx.Response:
    return collect.request("POST", "/submission", content=body, headers={"Content-Type": kind})


def test_identical_repeat_adds_missing_files_and_answers_201(db, users, monitor) -> None:
    _, xform = current_form(monitor)
    instance = f"uuid:{uuid.uuid4()}"
    xml = fill(xform, {**VALUES, "photo": "late.jpg"}, instance)
    [first] = monitor.submit(xml)
    assert "Still to come: late.jpg" in assert_received(first)
    [second] = monitor.submit(xml, [("late.jpg", jpeg(4))])
    assert "was received before; 1 new file(s) added" in assert_received(second)
    events = len(rows(db, AuditEvent))
    [third] = monitor.submit(xml, [("late.jpg", jpeg(4))])
    assert "0 new file(s) added" in assert_received(third)
    assert len(rows(db, AuditEvent)) == events
    assert len(rows(db, Submission)) == 1 and len(rows(db, Observation)) == 1
    assert len(rows(db, ObservationEvidence)) == 1 and len(rows(db, EvidenceFile)) == 1


def test_same_instance_with_other_xml_or_file_is_409(db, users, monitor) -> None:
    _, xform = current_form(monitor)
    instance = f"uuid:{uuid.uuid4()}"
    xml = fill(xform, {**VALUES, "photo": "x.jpg"}, instance)
    assert_received(monitor.submit(xml, [("x.jpg", jpeg(5))])[0])
    before = len(rows(db, AuditEvent))
    changed = fill(xform, {**VALUES, "count": "4", "photo": "x.jpg"}, instance)
    [refused] = monitor.submit(changed)
    assert_refused(refused, 409, "submission_conflict")
    [swapped] = monitor.submit(xml, [("x.jpg", jpeg(6))])
    assert_refused(swapped, 409, "submission_conflict")
    assert len(rows(db, AuditEvent)) == before and observation_of(db, instance).count == 3


def test_a_part_the_xml_does_not_name_is_ignored_and_reported(db, users, monitor) -> None:
    _, xform = current_form(monitor)
    xml = fill(xform, VALUES)
    [answer] = monitor.submit(xml, [("stray.jpg", jpeg(7))])
    assert "Ignored (the form does not name them): stray.jpg" in assert_received(answer)
    assert rows(db, EvidenceFile) == [] and rows(db, ObservationEvidence) == []


def test_edit_keeps_the_old_version(db, users, monitor) -> None:
    """meta/deprecatedID: a new submission and observation; the old one stays, "replaced",
    with its content; files the edit names but does not send are carried over."""
    _, xform = current_form(monitor)
    original = f"uuid:{uuid.uuid4()}"
    photo = jpeg(8)
    xml = fill(xform, {**VALUES, "photo": "p.jpg"}, original)
    assert_received(monitor.submit(xml, [("p.jpg", photo)])[0])
    edit = f"uuid:{uuid.uuid4()}"
    edited = fill(xform, {**VALUES, "count": "5", "photo": "p.jpg", "deprecatedID": original}, edit)
    [answer] = monitor.submit(edited)
    assert f"replaces instance {original}, which is kept" in assert_received(answer)
    old, new = observation_of(db, original), observation_of(db, edit)
    assert (old.status, old.count) == ("replaced", 3) and (new.status, new.count) == ("new", 5)
    [old_sub] = rows(db, Submission, instance_id=original)
    [new_sub] = rows(db, Submission, instance_id=edit)
    assert old_sub.xml.encode() == xml and new_sub.deprecated_id == original
    assert new_sub.complete and new_sub.observation_id == new.id
    [link] = rows(db, ObservationEvidence, observation_id=new.id)
    assert link.sha256 == hashlib.sha256(photo).hexdigest()
    [change] = rows(db, AuditEvent, action="observation.replace")
    assert change.entity_id == str(old.id) and '"status":"new"' in change.before
    again = fill(xform, {**VALUES, "count": "6", "deprecatedID": original})
    assert_refused(monitor.submit(again)[0], 409, "submission_conflict")
    assert_verified(db, BlobStore.of(monitor.client.app.state.settings))


def test_edit_of_an_instance_never_received_is_a_new_report(db, users, monitor) -> None:
    _, xform = current_form(monitor)
    lost = f"uuid:{uuid.uuid4()}"
    edit = f"uuid:{uuid.uuid4()}"
    assert_received(monitor.submit(fill(xform, {**VALUES, "deprecatedID": lost}, edit))[0])
    [sub] = rows(db, Submission, instance_id=edit)
    assert sub.deprecated_id == lost and observation_of(db, edit).status == "new"
    # The original arriving after its edit is recorded, and at once marked replaced.
    assert_received(monitor.submit(fill(xform, VALUES, lost))[0])
    assert observation_of(db, lost).status == "replaced"
    assert observation_of(db, edit).status == "new"


def test_a_phone_key_is_recorded_with_the_submission(db, users, client) -> None:

    with db.writing() as session:
        row, token = devices.issue_device(session, OPERATOR, "patrol-leader", "tablet")
    collect = Collect(client, server=f"http://testserver/key/{token}")
    _, xform = current_form(collect)
    instance = f"uuid:{uuid.uuid4()}"
    assert_received(collect.submit(fill(xform, VALUES, instance))[0])
    [sub] = rows(db, Submission, instance_id=instance)
    assert sub.device_token_id == row.id
    obs = observation_of(db, instance)
    [user] = [u for u in users.values() if u.username == "patrol-leader"]
    assert obs.submitted_by == sub.submitted_by and user.role == "patrol_leader"
