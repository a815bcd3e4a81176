"""Reading the mission's reference data: mission, parties, provisions, taxonomy."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from vigil.domain.roles import INTERNAL
from vigil.errors import VigilError
from vigil.queries.common import list_all
from vigil.services.access import Principal, require
from vigil.store.tables import Category, Mission, Party, Provision


def mission(session: Session, who: Principal | None) -> Mission:
    """The mission, for internal roles."""
    require(who, INTERNAL)
    row = session.get(Mission, 1)
    if row is None:
        raise VigilError("not_found", "no mission is configured yet (vigil demo loads one)")
    return row


def parties(session: Session) -> Sequence[Party]:
    """The parties: public knowledge, shown to everyone."""
    return list_all(session, Party, Party.code)


def party_code(session: Session, party_id: int) -> str | None:
    """The code of a party by id (a liaison's own party)."""
    row = session.get(Party, party_id)
    return row.code if row else None


def provisions(session: Session) -> Sequence[Provision]:
    """The agreement's provisions: public knowledge."""
    return sorted(list_all(session, Provision, Provision.id), key=lambda p: _number_key(p.number))


def _number_key(number: str) -> tuple[int, str]:
    head = "".join(ch for ch in number if ch.isdigit())
    return (int(head) if head else 0, number)


def categories(session: Session, who: Principal | None) -> Sequence[Category]:
    """The observation taxonomy, for internal roles."""
    require(who, INTERNAL)
    return list_all(session, Category, Category.code)
