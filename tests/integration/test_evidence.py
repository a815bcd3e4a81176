"""Evidence files through HTTP, the services and `vigil verify`, on SQLite and PostgreSQL:
kept exactly as received, checked by content, compared with the report, verified."""

from __future__ import annotations

import hashlib
import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from tests import evidence_samples as s
from tests.conftest import OPERATOR
from tests.factories import add_post, observation

from vigil.config import Settings
from vigil.domain.geodesy import destination
from vigil.errors import VigilError
from vigil.services import evidence as service
from vigil.services.access import Principal, system_principal
from vigil.services.verify import verify
from vigil.store.blobs import BlobStore
from vigil.store.db import Database
from vigil.store.tables import AuditEvent, EvidenceFile, ObservationEvidence, User
from vigil.web.app import create_app

POST = (39.8, 46.75)  # OP-T1, where tests.factories puts it
TAKEN = "2020:11:12 18:05:00"  # 14:05 UTC, when factories' observation was made
PROBLEM = "application/problem+json"


@pytest.fixture
def obs_id(db: Database, users: dict, client: TestClient) -> int:
    """An observation from OP-T1: bearing 120 degrees, 4 km, 2020-11-12 14:05 UTC."""
    with db.writing() as session:
        add_post(session, OPERATOR)
    return _observation(client, users)


def _observation(client: TestClient, users: dict, **changes: Any) -> int:
    made = client.post(
        "/api/v1/observations", json=observation(**changes), headers=users["monitor"].headers
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _upload(
    client: TestClient,
    headers: dict[str, str],
    obs: int,
    data: bytes,
    name: str = "IMG_0001.jpg",
    field: str | None = None,
) -> Any:
    return client.post(
        f"/api/v1/observations/{obs}/evidence",
        files={"file": (name, data, "application/octet-stream")},
        data={"field": field} if field is not None else None,
        headers=headers,
    )


def _store(app: Any) -> BlobStore:
    return BlobStore.of(app.state.settings)


def _files_on_disk(store: BlobStore) -> list[Path]:
    """Every file under the store, temporary ones included."""
    return sorted(p for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []


def _counts(db: Database, store: BlobStore) -> tuple[int, int, int, int]:
    """(evidence_file rows, observation_evidence rows, audit events, files on disk)."""
    with db.reading() as session:
        rows = [
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (EvidenceFile, ObservationEvidence, AuditEvent)
        ]
    return rows[0], rows[1], rows[2], len(_files_on_disk(store))


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == code
    return dict(body)


def test_a_photo_is_kept_exactly_and_served(db, users, client, app, obs_id) -> None:
    data = s.photo(*POST, TAKEN, "+04:00")
    sha = hashlib.sha256(data).hexdigest()
    made = _upload(client, users["monitor"].headers, obs_id, data, field="photo")
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["observation_id"], out["sha256"], out["name"]) == (obs_id, sha, "IMG_0001.jpg")
    assert (out["field"], out["flags"], out["added_by"]) == ("photo", [], "monitor")
    assert out["distance_m"] < 1 and out["time_gap_s"] == 0
    f = out["file"]
    assert (f["media_type"], f["kind"], f["size"]) == ("image/jpeg", "image", len(data))
    assert (f["width"], f["height"], f["taken_at"]) == (800, 400, "2020-11-12T14:05:00Z")
    assert f["position"] == {"lat": pytest.approx(POST[0]), "lon": pytest.approx(POST[1])}
    assert _store(app).path(sha).read_bytes() == data

    analyst = users["analyst"].headers
    got = client.get(f["url"], headers=analyst)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["etag"] == f'"{sha}"' and sha in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    cached = client.get(f["url"], headers={**analyst, "If-None-Match": f'"{sha}"'})
    assert cached.status_code == 304 and cached.content == b""

    thumb = client.get(f["thumbnail_url"], headers=analyst)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 160)
    listed = client.get(f"/api/v1/observations/{obs_id}/evidence", headers=analyst)
    assert listed.status_code == 200 and listed.json() == [out]


def test_writes_are_audited(db, users, client, obs_id) -> None:
    sha = _upload(client, users["monitor"].headers, obs_id, s.photo()).json()["sha256"]
    with db.reading() as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type.in_(["evidence_file", "observation_evidence"])
            )
        ).all()
        audited = [(e.action, e.entity_id, e.actor) for e in events]
    assert audited == [
        ("evidence.store", sha, "monitor"),
        ("evidence.attach", f"{obs_id}/{sha}", "monitor"),
    ]
    with db.reading() as session:
        assert verify(session).ok


