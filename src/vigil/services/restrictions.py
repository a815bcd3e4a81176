"""Restrictions of movement: record one (idempotent by client id), end it when access
reopens, list and count them, and the no-access areas in force at an instant. Every write is
audited in the caller's transaction; a refusal writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain import restrictions as rules
from vigil.domain.periods import check_range
from vigil.domain.restrictions import RestrictionDraft
from vigil.domain.roles import INTERNAL, REPORTERS
from vigil.errors import FieldError, VigilError, invalid
from vigil.queries import accounts as accounts_q
from vigil.queries import restrictions as restrictions_q
from vigil.queries.restrictions import NONE, RestrictionFilter
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import MovementRestriction

MAX_IN_FORCE = 5000
SKEW_S = 300  # how far ahead a clock may run before a time counts as "in the future"


@dataclass(frozen=True)
class Recorded:
    """A restriction as stored, and whether this call created it (False: a retry)."""

    row: MovementRestriction
    created: bool


@dataclass(frozen=True)
class ListRequest:
    """A list's filters as people and scripts give them (codes, not ids)."""

    time_from: datetime | None = None
    time_to: datetime | None = None
    kind: str | None = None
    party: str | None = None  # a party code, or "none" for not stated
    zone: str | None = None  # a zone code, or "none" for outside any zone
    patrol: str | None = None


