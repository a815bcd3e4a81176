"""SQL of fusion: the reports of a time range, the incidents they belong to, the analysts'
decisions, and the runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from vigil.domain.fusion_model import Report
from vigil.store.tables import (
    Base,
    FusionDecision,
    FusionRun,
    Incident,
    IncidentFusion,
    IncidentObservation,
    IncidentSummary,
    Observation,
    Post,
)

_REPORT_COLUMNS = (
    Observation.id,
    Observation.client_id,
    Observation.post_id,
    Observation.observer_name,
    Observation.observer_kind,
    Observation.submitted_by,
    Observation.observer_lat,
    Observation.observer_lon,
    Observation.observed_at,
    Observation.observed_to,
    Observation.time_uncertainty_s,
    Observation.category,
    Observation.count,
    Observation.bearing_deg,
    Observation.bearing_error_deg,
    Observation.distance_m,
    Observation.distance_error_m,
    Observation.lat,
    Observation.lon,
    Observation.location_error_m,
    Observation.reliability,
)


@dataclass(frozen=True)
class Membership:
    """An active incident and the observations it holds now."""

    incident_id: int
    members: frozenset[int]
    summaries: frozenset[int]


def _posts(session: Session) -> dict[int, tuple[str, str]]:
    return {p.id: (p.code, p.kind) for p in session.scalars(select(Post))}


def _report(row: Any, posts: dict[int, tuple[str, str]]) -> Report:
    """An observation as fusion sees it; the observer is the post, else the named observer."""
    if row.post_id is not None and row.post_id in posts:
        observer, kind = posts[row.post_id]
    else:
        observer = row.observer_name or f"user:{row.submitted_by}"
        kind = row.observer_kind
    return Report(
        id=row.id,
        client_id=row.client_id,
        observer=observer,
        observer_kind=kind,
        observer_lat=row.observer_lat,
        observer_lon=row.observer_lon,
        t0=row.observed_at.timestamp(),
        t1=(row.observed_to or row.observed_at).timestamp(),
        time_sigma_s=row.time_uncertainty_s,
        category=row.category,
        count=row.count,
        bearing_deg=row.bearing_deg,
        bearing_sigma_deg=row.bearing_error_deg,
        distance_m=row.distance_m,
        distance_sigma_m=row.distance_error_m,
        lat=row.lat,
        lon=row.lon,
        location_sigma_m=row.location_error_m,
        reliability=row.reliability,
    )


def reports_between(session: Session, time_from: datetime, time_to: datetime) -> list[Report]:
    """Every observation made in [time_from, time_to), as a report; observations an edit
    replaced are left out (their replacement stands for them)."""
    posts = _posts(session)
    rows = session.execute(
        select(*_REPORT_COLUMNS)
        .where(
            Observation.observed_at >= time_from,
            Observation.observed_at < time_to,
            Observation.status != "replaced",
        )
        .execution_options(yield_per=5000)
    )
    return [_report(r, posts) for r in rows]


def reports_by_id(session: Session, ids: Iterable[int]) -> list[Report]:
    """The observations with these ids, as reports."""
    posts = _posts(session)
    wanted = sorted(set(ids))
    out = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.execute(select(*_REPORT_COLUMNS).where(Observation.id.in_(chunk)))
        out.extend(_report(r, posts) for r in rows)
    return out


def memberships(session: Session, observation_ids: Sequence[int]) -> list[Membership]:
    """The active (not superseded) incidents holding any of these observations."""
    incident_ids: set[int] = set()
    for start in range(0, len(observation_ids), 500):
        chunk = list(observation_ids[start : start + 500])
        for link in (IncidentObservation, IncidentSummary):
            incident_ids.update(
                session.scalars(
                    select(link.incident_id).where(link.observation_id.in_(chunk))
                ).all()
            )
    superseded = set(
        session.scalars(
            select(IncidentFusion.incident_id).where(IncidentFusion.superseded_by.is_not(None))
        ).all()
    )
    active = sorted(incident_ids - superseded)
    members = _links(session, IncidentObservation, active)
    summaries = _links(session, IncidentSummary, active)
    return [
        Membership(i, frozenset(members.get(i, ())), frozenset(summaries.get(i, ())))
        for i in active
    ]


def _links(session: Session, link: type[Base], incident_ids: Sequence[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(incident_ids), 500):
        chunk = list(incident_ids[start : start + 500])
        rows = session.execute(
            select(link.incident_id, link.observation_id).where(  # type: ignore[attr-defined]
                link.incident_id.in_(chunk)  # type: ignore[attr-defined]
            )
        )
        for incident_id, observation_id in rows:
            out[incident_id].add(observation_id)
    return out


def active_decisions(session: Session) -> list[FusionDecision]:
    """Every analyst decision still in force, oldest first."""
    query = select(FusionDecision).where(FusionDecision.active.is_(True))
    return list(session.scalars(query.order_by(FusionDecision.id)))


def incidents_by_id(session: Session, ids: Iterable[int]) -> dict[int, Incident]:
    """Incident rows by id."""
    wanted = sorted(set(ids))
    out: dict[int, Incident] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        out.update(
            {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(chunk)))}
        )
    return out


def fusions_by_id(session: Session, ids: Iterable[int]) -> dict[int, IncidentFusion]:
    """IncidentFusion rows by incident id."""
    wanted = sorted(set(ids))
    out: dict[int, IncidentFusion] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.scalars(select(IncidentFusion).where(IncidentFusion.incident_id.in_(chunk)))
        out.update({f.incident_id: f for f in rows})
    return out


def reserve_incident_ids(session: Session, n: int) -> list[int]:
    """Reserve n incident ids (see queries.observations.insert_many for why)."""
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        draw = text(
            "SELECT nextval(pg_get_serial_sequence('incident', 'id')) FROM generate_series(1, :n)"
        )
        return list(session.scalars(draw, {"n": n}))
    start = int(session.scalar(select(func.coalesce(func.max(Incident.id), 0))) or 0)
    return list(range(start + 1, start + n + 1))


def last_observation_id(session: Session) -> int:
    """The newest observation id (0 when there is none)."""
    return int(session.scalar(select(func.coalesce(func.max(Observation.id), 0))) or 0)


def observation_span(
    session: Session, after_id: int, limit: int
) -> tuple[datetime | None, datetime | None, int]:
    """Earliest and latest time of the (at most `limit`) observations next after an id, and
    the last of their ids."""
    batch = (
        select(Observation.observed_at, Observation.observed_to, Observation.id)
        .where(Observation.id > after_id)
        .order_by(Observation.id)
        .limit(limit)
        .subquery()
    )
    row = session.execute(
        select(
            func.min(batch.c.observed_at),
            func.max(func.coalesce(batch.c.observed_to, batch.c.observed_at)),
            func.max(batch.c.id),
        )
    ).one()
    return row[0], row[1], int(row[2] or after_id)


def last_run(session: Session, triggers: Sequence[str]) -> FusionRun | None:
    """The latest fusion run made by one of these triggers."""
    query = select(FusionRun).where(FusionRun.trigger.in_(list(triggers)))
    return session.scalars(query.order_by(FusionRun.id.desc()).limit(1)).first()


def runs(session: Session, limit: int) -> list[FusionRun]:
    """The latest fusion runs, newest first."""
    return list(session.scalars(select(FusionRun).order_by(FusionRun.id.desc()).limit(limit)))


def summary_links(
    session: Session, incident_ids: Sequence[int]
) -> dict[int, list[tuple[int, str]]]:
    """Incident id -> [(observation id, client id)] of the multi-count reports covering it."""
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for start in range(0, len(incident_ids), 500):
        chunk = list(incident_ids[start : start + 500])
        rows = session.execute(
            select(IncidentSummary.incident_id, Observation.id, Observation.client_id)
            .join(Observation, Observation.id == IncidentSummary.observation_id)
            .where(IncidentSummary.incident_id.in_(chunk))
            .order_by(IncidentSummary.incident_id, Observation.id)
        )
        for incident_id, obs_id, client_id in rows:
            out[incident_id].append((obs_id, client_id))
    return out


FUSION_LOCK = 7_271_001  # PostgreSQL advisory lock key: one fusion at a time


def lock_fusion(session: Session) -> None:
    """Serialise fusion runs (SQLite writers are serialised by the database already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FUSION_LOCK})
