"""The Attribution section of the incident page: who the mission attributes the incident to,
how sure, on what evidence, whether reports show it; the form to attribute or withdraw.

The page's POST routes (web/pages/attribution.py) re-render the incident page with what the
analyst sent and the refusal; they hand that form over through `showing_form`, since the
incident page draws every section itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain import attribution as rules
from vigil.domain.roles import ANALYSTS
from vigil.errors import VigilError
from vigil.queries import attribution as attribution_q
from vigil.queries import observations as obs_q
from vigil.queries import reviews as reviews_q
from vigil.services import attribution as service
from vigil.services import reference
from vigil.services.access import Principal
from vigil.store.tables import Incident, Observation, Party

_OTHER_KINDS = {k: v for k, v in rules.EVIDENCE_KINDS.items() if k != "observation"}
OTHER_ROWS = 3  # blank rows for evidence other than the incident's own observations


@dataclass(frozen=True)
class OtherRow:
    """One row of other evidence as the analyst filled it in."""

    kind: str = ""
    note: str = ""


@dataclass(frozen=True)
class AttributionForm:
    """What the analyst sent (kept when the page comes back with a refusal) and the outcome."""

    party: str = ""
    confidence: str = ""
    observations: frozenset[int] = frozenset()
    other_observations: str = ""
    rows: tuple[OtherRow, ...] = ()
    reason: str = ""
    withdraw_reason: str = ""
    action: str = ""  # "attribute" or "withdraw": which form the error belongs to
    done: str = ""  # "attributed" or "withdrawn", after the redirect
    error: VigilError | None = None
    field_errors: dict[str, str] = field(default_factory=dict)

    def other_rows(self) -> list[OtherRow]:
        """The rows sent, then blank ones up to OTHER_ROWS."""
        sent = list(self.rows)
        return sent + [OtherRow()] * max(OTHER_ROWS - len(sent), 1)


@dataclass(frozen=True)
class EvidenceShown:
    """One piece of current evidence as the page shows it, with where to read it."""

    line: service.EvidenceLine
    client_id: str | None
    href: str | None


@dataclass(frozen=True)
class AttributionSection:
    """Everything the Attribution section draws."""

    current: service.Attribution
    evidence: list[EvidenceShown]
    parties: list[Party]
    observations: list[Observation]
    can_attribute: bool
    superseded: bool
    form: AttributionForm
    confidences: tuple[str, ...] = rules.CONFIDENCES
    confidence_labels: dict[str, str] = field(default_factory=lambda: rules.CONFIDENCE_LABELS)
    kinds: dict[str, str] = field(default_factory=lambda: _OTHER_KINDS)

    @property
    def stale(self) -> dict[str, Any] | None:
        """Who changed the incident and when, if the analyst's copy was out of date."""
        error = self.form.error
        if error is None or "changed_by" not in error.extra:
            return None
        return error.extra

    def party_name(self, code: str | None) -> str:
        """A party's code with its English name (or first name)."""
        for p in self.parties:
            if p.code == code:
                names = p.names or {}
                name = names.get("en") or next(iter(names.values()), "")
                return f"{code} ({name})" if name else str(code)
        return str(code or "")


_FORM: ContextVar[AttributionForm | None] = ContextVar("attribution_form", default=None)


@contextmanager
def showing_form(form: AttributionForm) -> Iterator[None]:
    """Draw the section with this form (what was sent, and why it was refused)."""
    token = _FORM.set(form)
    try:
        yield
    finally:
        _FORM.reset(token)


def attribution_section(
    session: Session, who: Principal, incident: Incident
) -> AttributionSection | None:
    """The incident's attribution for an internal reader; editable by analysts."""
    current = service.attribution_of(session, who, incident.id)
    successor = reviews_q.superseded_by(session, incident.id)
    return AttributionSection(
        current=current,
        evidence=_evidence(session, current),
        parties=list(reference.parties(session)),
        observations=list(reviews_q.observations_of(session, incident.id)),
        can_attribute=who.role in ANALYSTS and successor is None,
        superseded=successor is not None,
        form=_FORM.get() or AttributionForm(),
    )


def _evidence(session: Session, current: service.Attribution) -> list[EvidenceShown]:
    ids = [e.row.observation_id for e in current.evidence if e.row.observation_id is not None]
    client_ids = {o.id: o.client_id for o in obs_q.by_ids(session, ids)}
    held = attribution_q.holders(session, ids)
    out = []
    for e in current.evidence:
        obs = e.row.observation_id
        if obs is None:
            out.append(EvidenceShown(e, None, None))
        elif e.own:
            out.append(EvidenceShown(e, client_ids.get(obs), f"#obs-{obs}"))
        elif obs in held:
            out.append(EvidenceShown(e, client_ids.get(obs), f"/incidents/{held[obs]}#obs-{obs}"))
        else:
            out.append(EvidenceShown(e, client_ids.get(obs), f"/api/v1/observations/{obs}"))
    return out
