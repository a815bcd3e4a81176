"""An analyst's rulings on fusion: group, merge, split, detach, pin, unpin.

Each ruling is stored as a decision on observation ids (so it survives incidents being
renumbered or superseded), audited, and applied at once by re-fusing the affected period;
every later fusion run respects it until it is withdrawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.domain.roles import ANALYSTS, INTERNAL
from vigil.errors import VigilError, invalid
from vigil.queries import fusion as fusion_q
from vigil.queries import observations as obs_q
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.fusion import fuse_range
from vigil.store.snapshots import row_values
from vigil.store.tables import Category, FusionDecision, Incident, IncidentObservation

MAX_REASON = 2000


def group(
    session: Session,
    who: Principal | None,
    observation_ids: Sequence[int],
    category: str | None,
    reason: str,
) -> Incident:
    """These observations are one event: the incident that holds them after re-fusion."""
    who = require(who, ANALYSTS)
    ids = sorted(set(observation_ids))
    _known_observations(session, ids)
    if category is not None and session.get(Category, category) is None:
        raise invalid("category", f"unknown category {category!r}", "unknown_category")
    _record(session, who, "merge", None, [ids], reason, category=category)
    return _refuse_and_find(session, who, ids)


def merge(
    session: Session, who: Principal | None, incident_ids: Sequence[int], reason: str
) -> Incident:
    """These incidents are one event."""
    who = require(who, ANALYSTS)
    if len(set(incident_ids)) < 2:
        raise invalid("incident_ids", "name at least two incidents to merge", "invalid_grouping")
    members = sorted({o for i in set(incident_ids) for o in _members(session, i)})
    _record(session, who, "merge", min(incident_ids), [members], reason)
    return _refuse_and_find(session, who, members)


def split(
    session: Session,
    who: Principal | None,
    incident_id: int,
    groups: Sequence[Sequence[int]],
    reason: str,
) -> list[Incident]:
    """An incident is several events: each group of its observations is one."""
    who = require(who, ANALYSTS)
    members = set(_members(session, incident_id))
    parts = [sorted(set(g)) for g in groups if g]
    flat = [o for g in parts for o in g]
    if len(parts) < 2:
        raise invalid("groups", "give at least two groups", "invalid_grouping")
    if len(flat) != len(set(flat)) or set(flat) != members:
        raise invalid(
            "groups",
            "the groups must share out exactly the incident's observations",
            "invalid_grouping",
        )
    _record(session, who, "split", incident_id, parts, reason)
    return [_refuse_and_find(session, who, g) for g in parts]


def detach(
    session: Session,
    who: Principal | None,
    incident_id: int,
    observation_ids: Sequence[int],
    reason: str,
) -> Incident:
    """Some observations do not belong to an incident; the rest stay together."""
    who = require(who, ANALYSTS)
    members = set(_members(session, incident_id))
    leaving = sorted(set(observation_ids))
    if not leaving or not set(leaving) <= members:
        raise invalid("observation_ids", "name observations of this incident", "invalid_grouping")
    rest = sorted(members - set(leaving))
    if not rest:
        raise invalid("observation_ids", "at least one observation must stay", "invalid_grouping")
    _record(session, who, "detach", incident_id, [leaving, rest], reason)
    return _refuse_and_find(session, who, rest)


def pin(
    session: Session,
    who: Principal | None,
    incident_id: int,
    where: tuple[float, float, float],
    reason: str,
) -> Incident:
    """Fix an incident's location (lat, lon, error in metres); fusion keeps it there."""
    who = require(who, ANALYSTS)
    members = _members(session, incident_id)
    lat, lon, error_m = where
    _record(session, who, "pin", incident_id, [members], reason, (lat, lon, error_m))
    return _refuse_and_find(session, who, members)


