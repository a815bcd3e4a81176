"""`fuse_range`: turn the observations of a time range into incidents, and keep them so.

A run reads the observations of the range (with an hour's margin either side, and every
observation of the incidents they belong to), applies the analysts' standing decisions,
fuses, and reconciles the result with the incidents that exist. The same data fused twice
writes nothing the second time; late reports join or create incidents; every write is
audited. The server's worker runs it as observations arrive; `vigil fuse` on demand.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations

import orjson
from sqlalchemy.orm import Session

from vigil.domain.fusion_model import Cluster, Constraints, Report
from vigil.domain.fusion_parallel import fuse_in_parts
from vigil.domain.periods import check_range
from vigil.domain.roles import FUSION_RUNNERS, INTERNAL
from vigil.queries import fusion as fusion_q
from vigil.queries.fusion import Membership
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.fusion_plan import plan
from vigil.services.fusion_write import Pin, apply
from vigil.store.tables import FusionDecision, FusionRun

MARGIN = timedelta(hours=1)
WATERMARK_TRIGGERS = ("auto", "demo")
CONTEXT = timedelta(days=1)  # the shortest period the worker fuses
BACKLOG_STEP = 20_000  # a large import is fused this many observations per check
Tick = Callable[[str, int], None]


@dataclass(frozen=True)
class RunSummary:
    """What one run looked at and changed."""

    run_id: int
    time_from: datetime
    time_to: datetime
    observations: int
    incidents: int
    created: int
    changed: int
    superseded: int
    unchanged: int
    last_observation_id: int


def fuse_range(
    session: Session,
    who: Principal | None,
    time_from: datetime,
    time_to: datetime,
    trigger: str,
    tick: Tick | None = None,
    up_to_id: int | None = None,
) -> RunSummary:
    """Fuse the observations made in [time_from, time_to) and reconcile the incidents;
    `up_to_id` is the newest observation the run answers for (default: the newest)."""
    who = require(who, FUSION_RUNNERS)
    check_range(time_from, time_to, "fuse")
    fusion_q.lock_fusion(session)
    progress = tick or (lambda _stage, _n: None)
    started = datetime.now(UTC)
    reports = fusion_q.reports_between(session, time_from - MARGIN, time_to + MARGIN)
    current = fusion_q.memberships(session, [r.id for r in reports])
    loaded = {r.id for r in reports}
    extra = {o for m in current for o in m.members | m.summaries} - loaded
    reports += fusion_q.reports_by_id(session, extra)
    progress("read", len(reports))
    decisions = touching(fusion_q.active_decisions(session), {r.id for r in reports})
    clusters = fuse_in_parts(reports, constraints_of(decisions), workers=os.cpu_count() or 1)
    progress("fused", len(reports))
    run = FusionRun(
        trigger=trigger, time_from=time_from, time_to=time_to,
        last_observation_id=up_to_id or fusion_q.last_observation_id(session),
        observations=len(reports),
        created=0, changed=0, superseded=0, unchanged=0, started_at=started, finished_at=started,
    )  # fmt: skip
    session.add(run)
    session.flush()
    audit = Auditor(session, who.actor)
    context = {
        "run_id": run.id,
        "now": started,
        "pins": _pins(session, decisions),
        "decision_notes": _notes(decisions),
        "categories": {
            o: d.category for d in decisions if d.category for g in groups_of(d) for o in g
        },
    }
    core, held = _this_runs_share(reports, current, clusters, time_from, time_to)
    outcome = apply(session, audit, held, plan(held, core), context)
    run.created, run.changed = outcome.created, outcome.changed
    run.superseded, run.unchanged = outcome.superseded, outcome.unchanged
    run.finished_at = datetime.now(UTC)
    session.flush()
    audit.created("fusion.run", run)
    progress("written", len(reports))
    return RunSummary(
        run.id, time_from, time_to, len(reports), len(clusters),
        outcome.created, outcome.changed, outcome.superseded, outcome.unchanged,
        run.last_observation_id,
    )  # fmt: skip


def _this_runs_share(
    reports: list[Report],
    current: list[Membership],
    clusters: list[Cluster],
    time_from: datetime,
    time_to: datetime,
) -> tuple[list[Cluster], list[Membership]]:
    """The clusters and incidents this run decides: those with an observation made in its
    range, and, closing over shared observations, every cluster and incident they touch.

    Clusters lying wholly in the margins were fused only to give context; another run, whose
    range they fall in, decides them, so runs over neighbouring periods do not undo each other.
    """
    lo, hi = time_from.timestamp(), time_to.timestamp()
    inside = {r.id for r in reports if lo <= r.t0 < hi}
    cluster_of = {o: k for k, c in enumerate(clusters) for o in (*c.members, *c.summaries)}
    incident_of: dict[int, list[int]] = {}
    for k, m in enumerate(current):
        for o in m.members | m.summaries:
            incident_of.setdefault(o, []).append(k)
    todo = list(inside)
    seen_obs: set[int] = set()
    chosen_c: set[int] = set()
    chosen_m: set[int] = set()
    while todo:
        o = todo.pop()
        if o in seen_obs:
            continue
        seen_obs.add(o)
        ci = cluster_of.get(o)
        if ci is not None and ci not in chosen_c:
            chosen_c.add(ci)
            todo.extend((*clusters[ci].members, *clusters[ci].summaries))
        for mi in incident_of.get(o, ()):
            if mi not in chosen_m:
                chosen_m.add(mi)
                todo.extend(current[mi].members | current[mi].summaries)
    return [clusters[k] for k in sorted(chosen_c)], [current[m] for m in sorted(chosen_m)]


def groups_of(decision: FusionDecision) -> list[list[int]]:
    """The observation id groups a decision stores."""
    return [[int(o) for o in g] for g in orjson.loads(decision.groups)]


def touching(decisions: list[FusionDecision], report_ids: set[int]) -> list[FusionDecision]:
    """The decisions that name any of these reports: the only ones a run over them can
    apply. (Following every pin of the mission to its current incident on every run made each
    run slower with every review.)"""
    return [d for d in decisions if any(o in report_ids for g in groups_of(d) for o in g)]


def constraints_of(decisions: list[FusionDecision]) -> Constraints:
    """Standing decisions as must-link and cannot-link constraints. A pin keeps its reports
    together too: whoever fixed where the event was (an analyst, or a review's finding) took
    its grouping as settled."""
    must: list[tuple[int, ...]] = []
    cannot: set[tuple[int, int]] = set()
    for d in decisions:
        groups = groups_of(d)
        if d.kind in ("merge", "split", "pin"):
            must.extend(tuple(g) for g in groups if len(g) > 1)
        if d.kind in ("split", "detach"):
            for a, b in combinations(groups, 2):
                cannot.update((min(x, y), max(x, y)) for x in a for y in b)
    return Constraints(tuple(must), frozenset(cannot))


def _pins(session: Session, decisions: list[FusionDecision]) -> dict[int, Pin]:
    """The latest pin of each incident, followed to the incident that replaced it."""
    pins: dict[int, Pin] = {}
    for d in decisions:
        if d.kind == "pin" and d.lat is not None and d.lon is not None and d.incident_id:
            note = f"pinned by decision {d.id}" + (f": {d.reason}" if d.reason else "")
            target = _current_incident(session, d.incident_id)
            pins[target] = Pin(d.lat, d.lon, d.error_m or 100.0, note)
    return pins


def _current_incident(session: Session, incident_id: int) -> int:
    """Follow 'superseded by' links to the incident that stands now."""
    seen = {incident_id}
    fusions = fusion_q.fusions_by_id(session, [incident_id])
    while incident_id in fusions and fusions[incident_id].superseded_by is not None:
        incident_id = int(fusions[incident_id].superseded_by or 0)
        if incident_id in seen:
            break
        seen.add(incident_id)
        fusions = fusion_q.fusions_by_id(session, [incident_id])
    return incident_id


def _notes(decisions: list[FusionDecision]) -> dict[int, str]:
    """Observation id -> the text of the latest grouping decision touching it."""
    out: dict[int, str] = {}
    for d in decisions:
        if d.kind == "pin":
            continue
        text = f"{d.kind} by decision {d.id}" + (f": {d.reason}" if d.reason else "")
        for group in groups_of(d):
            for o in group:
                out[o] = text
    return out


def run_row(session: Session, run_id: int) -> FusionRun:
    """A run's row (for the caller that just made it)."""
    row = session.get(FusionRun, run_id)
    assert row is not None
    return row


def latest_runs(session: Session, who: Principal | None, limit: int) -> list[FusionRun]:
    """The latest runs, newest first, for internal roles."""
    require(who, INTERNAL)
    return fusion_q.runs(session, limit)


def fuse_new(session: Session, who: Principal | None, trigger: str) -> RunSummary | None:
    """Fuse the period of the observations recorded since the last such run (None if none).

    Only runs that fuse whatever is new (the worker's, the demo's) move this mark on: a run
    over a chosen period, or after a decision, may leave newer observations unfused."""
    last = fusion_q.last_run(session, WATERMARK_TRIGGERS)
    after = last.last_observation_id if last else 0
    first, latest, newest = fusion_q.observation_span(session, after, BACKLOG_STEP)
    if first is None or latest is None:
        return None
    # at least a day: lone reports are judged against what the other observers reported
    start = min(first, latest - CONTEXT)
    end = latest + timedelta(seconds=1)
    return fuse_range(session, who, start, end, trigger, up_to_id=newest)