def record(
    session: Session,
    who: Principal | None,
    draft: RestrictionDraft,
    now: datetime | None = None,
    skew_s: int = SKEW_S,
) -> Recorded:
    """Store a reported restriction; an identical retry returns the stored one."""
    who = require(who, REPORTERS)
    now = now or datetime.now(UTC)
    party_id = _party_id(session, draft.stated_party)
    errors = rules.time_errors(draft.occurred_at, draft.ended_at, now, skew_s)
    if errors:
        raise VigilError("validation_failed", f"{errors[0].field}: {errors[0].message}", errors)
    stored = restrictions_q.by_client_id(session, draft.client_id)
    if stored is not None:
        return Recorded(_same_or_conflict(session, stored, draft), False)
    row = MovementRestriction(
        client_id=draft.client_id, kind=draft.kind, occurred_at=_utc(draft.occurred_at),
        ended_at=_utc(draft.ended_at), lat=draft.lat, lon=draft.lon, place=draft.place,
        zone_code=_zone_code(session, draft.lat, draft.lon), patrol=draft.patrol,
        stated_party_id=party_id, stated_by=draft.stated_by, description=draft.description,
        area=draft.area, reported_by=who.user_id or None, reported_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    Auditor(session, who.actor, now).created("restriction.record", row)
    return Recorded(row, True)


def record_all(
    session: Session, who: Principal | None, bodies: Sequence[dict[str, Any]], now: datetime
) -> list[Recorded]:
    """Record many reports as given (the demo's), each checked as any other."""
    return [record(session, who, rules.parse_draft(b), now) for b in bodies]


def end(
    session: Session,
    who: Principal | None,
    restriction_id: int,
    ended_at: datetime,
    now: datetime | None = None,
    skew_s: int = SKEW_S,
) -> MovementRestriction:
    """Say when a restriction ended (access reopened); audited. Ending twice is refused."""
    who = require(who, REPORTERS)
    now = now or datetime.now(UTC)
    row = restrictions_q.lock(session, restriction_id)
    if row is None:
        raise VigilError("not_found", f"no restriction {restriction_id}")
    if row.ended_at is not None:
        raise VigilError(
            "state_conflict", f"restriction {restriction_id} already ended at {row.ended_at}"
        )
    errors = rules.end_errors(row.occurred_at, ended_at, now, skew_s)
    if errors:
        raise VigilError("validation_failed", f"{errors[0].field}: {errors[0].message}", errors)
    before = row_values(row)
    row.ended_at = _utc(ended_at)
    session.flush()
    Auditor(session, who.actor, now).changed("restriction.end", row, before)
    return row


def get(session: Session, who: Principal | None, restriction_id: int) -> MovementRestriction:
    """One restriction (internal roles; 404 when there is none)."""
    require(who, INTERNAL)
    row = session.get(MovementRestriction, restriction_id)
    if row is None:
        raise VigilError("not_found", f"no restriction {restriction_id}")
    return row


def list_restrictions(
    session: Session,
    who: Principal | None,
    q: ListRequest,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[MovementRestriction]:
    """Restrictions in time order, filtered (an unknown kind or party code is a 422)."""
    require(who, INTERNAL)
    return restrictions_q.page(session, _filter(session, q), after, limit)


def counts(
    session: Session, who: Principal | None, time_from: datetime, time_to: datetime
) -> rules.Counts:
    """Restrictions that occurred in [from, to): per area, per stated party, per kind."""
    require(who, INTERNAL)
    check_range(time_from, time_to, "count")
    facts = [rules.Fact(*f) for f in restrictions_q.facts(session, time_from, time_to)]
    return rules.count(facts)


def no_access_areas(
    session: Session, who: Principal | None, at: datetime
) -> list[MovementRestriction]:
    """Restrictions with an area in force at the instant `at`."""
    require(who, INTERNAL)
    if at.tzinfo is None:
        raise invalid("at", "give a time zone, e.g. 2020-11-20T12:00:00Z")
    rows = restrictions_q.in_force_at(session, at, MAX_IN_FORCE)
    return [r for r in rows if r.area]


def on_map(
    session: Session, who: Principal | None, start: datetime, end: datetime
) -> list[MovementRestriction]:
    """What the map of a day shows: restrictions that occurred that day, or lasted into it
    (an ended one, or an open no-access area)."""
    require(who, INTERNAL)
    rows = restrictions_q.in_force(session, start, end, MAX_IN_FORCE)
    return [r for r in rows if r.occurred_at >= start or r.ended_at is not None or r.area]


def names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """(party id -> code, user id -> username) for showing restrictions."""
    users = {u.id: u.username for u in accounts_q.users(session)}
    return restrictions_q.party_codes(session), users


def _utc(when: datetime | None) -> datetime | None:
    """Times are stored in UTC, as the audit log records them."""
    return when.astimezone(UTC) if when is not None else None


def _party_id(session: Session, code: str | None, field: str = "stated_party") -> int | None:
    """The stated party's id; an unknown code is refused, none stays none."""
    if code is None:
        return None
    party = restrictions_q.party_by_code(session, code)
    if party is None:
        raise invalid(field, f"no party {code!r}", "unknown_reference")
    return party.id


def _zone_code(session: Session, lat: float, lon: float) -> str | None:
    """The most specific zone the point lies in, found now and stored with the row."""
    shapes = [rules.ZoneShape(z.code, z.kind, z.geometry) for z in restrictions_q.zones(session)]
    return rules.zone_for(lat, lon, shapes)


def _content(draft: RestrictionDraft) -> dict[str, Any]:
    """What a retry must repeat, with times in UTC so offsets do not matter."""
    data = draft.model_dump(mode="json")
    for name in ("occurred_at", "ended_at"):
        value = getattr(draft, name)
        data[name] = value.astimezone(UTC).isoformat() if value is not None else None
    return data


def _same_or_conflict(
    session: Session, row: MovementRestriction, draft: RestrictionDraft
) -> MovementRestriction:
    """The stored row if the draft repeats it (a retry may omit an end set later), else 409."""
    codes = restrictions_q.party_codes(session)
    stored = RestrictionDraft.model_construct(
        client_id=row.client_id, kind=row.kind, occurred_at=row.occurred_at,
        ended_at=row.ended_at if draft.ended_at is not None else None, lat=row.lat, lon=row.lon,
        place=row.place, patrol=row.patrol, stated_party=codes.get(row.stated_party_id or 0),
        stated_by=row.stated_by, description=row.description, area=row.area,
    )  # fmt: skip
    if _content(stored) != _content(draft):
        raise VigilError(
            "idempotency_conflict",
            f"client id {draft.client_id!r} was stored before with different content",
            [FieldError("client_id", "differs from the stored restriction")],
        )
    return row


def _filter(session: Session, q: ListRequest) -> RestrictionFilter:
    """Codes to ids, each checked."""
    if q.time_from is not None and q.time_to is not None:
        check_range(q.time_from, q.time_to, "list")
    if q.kind and q.kind not in rules.KINDS:
        raise invalid("kind", f"one of {', '.join(rules.KINDS)}")
    if q.zone and q.zone != NONE and q.zone not in {z.code for z in restrictions_q.zones(session)}:
        raise invalid("zone", f"no zone {q.zone!r}", "unknown_reference")
    party_id = None
    if q.party and q.party != NONE:
        party_id = _party_id(session, q.party, "party")
    return RestrictionFilter(
        q.time_from, q.time_to, q.kind or None, party_id, q.party == NONE, q.zone or None,
        q.patrol or None,
    )  # fmt: skip
