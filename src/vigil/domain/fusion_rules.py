"""What fusion assumes about kinds of events: which reports may describe the same event,
how far such an event is noticed, whether it is heard (sound delay) or seen.

Categories are the mission's data; fusion reads only their dotted prefixes, so a mission
that adds "ceasefire_violation.explosion.grenade" gets the explosion rules without code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from vigil.domain.fusion_model import SIGHT_FAMILIES, SIGHT_OBSERVERS, SPEED_OF_SOUND_M_S


@dataclass(frozen=True)
class Family:
    """Reports in one family may describe the same event; others never do."""

    name: str
    range_m: float  # beyond this no observer notices such an event
    summarises: bool  # a report over a time window may cover several such events

    @property
    def heard(self) -> bool:
        """True when such an event is usually noticed by its sound."""
        return self.name not in SIGHT_FAMILIES


_CV = "ceasefire_violation."
# Longest prefix wins. Confusions inside a family (mortar for artillery, shots for bursts,
# outgoing for incoming) are common, so they never stop reports from being grouped.
_FAMILIES: dict[str, Family] = {
    _CV + "explosion": Family("explosion", 20000.0, True),
    _CV + "drone_strike": Family("explosion", 20000.0, True),
    _CV + "projectile": Family("projectile", 16000.0, False),
    _CV + "small_arms": Family("small_arms", 8000.0, True),
    _CV + "anti_aircraft": Family("anti_aircraft", 12000.0, False),
    _CV + "illumination_flare": Family("flare", 13000.0, False),
    "weapons_forces.military_movement": Family("movement", 6000.0, False),
    "weapons_forces.fortification": Family("fortification", 5000.0, False),
}
_OTHER_RANGE_M = 10000.0
# Parts of a category that say nothing about the kind of event.
VAGUE_SUFFIXES = ("undetermined", "unknown")


@lru_cache(maxsize=4096)
def family_of(category: str) -> Family:
    """The family of a category; a category outside every family is a family of its own."""
    best = ""
    for prefix in _FAMILIES:
        if (category == prefix or category.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    if best:
        return _FAMILIES[best]
    return Family(category, _OTHER_RANGE_M, False)


def is_heard(category: str, observer_kind: str) -> bool:
    """True when the report was probably made by ear, so sound travel delays it."""
    return observer_kind not in SIGHT_OBSERVERS and family_of(category).name not in SIGHT_FAMILIES


def sound_delay_s(distance_m: float) -> float:
    """Seconds sound takes to travel a distance."""
    return distance_m / SPEED_OF_SOUND_M_S


@lru_cache(maxsize=4096)
def is_vague(category: str) -> bool:
    """True for a category that only says "something of this family"."""
    return category.rsplit(".", 1)[-1] in VAGUE_SUFFIXES
