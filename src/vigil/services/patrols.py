"""Patrols: plan one, edit its plan, start, complete or abort it, list and show them, register
vehicles, and say which patrols are out (the tracking and safety code asks). Every write is
audited in the caller's transaction; a refusal writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain import patrols as rules
from vigil.domain.patrols import PatrolPlan
from vigil.domain.roles import INTERNAL, OPERATIONS, PATROL_RUNNERS, Role
from vigil.errors import FieldError, VigilError, invalid
from vigil.queries import patrols as patrols_q
from vigil.queries.patrols import PatrolFilter
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.map import mission_zone
from vigil.store.snapshots import row_values
from vigil.store.tables import Patrol, PatrolMember, PatrolVehicle, User, Vehicle

SKEW_S = 300  # how far ahead a clock may run before a time counts as "in the future"
MAX_LIST = 1000


@dataclass(frozen=True)
class ListRequest:
    """A list's filters: a mission day as an instant range, a status, a member's username."""

    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None
    member: str | None = None
    active_too: bool = False


def day_window(session: Session, day: date) -> tuple[datetime, datetime]:
    """A mission day (in the mission's time zone) as a half-open range of instants."""
    start = datetime.combine(day, time(), mission_zone(session))
    return start, start + timedelta(days=1)


def plan(
    session: Session, who: Principal | None, draft: PatrolPlan, now: datetime | None = None
) -> Patrol:
    """Plan a patrol: its code is new, its people, vehicles and parties exist, and none of its
    people or vehicles is booked on another patrol at the same time."""
    who = require(who, OPERATIONS)
    now = now or datetime.now(UTC)
    if patrols_q.by_code(session, draft.code) is not None:
        raise VigilError(
            "already_exists", f"a patrol {draft.code!r} exists already",
            [FieldError("code", "exists already")],
        )  # fmt: skip
    users, vehicles = _resolve(session, draft)
    _check_clashes(session, draft, users, vehicles, None)
    row = Patrol(code=draft.code, status="planned", created_by=who.user_id or None, created_at=now)
    _apply(row, draft)
    session.add(row)
    session.flush()
    audit = Auditor(session, who.actor, now)
    audit.created("patrol.plan", row)
    _add_links(session, audit, row.id, draft, users, vehicles)
    return row


def edit(
    session: Session,
    who: Principal | None,
    patrol_id: int,
    draft: PatrolPlan,
    now: datetime | None = None,
) -> Patrol:
    """Change a planned patrol's plan (not once it has set out); audited."""
    who = require(who, OPERATIONS)
    now = now or datetime.now(UTC)
    row = _load(session, patrol_id, lock=True)
    if row.status != "planned":
        raise VigilError(
            "state_conflict", f"patrol {row.code} is {rules.status_label(row.status).lower()}: "
            "only a planned patrol's plan can change",
        )  # fmt: skip
    other = patrols_q.by_code(session, draft.code)
    if other is not None and other.id != row.id:
        raise VigilError(
            "already_exists", f"a patrol {draft.code!r} exists already",
            [FieldError("code", "exists already")],
        )  # fmt: skip
    users, vehicles = _resolve(session, draft)
    _check_clashes(session, draft, users, vehicles, row.id)
    audit = Auditor(session, who.actor, now)
    before = row_values(row)
    row.code = draft.code
    _apply(row, draft)
    session.flush()
    audit.changed("patrol.edit", row, before)
    old_members, old_vehicles = (
        patrols_q.member_rows(session, row.id),
        patrols_q.vehicle_rows(session, row.id),
    )
    audit.deleted_many("patrol.edit", PatrolMember, [row_values(m) for m in old_members])
    audit.deleted_many("patrol.edit", PatrolVehicle, [row_values(v) for v in old_vehicles])
    for link in [*old_members, *old_vehicles]:
        session.delete(link)
    session.flush()
    _add_links(session, audit, row.id, draft, users, vehicles, "patrol.edit")
    return row


def start(session: Session, who: Principal | None, patrol_id: int,
          at: datetime | None = None, now: datetime | None = None) -> Patrol:  # fmt: skip
    """The patrol set out (at `at`, default now)."""
    return _move(session, who, patrol_id, "start", "", at, now)


def complete(session: Session, who: Principal | None, patrol_id: int,
             at: datetime | None = None, now: datetime | None = None) -> Patrol:  # fmt: skip
    """The patrol came back."""
    return _move(session, who, patrol_id, "complete", "", at, now)


def abort(session: Session, who: Principal | None, patrol_id: int, reason: str,
          at: datetime | None = None, now: datetime | None = None) -> Patrol:  # fmt: skip
    """The patrol was called off or turned back; the reason is kept in its notes."""
    return _move(session, who, patrol_id, "abort", reason, at, now)


def mark_overdue(
    session: Session, who: Principal | None, patrol_id: int, now: datetime | None = None
) -> Patrol:
    """The safety scheduler's verdict: an under-way patrol is past its planned end."""
    return _move(session, who, patrol_id, "overdue", "", now, now)


def get(session: Session, who: Principal | None, patrol_id: int) -> Patrol:
    """One patrol (internal roles; 404 when there is none)."""
    require(who, INTERNAL)
    return _load(session, patrol_id)


def list_patrols(
    session: Session, who: Principal | None, q: ListRequest, limit: int = MAX_LIST
) -> Sequence[Patrol]:
    """Patrols by planned start, filtered (an unknown status or member is a 422)."""
    require(who, INTERNAL)
    if q.status and q.status not in rules.STATUSES:
        raise invalid("status", f"one of {', '.join(rules.STATUSES)}")
    member_id = None
    if q.member:
        found = patrols_q.users_by_name(session, [q.member]).get(q.member)
        if found is None:
            raise invalid("member", f"no user {q.member!r}", "unknown_reference")
        member_id = found.id
    f = PatrolFilter(q.start, q.end, q.status or None, member_id, q.active_too)
    return patrols_q.listed(session, f, limit)


def add_vehicle(
    session: Session, who: Principal | None, code: str, label: str = "", now: datetime | None = None
) -> Vehicle:
    """Register a vehicle patrols can book; its code is unique."""
    who = require(who, OPERATIONS)
    now = now or datetime.now(UTC)
    code, label = code.strip(), label.strip()
    if not code or len(code) > 64 or not code.isprintable():
        raise invalid("code", "give 1 to 64 printable characters")
    if len(label) > 200:
        raise invalid("label", "at most 200 characters")
    if patrols_q.vehicles_by_code(session, [code]):
        raise VigilError("already_exists", f"a vehicle {code!r} exists already",
                         [FieldError("code", "exists already")])  # fmt: skip
    row = Vehicle(code=code, label=label, created_at=now)
    session.add(row)
    session.flush()
    Auditor(session, who.actor, now).created("vehicle.add", row)
    return row


def list_vehicles(session: Session, who: Principal | None) -> Sequence[Vehicle]:
    """Every vehicle, by code."""
    require(who, INTERNAL)
    return patrols_q.all_vehicles(session)


def active_patrols(session: Session, at: datetime) -> Sequence[Patrol]:
    """Patrols out on the ground at an instant (set out, not yet back)."""
    return patrols_q.out_at(session, at)


def patrol_of_user(session: Session, user_id: int, at: datetime) -> Patrol | None:
    """The patrol a person was out on at an instant (the latest to set out), or None: what a
    position report from their phone is tagged with."""
    found = patrols_q.out_at(session, at, user_id)
    return found[0] if found else None


def _load(session: Session, patrol_id: int, lock: bool = False) -> Patrol:
    row = patrols_q.get(session, patrol_id, lock)
    if row is None:
        raise VigilError("not_found", f"no patrol {patrol_id}")
    return row


def _move(session: Session, who: Principal | None, patrol_id: int, action: str, reason: str,
          at: datetime | None, now: datetime | None) -> Patrol:  # fmt: skip
    """One step of the patrol's life, checked against the transitions and audited."""
    who = require(who, PATROL_RUNNERS if action != "overdue" else OPERATIONS)
    now = now or datetime.now(UTC)
    row = _load(session, patrol_id, lock=True)
    if who.role is Role.patrol_leader:
        _check_leads(session, who, row)
    target = rules.next_status(row.status, action, reason)
    when = _when(at, now, row)
    before = row_values(row)
    row.status = target
    if action == "start":
        row.started_at = when
    elif target in rules.ENDED:
        row.ended_at = when
    if reason.strip():
        note = f"Aborted: {reason.strip()[:2000]}"
        row.notes = f"{row.notes}\n{note}".strip()
    session.flush()
    Auditor(session, who.actor, now).changed(f"patrol.{action}", row, before)
    return row


def _when(at: datetime | None, now: datetime, row: Patrol) -> datetime:
    """When a step happened: given or now; with a zone, not in the future, not before start."""
    if at is None:
        return now
    if at.tzinfo is None:
        raise invalid("at", "give a time zone, e.g. 2020-11-20T08:00:00+04:00")
    if at > now + timedelta(seconds=SKEW_S):
        raise invalid("at", "is in the future")
    if row.started_at is not None and at < row.started_at:
        raise invalid("at", f"is before the patrol set out ({row.started_at.isoformat()})")
    return at.astimezone(UTC)


def _check_leads(session: Session, who: Principal, row: Patrol) -> None:
    """A patrol leader runs only a patrol they lead."""
    crew = patrols_q.members(session, [row.id]).get(row.id, [])
    if not any(u.id == who.user_id and r == "leader" for u, r in crew):
        raise VigilError("forbidden", f"you do not lead patrol {row.code}")


def _apply(row: Patrol, draft: PatrolPlan) -> None:
    """The plan's own fields onto the row (times in UTC, as the audit log records them)."""
    row.name = draft.name
    row.route = draft.route
    row.planned_start = draft.planned_start.astimezone(UTC)
    row.planned_end = draft.planned_end.astimezone(UTC)
    row.check_in_interval_s = draft.check_in_interval_s
    row.notified = list(draft.notified)
    row.notes = draft.notes


def _resolve(session: Session, draft: PatrolPlan) -> tuple[dict[str, User], dict[str, Vehicle]]:
    """Members, vehicles and notified parties by name; each unknown one is a 422."""
    users = patrols_q.users_by_name(session, [m.user for m in draft.members])
    vehicles = patrols_q.vehicles_by_code(session, draft.vehicles)
    parties = patrols_q.parties_by_code(session, draft.notified)
    errors = [
        FieldError(f"members.{n}.user", f"no user {m.user!r}")
        for n, m in enumerate(draft.members)
        if m.user not in users
    ]
    errors += [
        FieldError(f"members.{n}.user", f"{m.user!r} is a party liaison, not mission staff")
        for n, m in enumerate(draft.members)
        if m.user in users and users[m.user].role == Role.party_liaison.value
    ]
    errors += [
        FieldError("vehicles", f"no vehicle {c!r}") for c in draft.vehicles if c not in vehicles
    ]
    errors += [
        FieldError("notified", f"no party {c!r}") for c in draft.notified if c not in parties
    ]
    if errors:
        raise VigilError("unknown_reference", f"{errors[0].field}: {errors[0].message}", errors)
    return users, vehicles


def _check_clashes(session: Session, draft: PatrolPlan, users: dict[str, User],
                   vehicles: dict[str, Vehicle], exclude: int | None) -> None:  # fmt: skip
    """409 naming the other patrol when a vehicle or person is booked in an overlapping window."""
    start, end = draft.planned_start, draft.planned_end
    for kind, by_id, field in (
        ("vehicle", {v.id: v.code for v in vehicles.values()}, "vehicles"),
        ("member", {u.id: u.username for u in users.values()}, "members"),
    ):
        for key, booking in patrols_q.bookings(session, kind, by_id, start, end, exclude):
            if rules.overlaps(start, end, booking):
                what = f"vehicle {by_id[key]}" if kind == "vehicle" else by_id[key]
                window = f"{booking.start:%Y-%m-%d %H:%M}–{booking.end:%H:%M} UTC"
                raise VigilError(
                    "state_conflict",
                    f"{what} is booked on patrol {booking.patrol_code} ({window}), "
                    "whose planned window overlaps this one",
                    [FieldError(field, f"{what} is on patrol {booking.patrol_code} then")],
                    {"conflicting_patrol": booking.patrol_code},
                )


def _add_links(session: Session, audit: Auditor, patrol_id: int, draft: PatrolPlan,
               users: dict[str, User], vehicles: dict[str, Vehicle],
               action: str = "patrol.plan") -> None:  # fmt: skip
    """The patrol's member and vehicle rows, each audited."""
    members = [PatrolMember(patrol_id=patrol_id, user_id=users[m.user].id, role=m.role)
               for m in draft.members]  # fmt: skip
    cars = [PatrolVehicle(patrol_id=patrol_id, vehicle_id=vehicles[c].id) for c in draft.vehicles]
    session.add_all([*members, *cars])
    session.flush()
    audit.created_many(action, PatrolMember, [row_values(m) for m in members])
    audit.created_many(action, PatrolVehicle, [row_values(c) for c in cars])


def load_all(
    session: Session, who: Principal | None, data: dict[str, Any], now: datetime
) -> list[Patrol]:
    """The demo's vehicles and past patrols: each planned, set out and back at its planned
    times, checked and audited as any other."""
    for v in data.get("vehicles", []):
        add_vehicle(session, who, v["code"], v.get("label", ""), now)
    done = []
    for body in data.get("patrols", []):
        row = plan(session, who, rules.parse_plan(body), now)
        start(session, who, row.id, row.planned_start, now)
        done.append(complete(session, who, row.id, row.planned_end, now))
    return done
