"""The review pages: the queue, oldest first, with filters and bulk actions, and the move of
one incident from its page. Every write goes through services.reviews / review_queue, so a
refusal (stale ETag, illegal move, policy not met) changes nothing and says why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from vigil.domain import review as rules
from vigil.domain.confidence import Confidence
from vigil.domain.roles import ADMINS, ANALYSTS
from vigil.errors import FieldError, VigilError, invalid
from vigil.queries import accounts as accounts_q
from vigil.services import geography, review_queue, reviews, sources
from vigil.services.access import Principal
from vigil.services.map import mission_zone
from vigil.store.db import Database
from vigil.store.tables import Incident, Zone
from vigil.web import cursor
from vigil.web.deps import allow, check_csrf, database
from vigil.web.pages.incidents import render_incident
from vigil.web.pages.render import templates
from vigil.web.pages.review_section import ReviewForm

router = APIRouter(include_in_schema=False)
QUEUE_READERS = ANALYSTS | ADMINS
PAGE_SIZE = 100
FILTER_KEYS = ("status", "reviewer", "category", "zone", "from", "to", "after")


@dataclass(frozen=True)
class Filters:
    """The queue's filters as the GET form sends them (days are in mission time)."""

    statuses: tuple[str, ...] = review_queue.OPEN_STATES
    reviewer: str = ""  # "" anyone, "me", or a user name
    category: str = ""
    zone: str = ""  # a zone's code
    day_from: str = ""
    day_to: str = ""
    after: str = ""

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Filters:
        """From query pairs (unknown keys ignored, values trimmed)."""
        got: dict[str, list[str]] = {}
        for key, value in pairs:
            if key in FILTER_KEYS and value.strip():
                got.setdefault(key, []).append(value.strip()[:100])
        one = {k: v[0] for k, v in got.items()}
        return cls(
            statuses=tuple(got.get("status", [])) or review_queue.OPEN_STATES,
            reviewer=one.get("reviewer", ""),
            category=one.get("category", ""),
            zone=one.get("zone", ""),
            day_from=one.get("from", ""),
            day_to=one.get("to", ""),
            after=one.get("after", ""),
        )

    def pairs(self, after: str | None = None) -> list[tuple[str, str]]:
        """Back to query pairs (the cursor replaced when `after` is given)."""
        out = [("status", s) for s in self.statuses]
        out += [("reviewer", self.reviewer), ("category", self.category), ("zone", self.zone)]
        out += [("from", self.day_from), ("to", self.day_to)]
        out.append(("after", self.after if after is None else after))
        return [(k, v) for k, v in out if v]

    def request(self, tz: ZoneInfo) -> review_queue.QueueRequest:
        """What the queue service is asked (a day that is not YYYY-MM-DD is refused)."""
        start = _day(self.day_from, "from", tz)
        end = _day(self.day_to, "to", tz)
        if start and end and end < start:
            raise invalid("to", "the last day is before the first")
        return review_queue.QueueRequest(
            reviewer=self.reviewer or None,
            statuses=self.statuses,
            category=self.category or None,
            zone=self.zone or None,
            time_from=start,
            time_to=end + timedelta(days=1) if end else None,
        )


def _day(text: str, field: str, tz: ZoneInfo) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), time(), tz)
    except ValueError as exc:
        raise invalid(field, "a day as YYYY-MM-DD") from exc


@dataclass(frozen=True)
class Row:
    """One incident in the queue."""

    incident: Incident
    etag: str
    reviewer: str | None
    confidence: Confidence

    @property
    def reports(self) -> int:
        """Reports counted by the confidence (members and covering summaries)."""
        return sum(len(s.reports) for s in self.confidence.sources)


@dataclass(frozen=True)
class Bulk:
    """What the analyst sent with the bulk form (kept when the page comes back)."""

    selected: frozenset[int] = frozenset()
    status: str = ""
    reason: str = ""
    reviewer: str = ""
    partial: bool = False


def _rows(session: Session, who: Principal, f: Filters, tz: ZoneInfo) -> list[Row]:
    found = review_queue.review_queue(
        session, who, f.request(tz), cursor.decode(f.after), PAGE_SIZE
    )
    names = review_queue.reviewer_names(session, [i.id for i in found])
    return [
        Row(
            i,
            reviews.incident_etag(i),
            names.get(i.id),
            sources.incident_confidence(session, who, i.id),
        )
        for i in found
    ]


def _reviewers(session: Session) -> list[str]:
    """Who may be assigned: active analysts and the head of mission."""
    roles = {r.value for r in ANALYSTS}
    return [u.username for u in accounts_q.users(session) if not u.disabled and u.role in roles]


