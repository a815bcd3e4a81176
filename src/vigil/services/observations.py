"""Recording observations: validated against the mission's data, idempotent by client id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.domain.observation import ObservationDraft, estimated_point, too_far_in_future
from vigil.domain.roles import INTERNAL, REPORTERS
from vigil.domain.taxonomy import WEAPON_CLASSES
from vigil.errors import FieldError, VigilError
from vigil.queries import observations as obs_q
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import Category, Observation, Post, User

CHANNELS = ("api", "web", "odk", "import", "demo")


@dataclass(frozen=True)
class Recorded:
    """One observation as stored, and whether this call created it (False: a retry)."""

    values: dict[str, Any]
    created: bool


def record_observations(
    session: Session,
    who: Principal,
    drafts: Sequence[ObservationDraft],
    channel: str,
    labels: Sequence[str] | None = None,
    now: datetime | None = None,
    future_tolerance_s: int = 300,
) -> list[Recorded]:
    """Store drafts all-or-nothing; an identical retry returns the stored record."""
    require(who, REPORTERS)
    labels = labels or [f"[{i}]" for i in range(len(drafts))]
    now = now or datetime.now(UTC)
    unique = _dedupe(drafts, labels)
    posts = _check_references(session, drafts, labels, now, future_tolerance_s)
    stored = obs_q.fingerprints(session, list(unique))
    conflicts = [k for k, (_, fp) in stored.items() if unique[k].fingerprint() != fp]
    if conflicts:
        raise VigilError(
            "idempotency_conflict",
            f"client id {conflicts[0]!r} was stored before with different content",
            [
                FieldError("client_id", f"{c!r} differs from the stored observation")
                for c in conflicts[:50]
            ],
        )
    fresh = [d for k, d in unique.items() if k not in stored]
    rows = [_row(d, who, channel, now, posts) for d in fresh]
    for row, new_id in zip(rows, obs_q.insert_many(session, rows), strict=True):
        row["id"] = new_id
    Auditor(session, who.actor, now).created_many("observation.record", Observation, rows)
    created = {r["client_id"]: r for r in rows}
    old = {
        o.client_id: row_values(o) for o in obs_q.by_ids(session, [i for i, _ in stored.values()])
    }
    return [
        Recorded(created[d.client_id], True)
        if d.client_id in created
        else Recorded(old[d.client_id], False)
        for d in drafts
    ]


def signed_by_monitor(
    session: Session, who: Principal, draft: ObservationDraft
) -> ObservationDraft:
    """A phone's or the web form's own sighting names the monitor who sent it, unless the form
    named someone: "monitor" with no name would leave the report anonymous on the map."""
    if draft.observer.kind != "monitor" or draft.observer.name:
        return draft
    user = session.get(User, who.user_id)
    name = (user.display_name or user.username) if user is not None else who.username
    observer = draft.observer.model_copy(update={"name": name[:200]})
    return draft.model_copy(update={"observer": observer})


def _at(label: str, name: str) -> str:
    """A field's name within its draft: observations[3].category, or category alone."""
    return f"{label}.{name}" if label else name


def _dedupe(
    drafts: Sequence[ObservationDraft], labels: Sequence[str]
) -> dict[str, ObservationDraft]:
    """Drafts by client id; the same id twice in one batch must carry the same content."""
    unique: dict[str, ObservationDraft] = {}
    for draft, label in zip(drafts, labels, strict=True):
        seen = unique.setdefault(draft.client_id, draft)
        if seen is not draft and seen.fingerprint() != draft.fingerprint():
            raise VigilError(
                "idempotency_conflict",
                f"client id {draft.client_id!r} appears twice in the batch with different content",
                [FieldError(_at(label, "client_id"), "repeated with different content")],
            )
    return unique