def unpin(session: Session, who: Principal | None, incident_id: int, reason: str) -> Incident:
    """Withdraw an incident's pins; fusion locates it again."""
    who = require(who, ANALYSTS)
    members = _members(session, incident_id)
    pins = session.scalars(
        select(FusionDecision).where(
            FusionDecision.kind == "pin",
            FusionDecision.incident_id == incident_id,
            FusionDecision.active.is_(True),
        )
    ).all()
    if not pins:
        raise VigilError("state_conflict", f"incident {incident_id} is not pinned")
    audit = Auditor(session, who.actor)
    for d in pins:
        before = row_values(d)
        d.active = False
        d.reason = (d.reason + f" | withdrawn: {reason}")[:MAX_REASON]
        session.flush()
        audit.changed("fusion.unpin", d, before)
    return _refuse_and_find(session, who, members)


def decisions_on(session: Session, who: Principal | None, incident_id: int) -> list[FusionDecision]:
    """The decisions made on an incident or touching its observations."""
    require(who, INTERNAL)
    members = set(_members(session, incident_id, allow_superseded=True))
    out = []
    for d in session.scalars(select(FusionDecision).order_by(FusionDecision.id)):
        groups = orjson.loads(d.groups)
        if d.incident_id == incident_id or members & {o for g in groups for o in g}:
            out.append(d)
    return out


def _known_observations(session: Session, ids: list[int]) -> None:
    if not ids:
        raise invalid("observation_ids", "name at least one observation", "invalid_grouping")
    found = {o.id for o in obs_q.by_ids(session, ids)}
    missing = sorted(set(ids) - found)
    if missing:
        raise invalid("observation_ids", f"no observations {missing[:20]}", "unknown_reference")


def _members(session: Session, incident_id: int, allow_superseded: bool = False) -> list[int]:
    """The observations of an incident that stands (404 if none, 409 if superseded)."""
    if session.get(Incident, incident_id) is None:
        raise VigilError("not_found", f"no incident {incident_id}")
    fusion = fusion_q.fusions_by_id(session, [incident_id]).get(incident_id)
    if fusion is not None and fusion.superseded_by is not None and not allow_superseded:
        raise VigilError(
            "state_conflict", f"incident {incident_id} was superseded by {fusion.superseded_by}"
        )
    rows = session.scalars(
        select(IncidentObservation.observation_id).where(
            IncidentObservation.incident_id == incident_id
        )
    )
    return sorted(rows)


def _record(
    session: Session,
    who: Principal,
    kind: str,
    incident_id: int | None,
    groups: list[list[int]],
    reason: str,
    where: tuple[float, float, float] | None = None,
    category: str | None = None,
) -> FusionDecision:
    if len(reason) > MAX_REASON:
        raise invalid("reason", f"at most {MAX_REASON} characters", "validation_failed")
    row = FusionDecision(
        kind=kind, incident_id=incident_id, groups=orjson.dumps(groups).decode(),
        lat=where[0] if where else None, lon=where[1] if where else None,
        error_m=where[2] if where else None, category=category, reason=reason, active=True,
        created_by=who.user_id, created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(row)
    session.flush()
    Auditor(session, who.actor).created(f"fusion.{kind}", row)
    return row


def _refuse_and_find(session: Session, who: Principal, observation_ids: list[int]) -> Incident:
    """Re-fuse the period of these observations; the incident holding the first of them."""
    reports = fusion_q.reports_by_id(session, observation_ids)
    start = min(r.t0 for r in reports)
    end = max(r.t1 for r in reports)
    t0 = datetime.fromtimestamp(start, UTC) - timedelta(minutes=1)
    t1 = datetime.fromtimestamp(end, UTC) + timedelta(minutes=1)
    fuse_range(session, who, t0, t1, "decision")
    holder = session.scalars(
        select(IncidentObservation.incident_id).where(
            IncidentObservation.observation_id == observation_ids[0]
        )
    ).first()
    if holder is None:
        raise VigilError("state_conflict", "fusion placed these observations in no incident")
    incident = session.get(Incident, holder)
    assert incident is not None
    return incident
