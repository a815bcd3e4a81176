"""The restrictions page: the list with filters, the counts of the chosen period per area,
stated party and kind, and a form to record one (works without JavaScript; a refusal shows
each error beside its field with the values kept, and stores nothing)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from vigil.domain import restrictions as rules
from vigil.domain.roles import INTERNAL, REPORTERS
from vigil.errors import FieldError, VigilError, invalid
from vigil.queries import restrictions as restrictions_q
from vigil.services import restrictions as service
from vigil.services.access import Principal
from vigil.services.map import mission_zone
from vigil.store.db import Database
from vigil.web import cursor
from vigil.web.deps import allow, check_csrf, database
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
FILTER_KEYS = ("from", "to", "kind", "party", "zone", "patrol", "after")
MAX_AREA_CHARS = 500_000


@dataclass(frozen=True)
class Filters:
    """The list's filters as the GET form sends them (days in mission time)."""

    day_from: str = ""
    day_to: str = ""
    kind: str = ""
    party: str = ""
    zone: str = ""
    patrol: str = ""
    after: str = ""

    @classmethod
    def of(cls, query: Any) -> Filters:
        """From query parameters (unknown keys ignored, values trimmed)."""
        got = {k: str(query.get(k, "")).strip()[:100] for k in FILTER_KEYS}
        return cls(got["from"], got["to"], got["kind"], got["party"], got["zone"],
                   got["patrol"], got["after"])  # fmt: skip

    def pairs(self, after: str | None = None) -> list[tuple[str, str]]:
        """Back to query pairs (the cursor replaced when `after` is given)."""
        values = [("from", self.day_from), ("to", self.day_to), ("kind", self.kind),
                  ("party", self.party), ("zone", self.zone), ("patrol", self.patrol),
                  ("after", self.after if after is None else after)]  # fmt: skip
        return [(k, v) for k, v in values if v]

    def period(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """The days as a half-open range of instants."""
        start, end = _day(self.day_from, "from", tz), _day(self.day_to, "to", tz)
        if start and end and end < start:
            raise invalid("to", "the last day is before the first")
        return start, end + timedelta(days=1) if end else None


@dataclass(frozen=True)
class RecordForm:
    """What the reporter typed, kept as text so a refusal shows it back unchanged."""

    client_id: str = ""
    kind: str = ""
    occurred_at: str = ""
    ended_at: str = ""
    lat: str = ""
    lon: str = ""
    place: str = ""
    patrol: str = ""
    stated_party: str = ""
    stated_by: str = ""
    description: str = ""
    area: str = ""


def _day(text: str, field: str, tz: ZoneInfo) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), tz)
    except ValueError as exc:
        raise invalid(field, "a day as YYYY-MM-DD") from exc


def _local(text: str, field: str, tz: ZoneInfo, errors: list[FieldError]) -> datetime | None:
    """A datetime-local value in mission time, or an error beside the field."""
    if not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        errors.append(FieldError(field, "a date and time, e.g. 2020-11-20T10:30"))
        return None
    return when if when.tzinfo else when.replace(tzinfo=tz)


def _number(text: str, field: str, errors: list[FieldError]) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        errors.append(FieldError(field, "a number in decimal degrees"))
        return None


def _body(form: RecordForm, tz: ZoneInfo) -> tuple[dict[str, Any], list[FieldError]]:
    """The draft as the API would receive it, and the errors the fields have on their own."""
    errors: list[FieldError] = []
    area: Any = None
    if form.area.strip():
        try:
            area = json.loads(form.area) if len(form.area) <= MAX_AREA_CHARS else None
        except ValueError:
            errors.append(FieldError("area", "not GeoJSON: paste a Polygon or MultiPolygon"))
        if len(form.area) > MAX_AREA_CHARS:
            errors.append(FieldError("area", "too large"))
        if isinstance(area, dict) and area.get("type") == "Feature":
            area = area.get("geometry")
    occurred = _local(form.occurred_at, "occurred_at", tz, errors)
    if occurred is None and not form.occurred_at.strip():
        errors.append(FieldError("occurred_at", "fill this in"))
    body = {
        "client_id": form.client_id, "kind": form.kind, "occurred_at": occurred,
        "ended_at": _local(form.ended_at, "ended_at", tz, errors),
        "lat": _number(form.lat, "lat", errors), "lon": _number(form.lon, "lon", errors),
        "place": form.place, "patrol": form.patrol, "stated_party": form.stated_party or None,
        "stated_by": form.stated_by, "description": form.description, "area": area,
    }  # fmt: skip
    return body, errors


