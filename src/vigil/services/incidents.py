"""Incidents: an analyst groups observations of one real event into an incident."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from vigil.domain.roles import INTERNAL
from vigil.errors import VigilError
from vigil.queries import incidents as incidents_q
from vigil.services import fusion_decisions
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import Incident


def create_incident(
    session: Session,
    who: Principal | None,
    observation_ids: Sequence[int],
    category: str | None = None,
    summary: str = "",
) -> Incident:
    """An analyst's grouping: these observations are one event (a standing decision that
    fusion respects), optionally with its category and a summary."""
    row = fusion_decisions.group(session, who, observation_ids, category, "grouped by hand")
    if summary and row.summary != summary:
        before = row_values(row)
        row.summary = summary
        session.flush()
        Auditor(session, who.actor if who else "").changed("incident.summary", row, before)
    return row


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
