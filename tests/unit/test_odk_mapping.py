"""ODK submissions into observation drafts, and safe parsing of the instance XML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigil.domain.geodesy import magnetic_declination
from vigil.domain.odk_mapping import (
    draft_from_instance,
    missing_fields,
    parse_geopoint,
    parse_odk_datetime,
)
from vigil.errors import VigilError
from vigil.formats.xform_instance import Instance, parse_instance

BINARY = {"photo", "video", "audio"}
POSTS = {"OP-T1": (39.8, 46.75)}
NOV_12 = datetime(2020, 11, 12, 10, 5, tzinfo=UTC)
UUID = "uuid:6b5a3f0e-3c1e-4f1b-9d7a-0d1c2e3f4a5b"


def instance(**values: str) -> Instance:
    """A patrol's point report as ODK Collect fills the generated form."""
    base = {
        "category": "ceasefire_violation.explosion.artillery",
        "observed_at": "2020-11-12T14:05:00.000+04:00",
        "observer_kind": "patrol",
        "post": "",
        "patrol": "Alpha 2",
        "observer_position": "39.8123 46.7512 1210.5 4.9",
        "location_method": "point",
        "target": "39.7901 46.7702 0.0 0.0",
        "bearing": "",
        "distance_m": "",
        "count": "3",
        "weapon_class": "artillery",
        "text": "three impacts near the road",
        "photo": "1605175500123.jpg",
        "video": "",
        "audio": "",
        "instanceID": UUID,
    }
    base.update(values)
    return Instance("vigil_observation", "20201112000000", UUID, None, base, "data")


def refused(inst: Instance) -> VigilError:
    with pytest.raises(VigilError) as caught:
        draft_from_instance(inst, BINARY)
    assert caught.value.code == "validation_failed"
    return caught.value


def fields(error: VigilError) -> list[str]:
    return [e.field for e in error.errors]


def test_point_report_maps_every_field() -> None:
    done = draft_from_instance(instance(), BINARY)
    d = done.draft
    assert d.client_id == UUID
    assert d.category == "ceasefire_violation.explosion.artillery"
    assert d.observed_at == datetime(2020, 11, 12, 10, 5, tzinfo=UTC)
    assert d.observed_at.utcoffset() == timedelta(hours=4)
    assert (d.observer.kind, d.observer.name) == ("patrol", "Alpha 2")
    assert (d.observer.lat, d.observer.lon, d.observer.error_m) == (39.8123, 46.7512, 4.9)
    assert d.location is not None and (d.location.lat, d.location.lon) == (39.7901, 46.7702)
    assert d.location.error_m is None  # a placed point's accuracy 0 means unknown
    assert d.bearing is None and d.count == 3 and d.weapon_class == "artillery"
    assert d.text == "three impacts near the road"
    assert (d.grade.reliability, d.grade.credibility) == ("F", "6")
    assert done.files == [("photo", "1605175500123.jpg")]


def test_post_report_with_bearing_and_distance() -> None:
    done = draft_from_instance(
        instance(
            observer_kind="post",
            post="OP-T1",
            patrol="",
            observer_position="",
            location_method="bearing",
            target="",
            bearing="360",
            bearing_north="true",
            distance_m="4000",
            photo="",
            audio="boom.m4a",
        ),
        BINARY,
        POSTS,
    )
    d = done.draft
    assert (d.observer.kind, d.observer.post, d.observer.lat) == ("post", "OP-T1", None)
    assert d.bearing is not None and d.bearing.deg == 0.0  # 360 is north
    assert done.north is None, "a true bearing is kept as it is"
    assert d.distance is not None and d.distance.m == 4000
    assert d.location is None
    assert done.files == [("audio", "boom.m4a")]


def test_bearing_without_distance_and_defaults() -> None:
    done = draft_from_instance(
        instance(location_method="bearing", target="", bearing="120.5", count="", weapon_class=""),
        BINARY,
    )
    turn = magnetic_declination(39.8123, 46.7512, NOV_12)  # at the patrol's position
    assert done.draft.bearing is not None
    assert done.draft.bearing.deg == pytest.approx(120.5 + turn, abs=0.006)
    assert done.draft.distance is None and done.draft.count == 1
    assert done.draft.weapon_class is None


