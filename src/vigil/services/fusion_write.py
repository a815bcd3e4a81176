"""Writing a fusion plan: new incidents, changed ones, superseded ones, every change audited.

New incidents are inserted in bulk with reserved ids (a run over a month creates thousands);
a changed incident is written only when something about it really changed, so re-running
fusion over the same data writes nothing and adds nothing to the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from vigil.domain.audit_chain import canonical
from vigil.domain.fusion_model import Cluster
from vigil.queries import fusion as fusion_q
from vigil.queries.fusion import Membership
from vigil.services.audit import Auditor
from vigil.services.fusion_plan import Plan, new_successor
from vigil.store.snapshots import row_values
from vigil.store.tables import Incident, IncidentFusion, IncidentObservation, IncidentSummary


@dataclass(frozen=True)
class Pin:
    """An analyst's fixed location for an incident."""

    lat: float
    lon: float
    error_m: float
    note: str


@dataclass
class Outcome:
    """What a run wrote."""

    created: int = 0
    changed: int = 0
    superseded: int = 0
    unchanged: int = 0


def _when(t: float) -> datetime:
    return datetime.fromtimestamp(round(t), UTC)


def incident_values(c: Cluster, pin: Pin | None, category: str | None) -> dict[str, Any]:
    """The incident columns fusion owns, from a cluster (an analyst's pin or category wins)."""
    fix = c.fix
    values = {
        "category": category or c.category,
        "started_at": _when(c.started_at),
        "ended_at": _when(max(c.ended_at, c.started_at)),
        "lat": fix.lat,
        "lon": fix.lon,
        "ellipse_major_m": fix.major_m,
        "ellipse_minor_m": fix.minor_m,
        "ellipse_angle_deg": fix.angle_deg,
        "count": c.count,
    }
    if pin is not None:
        radius = round(2.4477 * pin.error_m, 1)  # 95 % circle of a round error
        values.update(lat=pin.lat, lon=pin.lon, ellipse_major_m=radius, ellipse_minor_m=radius)
        values["ellipse_angle_deg"] = 0.0
    return values


def fusion_values(c: Cluster, pin: Pin | None, decisions: list[str]) -> dict[str, Any]:
    """The IncidentFusion columns of a cluster (the run id is set apart)."""
    fix = c.fix
    explanation = dict(c.explanation)
    association = dict(explanation.get("association", {}))
    association["decisions"] = list(association.get("decisions", [])) + decisions
    explanation["association"] = association
    if pin is not None:
        explanation["location"] = {**explanation.get("location", {}), "pinned": pin.note}
    cov = fix.cov if pin is None else (pin.error_m**2, 0.0, pin.error_m**2)
    wedge = None
    if fix.wedge is not None and pin is None:
        wedge = canonical({"type": "Polygon", "coordinates": [[list(p) for p in fix.wedge]]})
    return {
        "location_kind": "point" if pin is not None else fix.kind,
        "cov_ee": None if cov is None else round(cov[0], 1),
        "cov_en": None if cov is None else round(cov[1], 1),
        "cov_nn": None if cov is None else round(cov[2], 1),
        "wedge": None if wedge is None else wedge.decode(),
        "existence_p": round(c.existence_p, 2),  # an estimate: finer would only churn
        "alt_events": c.alt_events,
        "explanation": canonical(explanation).decode(),
        "pinned": pin is not None,
        "superseded_by": None,
    }


def apply(
    session: Session,
    audit: Auditor,
    current: Sequence[Membership],
    the_plan: Plan,
    context: Mapping[str, Any],
) -> Outcome:
    """Write the plan; context holds run_id, pins by incident, decisions by observation."""
    out = Outcome()
    members = {m.incident_id: m for m in current}
    incidents = fusion_q.incidents_by_id(session, members)
    fusions = fusion_q.fusions_by_id(session, members)
    for incident_id, cluster in the_plan.matched:
        changed = _update(
            session, audit, incidents[incident_id], fusions.get(incident_id),
            members[incident_id], cluster, context,
        )  # fmt: skip
        out.changed += changed
        out.unchanged += not changed
    new_ids = _create(session, audit, the_plan.new, context)
    out.created = len(new_ids)
    for incident_id, successor in the_plan.superseded:
        if successor is None:
            successor = new_successor(members[incident_id].members, new_ids, the_plan.new)
        _supersede(session, audit, members[incident_id], fusions.get(incident_id), successor)
        out.superseded += 1
    return out


def _category_for(c: Cluster, context: Mapping[str, Any]) -> str | None:
    """The category an analyst gave when grouping these observations, if any."""
    chosen: dict[int, str] = context["categories"]
    given = sorted({chosen[o] for o in c.members if o in chosen})
    return given[0] if len(given) == 1 else None


