"""The compliance page: each provision's status as a whole and per party, with the incidents
behind it, the form that picks the instant and the window, the timeline of deadlines and a
small chart of verified breaches drawn here as inline SVG (no script, no CDN). Times typed
without a zone are taken in the mission's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from vigil.domain.compliance_timeline import Bucket
from vigil.domain.roles import INTERNAL
from vigil.errors import VigilError, invalid
from vigil.services import compliance as service
from vigil.services import reference
from vigil.services.access import Principal
from vigil.services.map import mission_zone
from vigil.store.db import Database
from vigil.web.deps import allow, database
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)
FIELDS = ("as_of", "window_days", "party", "from", "to")
CHART_W, CHART_H = 160, 28
SHOWN_INCIDENTS = 8


@dataclass(frozen=True)
class Form:
    """The form's values as sent (kept when the page comes back with an error)."""

    as_of: str = ""
    window_days: str = str(service.DEFAULT_WINDOW_DAYS)
    party: str = ""
    day_from: str = ""
    day_to: str = ""

    @classmethod
    def of(cls, request: Request) -> Form:
        """From the query string (values trimmed and cut to a sane length)."""
        q = {k: request.query_params.get(k, "").strip()[:100] for k in FIELDS}
        return cls(q["as_of"], q["window_days"] or cls.window_days, q["party"], q["from"], q["to"])

    def ask(self, tz: tzinfo) -> dict[str, Any]:
        """The service's arguments (bad values raise, naming the field)."""
        end = _day(self.day_to, "to", tz)
        return {
            "as_of": _instant(self.as_of, tz),
            "window_days": _whole(self.window_days),
            "date_from": _day(self.day_from, "from", tz),
            "date_to": end + timedelta(days=1) if end else None,
            "party": self.party or None,
        }


def _instant(text: str, tz: tzinfo) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid("as_of", "a date and time, e.g. 2020-11-28T00:00") from exc
    return at if at.tzinfo else at.replace(tzinfo=tz)


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        low, high = service.WINDOW_DAYS
        raise invalid("window_days", f"a whole number of days from {low} to {high}") from exc


def _day(text: str, field: str, tz: tzinfo) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), tz)
    except ValueError as exc:
        raise invalid(field, "a day as YYYY-MM-DD") from exc


def bars(buckets: list[Bucket], top: int) -> list[dict[str, Any]]:
    """The chart's bars: position, height and a label for each bucket (scaled to `top`)."""
    if not buckets:
        return []
    width = CHART_W / len(buckets)
    found = []
    for i, b in enumerate(buckets):
        h = 0.0 if top == 0 else max(1.5, (CHART_H - 2) * b.count / top) if b.count else 0.0
        found.append(
            {"x": round(i * width + 0.5, 1), "w": round(max(width - 1, 1), 1),
             "y": round(CHART_H - h, 1), "h": round(h, 1), "bucket": b}
        )  # fmt: skip
    return found


def _field_of(error: VigilError | None) -> str:
    return error.errors[0].field if error and error.errors else ""


@router.get("/compliance", response_class=HTMLResponse)
def compliance_page(
    request: Request, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> Response:
    """The compliance table as of an instant, with its evidence, timeline and chart."""
    form = Form.of(request)
    error: VigilError | None = None
    view = None
    with db.reading() as session:
        tz = mission_zone(session)
        parties = [p.code for p in reference.parties(session)]
        try:
            view = service.compliance(session, who, **form.ask(tz))
        except VigilError as exc:
            if exc.status >= 500 or exc.code in ("not_authenticated", "forbidden"):
                raise
            error = exc
    series = {s.provision_id: s.buckets for s in view.series} if view else {}
    top = max((b.count for bs in series.values() for b in bs), default=0)
    context: dict[str, Any] = {
        "who": who,
        "tz": tz,
        "form": form,
        "all_parties": parties,
        "view": view,
        "error": error,
        "error_field": _field_of(error),
        "charts": {pid: bars(bs, top) for pid, bs in series.items()},
        "top": top,
        "chart_w": CHART_W,
        "chart_h": CHART_H,
        "shown": SHOWN_INCIDENTS,
    }
    status = error.status if error else 200
    return templates.TemplateResponse(request, "compliance.html", context, status_code=status)
