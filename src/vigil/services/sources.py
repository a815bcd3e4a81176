"""Source grading: the mission's profiles of its sources (default reliability by post,
patrol, monitor, sensor or third party), and an incident's confidence derived from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from vigil.domain.confidence import Confidence, Report, confidence
from vigil.domain.roles import INTERNAL, SOURCE_GRADERS
from vigil.domain.sources import (
    DEFAULT_KEY,
    POST_SOURCE_KINDS,
    SENSOR_POST_KINDS,
    ProfileFields,
    check_profile,
    default_profiles,
    source_of,
)
from vigil.errors import VigilError, invalid
from vigil.queries import accounts as accounts_q
from vigil.queries import incidents as incidents_q
from vigil.queries import sources as sources_q
from vigil.queries.common import get_by
from vigil.services.access import Principal, require, system_principal
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import Post, SourceProfile


def list_profiles(session: Session, who: Principal | None) -> Sequence[SourceProfile]:
    """Every source profile, by kind then key."""
    require(who, INTERNAL)
    return sources_q.profiles(session)


def get_profile(session: Session, who: Principal | None, profile_id: int) -> SourceProfile:
    """One source profile (404 when there is none)."""
    require(who, INTERNAL)
    row = session.get(SourceProfile, profile_id)
    if row is None:
        raise VigilError("not_found", f"no source profile {profile_id}")
    return row


def _check_post(session: Session, fields: ProfileFields) -> None:
    """A post's or sensor's profile names a post that exists and is of that kind."""
    if fields.kind not in POST_SOURCE_KINDS or fields.key == DEFAULT_KEY:
        return
    post = get_by(session, Post, code=fields.key)
    if post is None:
        raise invalid("key", f"no post {fields.key!r}", "unknown_reference")
    is_sensor = post.kind in SENSOR_POST_KINDS
    if is_sensor != (fields.kind == "sensor"):
        right = "sensor" if is_sensor else "post"
        raise invalid("kind", f"{fields.key} is a {post.kind.replace('_', ' ')}: use kind {right}")


def set_profile(
    session: Session,
    who: Principal | None,
    kind: str,
    key: str,
    reliability: str,
    label: str | None = None,
    notes: str | None = None,
    now: datetime | None = None,
) -> tuple[SourceProfile, bool]:
    """Create or change the profile of (kind, key); True when created. A label or notes not
    given keep their stored value."""
    actor = require(who, SOURCE_GRADERS)
    fields = check_profile(kind, key, reliability, label or "", notes or "")
    row = sources_q.profile(session, fields.kind, fields.key)
    if row is not None:
        kept_label = row.label if label is None else fields.label
        kept_notes = row.notes if notes is None else fields.notes
        fields = replace(fields, label=kept_label, notes=kept_notes)
    _check_post(session, fields)
    audit = Auditor(session, actor.actor, now)
    if row is None:
        row = SourceProfile(**vars(fields))
        session.add(row)
        session.flush()
        audit.created("source.set", row)
        return row, True
    before = row_values(row)
    for name, value in vars(fields).items():
        setattr(row, name, value)
    if row_values(row) != before:
        session.flush()
        audit.changed("source.set", row, before)
    return row, False


def remove_profile(
    session: Session, who: Principal | None, profile_id: int, now: datetime | None = None
) -> SourceProfile:
    """Remove a profile: its sources fall back to their kind's default, or to F."""
    actor = require(who, SOURCE_GRADERS)
    row = session.get(SourceProfile, profile_id)
    if row is None:
        raise VigilError("not_found", f"no source profile {profile_id}")
    values = row_values(row)
    Auditor(session, actor.actor, now).deleted_many("source.remove", SourceProfile, [values])
    session.expunge(row)
    sources_q.delete_profile(session, profile_id)
    return row


def load_defaults(
    session: Session, who: Principal | None, now: datetime | None = None
) -> list[SourceProfile]:
    """Add the default profile of each kind that has none yet; returns those added."""
    require(who, SOURCE_GRADERS)
    added = []
    for fields in default_profiles():
        if sources_q.profile(session, fields.kind, fields.key) is None:
            row, _ = set_profile(
                session,
                who,
                fields.kind,
                fields.key,
                fields.reliability,
                fields.label,
                fields.notes,
                now,
            )
            added.append(row)
    return added


def incident_confidence(session: Session, who: Principal | None, incident_id: int) -> Confidence:
    """How sure the mission is of an incident, with the derivation (internal roles)."""
    require(who, INTERNAL)
    found = incidents_q.fused(session, incident_id)
    if found is None:
        raise VigilError("not_found", f"no incident {incident_id}")
    ids = sorted({i for i, _ in found.members} | {i for i, _ in found.summaries})
    return _confidence_of(session, ids)


def _confidence_of(session: Session, observation_ids: Sequence[int]) -> Confidence:
    """The confidence of a set of observations, graded with the stored profiles."""
    reports = [
        Report(
            o.id,
            o.client_id,
            source_of(
                o.observer_kind,
                post.code if post else None,
                post.kind if post else None,
                o.observer_name,
            ),
            o.reliability,
            o.credibility,
        )
        for o, post in sources_q.reports_with_posts(session, observation_ids)
    ]
    return confidence(reports, sources_q.reliabilities(session))


def grader_named(session: Session, username: str) -> Principal:
    """The account a command acts as (`--as USER`): it must exist, be enabled and be allowed
    to grade sources (head of mission or admin)."""
    user = accounts_q.user_by_name(session, username.strip())
    if user is None:
        raise VigilError("not_found", f"no user {username.strip()!r}")
    if user.disabled:
        raise VigilError("forbidden", f"user {user.username!r} is disabled")
    return require(system_principal(user), SOURCE_GRADERS)
