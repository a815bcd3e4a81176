"""The observation form as an XLSForm built from the taxonomy and the posts, converted to an
XForm with pyxform and written as an .xlsx a mission can adapt and upload again."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vigil.domain.audit_chain import digest
from vigil.domain.taxonomy import WEAPON_CLASSES

FORM_ID = "vigil_observation"
DEFAULT_TITLE = "Vigil observation"
# Bump when the layout below changes: every site then makes a new version of its form.
LAYOUT = 2  # 2: bearing_north (magnetic or true) after the bearing
VERSION_FORMAT = "%Y%m%d%H%M%S"
SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "default",
)
WEAPON_LABELS = {
    "small_arms": "Small arms",
    "heavy_machine_gun": "Heavy machine gun",
    "mortar": "Mortar",
    "artillery": "Artillery",
    "tank": "Tank",
    "rocket_mlrs": "Rocket / MLRS",
    "anti_aircraft": "Anti-aircraft",
    "drone": "Drone",
    "mine_ied": "Mine / IED",
    "unknown": "Unknown",
}
Sheet = list[dict[str, str]]
Workbook = dict[str, Sheet]


@dataclass(frozen=True)
class FormInputs:
    """What the generated form is made from: the title, the taxonomy and the active posts."""

    title: str
    categories: tuple[tuple[str, str], ...]  # (code, label)
    posts: tuple[tuple[str, str], ...]  # (code, name)


def _q(type_: str, name: str, label: str, **more: str) -> dict[str, str]:
    return {"type": type_, "name": name, "label": label, **more}


def _who(has_posts: bool) -> Sheet:
    """Who observed, and from where: a post needs no position, others need one."""
    rows = [
        _q("select_one observer_kind", "observer_kind", "Who observed it?", required="yes"),
    ]
    if has_posts:
        rows.append(
            _q(
                "select_one post",
                "post",
                "Which post?",
                required="yes",
                relevant="${observer_kind} = 'post'",
                appearance="minimal autocomplete",
            )
        )
    rows += [
        _q(
            "text",
            "patrol",
            "Patrol name or call sign",
            relevant="${observer_kind} = 'patrol'",
        ),
        _q(
            "geopoint",
            "observer_position",
            "Where are you?",
            hint="Wait until the accuracy is good, then save the point.",
            required="${observer_kind} != 'post'" if has_posts else "yes",
            required_message="Your position is needed unless you report from a post.",
        ),
    ]
    return rows


def _where() -> Sheet:
    """Where the thing was: a point on the map, or a compass bearing and a distance."""
    return [
        _q(
            "select_one location_method",
            "location_method",
            "How can you locate it?",
            required="yes",
        ),
        _q(
            "geopoint",
            "target",
            "Where was it?",
            hint="Move the map until the cross is on the place.",
            required="yes",
            relevant="${location_method} = 'point'",
            appearance="placement-map",
        ),
        _q(
            "decimal",
            "bearing",
            "Compass bearing to it (degrees)",
            hint="Point the phone towards it and record the compass bearing.",
            required="yes",
            relevant="${location_method} = 'bearing'",
            appearance="bearing",
            constraint=". >= 0 and . <= 360",
            constraint_message="A bearing is between 0 and 360 degrees.",
        ),
        _q(
            "select_one bearing_north",
            "bearing_north",
            "The bearing is from",
            hint="A phone or a hand compass points to magnetic north; Vigil corrects for it.",
            required="yes",
            relevant="${location_method} = 'bearing' and string-length(${bearing}) > 0",
            default="magnetic",
        ),
        _q(
            "decimal",
            "distance_m",
            "Estimated distance (metres), if you can tell",
            relevant="${location_method} = 'bearing'",
            constraint=". > 0 and . <= 200000",
            constraint_message="A distance is more than 0 and at most 200000 metres.",
        ),
    ]


def _what() -> Sheet:
    """What it was, when, how many, and what the monitor adds: text and files."""
    return [
        _q(
            "integer",
            "count",
            "How many?",
            required="yes",
            default="1",
            constraint=". >= 1 and . <= 100000",
            constraint_message="Count at least 1 (at most 100000).",
        ),
        _q("select_one weapon_class", "weapon_class", "Weapon, if known", appearance="minimal"),
        _q("text", "text", "What happened?", appearance="multiline"),
        _q("image", "photo", "Photo"),
        _q("video", "video", "Video"),
        _q("audio", "audio", "Audio recording"),
    ]


def _survey(has_posts: bool) -> Sheet:
    head = [
        _q(
            "select_one category",
            "category",
            "What did you see or hear?",
            hint="Type to search.",
            required="yes",
            appearance="minimal autocomplete",
        ),
        _q(
            "dateTime",
            "observed_at",
            "When?",
            required="yes",
            default="now()",
            constraint="decimal-date-time(.) <= decimal-date-time(now()) + 0.0035",
            constraint_message="The time cannot be in the future.",
        ),
    ]
    return head + _who(has_posts) + _where() + _what()


def _choice(list_name: str, name: str, label: str) -> dict[str, str]:
    return {"list_name": list_name, "name": name, "label": label}


def _choices(inputs: FormInputs) -> Sheet:
    kinds = [("post", "From an observation post")] if inputs.posts else []
    kinds += [("patrol", "On patrol"), ("monitor", "A monitor, elsewhere")]
    rows = [_choice("category", code, label) for code, label in inputs.categories]
    rows += [_choice("observer_kind", name, label) for name, label in kinds]
    rows += [
        _choice("post", code, name if name == code else f"{name} ({code})")
        for code, name in inputs.posts
    ]
    rows += [
        _choice("location_method", "point", "I can mark the place on a map"),
        _choice("location_method", "bearing", "I have a compass bearing"),
        _choice("bearing_north", "magnetic", "Magnetic north (phone or hand compass)"),
        _choice("bearing_north", "true", "True north (map)"),
    ]
    rows += [
        _choice("weapon_class", w, WEAPON_LABELS.get(w, w.replace("_", " ").capitalize()))
        for w in WEAPON_CLASSES
    ]
    return rows


def observation_workbook(inputs: FormInputs, version: str) -> Workbook:
    """The generated observation form as XLSForm sheets (rows of column -> cell)."""
    settings = {
        "form_id": FORM_ID,
        "version": version,
        "form_title": inputs.title or DEFAULT_TITLE,
        "instance_name": "concat(${category}, ' ', ${observed_at})",
    }
    return {
        "survey": _survey(bool(inputs.posts)),
        "choices": _choices(inputs),
        "settings": [settings],
    }


def basis_of(inputs: FormInputs) -> str:
    """SHA-256 of everything the form is made from: equal bases, equal forms."""
    return digest({"layout": LAYOUT, "workbook": observation_workbook(inputs, "")})


def xform_of(workbook: Workbook) -> str:
    """The XForm pyxform makes of the sheets (the main instance's root is named data)."""
    copy: dict[str, Any] = {name: [dict(row) for row in rows] for name, rows in workbook.items()}
    from pyxform.xls2xform import convert  # imported when needed: it is slow to load

    return str(convert(xlsform=copy, form_name="data", warnings=[]).xform)


def _columns(rows: Sheet, first: Sequence[str]) -> list[str]:
    names = [c for c in first if any(c in row for row in rows)]
    for row in rows:
        names += [c for c in row if c not in names]
    return names


def workbook_bytes(workbook: Workbook) -> bytes:
    """The sheets as an .xlsx file, which pyxform (and a person in a spreadsheet) reads back."""
    from openpyxl import Workbook as XlsxBook  # imported when needed: it is slow to load

    book = XlsxBook()
    book.remove(book.active)
    for name, rows in workbook.items():
        sheet = book.create_sheet(name)
        columns = _columns(rows, SURVEY_COLUMNS if name == "survey" else ())
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) or None for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def next_version(now: datetime, taken: Iterable[str]) -> str:
    """The UTC time as YYYYMMDDHHMMSS, one second past the newest such version if needed."""
    candidate = now.astimezone(UTC).replace(microsecond=0)
    stamps = []
    for version in taken:
        if len(version) != 14 or not version.isdigit():
            continue
        try:
            stamps.append(datetime.strptime(version, VERSION_FORMAT).replace(tzinfo=UTC))
        except ValueError:
            continue
    if stamps and max(stamps) >= candidate:
        candidate = max(stamps) + timedelta(seconds=1)
    return candidate.strftime(VERSION_FORMAT)
