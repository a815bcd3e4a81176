"""Imports of observations from files, through the API, the CLI and the page (SQLite and
PostgreSQL). Every refusal is checked to store nothing: observations, imports and audit events
are counted before and after."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import OPERATOR
from tests.factories import add_post

from vigil.config import Settings
from vigil.formats.import_csv import template_csv
from vigil.services.verify import verify
from vigil.store.db import Database
from vigil.store.tables import AuditEvent, ImportFile, Observation
from vigil.web.app import create_app

URL = "/api/v1/imports"
PROBLEM = "application/problem+json"
VIGIL = Path(sys.executable).parent / "vigil"
HEADER = "observed_at,observer_kind,post,observer_lat,observer_lon,category,lat,lon,count,text"
GOOD = [
    "2020-11-12T14:05:00+04:00,post,OP-T1,,,ceasefire_violation.explosion,39.81,46.76,2,two",
    "2020-11-12T15:00:00+04:00,monitor,,39.8,46.7,weapons_forces,39.79,46.71,1,tank",
    "2020-11-12T16:00:00Z,monitor,,39.8,46.7,ceasefire_violation.small_arms,39.8,46.72,5,",
]
BAD = [
    "2020-11-12T17:00:00Z,monitor,,39.8,46.7,no_such.category,39.8,46.72,1,bad category",
    "2099-01-01T00:00:00Z,post,OP-NONE,,,ceasefire_violation,39.8,46.72,1,future and no post",
    "2020-11-12T18:00:00Z,monitor,,39.8,46.7,ceasefire_violation,200,46.72,1,latitude 200",
]
GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:vigil="urn:vigil:observation:1">
  <wpt lat="39.80" lon="46.75"><time>2020-11-12T10:05:00Z</time><name>Crater</name>
    <type>ceasefire_violation.explosion</type></wpt>
  <wpt lat="39.82" lon="46.70"><time>2020-11-12T11:00:00Z</time><name>MG fire</name>
    <extensions><vigil:category>ceasefire_violation.small_arms</vigil:category></extensions></wpt>
  <trk><name>Patrol 7</name><trkseg><trkpt lat="39.8" lon="46.7"/></trkseg></trk>
</gpx>"""
KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
  <Placemark><name>Shelling</name><TimeStamp><when>2020-11-12T14:05:00+04:00</when></TimeStamp>
    <ExtendedData><Data name="category"><value>ceasefire_violation.explosion</value></Data>
    </ExtendedData><Point><coordinates>46.75,39.80</coordinates></Point></Placemark>
</Document></kml>"""
BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<{root}><name>&lol2;</name></{root}>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><{root}><name>&xxe;</name></{root}>"""


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def geojson_file() -> bytes:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [46.76, 39.81]},
            "properties": {
                "observed_at": "2020-11-12T14:05:00Z",
                "observer_kind": "post",
                "post": "OP-T1",
                "category": "ceasefire_violation.explosion",
                "count": 2,
            },
        }
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def kmz(member: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", member)
    return buffer.getvalue()


def counts(db: Database) -> dict[str, int]:
    with db.reading() as session:
        return {
            cls.__tablename__: int(session.scalar(select(func.count()).select_from(cls)) or 0)
            for cls in (Observation, ImportFile, AuditEvent)
        }


def upload(
    client: TestClient, headers: dict, name: str, data: bytes, **params: str
) -> httpx.Response:
    return client.post(URL, files={"file": (name, data)}, params=params, headers=headers)


def problem(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text[:800]
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code and body["detail"]
    return body


@pytest.fixture
def monitor(db: Database, users) -> dict[str, str]:
    """The monitor's headers, with post OP-T1 in place."""
    with db.writing() as session:
        add_post(session, OPERATOR)
    return users["monitor"].headers


# The API


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("good.csv", csv_file(*GOOD), 3),
        ("points.geojson", geojson_file(), 1),
        ("walk.gpx", GPX.encode(), 2),
        ("marks.kml", KML.encode(), 1),
        ("marks.kmz", kmz(KML.encode()), 1),
    ],
)
def test_each_format_imports(db, monitor, client, name: str, data: bytes, expected: int) -> None:
    r = upload(client, monitor, name, data)
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["new"], report["refused"], report["rows"]) == (expected, 0, expected)
    assert report["id"] is not None and not report["dry_run"]
    ids = [i["observation_id"] for i in report["items"] if i["status"] == "new"]
    stored = client.get("/api/v1/observations", headers=monitor).json()["items"]
    assert sorted(o["id"] for o in stored) == sorted(ids)
    assert {(o["channel"], o["submitted_by"]) for o in stored} == {("import", "monitor")}