@pytest.mark.parametrize("north", ["magnetic", "", None], ids=["magnetic", "empty", "absent"])
def test_a_magnetic_bearing_is_stored_from_true_north(north: str | None) -> None:
    """Collect's bearing widget reads magnetic north: so does a form without bearing_north."""
    inst = instance(location_method="bearing", target="", bearing="60")
    values = dict(inst.values)
    if north is not None:
        values["bearing_north"] = north
    done = draft_from_instance(
        Instance("vigil_observation", "1", UUID, None, values, "data"), BINARY
    )
    turn = magnetic_declination(39.8123, 46.7512, NOV_12)
    assert 6.0 < turn < 6.7, "about 6.3 degrees east there in November 2020"
    assert done.north is not None and done.north.magnetic_deg == 60
    assert done.north.declination_deg == pytest.approx(turn)
    assert done.draft.bearing is not None
    assert done.draft.bearing.deg == done.north.true_deg == pytest.approx(60 + turn, abs=0.006)


def test_a_true_bearing_is_kept() -> None:
    inst = instance(location_method="bearing", target="", bearing="60", bearing_north="true")
    done = draft_from_instance(inst, BINARY)
    assert done.draft.bearing is not None and done.draft.bearing.deg == 60
    assert done.north is None


def test_a_magnetic_bearing_from_a_post_is_turned_at_the_post() -> None:
    values = {
        "observer_kind": "post",
        "post": "OP-T1",
        "patrol": "",
        "observer_position": "",
        "location_method": "bearing",
        "target": "",
        "bearing": "358",
        "bearing_north": "magnetic",
    }
    done = draft_from_instance(instance(**values), BINARY, POSTS)
    turn = magnetic_declination(39.8, 46.75, NOV_12)
    assert done.draft.bearing is not None
    assert done.draft.bearing.deg == pytest.approx(358 + turn - 360, abs=0.006), "wraps"
    error = refused(instance(**{**values, "post": "OP-NONE"}))  # no position known for it
    assert fields(error) == ["post"] and "OP-NONE" in error.errors[0].message


def test_an_uploaded_form_without_kind_or_method_is_understood() -> None:
    values = dict(instance().values)
    for name in ("observer_kind", "location_method", "patrol"):
        values.pop(name)
    inst = Instance("mission_form", "1", UUID, None, values, "data")
    d = draft_from_instance(inst, set()).draft
    assert d.observer.kind == "monitor" and d.location is not None
    assert draft_from_instance(inst, set()).files == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"observer_position": "200 46.75 0 5"}, "observer_position"),
        ({"target": "200 46.75 0 0"}, "target"),
        ({"target": "39.8 190"}, "target"),
        ({"target": "39.8"}, "target"),
        ({"target": "north of the road"}, "target"),
        ({"target": "nan 46.7"}, "target"),
        ({"observer_position": "39.8 46.7 0 -3"}, "observer_position"),
        ({"observed_at": "2020-11-12T14:05:00.000"}, "observed_at"),
        ({"observed_at": "yesterday"}, "observed_at"),
        ({"observed_at": ""}, "observed_at"),
        ({"category": ""}, "category"),
        ({"count": "0"}, "count"),
        ({"count": "2.5"}, "count"),
        ({"observer_kind": "satellite"}, "observer_kind"),
        ({"observer_kind": "post", "post": ""}, "post"),
        ({"observer_position": ""}, "observer_position"),
        ({"location_method": "bearing", "bearing": ""}, "bearing"),
        ({"location_method": "bearing", "bearing": "400"}, "bearing"),
        ({"location_method": "bearing", "bearing": "90", "distance_m": "0"}, "distance_m"),
        ({"location_method": "point", "target": ""}, "target"),
        ({"location_method": "", "target": ""}, "target"),
        ({"location_method": "sonar"}, "location_method"),
        ({"location_method": "bearing", "bearing": "90", "bearing_north": "grid"}, "bearing_north"),
        ({"text": "x" * 10_001}, "text"),
    ],
)
def test_bad_values_are_refused_naming_the_form_field(values: dict[str, str], field: str) -> None:
    error = refused(instance(**values))
    assert field in fields(error), error.errors
    assert error.detail.startswith(error.errors[0].field)


def test_latitude_200_message_says_what_is_wrong() -> None:
    error = refused(instance(observer_position="200 46.75 0 5"))
    assert error.errors[0].field == "observer_position"
    assert "latitude 200" in error.errors[0].message


def test_a_time_without_offset_is_refused_clearly() -> None:
    error = refused(instance(observed_at="2020-11-12T14:05:00"))
    assert "UTC offset" in error.errors[0].message


def test_every_bad_field_is_reported_at_once() -> None:
    error = refused(instance(category="", count="0", target="1 2 3 x"))
    assert {"category", "count", "target"} <= set(fields(error))


