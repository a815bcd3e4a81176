"""SQL of OpenRosa submissions: by instanceID, their expected attachments, and edits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.store.tables import Submission, SubmissionAttachment


def by_instance(session: Session, instance_id: str) -> Submission | None:
    """The submission with this instanceID, or None."""
    return session.scalars(
        select(Submission).where(Submission.instance_id == instance_id).limit(1)
    ).first()


def edited_by(session: Session, instance_id: str) -> Submission | None:
    """The submission whose meta/deprecatedID names this instance (its edit), or None."""
    return session.scalars(
        select(Submission)
        .where(Submission.deprecated_id == instance_id)
        .order_by(Submission.id)
        .limit(1)
    ).first()


def attachments(session: Session, submission_id: int) -> Sequence[SubmissionAttachment]:
    """The files a submission names, by name."""
    return session.scalars(
        select(SubmissionAttachment)
        .where(SubmissionAttachment.submission_id == submission_id)
        .order_by(SubmissionAttachment.name)
    ).all()