def _queue_page(
    request: Request,
    who: Principal,
    db: Database,
    f: Filters,
    bulk: Bulk | None = None,
    error: VigilError | None = None,
    message: str = "",
    refused: Sequence[FieldError] = (),
) -> Response:
    """The queue with its filters and bulk form; a bad filter shows the message, no rows."""
    with db.reading() as session:
        tz = mission_zone(session)
        rows: list[Row] = []
        try:
            rows = _rows(session, who, f, tz)
        except VigilError as exc:
            error = error or exc
        more = rows[-1] if len(rows) == PAGE_SIZE else None
        context: dict[str, Any] = {
            "who": who,
            "csrf": who.csrf_token or "",
            "tz": tz,
            "f": f,
            "rows": rows,
            "states": rules.STATES,
            "reviewers": _reviewers(session),
            "zones": geography.list_of(session, who, Zone),
            "bulk": bulk or Bulk(),
            "can_act": who.role in ANALYSTS,
            "error": error,
            "message": message,
            "refused": refused,
            "back": urlencode(f.pairs()),
            "next": urlencode(f.pairs(cursor.encode(more.incident.started_at, more.incident.id)))
            if more
            else "",
        }
        status = error.status if error else 200
        return templates.TemplateResponse(request, "review.html", context, status_code=status)


def _message(request: Request) -> str:
    """The outcome of the last bulk action, named in the redirect's query."""
    q = request.query_params
    count = q.get("done", "")
    if not count.isdigit():
        return ""
    n = f"{count} incident{'' if count == '1' else 's'}"
    if q.get("moved") in rules.STATES:
        return f"Moved {n} to {q['moved'].replace('_', ' ')}."
    if q.get("assigned"):
        return f"Assigned {n} to {q['assigned'][:64]}."
    return ""


@router.get("/review", response_class=HTMLResponse)
def queue_page(
    request: Request, who: Principal = allow(QUEUE_READERS), db: Database = Depends(database)
) -> Response:
    """The review queue, oldest first, with filters; analysts select rows to act on."""
    f = Filters.of(request.query_params.multi_items())
    return _queue_page(request, who, db, f, message=_message(request))


@router.post("/review", response_class=HTMLResponse)
def bulk_action(
    request: Request,
    incident: list[int] = Form([]),
    etag: list[str] = Form([]),
    action: str = Form(""),
    status: str = Form(""),
    reason: str = Form(""),
    reviewer: str = Form(""),
    partial: bool = Form(False),
    back: str = Form(""),
    csrf_token: str = Form(""),
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> Response:
    """Move or assign the selected incidents: all of them or none, each refusal named; or,
    with `partial`, move those the rules allow and list the others."""
    check_csrf(request, who, csrf_token)
    f = Filters.of(parse_qsl(back))
    bulk = Bulk(frozenset(incident), status, reason, reviewer, partial)
    refused: list[FieldError] = []
    etags = dict(e.partition(":")[::2] for e in etag)
    try:
        with db.writing() as session:
            if action == "assign":
                review_queue.assign_reviewer(session, who, incident, reviewer)
                done = [("assigned", reviewer)]
            elif action == "status":
                items = [(i, etags.get(str(i))) for i in incident]
                outcome = reviews.bulk_review(session, who, items, status, reason, partial)
                refused = outcome.refused
                done = [("moved", status)]
            else:
                raise invalid("action", "choose to change the status or to assign a reviewer")
    except VigilError as exc:
        return _queue_page(request, who, db, f, bulk, exc)
    moved = len(set(incident)) - len(refused)
    if refused:
        n = f"{moved} incident{'' if moved == 1 else 's'}"
        message = f"Moved {n} to {status.replace('_', ' ')}; {len(refused)} left as they are:"
        return _queue_page(
            request, who, db, f, Bulk(partial=True), message=message, refused=refused
        )
    query = urlencode([*f.pairs(), ("done", str(moved)), *done])
    return RedirectResponse(f"/review?{query}", status_code=303)


@router.post("/incidents/{incident_id}/review", response_class=HTMLResponse)
def review_one(
    request: Request,
    incident_id: int,
    status: str = Form(""),
    reason: str = Form(""),
    etag: str = Form(""),
    csrf_token: str = Form(""),
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> Response:
    """Move one incident from its page; a refusal shows the page as it is now, with why."""
    check_csrf(request, who, csrf_token)
    try:
        with db.writing() as session:
            reviews.review_incident(session, who, incident_id, status, reason, etag or None)
    except VigilError as exc:
        form = ReviewForm(status=status, reason=reason, error=exc)
        return render_incident(request, who, db, incident_id, form, exc.status)
    target = urlencode({"reviewed": status})
    return RedirectResponse(f"/incidents/{incident_id}?{target}#review", status_code=303)