def test_the_same_file_twice_is_stored_once(db, users, client, app, obs_id) -> None:
    store, headers = _store(app), users["monitor"].headers
    data = s.photo(*POST, TAKEN)
    first = _upload(client, headers, obs_id, data)
    again = _upload(client, headers, obs_id, data, name="copy.jpg")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()  # the existing link: same name, same time
    assert _counts(db, store)[:2] == (1, 1)
    other = _observation(client, users)
    elsewhere = _upload(client, headers, other, data, name="same-photo.jpg")
    assert elsewhere.status_code == 201 and elsewhere.json()["sha256"] == first.json()["sha256"]
    rows, links, _, on_disk = _counts(db, store)
    assert (rows, links, on_disk) == (1, 2, 2)  # one file and its thumbnail


def test_type_is_judged_by_content_not_by_name(db, users, client, app, obs_id) -> None:
    headers, store = users["monitor"].headers, _store(app)
    taken = _upload(client, headers, obs_id, s.photo(), name="notes.txt")
    assert taken.status_code == 201 and taken.json()["file"]["media_type"] == "image/jpeg"
    before = _counts(db, store)
    for data, looks_like in ((s.zip_bomb(1), "application/zip"), (s.HTML, "HTML")):
        refused = _refused(
            _upload(client, headers, obs_id, data, name="photo.jpg"), 415, "unsupported_file_type"
        )
        assert f"the content is {looks_like}" in refused["detail"]
    for data in (s.PDF, s.EXE, b"", b"just text"):
        _refused(_upload(client, headers, obs_id, data), 415, "unsupported_file_type")
    assert _counts(db, store) == before


def test_a_zip_bomb_is_refused_without_being_opened(db, users, client, app, obs_id) -> None:
    bomb = s.zip_bomb(200)
    assert len(bomb) < 1_000_000  # 200 MB of zeros, deflated
    before = _counts(db, _store(app))
    started = time.monotonic()
    response = _upload(client, users["monitor"].headers, obs_id, bomb, name="IMG_0002.jpg")
    refused = _refused(response, 415, "unsupported_file_type")
    assert time.monotonic() - started < 5
    assert "application/zip" in refused["detail"]
    assert _counts(db, _store(app)) == before


@pytest.mark.parametrize("size", [(100_000, 100_000), (9000, 9000)], ids=["error", "warning"])
def test_a_decompression_bomb_image_is_refused(db, users, client, app, obs_id, size) -> None:
    """10^10 pixels (Pillow's error) and 81 million (over the 60 million limit: its warning)."""
    bomb = s.png_bomb(*size)
    assert len(bomb) < 200
    before = _counts(db, _store(app))
    refused = _refused(_upload(client, users["monitor"].headers, obs_id, bomb), 422, "file_refused")
    assert "decompression bomb" in refused["detail"]
    assert _counts(db, _store(app)) == before


