"""The patrol board for the operations room (a day's patrols and every one out now, their crews
and last signs of life, buttons to start, complete or abort one, a form to plan one) and a
patrol's report page. Works without JavaScript; a refused plan shows each error beside its
field with what was typed kept, and stores nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.domain import patrols as rules
from vigil.domain.geometry import GeometryError
from vigil.domain.roles import INTERNAL, OPERATIONS, PATROL_RUNNERS
from vigil.errors import FieldError, VigilError
from vigil.formats import geojson
from vigil.queries import accounts as accounts_q
from vigil.queries import patrols as patrols_q
from vigil.queries import restrictions as restrictions_q
from vigil.services import patrol_report
from vigil.services import patrols as service
from vigil.services.access import Principal
from vigil.services.map import mission_zone
from vigil.store.db import Database
from vigil.web.deps import allow, check_csrf, database
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)
EXTRA_MEMBERS = 4  # member rows the form offers besides the leader
MAX_ROUTE_CHARS = 500_000


@dataclass
class PlanForm:
    """What the planner typed, kept as text so a refusal shows it back unchanged."""

    code: str = ""
    name: str = ""
    planned_start: str = ""
    planned_end: str = ""
    interval_min: str = "30"
    route: str = ""
    leader: str = ""
    members: list[tuple[str, str]] = field(default_factory=list)  # (username, role)
    vehicles: list[str] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)
    notes: str = ""

    def rows(self) -> list[tuple[str, str]]:
        """The member rows to show: those given, then empty ones."""
        given = [m for m in self.members if m[0]]
        return given + [("", "member")] * max(EXTRA_MEMBERS - len(given), 1)


def _local(text: str, name: str, tz: ZoneInfo, errors: list[FieldError]) -> datetime | None:
    """A datetime-local value in mission time, or an error beside the field."""
    if not text.strip():
        errors.append(FieldError(name, "fill this in"))
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        errors.append(FieldError(name, "a date and time, e.g. 2020-11-20T08:00"))
        return None
    return when if when.tzinfo else when.replace(tzinfo=tz)


def _route(text: str, errors: list[FieldError]) -> Any:
    """Pasted GeoJSON (a geometry or a Feature), or lines of "lat lon" waypoints."""
    text = text.strip()
    if not text:
        errors.append(FieldError("route", "paste GeoJSON or lines of 'lat lon'"))
        return None
    if len(text) > MAX_ROUTE_CHARS:
        errors.append(FieldError("route", "too large"))
        return None
    if text.startswith("{"):
        try:
            found = json.loads(text)
        except ValueError:
            errors.append(FieldError("route", "not GeoJSON: paste a LineString or MultiPoint"))
            return None
        return found.get("geometry") if found.get("type") == "Feature" else found
    try:
        return rules.waypoints_route(text)
    except GeometryError as exc:
        errors.append(FieldError("route", str(exc)))
        return None


def _plan(form: PlanForm, tz: ZoneInfo) -> rules.PatrolPlan:
    """The checked plan, or every error at once (a field that failed to parse is not blamed
    twice)."""
    errors: list[FieldError] = []
    interval: Any = None
    try:
        interval = round(float(form.interval_min) * 60)
    except ValueError:
        errors.append(FieldError("check_in_interval_s", "a number of minutes"))
    members = [{"user": form.leader, "role": "leader"}] if form.leader else []
    members += [{"user": u, "role": r} for u, r in form.members if u]
    body = {
        "code": form.code, "name": form.name, "route": _route(form.route, errors),
        "planned_start": _local(form.planned_start, "planned_start", tz, errors),
        "planned_end": _local(form.planned_end, "planned_end", tz, errors),
        "check_in_interval_s": interval, "members": members, "vehicles": form.vehicles,
        "notified": form.notified, "notes": form.notes,
    }  # fmt: skip
    if not form.leader:
        errors.append(FieldError("leader", "choose the patrol's leader"))
    try:
        plan = rules.parse_plan(body)
    except VigilError as exc:
        named = {e.field.split(".")[0] for e in errors}
        errors += [e for e in exc.errors if e.field.split(".")[0] not in named]
    if errors:
        raise VigilError("validation_failed", f"{errors[0].field}: {errors[0].message}", errors)
    return plan


def _grouped(errors: list[FieldError]) -> dict[str, list[str]]:
    """Errors by the form field they belong beside."""
    grouped: dict[str, list[str]] = {}
    for e in errors:
        name = e.field.split(".")[0]
        name = "check_in_interval_s" if name == "interval_min" else name
        grouped.setdefault(name, []).append(e.message)
    return grouped


def _board(request: Request, who: Principal, db: Database, day_text: str,
           form: PlanForm | None = None, errors: list[FieldError] | None = None,
           status: int = 200, message: str = "") -> Response:  # fmt: skip
    with db.reading() as session:
        tz = mission_zone(session)
        try:
            day = date.fromisoformat(day_text) if day_text else datetime.now(tz).date()
        except ValueError:
            day, message, status = datetime.now(tz).date(), "day: give YYYY-MM-DD", 422
        start, end = service.day_window(session, day)
        q = service.ListRequest(start, end, active_too=True)
        rows = service.list_patrols(session, who, q)
        context = {
            "who": who, "csrf": who.csrf_token or "", "tz": tz, "day": day.isoformat(),
            "rows": rows, "crews": patrol_report.crews(session, rows), "rules": rules,
            "can_plan": who.role in OPERATIONS, "can_run": who.role in PATROL_RUNNERS,
            "users": [u for u in accounts_q.users(session)
                      if u.role != "party_liaison" and not u.disabled],
            "vehicles": patrols_q.all_vehicles(session), "parties": patrols_q.parties(session),
            "form": form or PlanForm(), "errors": _grouped(errors or []), "message": message,
            "done": request.query_params.get("done", "")[:80],
        }  # fmt: skip
        return templates.TemplateResponse(request, "patrols.html", context, status_code=status)


@router.get("/patrols", response_class=HTMLResponse)
def board(
    request: Request, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> Response:
    """The patrol board: the day's patrols and every one out now."""
    return _board(request, who, db, request.query_params.get("day", "")[:10])


