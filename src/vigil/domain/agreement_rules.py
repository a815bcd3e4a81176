"""Which incidents may breach (or show compliance with) a provision of the agreement.

A rule is data: categories (a code covers its sub-categories), zones (inside, or within N km
of, any of them), a time (from the provision's entry into force, its deadline, or an instant)
and parties (an incident attributed to another party does not match; an unattributed one
does). Here a rule is checked when it is written and evaluated against one incident; the
answer says why it matched, so an analyst can judge the flag. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from vigil.domain.geodesy import plane_xy_many
from vigil.errors import FieldError, VigilError

EFFECTS: tuple[str, ...] = ("breach", "compliance")
RELATIONS: tuple[str, ...] = ("inside", "within")
AFTER: tuple[str, ...] = ("in_force", "deadline", "instant")
MAX_WITHIN_KM = 500.0
MAX_LABEL = 200
AREAS = {"Polygon", "MultiPolygon"}


@dataclass(frozen=True)
class RuleSpec:
    """A rule's conditions, as stored on a provision_rule row."""

    label: str
    effect: str
    categories: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    zone_relation: str = "inside"
    within_km: float | None = None
    after: str = "in_force"
    after_instant: datetime | None = None
    parties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Times:
    """The provision's times a rule may count from."""

    in_force_from: datetime | None
    deadline: datetime | None


@dataclass(frozen=True)
class Happening:
    """An incident as rules see it: what, when, where, and the party it is attributed to."""

    category: str
    started_at: datetime
    lat: float | None
    lon: float | None
    party: str | None


@dataclass(frozen=True)
class Known:
    """What a rule may name: category codes, zone codes with geometry types, party codes."""

    categories: frozenset[str]
    zones: Mapping[str, str]  # code -> GeoJSON geometry type
    parties: frozenset[str]


@dataclass(frozen=True)
class ZoneShape:
    """A zone's geometry, ready for many point tests."""

    code: str
    geometry: BaseGeometry = field(compare=False)

    @classmethod
    def of(cls, code: str, geojson: Mapping[str, Any]) -> ZoneShape:
        """From the zone's GeoJSON geometry (prepared for repeated tests)."""
        geom = shape(geojson)
        shapely.prepare(geom)
        return cls(code, geom)


def validate(spec: RuleSpec, times: Times, known: Known) -> RuleSpec:
    """The rule, cleaned, if it can be evaluated; otherwise every fault, named by field."""
    faults: list[tuple[str, str, str]] = []
    label = spec.label.strip()
    if not label or len(label) > MAX_LABEL:
        faults.append(("label", f"give a label of 1 to {MAX_LABEL} characters", ""))
    if spec.effect not in EFFECTS:
        faults.append(("effect", f"one of {', '.join(EFFECTS)}", ""))
    faults += _category_faults(spec.categories, known)
    faults += _zone_faults(spec, known)
    faults += _time_faults(spec, times)
    unknown = [p for p in spec.parties if p not in known.parties]
    if unknown:
        faults.append(("parties", f"no such party: {', '.join(unknown)}", "unknown_reference"))
    if faults:
        raise _refusal(faults)
    return RuleSpec(
        label, spec.effect, _unique(spec.categories), _unique(spec.zones), spec.zone_relation,
        spec.within_km if spec.zone_relation == "within" else None, spec.after,
        spec.after_instant if spec.after == "instant" else None, _unique(spec.parties),
    )  # fmt: skip


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _category_faults(codes: Sequence[str], known: Known) -> list[tuple[str, str, str]]:
    unknown = [c for c in codes if c not in known.categories]
    if not unknown:
        return []
    return [("categories", f"not in the taxonomy: {', '.join(unknown)}", "unknown_category")]


def _zone_faults(spec: RuleSpec, known: Known) -> list[tuple[str, str, str]]:
    faults: list[tuple[str, str, str]] = []
    if spec.zone_relation not in RELATIONS:
        return [("zone_relation", f"one of {', '.join(RELATIONS)}", "")]
    unknown = [z for z in spec.zones if z not in known.zones]
    if unknown:
        faults.append(("zones", f"no such zone: {', '.join(unknown)}", "unknown_reference"))
    if spec.zone_relation == "within":
        km = spec.within_km
        if km is None:
            faults.append(("within_km", "'within' needs a distance in km", ""))
        elif not (0 < km <= MAX_WITHIN_KM):
            faults.append(("within_km", f"more than 0 and at most {MAX_WITHIN_KM:g} km", ""))
        if not spec.zones:
            faults.append(("zones", "name the zones the incident must be within km of", ""))
        return faults
    if spec.within_km is not None:
        faults.append(("within_km", "a distance only goes with zone_relation 'within'", ""))
    lines = [z for z in spec.zones if z in known.zones and known.zones[z] not in AREAS]
    if lines:
        faults.append(("zones", f"not areas, nothing is inside them: {', '.join(lines)} "
                       "(use 'within' N km)", ""))  # fmt: skip
    return faults