def _draft(body: dict[str, Any], errors: list[FieldError]) -> rules.RestrictionDraft:
    """The checked draft, or every error at once: the fields' own, then the draft's on the
    other fields (a field that failed to parse is not blamed twice)."""
    try:
        draft = rules.parse_draft(body)
    except VigilError as exc:
        named = {e.field for e in errors}
        errors = errors + [e for e in exc.errors if e.field.split(".")[0] not in named]
        code = exc.code
    else:
        if not errors:
            return draft
        code = "validation_failed"
    raise VigilError(code, f"{errors[0].field}: {errors[0].message}", errors)


def _counts_period(
    session: Session, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime] | None:
    """The period counted: the filter's days, else from the first to the last restriction."""
    if start and end:
        return start, end
    first, last = restrictions_q.span(session)
    if first is None or last is None:
        return None
    return start or first, end or last + timedelta(seconds=1)


def _page(
    request: Request,
    who: Principal,
    db: Database,
    f: Filters,
    form: RecordForm | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    with db.reading() as session:
        tz = mission_zone(session)
        rows: list[Any] = []
        counted = period = None
        error = None
        try:
            start, end = f.period(tz)
            q = service.ListRequest(start, end, f.kind, f.party, f.zone, f.patrol)
            rows = list(
                service.list_restrictions(session, who, q, cursor.decode(f.after), PAGE_SIZE)
            )
            period = _counts_period(session, start, end)
            counted = service.counts(session, who, *period) if period else None
        except VigilError as exc:
            error = exc
            status = max(status, exc.status)
        parties, users = service.names(session)
        more = rows[-1] if len(rows) == PAGE_SIZE else None
        grouped: dict[str, list[str]] = {}
        for e in errors or []:
            grouped.setdefault(e.field.split(".")[0], []).append(e.message)
        context = {
            "who": who, "csrf": who.csrf_token or "", "tz": tz, "f": f, "rows": rows,
            "parties": parties, "party_list": restrictions_q.parties(session), "users": users,
            "zones": [z.code for z in restrictions_q.zones(session)], "kinds": rules.KINDS,
            "counts": counted, "period": period, "error": error,
            "form": form or RecordForm(client_id=f"web-{uuid.uuid4()}"), "errors": grouped,
            "can_record": who.role in REPORTERS, "rules": rules, "same": str,
            "recorded": request.query_params.get("recorded", "")[:12],
            "back": urlencode(f.pairs()),
            "next": urlencode(f.pairs(cursor.encode(more.occurred_at, more.id))) if more else "",
        }  # fmt: skip
        return templates.TemplateResponse(request, "restrictions.html", context, status_code=status)


@router.get("/restrictions", response_class=HTMLResponse)
def restrictions_page(
    request: Request, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> Response:
    """The list, the counts of the period and (for reporters) the form to record one."""
    return _page(request, who, db, Filters.of(request.query_params))


@router.post("/restrictions", response_class=HTMLResponse)
def record(
    request: Request,
    csrf_token: str = Form(""),
    client_id: str = Form(""),
    kind: str = Form(""),
    occurred_at: str = Form(""),
    ended_at: str = Form(""),
    lat: str = Form(""),
    lon: str = Form(""),
    place: str = Form(""),
    patrol: str = Form(""),
    stated_party: str = Form(""),
    stated_by: str = Form(""),
    description: str = Form(""),
    area: str = Form(""),
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
) -> Response:
    """Record a restriction from the form; a refusal shows the form again with why."""
    check_csrf(request, who, csrf_token)
    form = RecordForm(client_id, kind, occurred_at, ended_at, lat, lon, place, patrol,
                      stated_party, stated_by, description, area)  # fmt: skip
    if not form.client_id.strip():
        form = replace(form, client_id=f"web-{uuid.uuid4()}")
    with db.reading() as session:
        tz = mission_zone(session)
    try:
        draft = _draft(*_body(form, tz))
        with db.writing() as session:
            done = service.record(session, who, draft)
    except VigilError as exc:
        found = exc.errors or [FieldError("form", exc.detail)]
        return _page(request, who, db, Filters(), form, found, exc.status)
    return RedirectResponse(f"/restrictions?recorded={done.row.id}", status_code=303)
