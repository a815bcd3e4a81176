"""Incidents: an analyst groups observations of one real event into an incident."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from vigil.domain import incident as rules
from vigil.domain.roles import ANALYSTS, INTERNAL
from vigil.errors import VigilError, invalid
from vigil.queries import incidents as incidents_q
from vigil.queries import observations as obs_q
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.tables import Category, Incident, IncidentObservation, Observation


def create_incident(
    session: Session,
    who: Principal | None,
    observation_ids: Sequence[int],
    category: str | None = None,
    summary: str = "",
) -> Incident:
    """Fuse observations into a new incident (status reported, attribution none)."""
    who = require(who, ANALYSTS)
    ids = list(dict.fromkeys(observation_ids))
    found = obs_q.by_ids(session, ids)
    missing = sorted(set(ids) - {o.id for o in found})
    if missing:
        raise invalid("observation_ids", f"no observations {missing[:20]}", "unknown_reference")
    if category is not None and session.get(Category, category) is None:
        raise invalid("category", f"unknown category {category!r}", "unknown_category")
    est = rules.estimate([_report(o) for o in found])
    row = Incident(
        category=category or est.category,
        status="reported",
        started_at=est.started_at,
        ended_at=est.ended_at,
        lat=est.lat,
        lon=est.lon,
        ellipse_major_m=est.major_m,
        ellipse_minor_m=est.minor_m,
        ellipse_angle_deg=est.angle_deg,
        count=est.count,
        attribution_party_id=None,
        attribution_confidence=None,
        attribution_evidence="",
        killed=0,
        injured=0,
        damage="",
        summary=summary,
        created_by=who.user_id,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    audit = Auditor(session, who.actor)
    audit.created("incident.create", row)
    audit.created_many("incident.link", IncidentObservation, incidents_q.link(session, row.id, ids))
    return row


def _report(o: Observation) -> rules.PointReport:
    """A bearing without a distance locates nothing: it adds time and count only."""
    located = o.lat is not None or o.distance_m is not None
    error = o.location_error_m if o.lat is not None else o.distance_error_m
    return rules.PointReport(
        o.est_lat if located else None,
        o.est_lon if located else None,
        error,
        o.observed_at,
        o.observed_to,
        o.category,
        o.count,
    )


def get_incident(session: Session, who: Principal | None, incident_id: int) -> Incident:
    """One incident, for internal roles."""
    require(who, INTERNAL)
    row = session.get(Incident, incident_id)
    if row is None:
        raise VigilError("not_found", f"no incident {incident_id}")
    return row


def list_incidents(
    session: Session,
    who: Principal | None,
    f: incidents_q.IncidentFilter,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[Incident]:
    """A page of incidents, for internal roles."""
    require(who, INTERNAL)
    return incidents_q.page(session, f, after, limit)