def test_gpx_waypoints_are_the_uploaders_and_tracks_are_reported(db, monitor, client) -> None:
    report = upload(client, monitor, "walk.gpx", GPX.encode()).json()
    assert [i["status"] for i in report["items"]] == ["new", "new", "skipped"]
    track = report["items"][2]
    assert track["row"] == "track 1 (Patrol 7)" and "issue 6" in track["note"]
    stored = client.get("/api/v1/observations", headers=monitor).json()["items"]
    crater = next(o for o in stored if o["text"] == "Crater")
    assert crater["observer"] == {
        "kind": "monitor",
        "post": None,
        "name": "monitor",
        "lat": 39.8,
        "lon": 46.75,
        "error_m": None,
    }


def test_dry_run_changes_nothing_and_gives_each_refused_rows_reasons(db, monitor, client) -> None:
    before = counts(db)
    r = upload(client, monitor, "mixed.csv", csv_file(*GOOD, *BAD), dry_run="true")
    assert r.status_code == 200, r.text
    report = r.json()
    assert counts(db) == before
    assert report["dry_run"] and report["id"] is None
    assert (report["new"], report["refused"]) == (3, 3)
    by_row = {i["row"]: i for i in report["items"]}
    assert [by_row[f"row {n}"]["status"] for n in range(2, 8)] == ["new"] * 3 + ["refused"] * 3
    assert {e["field"] for e in by_row["row 5"]["errors"]} == {"category"}
    assert {e["field"] for e in by_row["row 6"]["errors"]} == {"post", "observed_at"}
    assert "future" in str(by_row["row 6"]["errors"])
    assert {e["field"] for e in by_row["row 7"]["errors"]} == {"lat"}


def test_all_or_nothing_refusal_stores_nothing(db, monitor, client) -> None:
    before = counts(db)
    body = problem(
        upload(client, monitor, "mixed.csv", csv_file(*GOOD, *BAD)), 422, "import_refused"
    )
    assert counts(db) == before
    fields = [e["field"] for e in body["errors"]]
    assert {"row 5.category", "row 6.post", "row 6.observed_at", "row 7.lat"} == set(fields)
    assert (body["refused_rows"], body["total_rows"]) == (3, 6)
    assert "3 of 6 rows refused" in body["detail"]


def test_partial_imports_the_good_rows_and_lists_the_refused(db, monitor, client) -> None:
    before = counts(db)
    r = upload(client, monitor, "mixed.csv", csv_file(*GOOD, *BAD), partial="1")
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["new"], report["refused"]) == (3, 3)
    after = counts(db)
    assert after["observation"] == before["observation"] + 3
    assert after["import_file"] == before["import_file"] + 1
    assert after["audit_event"] == before["audit_event"] + 4  # three observations, the import
    [past] = client.get(URL, headers=users_headers(client, db, "analyst")).json()["items"]
    assert (past["rows"], past["imported"], past["refused"], past["partial"]) == (6, 3, 3, True)
    assert past["imported_by"] == "monitor" and past["filename"] == "mixed.csv"
    with db.reading() as session:
        verdict = verify(session)
    assert verdict.ok, verdict.problems


def users_headers(client: TestClient, db: Database, role: str) -> dict[str, str]:
    from vigil.services import accounts

    with db.writing() as session:
        name = f"{role}-2"
        accounts.add_user(session, OPERATOR.actor, name, role, None, "", None)
        token = accounts.create_token(session, OPERATOR.actor, name, "tests")
    return {"Authorization": f"Bearer {token}"}


def test_reimporting_the_same_file_adds_nothing(db, monitor, client) -> None:
    data = csv_file(*GOOD)
    assert upload(client, monitor, "good.csv", data).status_code == 201
    before = counts(db)
    again = upload(client, monitor, "good-copy.csv", data)
    assert again.status_code == 200, again.text
    report = again.json()
    assert (report["new"], report["already"], report["earlier_imports"]) == (0, 3, 1)
    assert all("stored before as observation" in i["note"] for i in report["items"])
    after = counts(db)
    assert after["observation"] == before["observation"]
    assert after["import_file"] == before["import_file"] + 1