def _time_faults(spec: RuleSpec, times: Times) -> list[tuple[str, str, str]]:
    if spec.after not in AFTER:
        return [("after", f"one of {', '.join(AFTER)}", "")]
    if spec.after == "deadline" and times.deadline is None:
        return [("after", "the provision has no deadline to count from", "")]
    if spec.after == "instant":
        at = spec.after_instant
        if at is None:
            return [("after_instant", "'instant' needs the instant (with a time zone)", "")]
        if at.tzinfo is None:
            return [("after_instant", "give a time zone, e.g. 2020-11-25T20:00:00Z", "")]
    elif spec.after_instant is not None:
        return [("after_instant", "an instant only goes with after 'instant'", "")]
    return []


def _refusal(faults: list[tuple[str, str, str]]) -> VigilError:
    errors = [FieldError(f, m) for f, m, _ in faults]
    detail = "; ".join(f"{f}: {m}" for f, m, _ in faults)
    codes = {c for _, _, c in faults}
    code = codes.pop() if len(faults) == 1 and "" not in codes else "validation_failed"
    return VigilError(code or "validation_failed", detail, errors)


def covers(rule_code: str, code: str) -> bool:
    """True when a rule's category covers an incident's (itself or a sub-category)."""
    return code == rule_code or code.startswith(rule_code + ".")


def basis(spec: RuleSpec, times: Times) -> datetime | None:
    """The instant from which the rule counts (None: from any time)."""
    if spec.after == "deadline":
        return times.deadline
    if spec.after == "instant":
        return spec.after_instant
    return times.in_force_from


def evaluate(
    spec: RuleSpec, times: Times, incident: Happening, zones: Mapping[str, ZoneShape]
) -> dict[str, Any] | None:
    """Why the rule matches the incident (category, zone, distance, time, party), or None."""
    category = _category_match(spec, incident.category)
    if category is False:
        return None
    since = basis(spec, times)
    if spec.after == "deadline" and since is None:
        return None
    if since is not None and incident.started_at < since:
        return None
    party = _party_match(spec, incident.party)
    if party is None:
        return None
    where = _zone_match(spec, incident, zones)
    if where is None:
        return None
    return {
        "category": incident.category,
        "rule_category": category,
        **where,
        "time_basis": spec.after,
        "since": _iso(since) if since else None,
        "started_at": _iso(incident.started_at),
        **party,
    }


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _category_match(spec: RuleSpec, code: str) -> str | None | bool:
    if not spec.categories:
        return None  # any category
    return next((c for c in spec.categories if covers(c, code)), False)


def _party_match(spec: RuleSpec, party: str | None) -> dict[str, Any] | None:
    if not spec.parties:
        return {"party": party, "party_basis": "any party"}
    if party is None:
        return {"party": None, "party_basis": "unattributed"}
    if party in spec.parties:
        return {"party": party, "party_basis": "attributed"}
    return None


def _zone_match(
    spec: RuleSpec, incident: Happening, zones: Mapping[str, ZoneShape]
) -> dict[str, Any] | None:
    if not spec.zones:
        return {"zone": None, "relation": None, "distance_km": None}
    if incident.lat is None or incident.lon is None:
        return None
    shapes = [zones[z] for z in spec.zones if z in zones]
    point = Point(incident.lon, incident.lat)
    inside = next((z for z in shapes if z.geometry.covers(point)), None)
    if inside is not None:
        return {"zone": inside.code, "relation": spec.zone_relation, "distance_km": 0.0}
    if spec.zone_relation != "within" or spec.within_km is None or not shapes:
        return None
    near = min((distance_km(z.geometry, incident.lat, incident.lon), z.code) for z in shapes)
    if near[0] > spec.within_km:
        return None
    return {
        "zone": near[1], "relation": "within", "distance_km": round(near[0], 3),
        "within_km": spec.within_km,
    }  # fmt: skip


def distance_km(geometry: BaseGeometry, lat: float, lon: float) -> float:
    """Distance from a point to a geometry, in km, on the azimuthal equidistant plane around
    the point (geodesic for the nearest vertex; within metres for the segments between)."""

    def to_plane(coords: np.ndarray) -> np.ndarray:
        return plane_xy_many(lat, lon, coords[:, 1], coords[:, 0])

    flat = shapely.transform(geometry, to_plane)
    return float(flat.distance(Point(0.0, 0.0))) / 1000.0


def describe(match: Mapping[str, Any]) -> str:
    """A flag's match in one sentence for people."""
    parts = []
    if match.get("rule_category") == match.get("category"):
        parts.append(f"category {match.get('category')}")
    elif match.get("rule_category"):
        parts.append(f"{match.get('category')} is under {match['rule_category']}")
    else:
        parts.append(f"{match.get('category')} (any category)")
    if match.get("zone"):
        if match.get("relation") == "within" and match.get("distance_km"):
            parts.append(
                f"{match['distance_km']:.1f} km from {match['zone']} "
                f"(within {match.get('within_km'):g} km)"
            )
        else:
            parts.append(f"inside {match['zone']}")
    else:
        parts.append("anywhere")
    names = {"in_force": "entry into force", "deadline": "the deadline", "instant": "the instant"}
    since = match.get("since")
    basis_name = names.get(str(match.get("time_basis")), str(match.get("time_basis")))
    parts.append(f"on or after {basis_name} {since}" if since else "at any time")
    party = match.get("party_basis")
    parts.append(f"party: {match.get('party')} (attributed)" if party == "attributed" else
                 f"party: {party}")  # fmt: skip
    return "; ".join(parts)