def test_a_damaged_image_is_refused(db, users, client, app, obs_id) -> None:
    whole = s.photo(size=(640, 480))
    before = _counts(db, _store(app))
    damaged = _upload(client, users["monitor"].headers, obs_id, whole[: len(whole) // 2])
    assert "damaged" in _refused(damaged, 422, "file_refused")["detail"]
    assert _counts(db, _store(app)) == before


def test_an_upload_over_the_limit_is_413(db, users, tmp_path) -> None:
    settings = Settings(
        data_dir=tmp_path / "small", database_url=db.url, fusion_auto=False, max_upload_bytes=4000
    )
    store = BlobStore.of(settings)
    with db.writing() as session:
        add_post(session, OPERATOR)
    with TestClient(create_app(settings, db)) as client:
        obs = _observation(client, users)
        before = _counts(db, store)
        big = s.photo(size=(1200, 900), colour="#8a5") + b"\0" * 5000
        _refused(_upload(client, users["monitor"].headers, obs, big), 413, "body_too_large")
        small = _upload(client, users["monitor"].headers, obs, s.photo(size=(64, 48)))
        assert small.status_code == 201, small.text
    assert _counts(db, store)[:2] == (before[0] + 1, before[1] + 1)


def test_the_store_refuses_a_stream_over_the_limit_while_reading(db, users, tmp_path) -> None:
    """A stream of unknown length (no Content-Length to judge by) is cut off at the limit."""
    store = BlobStore(tmp_path / "evidence")
    rules = service.EvidenceRules(max_bytes=10_000, max_pixels=10**8, far_m=5000, time_gap_s=3600)
    before = _counts(db, store)
    with pytest.raises(VigilError) as refused, db.writing() as session:
        who = _principal(session, "monitor")
        service.store_file(session, who, store, _Endless(), rules)  # type: ignore[arg-type]
    assert refused.value.code == "body_too_large"
    assert _counts(db, store) == before  # not even a temporary file is left


class _Endless:
    """A stream that never ends: a JPEG's first bytes, then zeros for ever."""

    def read(self, n: int = -1) -> bytes:
        n = 65536 if n < 0 else n
        return b"\xff\xd8\xff" + b"\0" * (n - 3)


def _principal(session: Any, username: str) -> Principal:
    user = session.scalars(select(User).where(User.username == username)).one()
    return system_principal(user)


def test_exif_far_from_the_report_is_flagged(db, users, client, obs_id) -> None:
    headers = users["monitor"].headers
    far = destination(*POST, 0.0, 40_000.0)
    flagged = _upload(client, headers, obs_id, s.photo(*far, TAKEN, "+04:00"))
    assert flagged.status_code == 201
    assert flagged.json()["flags"] == ["far_from_report"]
    assert flagged.json()["distance_m"] == pytest.approx(40_000, abs=5)
    near = destination(*POST, 120.0, 3500.0)  # by the estimated point, 4 km out
    fine = _upload(client, headers, obs_id, s.photo(*near, TAKEN, "+04:00"))
    assert fine.json()["flags"] == [] and fine.json()["distance_m"] < 1000
    late = _upload(client, headers, obs_id, s.photo(*POST, "2020:11:13 02:00:00", "+04:00"))
    assert late.json()["flags"] == ["time_mismatch"]
    assert late.json()["time_gap_s"] == 8 * 3600 - 5 * 60
    bare = _upload(client, headers, obs_id, s.photo())
    assert (bare.json()["distance_m"], bare.json()["time_gap_s"]) == (None, None)
    assert bare.json()["flags"] == []


def test_videos_and_sound_are_kept_without_decoding(db, users, client, app, obs_id) -> None:
    headers = users["patrol_leader"].headers
    video = s.iso_media(b"mp42", [b"isom", b"mp42"], [b"vide", b"soun"])
    for data, media_type, kind in ((video, "video/mp4", "video"), (s.AMR, "audio/amr", "audio")):
        made = _upload(client, headers, obs_id, data, name="clip", field="video")
        assert made.status_code == 201, made.text
        f = made.json()["file"]
        facts = (f["media_type"], f["kind"], f["thumbnail_url"], f["width"])
        assert facts == (media_type, kind, None, None)
        got = client.get(f["url"], headers=headers)
        assert got.content == data and got.headers["content-type"] == media_type
        part = client.get(f["url"], headers={**headers, "Range": "bytes=4-11"})
        assert part.status_code == 206 and part.content == data[4:12]  # players seek
        _refused(client.get(f"{f['url']}/thumbnail", headers=headers), 404, "not_found")


def test_evidence_is_internal(db, users, client, obs_id) -> None:
    sha = _upload(client, users["monitor"].headers, obs_id, s.photo()).json()["sha256"]
    urls = [
        f"/api/v1/evidence/{sha}",
        f"/api/v1/evidence/{sha}/thumbnail",
        f"/api/v1/observations/{obs_id}/evidence",
    ]
    liaison = users["party_liaison"].headers
    for url in urls:
        _refused(client.get(url, headers=liaison), 403, "forbidden")
        _refused(client.get(url), 401, "not_authenticated")
        assert client.get(url, headers=users["head_of_mission"].headers).status_code == 200
    for who in ("party_liaison", "head_of_mission"):
        posted = _upload(client, users[who].headers, obs_id, s.photo(colour="green"))
        _refused(posted, 403, "forbidden")
    _refused(_upload(client, {}, obs_id, s.photo(colour="green")), 401, "not_authenticated")


def test_bad_requests_are_clear_and_store_nothing(db, users, client, app, obs_id) -> None:
    headers, store = users["monitor"].headers, _store(app)
    before = _counts(db, store)
    missing = _refused(_upload(client, headers, 999_999, s.photo()), 404, "not_found")
    assert "no observation 999999" in missing["detail"]
    nothing = client.post(f"/api/v1/observations/{obs_id}/evidence", headers=headers)
    assert _refused(nothing, 422, "validation_failed")["errors"][0]["field"] == "file"
    long_field = _upload(client, headers, obs_id, s.photo(), field="x" * 65)
    assert _refused(long_field, 422, "validation_failed")["errors"][0]["field"] == "field"
    assert _counts(db, store) == before
    for url in ("/api/v1/evidence/x", "/api/v1/evidence/" + "g" * 64, "/api/v1/evidence/../x"):
        assert client.get(url, headers=headers).status_code == 404
    unknown = client.get("/api/v1/evidence/" + "ab" * 32 + "/thumbnail", headers=headers)
    assert "no evidence file" in _refused(unknown, 404, "not_found")["detail"]
    _refused(client.get("/api/v1/observations/999999/evidence", headers=headers), 404, "not_found")


def test_file_names_are_kept_without_folders(db, users, client, obs_id) -> None:
    headers = users["monitor"].headers
    made = _upload(client, headers, obs_id, s.photo(), name="../../etc/DCIM\\IMG_1.jpg")
    assert made.json()["name"] == "IMG_1.jpg"


def test_verify_finds_altered_and_missing_files(db, users, client, app, obs_id) -> None:
    store = _store(app)
    data = s.photo(*POST, TAKEN)
    sha = _upload(client, users["monitor"].headers, obs_id, data).json()["sha256"]
    with db.reading() as session:
        intact = verify(session, blobs=store)
        thumb = session.get(EvidenceFile, sha).thumbnail_sha256
    assert intact.ok and intact.files == 1

    path = store.path(sha)
    path.chmod(0o644)
    path.write_bytes(data[:-1] + b"\0")
    store.path(thumb).unlink()
    with db.reading() as session:
        found = verify(session, blobs=store)
        assert verify(session).ok  # without the store, files are not looked at
    assert not found.ok
    assert any(f"evidence_file {sha} was altered outside Vigil" in p for p in found.problems)
    assert any(f"thumbnail of evidence_file {sha} is missing" in p for p in found.problems)

    path.unlink()
    with db.reading() as session:
        assert any(
            f"evidence_file {sha} is missing" in p for p in verify(session, blobs=store).problems
        )
    again = _upload(client, users["monitor"].headers, obs_id, data)  # the very same bytes
    assert again.status_code == 200 and store.path(sha).read_bytes() == data
    with db.reading() as session:
        problems = verify(session, blobs=store).problems
    assert [p for p in problems if f"evidence_file {sha} " in p] == []


def test_the_incident_page_shows_thumbnails(db, users, client, obs_id) -> None:
    sha = _upload(client, users["monitor"].headers, obs_id, s.photo(*POST, TAKEN)).json()["sha256"]
    analyst = users["analyst"].headers
    made = client.post("/api/v1/incidents", json={"observation_ids": [obs_id]}, headers=analyst)
    assert made.status_code == 201, made.text
    page = client.get(f"/incidents/{made.json()['id']}", headers=analyst)
    assert page.status_code == 200
    assert f'<img src="/api/v1/evidence/{sha}/thumbnail"' in page.text
    assert f'href="/api/v1/evidence/{sha}"' in page.text


def test_vigil_verify_reports_a_tampered_file(site) -> None:
    """`vigil verify` as an operator runs it: exit 1 and a TAMPERED line naming the file."""
    site.ok("init")
    token = site.ok("token", "create", "admin").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    settings = Settings(
        data_dir=Path(site.env["VIGIL_DATA_DIR"]), database_url=site.url, fusion_auto=False
    )
    db = Database(site.url)
    try:
        with db.writing() as session:
            add_post(session, OPERATOR)
        with TestClient(create_app(settings, db)) as client:
            made = client.post("/api/v1/observations", json=observation(), headers=headers)
            sha = _upload(client, headers, made.json()["id"], s.photo()).json()["sha256"]
    finally:
        db.dispose()
    assert "1 evidence files checked" in site.ok("verify")
    path = BlobStore.of(settings).path(sha)
    path.chmod(0o644)
    with path.open("r+b") as f:
        f.seek(100)
        f.write(b"\x00")
    done = site.run("verify")
    assert done.returncode == 1
    assert f"TAMPERED: evidence_file {sha} was altered outside Vigil" in done.stdout


def test_the_same_file_sent_twice_at_once_is_stored_once(db, users, client, app, obs_id) -> None:
    """Two uploads of one photo racing each other: one row, one link, no error."""
    store, data = _store(app), s.photo(*POST, TAKEN)
    rules = service.EvidenceRules.of(app.state.settings)
    start = threading.Barrier(2)
    results: list[Any] = []

    def send() -> None:
        start.wait()
        try:
            with db.writing() as session:
                who = _principal(session, "monitor")
                done, created = service.add_evidence(
                    session, who, store, obs_id, io.BytesIO(data), "IMG.jpg", None, rules
                )
                results.append((done.file.sha256, created))
        except Exception as exc:  # the failure the test looks for
            results.append(exc)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sha = hashlib.sha256(data).hexdigest()
    assert sorted(results) == [(sha, False), (sha, True)], results
    assert _counts(db, store)[:2] == (1, 1) and len(_files_on_disk(store)) == 2