def test_a_bearing_without_a_place_to_start_from_is_refused() -> None:
    """A monitor's bearing is useless without the monitor's position."""
    error = refused(
        instance(
            observer_kind="monitor",
            observer_position="",
            location_method="bearing",
            target="",
            bearing="90",
        )
    )
    assert fields(error) == ["observer_position"]


def test_a_bad_instance_id_is_refused() -> None:
    inst = instance()
    bad = Instance(inst.form_id, inst.version, "has space", None, inst.values, "data")
    assert fields(refused(bad)) == ["instanceID"]


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("2020-11-12T14:05:00.000+04:00", timedelta(hours=4)),
        ("2020-11-12T14:05:00Z", timedelta(0)),
        ("2020-11-12T14:05:00.123-05:30", -timedelta(hours=5, minutes=30)),
        ("2020-11-12T14:05+04:00", timedelta(hours=4)),
    ],
)
def test_odk_datetimes(raw: str, offset: timedelta) -> None:
    assert parse_odk_datetime(raw).utcoffset() == offset


def test_geopoints() -> None:
    p = parse_geopoint("39.8 46.75 1200 12.5")
    assert (p.lat, p.lon, p.accuracy_m) == (39.8, 46.75, 12.5)
    assert parse_geopoint("39.8 46.75").accuracy_m is None
    assert parse_geopoint("-90 180 0 0").accuracy_m is None


def test_missing_fields_of_an_uploaded_form() -> None:
    full = {"category", "observed_at", "post", "bearing"}
    assert missing_fields(full) == []
    assert missing_fields({"category"}) == [
        "observed_at",
        "observer_position or post",
        "target or bearing",
    ]


# The instance XML -------------------------------------------------------------------------

COLLECT_XML = f"""<?xml version='1.0' ?><data id="vigil_observation" version="20201112000000"
 xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
<category>ceasefire_violation.explosion</category><observed_at>2020-11-12T14:05:00.000+04:00</observed_at>
<grp><observer_position>39.8 46.75 0 5</observer_position></grp><photo>a.jpg</photo><text/>
<orx:meta><orx:instanceID>{UUID}</orx:instanceID><orx:deprecatedID>uuid:old</orx:deprecatedID></orx:meta>
</data>""".encode()


def test_parse_instance_as_collect_sends_it() -> None:
    inst = parse_instance(COLLECT_XML)
    assert (inst.form_id, inst.version, inst.root_tag) == (
        "vigil_observation",
        "20201112000000",
        "data",
    )
    assert (inst.instance_id, inst.deprecated_id) == (UUID, "uuid:old")
    assert inst.values["observer_position"] == "39.8 46.75 0 5"  # inside a group: by local name
    assert inst.values["text"] == "" and inst.values["photo"] == "a.jpg"
    assert "grp" not in inst.values and "meta" not in inst.values


def test_parse_instance_without_namespace_or_version() -> None:
    xml = b'<data id="f"><a>1</a><meta><instanceID>uuid:1</instanceID></meta></data>'
    inst = parse_instance(xml)
    assert (inst.version, inst.instance_id, inst.deprecated_id) == (None, "uuid:1", None)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<data id="f"><text>&lol4;</text><meta><instanceID>uuid:1</instanceID></meta></data>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<data id="f"><text>&xxe;</text><meta><instanceID>uuid:1</instanceID></meta></data>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE data SYSTEM "http://example.org/evil.dtd">
<data id="f"><meta><instanceID>uuid:1</instanceID></meta></data>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, EXTERNAL_DTD], ids=["bomb", "xxe", "dtd"])
def test_xml_attacks_are_refused_before_expanding(payload: bytes) -> None:
    with pytest.raises(VigilError) as caught:
        parse_instance(payload)
    assert caught.value.code == "malformed_xml"
    assert "lol" not in caught.value.detail and "root:" not in caught.value.detail


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"<data id='f'><unclosed></data>", "not well-formed"),
        (b"", "not well-formed"),
        (b"<data><meta><instanceID>uuid:1</instanceID></meta></data>", "id attribute"),
        (b"<data id='f'><meta/></data>", "instanceID"),
        (b"\xff\xfe garbage", "not well-formed"),
    ],
)
def test_malformed_instances(payload: bytes, words: str) -> None:
    with pytest.raises(VigilError) as caught:
        parse_instance(payload)
    assert caught.value.code == "malformed_xml" and words in caught.value.detail
