"""Patrol safety: log check-ins, evaluate the safety timer (raising alarms and marking patrols
overdue), acknowledge alarms, record webhook attempts. Every write is audited in the caller's
transaction; a refusal writes nothing."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shapely.geometry import shape
from sqlalchemy.orm import Session

from vigil.domain import safety as rules
from vigil.domain.roles import DUTY_OFFICERS, INTERNAL
from vigil.errors import VigilError, invalid
from vigil.queries import accounts as accounts_q
from vigil.queries import audit as audit_q
from vigil.queries import restrictions as restrictions_q
from vigil.queries import safety as safety_q
from vigil.services import patrols as patrol_service
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import Alarm, AlarmDelivery, CheckIn, Patrol

SKEW_S = 300  # how far ahead of the server's clock a check-in time may be
MAX_NOTE = 2000
MAX_IN_FORCE = 5000


@dataclass(frozen=True)
class Watch:
    """A patrol as the operations room sees it: last sign of life, next check-in due."""

    patrol: Patrol
    last_sign: datetime | None
    due: datetime | None


def check_in(
    session: Session,
    who: Principal | None,
    patrol_id: int,
    kind: str,
    at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> CheckIn:
    """Log a sign of life: a member's button, or a radio call a duty officer took."""
    who = require(who, INTERNAL)
    now = now or datetime.now(UTC)
    at = at or now
    if kind not in rules.CHECK_IN_KINDS:
        raise invalid("kind", f"one of {', '.join(rules.CHECK_IN_KINDS)}")
    if at.tzinfo is None:
        raise invalid("at", "give a time zone, e.g. 2020-11-20T12:00:00Z")
    if at > now + timedelta(seconds=SKEW_S):
        raise invalid("at", "is in the future")
    if len(note) > MAX_NOTE:
        raise invalid("note", f"at most {MAX_NOTE} characters")
    patrol = safety_q.patrol(session, patrol_id)
    if patrol is None:
        raise VigilError("not_found", f"no patrol {patrol_id}")
    _may_check_in(session, who, patrol, kind)
    if patrol.status not in rules.ACTIVE:
        raise VigilError("state_conflict", f"patrol {patrol.code} is {patrol.status}: not out")
    if patrol.started_at is not None and at < patrol.started_at:
        raise invalid("at", f"is before the patrol set out ({patrol.started_at.isoformat()})")
    row = CheckIn(patrol_id=patrol.id, kind=kind, at=at.astimezone(UTC),
                  by_user_id=who.user_id or None, note=note.strip())  # fmt: skip
    session.add(row)
    session.flush()
    Auditor(session, who.actor, now).created(f"check_in.{kind}", row)
    return row


def _may_check_in(session: Session, who: Principal, patrol: Patrol, kind: str) -> None:
    """Radio calls: duty officers, for any patrol. The button: the patrol's own members."""
    if kind == "radio" and who.role not in DUTY_OFFICERS:
        raise VigilError("forbidden", "only the duty officer logs radio check-ins")
    if kind == "button" and not safety_q.is_member(session, patrol.id, who.user_id):
        raise VigilError("forbidden", f"you are not on patrol {patrol.code}")


def evaluate(
    session: Session,
    who: Principal,
    now: datetime,
    forbidden_kinds: Collection[str] = rules.DEFAULT_FORBIDDEN_KINDS,
) -> list[Alarm]:
    """Run the safety timer once at `now`: raise the alarms due, mark patrols overdue."""
    patrols = safety_q.active_patrols(session)
    if not patrols:
        return []
    audit_q.lock_chain(session)  # one evaluation at a time: never the same alarm twice
    ids = [p.id for p in patrols]
    signs = _last_signs(session, ids, now)
    acks = safety_q.last_acknowledged(session, ids)
    open_kinds: dict[int, set[str]] = {}
    for a in safety_q.open_alarms(session, ids):
        open_kinds.setdefault(a.patrol_id, set()).add(a.kind)
    zones = forbidden_zones(session, now, forbidden_kinds)
    raised: list[Alarm] = []
    for p in patrols:
        facts = _facts(p, signs.get(p.id), acks)
        fixes = _fixes(session, p.id, now) if zones else []
        decision = rules.decide(facts, fixes, zones, open_kinds.get(p.id, set()), now)
        raised += [_raise(session, who, p, r, now) for r in decision.alarms]
        if decision.mark_overdue:
            patrol_service.mark_overdue(session, who, p.id, now)
    return raised


def _facts(
    p: Patrol, last_sign: datetime | None, acks: dict[tuple[int, str], datetime]
) -> rules.PatrolFacts:
    acknowledged = {kind: at for (pid, kind), at in acks.items() if pid == p.id}
    return rules.PatrolFacts(p.status, p.planned_end, p.check_in_interval_s, p.started_at,
                             last_sign, acknowledged)  # fmt: skip


