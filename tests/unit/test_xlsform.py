"""The observation form generated with pyxform, and uploaded XLSForms checked and converted."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from vigil.domain.taxonomy import DEFAULT_CATEGORIES, WEAPON_CLASSES
from vigil.errors import VigilError
from vigil.formats import xlsform
from vigil.formats.xform_instance import binary_fields, xform_info
from vigil.formats.xlsform_upload import read_upload

NS = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml"}
CATEGORIES = tuple((c.code, c.label) for c in DEFAULT_CATEGORIES)
POSTS = (("OP-1", "Hill 512"), ("OP-2", "Bridge"))
INPUTS = xlsform.FormInputs("Mission to the line", CATEGORIES, POSTS)


def choices(xform: str, list_name: str) -> list[tuple[str, str]]:
    """(name, label) of a select's choices, read from the XForm's secondary instance."""
    root = ElementTree.fromstring(xform)
    inst = root.find(f".//x:model/x:instance[@id='{list_name}']", NS)
    assert inst is not None, f"no choice list {list_name}"
    return [
        (item.findtext("x:name", namespaces=NS), item.findtext("x:label", namespaces=NS))
        for item in inst.iter(f"{{{NS['x']}}}item")
    ]


def binds(xform: str) -> dict[str, dict[str, str]]:
    root = ElementTree.fromstring(xform)
    return {
        b.get("nodeset", "").rsplit("/", 1)[-1]: dict(b.attrib)
        for b in root.iter(f"{{{NS['x']}}}bind")
    }


@pytest.fixture(scope="module")
def generated() -> str:
    return xlsform.xform_of(xlsform.observation_workbook(INPUTS, "20201112000000"))


def test_generated_form_identity_and_fields(generated: str) -> None:
    info = xform_info(generated)
    assert (info.form_id, info.version, info.title) == (
        "vigil_observation",
        "20201112000000",
        "Mission to the line",
    )
    expected = {
        "category": "string",
        "observed_at": "dateTime",
        "observer_kind": "string",
        "post": "string",
        "patrol": "string",
        "observer_position": "geopoint",
        "location_method": "string",
        "target": "geopoint",
        "bearing": "decimal",
        "bearing_north": "string",
        "distance_m": "decimal",
        "count": "int",
        "weapon_class": "string",
        "text": "string",
        "photo": "binary",
        "video": "binary",
        "audio": "binary",
        "instanceID": "string",
    }
    assert {k: v for k, v in info.fields.items() if k != "instanceName"} == expected
    assert binary_fields(generated) == {"photo", "video", "audio"}


def test_choices_are_the_taxonomy_posts_and_weapon_classes(generated: str) -> None:
    assert choices(generated, "category") == list(CATEGORIES)
    assert choices(generated, "post") == [("OP-1", "Hill 512 (OP-1)"), ("OP-2", "Bridge (OP-2)")]
    assert [n for n, _ in choices(generated, "weapon_class")] == list(WEAPON_CLASSES)
    assert [n for n, _ in choices(generated, "observer_kind")] == ["post", "patrol", "monitor"]
    assert [n for n, _ in choices(generated, "location_method")] == ["point", "bearing"]
    assert choices(generated, "bearing_north") == [
        ("magnetic", "Magnetic north (phone or hand compass)"),
        ("true", "True north (map)"),
    ]


def test_rules_a_monitor_meets(generated: str) -> None:
    b = binds(generated)
    assert b["observed_at"]["required"] == "true()"
    assert "/data/observer_kind" in b["post"]["relevant"] and "'post'" in b["post"]["relevant"]
    assert "!= 'post'" in b["observer_position"]["required"]
    assert "'point'" in b["target"]["relevant"] and "'bearing'" in b["bearing"]["relevant"]
    assert b["bearing"]["constraint"] == ". >= 0 and . <= 360"
    north = b["bearing_north"]
    assert (
        "'bearing'" in north["relevant"] and "string-length( /data/bearing )" in north["relevant"]
    )
    assert north["required"] == "true()"
    assert b["count"]["constraint"].startswith(". >= 1")
    messages = [v for attrs in b.values() for k, v in attrs.items() if k.endswith("constraintMsg")]
    assert len(messages) >= 4
    root = ElementTree.fromstring(generated)
    body = {e.get("ref", "").rsplit("/", 1)[-1]: e for e in root.find("h:body", NS)}
    assert body["bearing"].get("appearance") == "bearing"
    assert body["target"].get("appearance") == "placement-map"
    assert body["photo"].get("mediatype") == "image/*"
    setvalue = root.find(".//x:setvalue", NS)
    assert setvalue is not None and setvalue.get("value") == "now()"
    assert root.find(".//x:instance/x:data/x:count", NS).text == "1"
    assert root.find(".//x:instance/x:data/x:bearing_north", NS).text == "magnetic"
    order = list(body)
    assert order.index("bearing_north") == order.index("bearing") + 1, "right after the bearing"
    label = body["bearing"].find("x:label", NS)
    assert label is not None and "Compass bearing" in (label.text or "")


def test_without_posts_there_is_no_post_question() -> None:
    xform = xlsform.xform_of(
        xlsform.observation_workbook(xlsform.FormInputs("", CATEGORIES, ()), "1")
    )
    info = xform_info(xform)
    assert "post" not in info.fields and info.title == xlsform.DEFAULT_TITLE
    assert [n for n, _ in choices(xform, "observer_kind")] == ["patrol", "monitor"]
    assert binds(xform)["observer_position"]["required"] == "true()"


def test_basis_changes_with_taxonomy_and_posts_only() -> None:
    basis = xlsform.basis_of(INPUTS)
    assert xlsform.basis_of(xlsform.FormInputs(INPUTS.title, CATEGORIES, POSTS)) == basis
    more_posts = xlsform.FormInputs(INPUTS.title, CATEGORIES, (*POSTS, ("OP-3", "Ford")))
    more_cats = xlsform.FormInputs(INPUTS.title, (*CATEGORIES, ("other", "Other")), POSTS)
    relabelled = xlsform.FormInputs(INPUTS.title, (("other", "Something else"),), POSTS)
    bases = {xlsform.basis_of(i) for i in (INPUTS, more_posts, more_cats, relabelled)}
    assert len(bases) == 4


def test_xlsform_download_converts_back_to_the_same_xform(generated: str) -> None:
    data = xlsform.workbook_bytes(xlsform.observation_workbook(INPUTS, "20201112000000"))
    again = convert(xlsform=data, form_name="data", file_type=".xlsx").xform
    assert again == generated
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["survey", "choices", "settings"]
    assert [c.value for c in book["survey"][1]][:3] == ["type", "name", "label"]


def test_versions_increase_even_within_a_second() -> None:
    now = datetime(2020, 11, 12, 14, 5, 7, 900_000, tzinfo=UTC)
    assert xlsform.next_version(now, []) == "20201112140507"
    assert xlsform.next_version(now, ["20201112140507"]) == "20201112140508"
    assert xlsform.next_version(now, ["20201112140507", "20201112140508"]) == "20201112140509"
    assert xlsform.next_version(now, ["20301231235959"]) == "20310101000000"  # clock went back
    assert xlsform.next_version(now, ["v2", "2020111214"]) == "20201112140507"


# Uploads -----------------------------------------------------------------------------------


def book_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SURVEY = [
    ["type", "name", "label"],
    ["text", "category", "What"],
    ["dateTime", "observed_at", "When"],
    ["geopoint", "observer_position", "Where are you"],
    ["decimal", "bearing", "Bearing"],
    ["image", "picture", "Photo"],
]


def mission_form(version: object = "7", survey: list[list[object]] | None = None) -> bytes:
    settings = [["form_id", "form_title", "version"], ["mission_form", "Our form", version]]
    return book_bytes({"survey": survey or SURVEY, "settings": settings})


def test_upload_of_a_good_form() -> None:
    up = read_upload(mission_form(), lambda form_id: pytest.fail("has a version"))
    assert (up.info.form_id, up.info.version, up.info.title) == ("mission_form", "7", "Our form")
    assert binary_fields(up.xform) == {"picture"}


def test_a_numeric_version_cell_reads_as_pyxform_reads_it() -> None:
    up = read_upload(mission_form(version=2024010101.0), lambda f: "x")
    assert up.info.version == "2024010101"


def test_upload_without_version_gets_one_written_into_the_workbook() -> None:
    asked = []
    data = book_bytes(
        {"survey": SURVEY, "settings": [["form_id", "form_title"], ["mission_form", "Ours"]]}
    )
    up = read_upload(data, lambda form_id: asked.append(form_id) or "20201112000000")
    assert asked == ["mission_form"] and up.info.version == "20201112000000"
    again = read_upload(up.xlsform, lambda form_id: pytest.fail("the workbook has it now"))
    assert again.xform == up.xform


def invalid(data: bytes, code: str = "invalid_form") -> VigilError:
    with pytest.raises(VigilError) as caught:
        read_upload(data, lambda form_id: "1")
    assert caught.value.code == code, caught.value
    return caught.value


def test_missing_fields_are_named() -> None:
    survey = [row for row in SURVEY if row[1] not in ("observer_position", "bearing")]
    error = invalid(mission_form(survey=survey))
    assert [e.field for e in error.errors] == ["observer_position or post", "target or bearing"]
    assert "observer_position or post" in error.detail


def test_a_mapped_field_of_the_wrong_type_is_named() -> None:
    survey = [["text", "observed_at", "When"] if r[1] == "observed_at" else r for r in SURVEY]
    error = invalid(mission_form(survey=survey))
    assert [e.field for e in error.errors] == ["observed_at"]


def test_pyxform_errors_come_back_in_its_words() -> None:
    error = invalid(mission_form(survey=[*SURVEY, ["select_one nowhere", "kind", "Kind"]]))
    assert error.detail.startswith("pyxform cannot convert the form:")
    assert "choices" in error.detail and "Traceback" not in error.detail
    bogus = invalid(mission_form(survey=[*SURVEY, ["bogus", "x", "X"]]))
    assert "bogus" in bogus.detail


def test_a_form_without_form_id_is_refused() -> None:
    error = invalid(book_bytes({"survey": SURVEY}))
    assert [e.field for e in error.errors] == ["settings.form_id"]


def test_a_bad_version_is_refused() -> None:
    error = invalid(mission_form(version="one two/three"))
    assert [e.field for e in error.errors] == ["settings.version"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"garbage bytes, not a workbook", "unsupported_file_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old .xls", "unsupported_file_type"),
        (b"PK\x03\x04 but not a zip at all", "invalid_form"),
    ],
)
def test_bytes_that_are_not_an_xlsx(data: bytes, code: str) -> None:
    invalid(data, code)


def test_a_zip_that_is_not_a_workbook() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    error = invalid(out.getvalue())
    assert "cannot be read" in error.detail


def test_a_zip_bomb_is_refused_before_unpacking() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert len(out.getvalue()) < 100_000
    invalid(out.getvalue(), "file_refused")
