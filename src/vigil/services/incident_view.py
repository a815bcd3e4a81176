"""The incident page: one incident, the observations behind it, and why fusion grouped and
placed them as it did, so an analyst (or a sceptic) can check every step."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from vigil.domain.confidence import Confidence
from vigil.domain.roles import INTERNAL
from vigil.errors import VigilError
from vigil.queries import incidents as incidents_q
from vigil.queries import observations as obs_q
from vigil.queries.common import list_all
from vigil.services.access import Principal, require
from vigil.services.evidence import Attached, evidence_for
from vigil.services.map import mission_zone
from vigil.services.sources import incident_confidence
from vigil.store.tables import Observation, Post, Zone

# The sections fusion writes, in the order a reader needs them, and the keys each leads with.
SECTION_ORDER = ("association", "location", "time")
LEADING_KEYS = {
    "association": ("reports", "observers", "score", "alternative", "links", "decisions"),
    "location": ("kind", "method", "chi2", "dof", "note", "residuals"),
    "time": ("from", "to", "note"),
}
LEADING_COLUMNS = ("a", "b", "client_id", "what", "dt_s", "time_z", "space", "space_z")


@dataclass(frozen=True)
class ObservationLine:
    """One observation of the incident: a member, or a multi-count report that covers it."""

    observation: Observation
    post: str | None
    role: str  # member | summary
    evidence: tuple[Attached, ...] = ()  # photos, videos, sound files sent with it


@dataclass(frozen=True)
class Table:
    """A list of records from the explanation (links, residuals, ...) as rows and columns."""

    key: str
    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Section:
    """One part of the explanation: single facts, plain lists and tables, each by its key."""

    key: str
    facts: list[tuple[str, Any]]
    lists: list[tuple[str, list[Any]]]
    tables: list[Table]


@dataclass(frozen=True)
class IncidentView:
    """Everything the incident page shows; `raw_explanation` is set only when the stored
    explanation could not be read as a JSON object, so it is shown as it is."""

    fused: incidents_q.FusedIncident
    location_kind: str
    observations: list[ObservationLine]
    explanation: list[Section]
    raw_explanation: str | None
    successor: int | None
    predecessors: list[int]
    timezone: ZoneInfo
    zones: Sequence[Zone]
    posts: list[Post]
    post_codes: dict[int, str]
    confidence: Confidence | None = None  # how sure, from the reports' grades (sources.py)

    @property
    def client_anchors(self) -> dict[str, int]:
        """Client id -> observation id, to link the explanation to the observations table."""
        return {line.observation.client_id: line.observation.id for line in self.observations}


def incident_view(session: Session, who: Principal | None, incident_id: int) -> IncidentView:
    """One incident as its page shows it, for internal roles."""
    require(who, INTERNAL)
    found = incidents_q.fused(session, incident_id)
    if found is None:
        raise VigilError("not_found", f"no incident {incident_id}")
    codes = obs_q.post_codes(session)
    lines = _lines(session, found, codes)
    files = evidence_for(session, who, [line.observation.id for line in lines])
    lines = [replace(line, evidence=tuple(files.get(line.observation.id, ()))) for line in lines]
    sections, raw = explanation_sections(found.fusion.explanation if found.fusion else None)
    post_ids = {line.observation.post_id for line in lines}
    fusion = found.fusion
    return IncidentView(
        fused=found,
        location_kind=_kind(found),
        observations=lines,
        explanation=sections,
        raw_explanation=raw,
        successor=fusion.superseded_by if fusion is not None else None,
        predecessors=incidents_q.superseded_ids(session, incident_id),
        timezone=mission_zone(session),
        zones=list_all(session, Zone, Zone.id),
        posts=[p for p in list_all(session, Post, Post.code) if p.id in post_ids],
        post_codes=codes,
        confidence=incident_confidence(session, who, incident_id),
    )


def _kind(found: incidents_q.FusedIncident) -> str:
    """As fusion recorded it; without a fusion record, a point when it has a position."""
    if found.fusion is not None:
        return found.fusion.location_kind
    return "point" if found.incident.lat is not None else "none"


def _lines(
    session: Session, found: incidents_q.FusedIncident, codes: dict[int, str]
) -> list[ObservationLine]:
    """Members and covering summaries in time order; a report in both counts as a member."""
    roles = {obs_id: "summary" for obs_id, _ in found.summaries}
    roles.update({obs_id: "member" for obs_id, _ in found.members})
    rows = obs_q.by_ids(session, list(roles))
    rows.sort(key=lambda o: (o.observed_at, o.id))
    return [
        ObservationLine(o, codes.get(o.post_id) if o.post_id else None, roles[o.id]) for o in rows
    ]


def explanation_sections(text: str | None) -> tuple[list[Section], str | None]:
    """The stored explanation as sections; (no sections, the text) when it is not a JSON
    object, so a malformed or future explanation is shown rather than breaking the page."""
    if not text:
        return [], None
    try:
        parsed = json.loads(text)
    except ValueError:
        return [], text
    if not isinstance(parsed, dict):
        return [], text
    keys = [k for k in SECTION_ORDER if k in parsed] + [
        k for k in parsed if k not in SECTION_ORDER and isinstance(parsed[k], dict)
    ]
    sections = [_section(k, parsed[k]) for k in keys]
    loose = {k: v for k, v in parsed.items() if k not in keys}
    if loose:
        sections.append(_section("other", loose))
    return [s for s in sections if s.facts or s.lists or s.tables], None


def _section(key: str, body: Any) -> Section:
    """Facts, lists and tables of one section; anything that is not an object is one fact."""
    if not isinstance(body, dict):
        return Section(key, [(key, body)], [], [])
    facts: list[tuple[str, Any]] = []
    lists: list[tuple[str, list[Any]]] = []
    tables: list[Table] = []
    leading = LEADING_KEYS.get(key, ())
    for name in [k for k in leading if k in body] + [k for k in body if k not in leading]:
        value = body[name]
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.append(Table(name, _columns(value), value))
        elif isinstance(value, list) and not (value and all(_short(v) for v in value)):
            lists.append((name, value))  # sentences (or nothing): one per line
        else:
            facts.append((name, value))  # a value, or a few words (observers): on one line
    return Section(key, facts, lists, tables)


def _short(value: Any) -> bool:
    """A number or a few words, e.g. an observer's code."""
    return isinstance(value, int | float) or (isinstance(value, str) and len(value) <= 32)


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of the rows, the usual ones first, the rest as they first appear."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(str(k) for k in row))
    return [c for c in LEADING_COLUMNS if c in seen] + [c for c in seen if c not in LEADING_COLUMNS]
