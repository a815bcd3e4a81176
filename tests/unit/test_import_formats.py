"""The import parsers, without a database: what each format yields, and what each refuses."""

from __future__ import annotations

import io
import zipfile

import orjson
import pytest

from vigil.domain.observation import ObservationDraft
from vigil.errors import VigilError
from vigil.formats.import_csv import parse_csv, template_csv
from vigil.formats.import_detect import format_of, parse_import
from vigil.formats.import_geojson import parse_geojson
from vigil.formats.import_gpx import parse_gpx
from vigil.formats.import_kml import parse_kml
from vigil.formats.import_rows import COLUMNS, client_id_of, refused_csv, resolved, to_draft

MB = 1024 * 1024
HEADER = "observed_at,observer_kind,observer_lat,observer_lon,category,lat,lon,count,text"
ROW = "2020-11-12T14:05:00+04:00,monitor,39.8,46.75,ceasefire_violation.explosion,39.81,46.76,2,"
GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="OsmAnd" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:vigil="urn:vigil:observation:1">
  <wpt lat="39.80" lon="46.75">
    <time>2020-11-12T10:05:00Z</time><name>Crater</name><desc>fresh, 2 m across</desc>
    <type>ceasefire_violation.explosion</type>
  </wpt>
  <wpt lat="39.82" lon="46.70">
    <time>2020-11-12T11:00:00Z</time><name>MG fire</name>
    <extensions><vigil:category>ceasefire_violation.small_arms</vigil:category>
      <vigil:count>4</vigil:count><other:x xmlns:other="urn:x">ignored</other:x></extensions>
  </wpt>
  <trk><name>Patrol 7</name><trkseg><trkpt lat="39.8" lon="46.7"/></trkseg></trk>
  <rte><rtept lat="39.8" lon="46.7"/></rte>
