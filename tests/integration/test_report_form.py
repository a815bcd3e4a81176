"""The monitor's web report form, through HTTP with a signed-in browser session, on SQLite
and PostgreSQL: what it stores, and that refused input stores nothing and says why."""

from __future__ import annotations

import html
import io
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image
from sqlalchemy import func, select
from tests.conftest import OPERATOR, PASSWORD
from tests.factories import add_post, add_zone

from vigil.domain.geodesy import magnetic_declination
from vigil.services.mission import set_mission
from vigil.store.tables import AuditEvent, EvidenceFile, Observation, ObservationEvidence

REPORT_TABLES = (Observation, EvidenceFile, ObservationEvidence, AuditEvent)


def jpeg(lat: float | None = None, lon: float | None = None, taken: str | None = None) -> bytes:
    """A small JPEG, with EXIF position and time when given (as a phone camera writes them)."""
    exif = Image.Exif()
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.OffsetTimeOriginal] = "+04:00"
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps[ExifTags.GPS.GPSLatitude] = (float(int(lat)), (lat % 1) * 60, 0.0)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps[ExifTags.GPS.GPSLongitude] = (float(int(lon)), (lon % 1) * 60, 0.0)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def zip_file() -> bytes:
    """A zip archive named like a photo."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "not a photo")
    return buf.getvalue()


def sign_in(client: TestClient, username: str) -> None:
    """A browser session, as the login page makes one."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the login page has no CSRF field"
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    done = client.post("/login", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no field {name}"
    return html.unescape(found.group(1))


def field_errors(page: str) -> dict[str, list[str]]:
    """The message shown beside each field (its id names the field)."""
    found: dict[str, list[str]] = {}
    for name, text in re.findall(r'class="field-error" id="e-([a-z_]+)">([^<]*)<', page):
        found.setdefault(name, []).append(html.unescape(text))
    return found


def counts(db) -> dict[str, int]:
    with db.reading() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t))
            for t in REPORT_TABLES
        }


def stored_files(data_dir: Path) -> list[Path]:
    evidence = data_dir / "evidence"
    return [p for p in evidence.rglob("*") if p.is_file()] if evidence.exists() else []


@pytest.fixture
def monitor(db, users, client: TestClient) -> dict[str, Any]:
    """A monitor signed in on the report form of a mission in Baku time (UTC+4), with post
    OP-T1; returns the form's hidden values."""
    with db.writing() as session:
        set_mission(
            session,
            OPERATOR,
            {"name": "Test mission", "mandate_start": "2020-11-10", "timezone": "Asia/Baku"},
        )
        add_post(session, OPERATOR)
        add_zone(session, OPERATOR)
    sign_in(client, "monitor")
    page = client.get("/report")
    assert page.status_code == 200, page.text
    return {
        "csrf_token": hidden(page.text, "csrf_token"),
        "client_id": hidden(page.text, "client_id"),
    }


def good(monitor: dict[str, Any], **changes: str) -> dict[str, str]:
    """A complete report: artillery seen from the monitor's own position, at a point."""
    form = {
        "csrf_token": monitor["csrf_token"],
        "client_id": monitor["client_id"],
        "category": "ceasefire_violation.explosion.artillery",
        "observed_at": "2020-11-12T14:05",
        "tz_offset": "+04:00",
        "time_uncertainty_min": "2",
        "observer_kind": "monitor",
        "observer_name": "Team Bravo",
        "observer_lat": "39.8",
        "observer_lon": "46.75",
        "observer_error_m": "12",
        "where": "point",
        "target_lat": "39.76",
        "target_lon": "46.8",
        "target_error_m": "500",
        "count": "3",
        "weapon_class": "artillery",
        "text": "three impacts north of the road",
    }
    return form | changes


def photo(name: str = "impact.jpg", data: bytes | None = None) -> list[tuple[str, Any]]:
    return [("photos", (name, data if data is not None else jpeg(), "image/jpeg"))]


def test_the_form_offers_the_missions_choices_and_labels_every_field(
    client: TestClient, monitor
) -> None:
    page = client.get("/report").text
    assert (
        "Explosion, artillery" in page and 'value="ceasefire_violation.explosion.artillery"' in page
    )
    assert '<optgroup label="Ceasefire violation">' in page, "grouped by top-level category"
    assert ">Ceasefire violation, unspecified<" in page, "a top-level one is a choice too"
    assert 'value="OP-T1"' in page, "the post select lists the posts"
    assert 'value="rocket_mlrs"' in page, "weapon classes are offered"
    uuid.UUID(monitor["client_id"])  # a fresh report id with every form
    assert hidden(client.get("/report").text, "client_id") != monitor["client_id"]
    assert 'type="datetime-local"' in page and 'data-default="now"' in page
    assert 'accept="image/*,video/*,audio/*"' in page and "capture" in page and "multiple" in page
    assert "Use my location" in page and "Take bearing" in page
    assert 'id="report-map"' in page and "/static/leaflet/leaflet.js" in page
    assert '"code": "square"' in page, "the zones come with the page for the small map"
    named = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="f-([a-z_]+)"', page))
    visible = named - {"client_id", "tz_offset"}
    labelled = set(re.findall(r'<label[^>]*\bfor="f-([a-z_]+)"', page))
    assert visible and visible <= labelled, f"fields without a label: {visible - labelled}"


