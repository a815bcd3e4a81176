"""The incident page's "Provisions it may breach" section: the incident's flags, why each
rule matched, and the confirm/dismiss forms for analysts (posted to web/pages/agreement.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from vigil.domain.review import VERIFIED
from vigil.domain.roles import ANALYSTS
from vigil.services import flag_list
from vigil.services.access import Principal
from vigil.store.tables import Incident


@dataclass(frozen=True)
class FlagsSection:
    """What the section draws."""

    lines: list[flag_list.FlagLine]
    verified: bool
    can_decide: bool

    @property
    def breaches(self) -> list[flag_list.FlagLine]:
        """Flags saying the incident may breach a provision."""
        return [x for x in self.lines if x.flag.effect == "breach"]

    @property
    def compliance(self) -> list[flag_list.FlagLine]:
        """Flags saying the incident shows a provision being kept."""
        return [x for x in self.lines if x.flag.effect != "breach"]


def flags_section(session: Session, who: Principal, incident: Incident) -> FlagsSection | None:
    """The incident's flags; None (no section) when it has none and is not verified."""
    lines = flag_list.incident_flags(session, who, incident.id)
    verified = incident.status == VERIFIED
    if not lines and not verified:
        return None
    return FlagsSection(lines, verified, who.role in ANALYSTS and verified)
