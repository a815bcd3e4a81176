"""What the patrol board and a patrol's report show: who and what was on each patrol, its
last signs of life, its status history from the audit log, and what it found (its team's
observations and the restrictions of movement it met, within its window)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain.roles import INTERNAL
from vigil.queries import patrols as patrols_q
from vigil.services.access import Principal, require
from vigil.services.patrols import get
from vigil.store.tables import MovementRestriction, Observation, Patrol, User, Vehicle


@dataclass(frozen=True)
class Crew:
    """A patrol's people (leader first) and vehicles, and its last check-in and position."""

    members: list[tuple[User, str]]
    vehicles: list[Vehicle]
    last_check_in: datetime | None
    last_position: datetime | None

    @property
    def leader(self) -> User | None:
        """The patrol's leader."""
        return next((u for u, r in self.members if r == "leader"), None)


@dataclass(frozen=True)
class Step:
    """One change in the patrol's record: when, by whom, which action, the status after."""

    at: str
    actor: str
    action: str
    status: str | None


@dataclass(frozen=True)
class Report:
    """Everything the report page and GET /patrols/{id}/report show."""

    patrol: Patrol
    crew: Crew
    history: list[Step]
    window: tuple[datetime, datetime]
    observations: Sequence[Observation]
    restrictions: Sequence[MovementRestriction]


def crews(session: Session, rows: Sequence[Patrol]) -> dict[int, Crew]:
    """patrol id -> its crew, for a list of patrols (four queries, whatever the count)."""
    ids = [r.id for r in rows]
    members = patrols_q.members(session, ids)
    vehicles = patrols_q.vehicles(session, ids)
    signs = patrols_q.last_signs(session, ids)
    return {
        i: Crew(members.get(i, []), vehicles.get(i, []), *signs.get(i, (None, None))) for i in ids
    }


def window(row: Patrol, now: datetime) -> tuple[datetime, datetime]:
    """When the patrol was out: set out to back (or now), else its planned window."""
    if row.started_at is None:
        return row.planned_start, row.planned_end
    return row.started_at, row.ended_at or max(now, row.started_at)


def report(
    session: Session, who: Principal | None, patrol_id: int, now: datetime | None = None
) -> Report:
    """A patrol's report (internal roles)."""
    require(who, INTERNAL)
    row = get(session, who, patrol_id)
    crew = crews(session, [row])[row.id]
    start, end = window(row, now or datetime.now(UTC))
    names = {n for n in (row.code, row.name) if n}
    member_ids = [u.id for u, _ in crew.members]
    return Report(
        row,
        crew,
        [_step(e.at, e.actor, e.action, e.after) for e in patrols_q.history(session, row.id)],
        (start, end),
        patrols_q.observations_found(session, names, member_ids, start, end),
        patrols_q.restrictions_found(session, names, start, end),
    )


def _step(at: Any, actor: str, action: str, after: str | None) -> Step:
    status = json.loads(after).get("status") if after else None
    return Step(str(at), actor, action, status)


def current_plan(session: Session, row: Patrol) -> dict[str, Any]:
    """The patrol's plan as a plain dict, the shape a plan is given in (to merge an edit)."""
    crew = crews(session, [row])[row.id]
    return {
        "code": row.code, "name": row.name, "route": row.route,
        "planned_start": row.planned_start, "planned_end": row.planned_end,
        "check_in_interval_s": row.check_in_interval_s, "notified": list(row.notified or []),
        "members": [{"user": u.username, "role": r} for u, r in crew.members],
        "vehicles": [v.code for v in crew.vehicles], "notes": row.notes,
    }  # fmt: skip
