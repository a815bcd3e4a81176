"""Reading flags: lists with filters, an incident's flags, each with its provision's number,
its rule's label and who decided it (internal roles only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from vigil.domain import agreement_rules as ar
from vigil.domain.roles import INTERNAL
from vigil.errors import VigilError, invalid
from vigil.queries import flags as flags_q
from vigil.queries import provisions as provisions_q
from vigil.queries import reviews as reviews_q
from vigil.services import provision_flags, reference
from vigil.services.access import Principal, require
from vigil.store.tables import Incident, ProvisionFlag

STATUSES: tuple[str, ...] = ("open", "confirmed", "dismissed")


@dataclass(frozen=True)
class FlagLine:
    """A flag with what people read it by."""

    flag: ProvisionFlag
    provision: str
    rule_label: str
    rule_active: bool
    decided_by: str | None

    @property
    def why(self) -> str:
        """Why the rule matched, in one sentence."""
        return ar.describe(self.flag.match)


@dataclass(frozen=True)
class FlagQuery:
    """The filters of a list of flags, as given (provision number, not id)."""

    provision: str | None = None
    status: str | None = None
    effect: str | None = None
    incident_id: int | None = None


def list_flags(
    session: Session,
    who: Principal | None,
    q: FlagQuery,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[FlagLine]:
    """Flags matching the filters, oldest raised first, after a cursor position."""
    require(who, INTERNAL)
    if q.status and q.status not in STATUSES:
        raise invalid("status", f"one of {', '.join(STATUSES)}")
    if q.effect and q.effect not in ar.EFFECTS:
        raise invalid("effect", f"one of {', '.join(ar.EFFECTS)}")
    provision_id = None
    if q.provision:
        provision_id = provision_flags.provision_or_404(session, q.provision).id
    f = flags_q.FlagFilter(provision_id, q.status or None, q.effect or None, q.incident_id)
    return lines(session, flags_q.page(session, f, after, limit))


def incident_flags(session: Session, who: Principal | None, incident_id: int) -> list[FlagLine]:
    """An incident's flags, oldest first (404 for an unknown incident)."""
    require(who, INTERNAL)
    if session.get(Incident, incident_id) is None:
        raise VigilError("not_found", f"no incident {incident_id}")
    return lines(session, flags_q.of_incident(session, incident_id))


def flag_line(session: Session, who: Principal | None, flag_id: int) -> FlagLine:
    """One flag (404 when there is none)."""
    require(who, INTERNAL)
    flag = session.get(ProvisionFlag, flag_id)
    if flag is None:
        raise VigilError("not_found", f"no flag {flag_id}")
    return lines(session, [flag])[0]


def lines(session: Session, flags: Sequence[ProvisionFlag]) -> list[FlagLine]:
    """Flags with their provision numbers, rule labels and deciders' names."""
    numbers = {p.id: p.number for p in reference.provisions(session)}
    rules = {r.id: r for r in provisions_q.rules(session)}
    names = reviews_q.user_names(session, [f.decided_by for f in flags])
    return [
        FlagLine(
            f,
            numbers.get(f.provision_id, "?"),
            rules[f.rule_id].label,
            rules[f.rule_id].active,
            names.get(f.decided_by) if f.decided_by else None,
        )  # fmt: skip
        for f in flags
    ]
