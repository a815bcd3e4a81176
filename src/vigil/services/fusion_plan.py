"""What a fusion run changes: new clusters matched to the incidents that exist.

Each cluster keeps the identity of the incident it shares most observations with (ties go
to the older incident), so incident numbers stay stable when late reports arrive; clusters
matching nothing become new incidents, and incidents no cluster took are superseded by
the one that holds most of their observations now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from vigil.domain.fusion_model import Cluster
from vigil.queries.fusion import Membership


@dataclass
class Plan:
    """Matched (incident id, cluster), new clusters, and superseded (incident, successor)."""

    matched: list[tuple[int, Cluster]] = field(default_factory=list)
    new: list[Cluster] = field(default_factory=list)
    superseded: list[tuple[int, int | None]] = field(default_factory=list)


def plan(current: Sequence[Membership], clusters: Sequence[Cluster]) -> Plan:
    """Match clusters to incidents one-to-one by shared observations, largest overlap first."""
    by_observation: dict[int, list[int]] = {}
    for m in current:
        for o in m.members:
            by_observation.setdefault(o, []).append(m.incident_id)
    overlaps: list[tuple[int, int, int]] = []  # (-shared, incident id, cluster index)
    for ci, c in enumerate(clusters):
        shared: dict[int, int] = {}
        for o in c.members:
            for i in by_observation.get(o, ()):
                shared[i] = shared.get(i, 0) + 1
        overlaps.extend((-n, i, ci) for i, n in shared.items())
    overlaps.sort()
    out = Plan()
    taken_incidents: set[int] = set()
    cluster_of: dict[int, int] = {}
    for _, incident_id, ci in overlaps:
        if incident_id in taken_incidents or ci in cluster_of:
            continue
        taken_incidents.add(incident_id)
        cluster_of[ci] = incident_id
        out.matched.append((incident_id, clusters[ci]))
    out.new = [c for ci, c in enumerate(clusters) if ci not in cluster_of]
    for m in current:
        if m.incident_id not in taken_incidents:
            out.superseded.append((m.incident_id, _successor(m, clusters, cluster_of)))
    return out


def _successor(
    m: Membership, clusters: Sequence[Cluster], cluster_of: dict[int, int]
) -> int | None:
    """The matched incident now holding most of a superseded incident's observations."""
    best: tuple[int, int] | None = None
    for ci, incident_id in cluster_of.items():
        shared = len(m.members & set(clusters[ci].members))
        if shared and (best is None or (shared, -incident_id) > (best[0], -best[1])):
            best = (shared, incident_id)
    return None if best is None else best[1]


def new_successor(
    m_members: frozenset[int], new_ids: Sequence[int], new: Sequence[Cluster]
) -> int | None:
    """Among newly created incidents, the one holding most of these observations."""
    best: tuple[int, int] | None = None
    for incident_id, c in zip(new_ids, new, strict=True):
        shared = len(m_members & set(c.members))
        if shared and (best is None or shared > best[0]):
            best = (shared, incident_id)
    return None if best is None else best[1]