def test_a_good_report_with_a_photo_is_stored_from_the_web(
    db, users, client: TestClient, app, monitor
) -> None:
    """Channel web, the aware time from the browser's offset, the photo linked and compared:
    taken 80 km away, it is flagged."""
    far_photo = jpeg(lat=40.5, lon=47.0, taken="2020:11:12 14:06:00")
    done = client.post("/report", data=good(monitor), files=photo("far.jpg", far_photo))
    assert done.status_code == 201, done.text
    number = re.search(r"Observation (\d+) recorded", done.text)
    assert number, done.text
    obs_id = int(number.group(1))
    assert 'href="/map?day=2020-11-12"' in done.text
    assert "far.jpg" in done.text and "flag-far_from_report" in done.text
    assert 'href="/report"' in done.text, "a way to the next report"

    api = users["analyst"].headers
    client.cookies.clear()
    out = client.get(f"/api/v1/observations/{obs_id}", headers=api).json()
    assert out["client_id"] == monitor["client_id"] and out["count"] == 3
    assert out["observed_at"].startswith("2020-11-12T10:05:00"), "14:05 at UTC+4"
    assert out["submitted_by"] == "monitor"
    with db.reading() as session:
        row = session.get(Observation, obs_id)
        assert row.channel == "web" and row.observer_name == "Team Bravo"
        assert (row.lat, row.lon, row.observer_error_m) == (39.76, 46.8, 12.0)
        assert row.time_uncertainty_s == 120, "minutes on the form, seconds stored"
    files = client.get(f"/api/v1/observations/{obs_id}/evidence", headers=api).json()
    assert [(f["name"], f["field"]) for f in files] == [("far.jpg", "photos")]
    assert "far_from_report" in files[0]["flags"] and files[0]["distance_m"] > 70_000
    kept = client.get(f"/api/v1/evidence/{files[0]['sha256']}", headers=api)
    assert kept.status_code == 200 and kept.content == far_photo, "the bytes as received"


def test_a_bearing_from_a_post_needs_no_typed_position(db, client: TestClient, monitor) -> None:
    form = good(
        monitor,
        observer_kind="post",
        post="OP-T1",
        observer_lat="",
        observer_lon="",
        observer_error_m="",
        where="bearing",
        bearing_deg="120",
        bearing_error_deg="5",
        distance_m="4000",
        target_lat="99",  # the point fields are not used for a bearing
    )
    done = client.post("/report", data=form)
    assert done.status_code == 201, done.text
    # Magnetic unless said otherwise (the phone's compass), turned at the post's position.
    turn = magnetic_declination(39.8, 46.75, datetime(2020, 11, 12, 10, 5, tzinfo=UTC))
    with db.reading() as session:
        row = session.scalars(select(Observation)).one()
        assert (row.observer_lat, row.observer_lon) == (39.8, 46.75), "the post's position"
        assert row.bearing_deg == pytest.approx(120 + turn, abs=0.006)
        assert row.bearing_error_deg == 5, "the error as given"
        assert row.distance_m == 4000 and row.lat is None
        assert row.est_lat < 39.8 and row.est_lon > 46.75, "south-east of the post"
    said = f"120° magnetic = {120 + turn:.1f}° true (declination {turn:+.1f}°)"
    assert said in html.unescape(done.text), done.text


def test_a_bearing_from_true_north_is_kept(db, client: TestClient, monitor) -> None:
    form = good(monitor, where="bearing", bearing_deg="60", bearing_north="true")
    done = client.post("/report", data=form)
    assert done.status_code == 201, done.text
    assert "60° true" in html.unescape(done.text) and "magnetic" not in done.text
    with db.reading() as session:
        assert session.scalars(select(Observation)).one().bearing_deg == 60


def test_a_magnetic_bearing_is_turned_at_the_monitors_position(
    db, client: TestClient, monitor
) -> None:
    form = good(monitor, where="bearing", bearing_deg="60", bearing_north="magnetic")
    assert client.post("/report", data=form).status_code == 201
    turn = magnetic_declination(39.8, 46.75, datetime(2020, 11, 12, 10, 5, tzinfo=UTC))
    assert 6.0 < turn < 6.7
    with db.reading() as session:
        row = session.scalars(select(Observation)).one()
        assert row.bearing_deg == pytest.approx(60 + turn, abs=0.006)
    again = client.post("/report", data=form)  # a resend: the same turn, the same report
    assert again.status_code == 200 and "reached Vigil already" in again.text


