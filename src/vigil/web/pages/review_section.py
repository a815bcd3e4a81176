"""The Review section of the incident page: status, history, and the form to move it on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain import review as rules
from vigil.domain.roles import ANALYSTS
from vigil.errors import VigilError
from vigil.queries import reviews as reviews_q
from vigil.services import review_queue, reviews
from vigil.services.access import Principal
from vigil.store.tables import Incident, IncidentReview


@dataclass(frozen=True)
class ReviewForm:
    """What the analyst sent (kept when the page comes back with an error) and the outcome."""

    status: str = ""
    reason: str = ""
    moved: str = ""  # the status just reached, shown as a message after the redirect
    error: VigilError | None = None


@dataclass(frozen=True)
class Step:
    """One review step as the page shows it."""

    row: IncidentReview
    who: str

    @property
    def rule(self) -> str:
        """The rule that was met, or why none was needed."""
        check: dict[str, Any] = self.row.check or {}
        if check.get("rule") is None:
            return "no rule needed"
        return str(check.get("rule_text") or f"rule {check['rule']}")


@dataclass(frozen=True)
class Move:
    """A status the incident may move to now, and whether the move needs a reason."""

    status: str
    needs_reason: bool


@dataclass(frozen=True)
class ReviewSection:
    """Everything the Review section draws."""

    status: str
    etag: str
    reviewer: str | None
    steps: list[Step]
    moves: list[Move]
    can_review: bool
    superseded: bool
    form: ReviewForm = field(default_factory=ReviewForm)

    @property
    def stale(self) -> dict[str, Any] | None:
        """Who changed the incident and when, if the analyst's copy was out of date."""
        error = self.form.error
        if error is None or "changed_by" not in error.extra:
            return None
        return error.extra


def review_section(
    session: Session,
    who: Principal,
    incident: Incident,
    successor: int | None,
    form: ReviewForm | None = None,
) -> ReviewSection:
    """The incident's review as it stands, for an internal reader; movable by analysts."""
    rows = reviews.review_history(session, who, incident.id)
    names = reviews_q.user_names(session, [r.reviewed_by for r in rows])
    moves = [
        Move(m.target, rules.reason_needed(m.source, m.target))
        for m in rules.TRANSITIONS
        if m.source == incident.status
    ]
    return ReviewSection(
        status=incident.status,
        etag=reviews.incident_etag(incident),
        reviewer=review_queue.reviewer_names(session, [incident.id]).get(incident.id),
        steps=[Step(r, names.get(r.reviewed_by or 0, "—")) for r in rows],
        moves=moves,
        can_review=who.role in ANALYSTS and successor is None,
        superseded=successor is not None,
        form=form or ReviewForm(),
    )