@router.post("/patrols", response_class=HTMLResponse)
def plan(
    request: Request,
    csrf_token: str = Form(""),
    day: str = Form(""),
    code: str = Form(""),
    name: str = Form(""),
    planned_start: str = Form(""),
    planned_end: str = Form(""),
    interval_min: str = Form(""),
    route: str = Form(""),
    leader: str = Form(""),
    member: list[str] = Form([]),
    member_role: list[str] = Form([]),
    vehicles: list[str] = Form([]),
    notified: list[str] = Form([]),
    notes: str = Form(""),
    who: Principal = allow(OPERATIONS),
    db: Database = Depends(database),
) -> Response:
    """Plan a patrol from the form; a refusal shows the form again with why."""
    check_csrf(request, who, csrf_token)
    form = PlanForm(
        code.strip(), name.strip(), planned_start.strip(), planned_end.strip(),
        interval_min.strip() or "30", route, leader.strip(),
        [(u.strip(), r) for u, r in zip(member, member_role, strict=False)][:30],
        vehicles[:20], notified[:20], notes,
    )  # fmt: skip
    with db.reading() as session:
        tz = mission_zone(session)
    try:
        draft = _plan(form, tz)
        with db.writing() as session:
            row = service.plan(session, who, draft)
            day = row.planned_start.astimezone(tz).date().isoformat()
    except VigilError as exc:
        found = exc.errors or [FieldError("form", exc.detail)]
        if exc.status == 409 and exc.errors:
            found = [FieldError(e.field, exc.detail) for e in exc.errors]
        return _board(request, who, db, day[:10], form, found, exc.status)
    return RedirectResponse(f"/patrols?day={day}&done=planned+{row.code}", status_code=303)


@router.post("/patrols/{patrol_id}/{action}", response_class=HTMLResponse)
def step(
    request: Request,
    patrol_id: int,
    action: str,
    csrf_token: str = Form(""),
    reason: str = Form(""),
    day: str = Form(""),
    who: Principal = allow(PATROL_RUNNERS),
    db: Database = Depends(database),
) -> Response:
    """Start, complete or abort a patrol from its button; a refusal shows why on the board."""
    check_csrf(request, who, csrf_token)
    if action not in ("start", "complete", "abort"):
        raise VigilError("not_found", f"no action {action!r}")
    try:
        with db.writing() as session:
            if action == "abort":
                row = service.abort(session, who, patrol_id, reason)
            else:
                row = getattr(service, action)(session, who, patrol_id)
            said = f"{row.code} {rules.status_label(row.status).lower()}"
    except VigilError as exc:
        return _board(request, who, db, day[:10], status=exc.status, message=exc.detail)
    back = f"day={day[:10]}&" if day else ""
    return RedirectResponse(f"/patrols?{back}done={said.replace(' ', '+')}", status_code=303)


@router.get("/patrols/{patrol_id}", response_class=HTMLResponse)
def report_page(
    request: Request,
    patrol_id: int,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> Response:
    """A patrol's report: route on a map, crew, vehicles, status history, what it found."""
    with db.reading() as session:
        tz = mission_zone(session)
        r = patrol_report.report(session, who, patrol_id)
        features = _features(session, r)
        context = {
            "who": who, "csrf": who.csrf_token or "", "tz": tz, "r": r, "p": r.patrol,
            "rules": rules, "features": features, "can_run": who.role in PATROL_RUNNERS,
            "stamp": lambda text: _parse_at(text),
        }  # fmt: skip
        return templates.TemplateResponse(request, "patrol.html", context)


def _features(session: Any, r: patrol_report.Report) -> dict[str, Any]:
    """What the report's map draws: zones, the route, what the patrol found."""
    found = [
        geojson.feature({"type": "Point", "coordinates": [o.est_lon, o.est_lat]},
                        {"layer": "observation", "category": o.category,
                         "at": o.observed_at.isoformat()})
        for o in r.observations if o.est_lat is not None and o.est_lon is not None
    ] + [
        geojson.feature({"type": "Point", "coordinates": [x.lon, x.lat]},
                        {"layer": "restriction", "kind": x.kind, "at": x.occurred_at.isoformat()})
        for x in r.restrictions
    ]  # fmt: skip
    route = geojson.feature(r.patrol.route, {"layer": "route", "code": r.patrol.code})
    zones = geojson.zone_features(restrictions_q.zones(session))
    return geojson.collection([*zones, route, *found])


def _parse_at(text: str) -> datetime | None:
    """An audit event's time (ISO, Z) as a datetime for the `when` filter."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
