"""Reading the audit log, for those who may."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from vigil.domain.roles import AUDITORS
from vigil.queries import audit as audit_q
from vigil.services.access import Principal, require
from vigil.store.tables import AuditEvent


def read_events(
    session: Session,
    who: Principal | None,
    after_seq: int,
    limit: int,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> Sequence[AuditEvent]:
    """Audit events after a sequence number, optionally about one entity."""
    require(who, AUDITORS)
    return audit_q.page(session, after_seq, limit, entity_type, entity_id)