def _decisions_for(c: Cluster, context: Mapping[str, Any]) -> list[str]:
    notes: dict[int, str] = context["decision_notes"]
    seen = {notes[o] for o in (*c.members, *c.summaries) if o in notes}
    return sorted(seen)


def _create(
    session: Session, audit: Auditor, clusters: Sequence[Cluster], context: Mapping[str, Any]
) -> list[int]:
    """Insert new incidents with their fusion rows and links, in bulk."""
    ids = fusion_q.reserve_incident_ids(session, len(clusters))
    now = context["now"]
    incidents: list[dict[str, Any]] = []
    fusions: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    for incident_id, c in zip(ids, clusters, strict=True):
        incidents.append(
            {
                "id": incident_id, **incident_values(c, None, _category_for(c, context)),
                "status": "reported",
                "attribution_party_id": None, "attribution_confidence": None,
                "attribution_evidence": "", "killed": 0, "injured": 0, "damage": "",
                "summary": "", "created_by": None, "created_at": now,
            }
        )  # fmt: skip
        values = fusion_values(c, None, _decisions_for(c, context))
        fusions.append({"incident_id": incident_id, **values, "run_id": context["run_id"]})
        links.extend({"incident_id": incident_id, "observation_id": o} for o in c.members)
        summaries.extend({"incident_id": incident_id, "observation_id": o} for o in c.summaries)
    for cls, rows in (
        (Incident, incidents),
        (IncidentFusion, fusions),
        (IncidentObservation, links),
        (IncidentSummary, summaries),
    ):
        if rows:
            session.execute(insert(cls), rows)
            audit.created_many("fusion.create", cls, rows)
    return ids


def _update(
    session: Session,
    audit: Auditor,
    incident: Incident,
    fusion: IncidentFusion | None,
    membership: Membership,
    c: Cluster,
    context: Mapping[str, Any],
) -> bool:
    """Bring one incident in line with its cluster; True when anything changed."""
    pin: Pin | None = context["pins"].get(incident.id)
    changed = _relink(
        session, audit, incident.id, IncidentObservation, membership.members, c.members
    )
    changed |= _relink(
        session, audit, incident.id, IncidentSummary, membership.summaries, c.summaries
    )
    wanted = incident_values(c, pin, _category_for(c, context))
    if any(getattr(incident, k) != v for k, v in wanted.items()):
        before = row_values(incident)
        for k, v in wanted.items():
            setattr(incident, k, v)
        session.flush()
        audit.changed("fusion.update", incident, before)
        changed = True
    values = fusion_values(c, pin, _decisions_for(c, context))
    if fusion is None:
        row = IncidentFusion(incident_id=incident.id, **values, run_id=context["run_id"])
        session.add(row)
        session.flush()
        audit.created("fusion.create", row)
        return True
    if changed or any(getattr(fusion, k) != v for k, v in values.items()):
        before = row_values(fusion)
        for k, v in {**values, "run_id": context["run_id"]}.items():
            setattr(fusion, k, v)
        session.flush()
        audit.changed("fusion.update", fusion, before)
        return True
    return False


def _relink(
    session: Session,
    audit: Auditor,
    incident_id: int,
    link: type[IncidentObservation] | type[IncidentSummary],
    old: frozenset[int],
    new: Sequence[int],
) -> bool:
    """Make an incident's links equal to `new`; audited both ways."""
    gone = sorted(old - set(new))
    added = sorted(set(new) - old)
    if gone:
        rows = [{"incident_id": incident_id, "observation_id": o} for o in gone]
        audit.deleted_many("fusion.unlink", link, rows)
        session.execute(
            delete(link).where(link.incident_id == incident_id, link.observation_id.in_(gone))
        )
    if added:
        rows = [{"incident_id": incident_id, "observation_id": o} for o in added]
        session.execute(insert(link), rows)
        audit.created_many("fusion.link", link, rows)
    return bool(gone or added)


def _supersede(
    session: Session,
    audit: Auditor,
    membership: Membership,
    fusion: IncidentFusion | None,
    successor: int | None,
) -> None:
    """An incident no cluster kept: unlink its observations and point to its successor."""
    _relink(session, audit, membership.incident_id, IncidentObservation, membership.members, ())
    _relink(session, audit, membership.incident_id, IncidentSummary, membership.summaries, ())
    if fusion is None:
        fusion = IncidentFusion(
            incident_id=membership.incident_id, location_kind="none", existence_p=0.0,
            alt_events=1, explanation="{}", pinned=False, superseded_by=successor,
        )  # fmt: skip
        session.add(fusion)
        session.flush()
        audit.created("fusion.supersede", fusion)
        return
    before = row_values(fusion)
    fusion.superseded_by = successor
    session.flush()
    audit.changed("fusion.supersede", fusion, before)
