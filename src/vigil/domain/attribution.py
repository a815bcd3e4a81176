"""Attribution of an incident to a party: never a default, always with a confidence and the
evidence it rests on; reports show it only at or above the mission's minimum confidence.

Parties are data (codes from the party table): nothing here names one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vigil.errors import FieldError, VigilError, invalid

# Ordered: each level is stronger than the one before.
CONFIDENCES: tuple[str, ...] = ("low", "medium", "high")
CONFIDENCE_LABELS: dict[str, str] = {
    "low": "low: plausible, the evidence is thin or indirect",
    "medium": "medium: the evidence points one way, some doubt remains",
    "high": "high: several independent pieces of evidence agree",
}
EVIDENCE_KINDS: dict[str, str] = {
    "observation": "Observation",
    "crater_analysis": "Crater analysis",
    "bearing": "Bearing pointing from a party's side",
    "munition_remnants": "Munition remnants",
    "document": "Document",
    "other": "Other",
}
DEFAULT_MIN_PUBLISHED = "high"
MAX_ITEMS = 50
MAX_NOTE = 2000
MAX_REASON = 2000
MAX_PARTY = 16
MAX_SUMMARY = 500
MAX_ID = 2**63 - 1  # the largest id the database stores


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence: an observation (by id) or another kind described by a note."""

    kind: str
    observation_id: int | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """The kind as people read it."""
        return EVIDENCE_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class AttributionDraft:
    """An attribution as an analyst asks for it, checked: party code, confidence, evidence."""

    party: str
    confidence: str
    evidence: tuple[EvidenceItem, ...]
    reason: str = ""

    @property
    def observation_ids(self) -> list[int]:
        """The observations the evidence names, in the order given."""
        return [e.observation_id for e in self.evidence if e.observation_id is not None]


def rank(confidence: str) -> int:
    """The position of a confidence level (low 0 < medium 1 < high 2)."""
    return CONFIDENCES.index(confidence)


def shown_in_reports(confidence: str | None, minimum: str) -> bool:
    """Whether an attribution of this confidence reaches reports under the minimum."""
    if confidence not in CONFIDENCES or minimum not in CONFIDENCES:
        return False
    return rank(confidence) >= rank(minimum)


def check_confidence(value: Any, field: str = "confidence") -> str:
    """A confidence level, or a 422 naming the field."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if text not in CONFIDENCES:
        raise invalid(field, f"choose one of {', '.join(CONFIDENCES)}")
    return text


def check_reason(value: Any, required: bool) -> str:
    """A reason: trimmed, at most MAX_REASON characters, and present when required."""
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise invalid("reason", "say why")
    if len(text) > MAX_REASON:
        raise invalid("reason", f"at most {MAX_REASON} characters")
    return text


def check_attribution(
    party: Any, confidence: Any, evidence: Sequence[Any], reason: Any = ""
) -> AttributionDraft:
    """Check every part at once; a 422 names each bad field (nothing is partly accepted)."""
    errors: list[FieldError] = []
    code = _party(party, errors)
    level = _collect(errors, lambda: check_confidence(confidence))
    why = _collect(errors, lambda: check_reason(reason, required=False))
    items = _evidence(evidence, errors)
    if errors:
        first = errors[0]
        raise VigilError("validation_failed", f"{first.field}: {first.message}", errors)
    return AttributionDraft(code, str(level), tuple(items), str(why))


def _collect(errors: list[FieldError], check: Any) -> Any:
    try:
        return check()
    except VigilError as exc:
        errors.extend(exc.errors)
        return None


def _party(value: Any, errors: list[FieldError]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors.append(FieldError("party", "choose the party (a code from the party table)"))
    elif len(text) > MAX_PARTY:
        errors.append(FieldError("party", f"a party code has at most {MAX_PARTY} characters"))
    return text


def _evidence(items: Sequence[Any], errors: list[FieldError]) -> list[EvidenceItem]:
    if not items:
        errors.append(FieldError("evidence", "give at least one piece of evidence"))
        return []
    if len(items) > MAX_ITEMS:
        errors.append(FieldError("evidence", f"at most {MAX_ITEMS} pieces of evidence"))
        return []
    out: list[EvidenceItem] = []
    seen: set[int] = set()
    for n, raw in enumerate(items):
        item = _collect(errors, lambda raw=raw, n=n: check_item(raw, f"evidence[{n}]"))
        if item is None:
            continue
        if item.observation_id is not None and item.observation_id in seen:
            errors.append(
                FieldError(f"evidence[{n}]", f"observation {item.observation_id} is named twice")
            )
            continue
        if item.observation_id is not None:
            seen.add(item.observation_id)
        out.append(item)
    return out


def check_item(raw: Any, field: str = "evidence") -> EvidenceItem:
    """One evidence item from a mapping (kind, observation_id, note) or an EvidenceItem."""
    if isinstance(raw, EvidenceItem):
        raw = {"kind": raw.kind, "observation_id": raw.observation_id, "note": raw.note}
    if not isinstance(raw, dict):
        raise invalid(field, "an evidence item has a kind, and an observation id or a note")
    kind = raw["kind"].strip() if isinstance(raw.get("kind"), str) else ""
    note = raw["note"].strip() if isinstance(raw.get("note"), str) else ""
    obs = raw.get("observation_id")
    if kind not in EVIDENCE_KINDS:
        raise invalid(f"{field}.kind", f"choose one of {', '.join(EVIDENCE_KINDS)}")
    if len(note) > MAX_NOTE:
        raise invalid(f"{field}.note", f"at most {MAX_NOTE} characters")
    if kind == "observation":
        if isinstance(obs, bool) or not isinstance(obs, int) or not 1 <= obs <= MAX_ID:
            raise invalid(f"{field}.observation_id", "name the observation (its id)")
        return EvidenceItem(kind, obs, note)
    if obs is not None:
        raise invalid(f"{field}.observation_id", "only an observation item names an observation")
    if not note:
        raise invalid(f"{field}.note", f"describe the {EVIDENCE_KINDS[kind].lower()}")
    return EvidenceItem(kind, None, note)


def parse_item(text: str) -> EvidenceItem:
    """One item as a command line gives it: `observation:123` or `crater_analysis:a note`."""
    kind, sep, rest = text.partition(":")
    kind, rest = kind.strip(), rest.strip()
    if not sep:
        raise invalid("evidence", f"{text[:40]!r}: write KIND:NOTE or observation:ID")
    if kind == "observation":
        number, _, note = rest.partition(" ")
        if not number.isdecimal():
            raise invalid("evidence", f"{text[:40]!r}: observation:ID takes a number")
        return check_item({"kind": kind, "observation_id": int(number), "note": note})
    return check_item({"kind": kind, "note": rest})


def summary(items: Iterable[EvidenceItem]) -> str:
    """A short text of the evidence for the incident row (the evidence rows hold the detail),
    e.g. `observations #12, #14; crater analysis; bearing ×2`."""
    items = list(items)
    parts = []
    observed = [f"#{e.observation_id}" for e in items if e.observation_id is not None]
    if observed:
        word = "observation " if len(observed) == 1 else "observations "
        parts.append(word + ", ".join(observed))
    for kind, label in EVIDENCE_KINDS.items():
        n = sum(1 for e in items if e.kind == kind and e.observation_id is None)
        if n:
            name = label.lower() if kind != "bearing" else "bearing"
            parts.append(name if n == 1 else f"{name} ×{n}")
    text = "; ".join(parts)
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"
