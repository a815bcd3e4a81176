"""The default observation taxonomy and weapon classes a mission starts from.

Categories are data: `vigil init` copies this tree into the category table, and a
mission may add its own. Codes are dotted paths; a parent is a prefix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """One node of the taxonomy: a stable code, an English label, and its parent code."""

    code: str
    label: str

    @property
    def parent(self) -> str | None:
        head, _, _ = self.code.rpartition(".")
        return head or None


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("ceasefire_violation", "Ceasefire violation"),
    Category("ceasefire_violation.explosion", "Explosion"),
    Category("ceasefire_violation.explosion.undetermined", "Explosion, undetermined"),
    Category("ceasefire_violation.explosion.artillery", "Explosion, artillery"),
    Category("ceasefire_violation.explosion.mortar", "Explosion, mortar"),
    Category("ceasefire_violation.explosion.tank", "Explosion, tank"),
    Category("ceasefire_violation.explosion.rocket", "Explosion, rocket / MLRS"),
    Category("ceasefire_violation.explosion.mine_ied", "Explosion, mine / IED"),
    Category("ceasefire_violation.projectile", "Projectile in flight"),
    Category("ceasefire_violation.projectile.outgoing", "Projectile in flight, outgoing"),
    Category("ceasefire_violation.projectile.incoming", "Projectile in flight, incoming"),
    Category("ceasefire_violation.small_arms", "Small-arms or heavy-machine-gun fire"),
    Category("ceasefire_violation.small_arms.bursts", "Small-arms fire, bursts"),
    Category("ceasefire_violation.small_arms.shots", "Small-arms fire, shots"),
    Category("ceasefire_violation.anti_aircraft", "Anti-aircraft fire"),
    Category("ceasefire_violation.illumination_flare", "Illumination flare"),
    Category("ceasefire_violation.drone_strike", "Armed drone strike"),
    Category("weapons_forces", "Weapons and forces"),
    Category("weapons_forces.heavy_weapons_in_zone", "Heavy weapons in a withdrawal zone"),
    Category("weapons_forces.weapons_missing", "Weapons missing from a storage site"),
    Category("weapons_forces.military_movement", "Military movement"),
    Category("weapons_forces.fortification", "New fortification works"),
    Category("weapons_forces.armed_personnel", "Armed personnel in a demilitarised area"),
    Category("line_crossings", "Line and crossings"),
    Category("line_crossings.detention", "Detention at the line"),
    Category("line_crossings.crossing", "Crossing of the line"),
    Category("line_crossings.borderisation", "Fences, signs or other borderisation"),
    Category("civilian_harm", "Civilian harm"),
    Category("civilian_harm.casualty", "Civilian casualty"),
    Category("civilian_harm.damage", "Damage to housing or infrastructure"),
    Category("mines_uxo", "Mines and unexploded ordnance"),
    Category("humanitarian", "Humanitarian"),
    Category("humanitarian.returns", "Returns of displaced people"),
    Category("humanitarian.exchange", "Exchange of prisoners or remains"),
    Category("freedom_of_movement", "Restriction of the mission's freedom of movement"),
    # What the agreement's provisions ask the parties to do, seen being done (or prevented).
    Category("implementation", "Implementation of the agreement"),
    Category("implementation.withdrawal", "Withdrawal of forces observed"),
    Category("implementation.handover", "Handover of territory observed"),
    Category("implementation.peacekeeper_deployment", "Peacekeepers deployed or present"),
    Category("implementation.monitoring_centre", "Ceasefire monitoring centre operating"),
    Category("implementation.transport_link", "Transport link open or used"),
    Category(
        "implementation.obstruction", "Obstruction of civilian movement on a route or corridor"
    ),
)

WEAPON_CLASSES: tuple[str, ...] = (
    "small_arms",
    "heavy_machine_gun",
    "mortar",
    "artillery",
    "tank",
    "rocket_mlrs",
    "anti_aircraft",
    "drone",
    "mine_ied",
    "unknown",
)


def is_ceasefire_violation(code: str) -> bool:
    """True for every category under ceasefire_violation (the figure reports quote)."""
    return code == "ceasefire_violation" or code.startswith("ceasefire_violation.")