@dataclass(frozen=True)
class References:
    """What the database and the clock allow: categories, weapon classes, posts and times."""

    categories: frozenset[str]
    posts: dict[str, Post]
    now: datetime
    tolerance_s: int

    @classmethod
    def load(
        cls,
        session: Session,
        drafts: Sequence[ObservationDraft],
        now: datetime,
        tolerance_s: int,
    ) -> References:
        """The mission's categories and the posts these drafts name."""
        categories = frozenset(session.scalars(select(Category.code)))
        codes = {d.observer.post for d in drafts if d.observer.post}
        posts = {p.code: p for p in session.scalars(select(Post).where(Post.code.in_(codes)))}
        return cls(categories, posts, now, tolerance_s)

    def errors(self, d: ObservationDraft, label: str) -> list[FieldError]:
        """What is wrong with one draft (field names prefixed by its label, if any)."""
        errors = []
        if d.category not in self.categories:
            errors.append(FieldError(_at(label, "category"), f"unknown category {d.category!r}"))
        if d.weapon_class is not None and d.weapon_class not in WEAPON_CLASSES:
            errors.append(
                FieldError(_at(label, "weapon_class"), f"unknown weapon class {d.weapon_class!r}")
            )
        if d.observer.post and d.observer.post not in self.posts:
            errors.append(
                FieldError(_at(label, "observer.post"), f"unknown post {d.observer.post!r}")
            )
        for name, when in (("observed_at", d.observed_at), ("observed_to", d.observed_to)):
            if when is not None and too_far_in_future(when, self.now, self.tolerance_s):
                errors.append(FieldError(_at(label, name), "lies in the future"))
        return errors


def _check_references(
    session: Session,
    drafts: Sequence[ObservationDraft],
    labels: Sequence[str],
    now: datetime,
    tolerance_s: int,
) -> dict[str, Post]:
    """Refuse the batch when any draft names what the database or the clock does not allow."""
    refs = References.load(session, drafts, now, tolerance_s)
    errors: list[FieldError] = []
    for draft, label in zip(drafts, labels, strict=True):
        errors += refs.errors(draft, label)
        if len(errors) >= 50:
            break
    if errors:
        code = (
            "unknown_category"
            if all(e.field.rsplit(".", 1)[-1] == "category" for e in errors)
            else "validation_failed"
        )
        raise VigilError(code, f"{errors[0].field}: {errors[0].message}", errors)
    return refs.posts


def _row(
    d: ObservationDraft, who: Principal, channel: str, now: datetime, posts: dict[str, Post]
) -> dict[str, Any]:
    """The stored form of a draft: every column, so the audit snapshot is complete."""
    post = posts.get(d.observer.post) if d.observer.post else None
    obs_lat = d.observer.lat if d.observer.lat is not None else (post.lat if post else None)
    obs_lon = d.observer.lon if d.observer.lon is not None else (post.lon if post else None)
    point = estimated_point(d, obs_lat, obs_lon) or (obs_lat, obs_lon)
    loc, bearing, dist = d.location, d.bearing, d.distance
    return {
        "client_id": d.client_id,
        "fingerprint": d.fingerprint(),
        "channel": channel,
        "submitted_by": who.user_id,
        "submitted_at": now,
        "observed_at": d.observed_at.astimezone(UTC),
        "observed_to": d.observed_to.astimezone(UTC) if d.observed_to else None,
        "time_uncertainty_s": float(d.time_uncertainty_s),
        "observer_kind": d.observer.kind,
        "post_id": post.id if post else None,
        "observer_name": d.observer.name,
        "observer_lat": obs_lat,
        "observer_lon": obs_lon,
        "observer_error_m": d.observer.error_m,
        "category": d.category,
        "weapon_class": d.weapon_class,
        "count": d.count,
        "lat": loc.lat if loc else None,
        "lon": loc.lon if loc else None,
        "location_error_m": loc.error_m if loc else None,
        "bearing_deg": bearing.deg if bearing else None,
        "bearing_error_deg": bearing.error_deg if bearing else None,
        "distance_m": dist.m if dist else None,
        "distance_error_m": dist.error_m if dist else None,
        "est_lat": point[0],
        "est_lon": point[1],
        "text": d.text,
        "reliability": d.grade.reliability,
        "credibility": d.grade.credibility,
        "status": "new",
    }


def get_observation(session: Session, who: Principal | None, observation_id: int) -> Observation:
    """One observation, for internal roles."""
    require(who, INTERNAL)
    found = obs_q.by_ids(session, [observation_id])
    if not found:
        raise VigilError("not_found", f"no observation {observation_id}")
    return found[0]


def list_observations(
    session: Session,
    who: Principal | None,
    f: obs_q.ObservationFilter,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """A page of observations (column values), for internal roles."""
    require(who, INTERNAL)
    return obs_q.page_values(session, f, after, limit)