</gpx>"""
KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>
  <Placemark><name>Shelling</name><description><![CDATA[<b>heavy</b>]]></description>
    <TimeStamp><when>2020-11-12T14:05:00+04:00</when></TimeStamp>
    <ExtendedData><Data name="category"><value>ceasefire_violation.explosion</value></Data>
      <Data name="count"><value>5</value></Data></ExtendedData>
    <Point><coordinates>46.75,39.80,0</coordinates></Point></Placemark>
  <Placemark><TimeSpan><begin>2020-11-12T15:00:00Z</begin><end>2020-11-12T15:20:00Z</end></TimeSpan>
    <ExtendedData><SchemaData><SimpleData name="category">weapons_forces</SimpleData></SchemaData>
    </ExtendedData><Point><coordinates> 46.70 , 39.82 </coordinates></Point></Placemark>
  <Placemark><name>Route</name><LineString><coordinates>46.7,39.8 46.8,39.9</coordinates>
    </LineString></Placemark>
</Folder></Document></kml>"""
BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<{root}><wpt lat="1" lon="2"><name>&lol3;</name></wpt></{root}>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<{root}><name>&xxe;</name></{root}>"""
HTML = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>login</body></html>"


def refused(code: str, call, *args) -> VigilError:
    with pytest.raises(VigilError) as caught:
        call(*args)
    assert caught.value.code == code, caught.value
    return caught.value


def draft_of(row) -> ObservationDraft:
    values = resolved(row, "monitor")
    done = to_draft(values, client_id_of(values))
    assert isinstance(done, ObservationDraft), done
    return done


# CSV


def test_the_template_has_every_column_and_its_examples_are_valid() -> None:
    parsed = parse_csv(template_csv(), 10)
    assert parsed.columns == list(COLUMNS)
    drafts = [draft_of(r) for r in parsed.rows]
    assert [d.observer.kind for d in drafts] == ["post", "patrol"]
    assert drafts[0].bearing and drafts[0].distance and drafts[1].location


def test_csv_rows_carry_spreadsheet_row_numbers_and_skip_blank_lines() -> None:
    data = f"\ufeff{HEADER}\n{ROW}\n,,,,,,,,\n\n{ROW.replace(',2,', ',3,')}\n".encode()
    parsed = parse_csv(data, 10)  # a UTF-8 BOM is fine
    assert [r.label for r in parsed.rows] == ["row 2", "row 5"]
    assert draft_of(parsed.rows[1]).count == 3


def test_csv_with_semicolons_reads_like_commas() -> None:
    parsed = parse_csv(f"{HEADER}\n{ROW}\n".replace(",", ";").encode(), 10)
    assert draft_of(parsed.rows[0]).location is not None


def test_csv_field_errors_name_template_columns() -> None:
    bad = ROW.replace("39.81", "200").replace("ceasefire", "").replace("+04:00", "")
    values = resolved(parse_csv(f"{HEADER}\n{bad}\n".encode(), 10).rows[0], "m")
    errors = to_draft(values, client_id_of(values))
    assert isinstance(errors, list)
    fields = {e.field for e in errors}
    assert {"lat", "observed_at"} <= fields, errors


@pytest.mark.parametrize(
    ("header", "field"),
    [
        (HEADER + ",colour", "header.colour"),
        (HEADER + ",count", "header.count"),
        (HEADER.replace("category,", ""), "header.category"),
        (HEADER + ",", "header.column 10"),
    ],
)
def test_csv_header_must_be_the_templates(header: str, field: str) -> None:
    error = refused("import_refused", parse_csv, f"{header}\n{ROW}\n".encode(), 10)
    assert field in [e.field for e in error.errors], error.errors


def test_csv_unknown_column_gets_a_suggestion() -> None:
    error = refused("import_refused", parse_csv, f"{HEADER},bearing\n{ROW},\n".encode(), 10)
    assert "bearing_deg" in error.detail


def test_csv_in_cp1251_is_refused_naming_the_byte() -> None:
    data = f"{HEADER}\n{ROW}Обстрел\n".encode("cp1251")
    error = refused("import_refused", parse_csv, data, 10)
    offset = data.index("О".encode("cp1251"))
    assert f"byte offset {offset} (line 2)" in error.detail and "UTF-8" in error.detail


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_csv_in_utf16_or_32_is_refused(encoding: str) -> None:
    error = refused("import_refused", parse_csv, f"{HEADER}\n{ROW}\n".encode(encoding), 10)
    assert "UTF-16" in error.detail or "UTF-32" in error.detail or "NUL" in error.detail
    assert "save it as UTF-8" in error.detail


def test_csv_with_too_many_rows_is_refused() -> None:
    data = (HEADER + "\n" + "\n".join([ROW] * 4) + "\n").encode()
    assert len(parse_csv(data, 4).rows) == 4
    error = refused("import_refused", parse_csv, data, 3)
    assert "more than 3 rows" in error.detail


def test_csv_row_with_more_values_than_columns_is_an_error() -> None:
    row = parse_csv(f"{HEADER}\n{ROW},extra\n".encode(), 10).rows[0]
    assert row.errors and "10 values for 9 columns" in row.errors[0].message


def test_malformed_csv_is_refused() -> None:
    data = f'{HEADER}\n{ROW}"unclosed\n'.encode() + b"x" * 200_000
    refused("import_refused", parse_csv, data, 10)


# Client ids


def test_client_ids_come_from_the_row_content() -> None:
    first = parse_csv(f"{HEADER}\n{ROW}\n".encode(), 10).rows[0]
    cols = HEADER.split(",")
    swapped = ",".join(reversed(cols)) + "\n" + ",".join(reversed(ROW.split(","))) + "\n"
    second = parse_csv(swapped.encode(), 10).rows[0]
    a, b = client_id_of(resolved(first, "m")), client_id_of(resolved(second, "m"))
    assert a == b and a.startswith("import:") and len(a) == 39
    other = parse_csv(f"{HEADER}\n{ROW.replace(',2,', ',3,')}\n".encode(), 10).rows[0]
    assert client_id_of(resolved(other, "m")) != a
    given = parse_csv(f"client_id,{HEADER}\nmine-1,{ROW}\n".encode(), 10).rows[0]
    assert client_id_of(resolved(given, "m")) == "mine-1"


def test_refused_rows_file_imports_again_with_its_extra_columns_ignored() -> None:
    parsed = parse_csv(f"{HEADER}\n{ROW}\n".encode(), 10)
    row = parsed.rows[0]
    data = refused_csv(parsed.columns, [(row.label, row.original, "category: unknown")])
    again = parse_csv(data, 10)
    assert data.decode().splitlines()[0].endswith(",refused_row,reason")
    assert again.rows[0].fields == row.fields


# GeoJSON


def _geojson(*features: dict) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": list(features)})


def _feature(geometry, **props) -> dict:
    base = {
        "observed_at": "2020-11-12T14:05:00Z",
        "observer_kind": "monitor",
        "observer_lat": 39.8,
        "observer_lon": 46.75,
        "category": "ceasefire_violation.explosion",
        "count": 2,
    }
    return {"type": "Feature", "geometry": geometry, "properties": {**base, **props}}


def test_geojson_point_is_where_it_was_observed() -> None:
    point = {"type": "Point", "coordinates": [46.76, 39.81]}
    rows = parse_geojson(_geojson(_feature(point)), 10).rows
    draft = draft_of(rows[0])
    assert rows[0].label == "feature 1"
    assert draft.location and (draft.location.lat, draft.location.lon) == (39.81, 46.76)


def test_geojson_without_geometry_may_give_a_bearing() -> None:
    feature = _feature(None, bearing_deg=90, distance_m=2000)
    assert draft_of(parse_geojson(_geojson(feature), 10).rows[0]).bearing is not None


@pytest.mark.parametrize(
    ("feature", "field"),
    [
        (_feature({"type": "LineString", "coordinates": [[1, 2], [3, 4]]}), "geometry"),
        (_feature({"type": "Point", "coordinates": ["46", 39]}), "geometry"),
        (_feature(None, colour="red"), "colour"),
        (_feature(None, lat=39.8), "lat"),
        (_feature(None, text={"a": 1}), "text"),
        ({"type": "Point", "coordinates": [1, 2]}, ""),
    ],
)
def test_geojson_bad_features_are_refused_row_by_row(feature: dict, field: str) -> None:
    rows = parse_geojson(_geojson(feature), 10).rows
    assert field in [e.field for e in rows[0].errors], rows[0].errors


@pytest.mark.parametrize(
    "data", [b"{", b"[]", b'{"type": "Feature"}', b'{"type": "FeatureCollection"}']
)
def test_geojson_that_is_no_feature_collection_is_refused(data: bytes) -> None:
    refused("import_refused", parse_geojson, data, 10)


# GPX


def test_gpx_waypoints_become_observations_by_the_uploader_there() -> None:
    parsed = parse_gpx(GPX.encode(), 10)
    first, second = (draft_of(r) for r in parsed.rows)
    assert first.category == "ceasefire_violation.explosion"
    assert first.text == "Crater — fresh, 2 m across"
    assert first.observer.kind == "monitor" and first.observer.name == "monitor"
    assert (first.observer.lat, first.observer.lon) == (39.80, 46.75)
    assert first.location and first.location.lat == 39.80
    assert second.category == "ceasefire_violation.small_arms" and second.count == 4


def test_gpx_tracks_and_routes_are_counted_not_dropped() -> None:
    parsed = parse_gpx(GPX.encode(), 10)
    assert parsed.skipped == [
        ("track 1 (Patrol 7)", "not imported: patrol tracks arrive with patrols (issue 6)"),
        ("route 1", "not imported: a route is a plan, not an observation"),
    ]


def test_gpx_waypoint_without_lon_or_with_an_unknown_field_is_an_error() -> None:
    gpx = GPX.replace('lon="46.75"', "").replace("vigil:count", "vigil:cuont")
    rows = parse_gpx(gpx.encode(), 10).rows
    assert [e.field for e in rows[0].errors] == ["lon"]
    assert [e.field for e in rows[1].errors] == ["cuont"]


def test_gpx_that_is_html_is_refused() -> None:
    error = refused("unsupported_file_type", parse_import, HTML, "track.gpx", None, 10, MB)
    assert "HTML" in error.detail and "GPX" in error.detail


@pytest.mark.parametrize("attack", [BOMB, XXE])
def test_gpx_with_a_dtd_is_refused_before_expansion(attack: str) -> None:
    error = refused("malformed_xml", parse_gpx, attack.format(root="gpx").encode(), 10)
    assert "DTD" in error.detail


def test_xml_of_another_kind_or_broken_is_refused() -> None:
    refused("unsupported_file_type", parse_gpx, b"<svg><g/></svg>", 10)
    refused("malformed_xml", parse_gpx, b"<gpx><wpt></gpx>", 10)


def test_gpx_with_too_many_waypoints_is_refused() -> None:
    refused("import_refused", parse_gpx, GPX.encode(), 1)


# KML and KMZ


def test_kml_point_placemarks_become_observations() -> None:
    parsed = parse_kml(KML.encode(), 10, MB)
    first, second = (draft_of(r) for r in parsed.rows)
    assert first.count == 5 and first.text == "Shelling — <b>heavy</b>"
    assert first.location and (first.location.lat, first.location.lon) == (39.80, 46.75)
    assert second.category == "weapons_forces" and second.observed_to is not None
    assert parsed.skipped == [
        ("placemark 3 (Route)", "not imported: only Point placemarks are observations")
    ]


def _kmz(member: bytes, name: str = "doc.kml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, member)
    return buffer.getvalue()


def test_kmz_is_unzipped() -> None:
    parsed = parse_import(_kmz(KML.encode()), "shelling.kmz", None, 10, MB)
    assert parsed.format == "kml" and len(parsed.rows) == 2


def test_kmz_zip_bomb_is_refused() -> None:
    bomb = _kmz(KML.encode() + b" " * (50 * MB))
    assert len(bomb) < MB // 4
    error = refused("file_refused", parse_kml, bomb, 10, 64 * MB)
    assert "zip bomb" in error.detail


def test_kmz_beyond_the_upload_limit_is_refused() -> None:
    refused("file_refused", parse_kml, _kmz(KML.encode() * 20), 10, 2000)


def test_kmz_without_kml_or_damaged_is_refused() -> None:
    refused("file_refused", parse_kml, _kmz(b"x", "photo.jpg"), 10, MB)
    refused("file_refused", parse_kml, _kmz(KML.encode())[:60], 10, MB)


@pytest.mark.parametrize("attack", [BOMB, XXE])
def test_kml_with_a_dtd_is_refused(attack: str) -> None:
    error = refused("malformed_xml", parse_kml, attack.format(root="kml").encode(), 10, MB)
    assert "DTD" in error.detail


# Choosing the format


def test_format_from_extension_or_as_given() -> None:
    assert format_of("a.CSV", None) == "csv"
    assert format_of("a.json", None) == "geojson"
    assert format_of("a.kmz", None) == "kml"
    assert format_of("a.txt", "GPX") == "gpx"
    refused("unsupported_file_type", format_of, "a.xlsx", None)
    refused("validation_failed", format_of, "a.csv", "shapefile")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (_kmz(b"x", "xl/workbook.xml"), "ZIP"),
        (b"%PDF-1.4\n", "PDF"),
        (HTML, "HTML"),
        (b"\xd0\xcf\x11\xe0rest", "Excel"),
    ],
)
def test_csv_that_is_something_else_is_refused_for_what_it_is(data: bytes, what: str) -> None:
    error = refused("unsupported_file_type", parse_import, data, "report.csv", None, 10, MB)
    assert what in error.detail


def test_empty_file_is_refused() -> None:
    refused("import_refused", parse_import, b" \n", "a.csv", None, 10, MB)
