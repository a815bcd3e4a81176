"""The incident page's attribution forms: attribute (party, confidence, evidence) and
withdraw. Each goes through services.attribution, so a refusal (a missing field, a stale
ETag, a superseded incident) changes nothing; the page comes back with the values kept and
each message next to its field."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.domain.attribution import MAX_ID
from vigil.domain.roles import ANALYSTS
from vigil.errors import FieldError, VigilError
from vigil.services import attribution as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.deps import allow, check_csrf, database
from vigil.web.pages.attribution_section import AttributionForm, OtherRow, showing_form
from vigil.web.pages.incidents import render_incident
from vigil.web.pages.review_section import ReviewForm

router = APIRouter(include_in_schema=False)
_INDEX = re.compile(r"^evidence\[(\d+)\]")
MAX_ROWS = 50
IncidentId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/incidents/{incident_id}/attribution", response_class=HTMLResponse)
def attribute(
    request: Request,
    incident_id: IncidentId,
    party: str = Form(""),
    confidence: str = Form(""),
    observation: list[str] = Form([]),
    other_observations: str = Form(""),
    kind: list[str] = Form([]),
    note: list[str] = Form([]),
    reason: str = Form(""),
    etag: str = Form(""),
    csrf_token: str = Form(""),
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> Response:
    """Attribute the incident from its page; a refusal shows the form as sent, with why."""
    check_csrf(request, who, csrf_token)
    rows = tuple(OtherRow(k.strip(), n.strip()) for k, n in zip(kind, note, strict=False))
    rows = tuple(r for r in rows if r.kind or r.note)[:MAX_ROWS]
    checked = frozenset(int(o) for o in observation if o.isdecimal() and len(o) < 20)
    form = AttributionForm(
        party=party, confidence=confidence, observations=checked, rows=rows,
        other_observations=other_observations, reason=reason, action="attribute",
    )  # fmt: skip
    places: list[str] = []
    try:
        items, places = _evidence(observation, other_observations, rows)
        with db.writing() as session:
            service.attribute(
                session, who, incident_id, party, confidence, items, reason, etag or None
            )
    except VigilError as exc:
        shown = replace(form, error=exc, field_errors=_field_errors(exc, places))
        return _again(request, who, db, incident_id, shown, exc.status)
    return RedirectResponse(f"/incidents/{incident_id}#attribution", status_code=303)


@router.post("/incidents/{incident_id}/attribution/withdraw", response_class=HTMLResponse)
def withdraw(
    request: Request,
    incident_id: IncidentId,
    withdraw_reason: str = Form(""),
    etag: str = Form(""),
    csrf_token: str = Form(""),
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> Response:
    """Withdraw the incident's attribution from its page (a reason is required)."""
    check_csrf(request, who, csrf_token)
    try:
        with db.writing() as session:
            service.withdraw(session, who, incident_id, withdraw_reason, etag or None)
    except VigilError as exc:
        errors = {f"withdraw_{e.field}": e.message for e in exc.errors if e.field == "reason"}
        form = AttributionForm(
            withdraw_reason=withdraw_reason, action="withdraw", error=exc, field_errors=errors
        )
        return _again(request, who, db, incident_id, form, exc.status)
    return RedirectResponse(f"/incidents/{incident_id}#attribution", status_code=303)


def _evidence(
    checked: list[str], others: str, rows: tuple[OtherRow, ...]
) -> tuple[list[dict[str, object]], list[str]]:
    """The evidence items in order, and which form field each came from."""
    items: list[dict[str, object]] = []
    places: list[str] = []
    for value in checked:
        if not value.isdecimal():
            raise _field("observations", f"{value[:20]!r} is not an observation id")
        items.append({"kind": "observation", "observation_id": int(value)})
        places.append("observations")
    for value in re.split(r"[\s,;]+", others.strip()) if others.strip() else []:
        if not value.lstrip("#").isdecimal():
            raise _field("other_observations", f"{value[:20]!r} is not an observation id")
        items.append({"kind": "observation", "observation_id": int(value.lstrip("#"))})
        places.append("other_observations")
    for n, row in enumerate(rows):
        items.append({"kind": row.kind, "note": row.note})
        places.append(f"row-{n}")
    return items, places


def _field(name: str, message: str) -> VigilError:
    return VigilError("validation_failed", f"{name}: {message}", [FieldError(name, message)])


def _field_errors(exc: VigilError, places: list[str]) -> dict[str, str]:
    """The service's fields (evidence[3].note) as the form's (row-1)."""
    out: dict[str, str] = {}
    for e in exc.errors:
        found = _INDEX.match(e.field)
        name = e.field
        if found and int(found.group(1)) < len(places):
            name = places[int(found.group(1))]
        out.setdefault(name, e.message)
    return out


def _again(
    request: Request,
    who: Principal,
    db: Database,
    incident_id: int,
    form: AttributionForm,
    status: int,
) -> Response:
    with showing_form(form):
        return render_incident(request, who, db, incident_id, ReviewForm(), status)