def test_without_javascript_the_time_is_read_in_mission_time(
    db, client: TestClient, monitor
) -> None:
    """No offset from the browser: the typed time is the mission's (Baku, UTC+4)."""
    done = client.post("/report", data=good(monitor, tz_offset=""))
    assert done.status_code == 201, done.text
    with db.reading() as session:
        row = session.scalars(select(Observation)).one()
        assert row.observed_at.isoformat().startswith("2020-11-12T10:05:00")


def test_the_same_report_sent_twice_is_stored_once(db, client: TestClient, app, monitor) -> None:
    """A double tap or a resend after a network error: same client id, one observation."""
    form = good(monitor)
    first = client.post("/report", data=form, files=photo())
    again = client.post("/report", data=form, files=photo())
    assert (first.status_code, again.status_code) == (201, 200), again.text
    number = re.search(r"Observation (\d+) recorded", again.text)
    assert number and f"Observation {number.group(1)} recorded" in first.text
    assert "reached Vigil already" in again.text
    stored = counts(db)
    assert (stored["observation"], stored["evidence_file"], stored["observation_evidence"]) == (
        1,
        1,
        1,
    )
    changed = client.post("/report", data=good(monitor, count="4"))
    assert changed.status_code == 409
    assert "sent before with other values" in changed.text
    assert counts(db)["observation"] == 1


def _sent(monitor: dict[str, Any], case: str) -> tuple[dict[str, str], list[tuple[str, Any]]]:
    """The refused reports: one thing wrong in each."""
    if case == "latitude 200":
        return good(monitor, observer_lat="200"), photo()
    if case == "unknown category":
        return good(monitor, category="ceasefire_violation.no_such_thing"), photo()
    if case == "bearing without observer position":
        form = good(monitor, observer_lat="", observer_lon="", where="bearing", bearing_deg="120")
        return form, photo()
    if case == "a bearing from an unknown north":
        form = good(monitor, where="bearing", bearing_deg="120", bearing_north="grid")
        return form, photo()
    if case == "a zip as photo":
        return good(monitor), [*photo(), ("photos", ("impact2.jpg", zip_file(), "image/jpeg"))]
    if case == "missing CSRF":
        return good(monitor, csrf_token=""), photo()
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "status", "field", "message"),
    [
        ("latitude 200", 422, "observer_lat", "less than or equal to 90"),
        ("unknown category", 422, "category", "unknown category"),
        ("bearing without observer position", 422, "observer_lat", "observer's position"),
        ("a bearing from an unknown north", 422, "bearing_north", "magnetic north"),
        ("a zip as photo", 415, "photos", "impact2.jpg: the content is application/zip"),
        ("missing CSRF", 403, None, "The form expired"),
    ],
)
def test_refused_input_comes_back_with_a_message_and_nothing_stored(
    db, client: TestClient, app, monitor, case: str, status: int, field: str | None, message: str
) -> None:
    before = counts(db)
    form, files = _sent(monitor, case)
    page = client.post("/report", data=form, files=files)
    assert page.status_code == status, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Nothing was stored." in page.text
    if field:
        shown = " ".join(field_errors(page.text).get(field, []))
        assert message in shown, f"{field}: {field_errors(page.text)}"
    else:
        assert message in page.text
    assert 'value="three impacts north of the road"' in page.text or (
        ">three impacts north of the road</textarea>" in page.text
    ), "the monitor's text is kept"
    assert hidden(page.text, "client_id") == monitor["client_id"], "a resend is the same report"
    assert "choose it again" in page.text or "choose them again" in page.text
    assert counts(db) == before, "nothing stored"
    assert stored_files(app.state.settings.data_dir) == [], "no file kept"
    fixed = client.post("/report", data=good(monitor), files=photo())
    assert fixed.status_code == 201, "the same form, corrected, is accepted"


def test_every_problem_is_shown_at_once(client: TestClient, app, monitor, db) -> None:
    before = counts(db)
    form = good(monitor, observer_lat="200", count="0", target_lon="")
    files = [("photos", ("notes.jpg", b"just some text\n", "image/jpeg"))]
    page = client.post("/report", data=form, files=files)
    assert page.status_code == 422
    errors = field_errors(page.text)
    assert {"observer_lat", "count", "target_lon", "photos"} <= set(errors), errors
    assert errors["target_lon"] == ["fill this in"]
    assert counts(db) == before


def test_a_liaison_is_refused_and_anonymous_sent_to_login(
    db, users, client: TestClient, monitor
) -> None:
    client.cookies.clear()
    anonymous = client.get("/report", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/report"
    sign_in(client, "party-liaison")
    assert client.get("/report").status_code == 403
    before = counts(db)
    sent = client.post("/report", data=good(monitor), files=photo())
    assert sent.status_code == 403
    assert counts(db) == before