def test_same_row_twice_in_a_file_is_one_observation(db, monitor, client) -> None:
    report = upload(client, monitor, "twice.csv", csv_file(GOOD[0], GOOD[0])).json()
    assert [i["status"] for i in report["items"]] == ["new", "already"]
    assert report["items"][1]["note"] == "the same as row 2"
    assert counts(db)["observation"] == 1


def test_client_id_used_before_for_other_content_is_refused(db, monitor, client) -> None:
    header = "client_id," + HEADER
    upload(client, monitor, "a.csv", f"{header}\nmine-1,{GOOD[0]}\n".encode())
    before = counts(db)
    changed = f"{header}\nmine-1,{GOOD[1]}\n".encode()
    body = problem(upload(client, monitor, "b.csv", changed), 422, "import_refused")
    assert body["errors"][0]["field"] == "row 2.client_id"
    assert counts(db) == before


@pytest.mark.parametrize(
    ("name", "data", "status", "code", "words"),
    [
        (
            "cp1251.csv",
            csv_file("2020-11-12T14:05:00Z,monitor,,39.8,46.7,x,1,2,1,Обстрел")
            .decode()
            .encode("cp1251"),
            422,
            "import_refused",
            "byte offset",
        ),
        ("utf16.csv", csv_file(*GOOD).decode().encode("utf-16"), 422, "import_refused", "UTF-16"),
        (
            "page.gpx",
            b"<!DOCTYPE html><html><body>Sign in</body></html>",
            415,
            "unsupported_file_type",
            "HTML",
        ),
        ("bomb.gpx", BOMB.format(root="gpx").encode(), 400, "malformed_xml", "DTD"),
        ("xxe.gpx", XXE.format(root="gpx").encode(), 400, "malformed_xml", "DTD"),
        ("bomb.kml", BOMB.format(root="kml").encode(), 400, "malformed_xml", "DTD"),
        ("xxe.kml", XXE.format(root="kml").encode(), 400, "malformed_xml", "DTD"),
        (
            "bomb.kmz",
            kmz(KML.encode() + b" " * (40 * 1024 * 1024)),
            422,
            "file_refused",
            "zip bomb",
        ),
        ("sheet.xlsx", b"PK\x03\x04", 415, "unsupported_file_type", ".csv, .geojson"),
        ("empty.csv", b"", 422, "import_refused", "empty"),
    ],
)
def test_bad_files_are_refused_clearly(
    db, monitor, client, name: str, data: bytes, status: int, code: str, words: str
) -> None:
    before = counts(db)
    for params in ({}, {"dry_run": "true"}, {"partial": "true"}):
        body = problem(upload(client, monitor, name, data, **params), status, code)
        assert words in body["detail"], body["detail"]
    assert counts(db) == before


def test_too_many_rows_are_refused(db, monitor, tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=db.url, fusion_auto=False)
    with TestClient(create_app(settings.model_copy(update={"max_import_rows": 2}), db)) as c:
        before = counts(db)
        body = problem(upload(c, monitor, "three.csv", csv_file(*GOOD)), 422, "import_refused")
        assert "more than 2 rows" in body["detail"] and counts(db) == before


def test_form_fields_work_like_query_parameters(db, monitor, client) -> None:
    files = {"file": ("data.txt", csv_file(*GOOD))}
    form = {"format": "csv", "dry_run": "yes"}
    r = client.post(URL, files=files, data=form, headers=monitor)
    assert r.status_code == 200 and r.json()["new"] == 3 and r.json()["format"] == "csv"
    problem(
        client.post(URL, files=files, data={"dry_run": "maybe"}, headers=monitor),
        422,
        "validation_failed",
    )
    problem(client.post(URL, data={"format": "csv"}, headers=monitor), 422, "validation_failed")


def test_template_is_served_and_imports(db, monitor, client) -> None:
    r = client.get(f"{URL}/template.csv", headers=monitor)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content == template_csv()
    assert "attachment" in r.headers["content-disposition"]
    report = upload(client, monitor, "template.csv", r.content, dry_run="1").json()
    assert (report["new"], report["refused"]) == (2, 0)


def test_party_liaison_may_not_import(db, users, client) -> None:
    before = counts(db)
    problem(
        upload(client, users["party_liaison"].headers, "a.csv", csv_file(*GOOD)), 403, "forbidden"
    )
    assert counts(db) == before