def _last_signs(session: Session, ids: Sequence[int], now: datetime) -> dict[int, datetime]:
    """Patrol id -> the latest of its check-ins and position reports."""
    found = safety_q.last_check_ins(session, ids, now)
    for pid, at in safety_q.last_positions(session, ids, now).items():
        found[pid] = max(at, found.get(pid, at))
    return found


def _fixes(session: Session, patrol_id: int, now: datetime) -> list[rules.Fix]:
    start = now - rules.STOP_WINDOW
    rows = safety_q.positions_between(session, patrol_id, start, now)
    return [rules.Fix(r.recorded_at, r.lat, r.lon) for r in rows]


def forbidden_zones(
    session: Session, now: datetime, kinds: Collection[str]
) -> list[rules.ForbiddenZone]:
    """Zones of the forbidden kinds, and the no-access areas in force at `now`."""
    found = [rules.ForbiddenZone(f"{z.kind} {z.code}", shape(z.geometry))
             for z in safety_q.zones_of_kinds(session, kinds)]  # fmt: skip
    for r in restrictions_q.in_force_at(session, now, MAX_IN_FORCE):
        if r.area:
            found.append(rules.ForbiddenZone(f"no-access area (restriction {r.id})", shape(r.area)))
    return found


def _raise(session: Session, who: Principal, p: Patrol, r: rules.Raise, now: datetime) -> Alarm:
    row = Alarm(patrol_id=p.id, kind=r.kind, raised_at=now, detail=r.detail, note="")
    session.add(row)
    session.flush()
    Auditor(session, who.actor, now).created(f"alarm.{r.kind}", row)
    return row


def acknowledge(
    session: Session, who: Principal | None, alarm_id: int, note: str, now: datetime | None = None
) -> Alarm:
    """A duty officer has seen the alarm and is acting on it; twice is a 409."""
    who = require(who, DUTY_OFFICERS)
    now = now or datetime.now(UTC)
    if len(note) > MAX_NOTE:
        raise invalid("note", f"at most {MAX_NOTE} characters")
    row = safety_q.alarm(session, alarm_id, lock=True)
    if row is None:
        raise VigilError("not_found", f"no alarm {alarm_id}")
    if row.acknowledged_at is not None:
        raise VigilError("state_conflict", f"alarm {alarm_id} was acknowledged already")
    before = row_values(row)
    row.acknowledged_at, row.acknowledged_by, row.note = now, who.user_id or None, note.strip()
    session.flush()
    Auditor(session, who.actor, now).changed("alarm.acknowledge", row, before)
    return row


def record_delivery(
    session: Session,
    who: Principal,
    alarm_id: int,
    status_code: int | None,
    error: str,
    now: datetime,
) -> AlarmDelivery:
    """One webhook attempt: delivered (a 2xx) or failed, with why."""
    delivered = status_code is not None and 200 <= status_code < 300 and not error
    outcome = "delivered" if delivered else "failed"
    row = AlarmDelivery(alarm_id=alarm_id, attempted_at=now, outcome=outcome,
                        status_code=status_code, error=error[:2000])  # fmt: skip
    session.add(row)
    session.flush()
    Auditor(session, who.actor, now).created("alarm.delivery", row)
    return row


def alarms(session: Session, who: Principal | None, open_only: bool, limit: int) -> Sequence[Alarm]:
    """Open alarms oldest first, or all (most recent first)."""
    require(who, INTERNAL)
    return safety_q.alarms(session, open_only, limit)


def check_ins(
    session: Session, who: Principal | None, patrol_id: int | None, limit: int
) -> Sequence[CheckIn]:
    """Check-ins most recent first (of one patrol, which must exist)."""
    require(who, INTERNAL)
    if patrol_id is not None and safety_q.patrol(session, patrol_id) is None:
        raise invalid("patrol", f"no patrol {patrol_id}", "unknown_reference")
    return safety_q.check_ins(session, patrol_id, limit)


def watch(session: Session, who: Principal | None, now: datetime) -> list[Watch]:
    """The patrols out now, with their last sign of life and when the next is due."""
    require(who, INTERNAL)
    patrols = safety_q.active_patrols(session)
    ids = [p.id for p in patrols]
    signs = _last_signs(session, ids, now)
    acks = safety_q.last_acknowledged(session, ids)
    return [Watch(p, signs.get(p.id), rules.next_check_in(_facts(p, signs.get(p.id), acks)))
            for p in patrols]  # fmt: skip


def patrol_codes(session: Session, ids: Collection[int]) -> dict[int, str]:
    """Patrol id -> code, for showing alarms and check-ins."""
    return safety_q.patrol_codes(session, set(ids))


def own_patrols(session: Session, who: Principal) -> set[int]:
    """The patrols the caller is on (for the check-in button)."""
    return safety_q.member_patrol_ids(session, who.user_id)


def usernames(session: Session) -> dict[int, str]:
    """User id -> username, for showing who logged or acknowledged."""
    return {u.id: u.username for u in accounts_q.users(session)}
