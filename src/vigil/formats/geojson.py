"""GeoJSON (RFC 7946) for the map: zones, posts, a day's observations with bearing rays, and
incidents with their 95 % ellipses or bearing-only wedges."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from vigil.domain.geodesy import ellipse_ring, ray
from vigil.store.tables import (
    Incident,
    IncidentFusion,
    MovementRestriction,
    Observation,
    Post,
    Zone,
)

RAY_WITHOUT_DISTANCE_M = 15_000.0  # how far a bearing-only ray is drawn
# An ellipse wider than this says "we do not know where" and would cover the whole map:
# it is described (props) but not drawn.
ELLIPSE_MAX_DRAWN_M = 100_000.0


def feature(geometry: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """One GeoJSON Feature."""
    return {"type": "Feature", "geometry": geometry, "properties": props}


def zone_features(zones: Iterable[Zone]) -> list[dict[str, Any]]:
    """Zones with their kind and names."""
    return [
        feature(z.geometry, {"layer": "zone", "code": z.code, "kind": z.kind, "names": z.names})
        for z in zones
    ]


def post_features(posts: Iterable[Post]) -> list[dict[str, Any]]:
    """Posts as points."""
    return [
        feature(
            {"type": "Point", "coordinates": [p.lon, p.lat]},
            {"layer": "post", "code": p.code, "name": p.name, "kind": p.kind},
        )
        for p in posts
    ]


def observation_features(
    rows: Iterable[Observation],
    post_codes: dict[int, str],
    evidence: Mapping[int, int] | None = None,
) -> list[dict[str, Any]]:
    """Each observation as a point where located, and its bearing as a ray from the observer;
    given the evidence counts (observation id -> files), each says how many files it has."""
    out = []
    for o in rows:
        props = {
            "layer": "observation",
            "id": o.id,
            "client_id": o.client_id,
            "observed_at": o.observed_at.isoformat(),
            "category": o.category,
            "count": o.count,
            "weapon_class": o.weapon_class,
            "post": post_codes.get(o.post_id) if o.post_id else None,
            "observer": o.observer_name,
            "text": o.text[:200],
            "grade": f"{o.reliability}{o.credibility}",
        }
        if evidence is not None:
            props["evidence"] = evidence.get(o.id, 0)
        located = o.lat is not None or o.distance_m is not None
        if located and o.est_lat is not None:
            out.append(
                feature(
                    {"type": "Point", "coordinates": [o.est_lon, o.est_lat]},
                    {**props, "shape": "point"},
                )
            )
        if o.bearing_deg is not None and o.observer_lat is not None and o.observer_lon is not None:
            length = o.distance_m or RAY_WITHOUT_DISTANCE_M
            line = ray(o.observer_lat, o.observer_lon, o.bearing_deg, length)
            out.append(
                feature(
                    {"type": "LineString", "coordinates": [list(p) for p in line]},
                    {
                        **props,
                        "shape": "ray",
                        "bearing_deg": o.bearing_deg,
                        "has_distance": o.distance_m is not None,
                    },
                )
            )
    return out


class IncidentOnMap(Protocol):
    """What incident_features needs: queries.incidents.FusedIncident has these."""

    @property
    def incident(self) -> Incident: ...
    @property
    def fusion(self) -> IncidentFusion | None: ...
    @property
    def members(self) -> Sequence[tuple[int, str]]: ...
    @property
    def summaries(self) -> Sequence[tuple[int, str]]: ...


def location_kind(item: IncidentOnMap) -> str:
    """point, wedge, degenerate or none; an incident without a fusion record (stored before
    fusion) is a point when it has a position."""
    if item.fusion is not None:
        return item.fusion.location_kind
    return "point" if item.incident.lat is not None else "none"


def incident_props(item: IncidentOnMap) -> dict[str, Any]:
    """The properties every feature of an incident carries (point, ellipse, wedge alike)."""
    i, fu = item.incident, item.fusion
    return {
        "layer": "incident",
        "id": i.id,
        "category": i.category,
        "status": i.status,
        "count": i.count,
        "started_at": i.started_at.isoformat(),
        "ended_at": i.ended_at.isoformat(),
        "location_kind": location_kind(item),
        "reports": len(item.members),
        "observation_ids": [o for o, _ in item.members],
        "client_ids": [c for _, c in item.members],
        "summary_ids": [o for o, _ in item.summaries],
        "existence_p": fu.existence_p if fu is not None else None,
        "major_m": i.ellipse_major_m,
        "minor_m": i.ellipse_minor_m,
        "angle_deg": i.ellipse_angle_deg,
    }


def wedge_geometry(text: str | None) -> dict[str, Any] | None:
    """The stored wedge as a GeoJSON Polygon, or None when absent or not a polygon."""
    try:
        found = json.loads(text) if text else None
    except ValueError:
        return None
    if isinstance(found, dict) and found.get("type") == "Feature":
        found = found.get("geometry")
    if not isinstance(found, dict) or found.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    return found if isinstance(found.get("coordinates"), list) else None


def _ellipse(i: Incident) -> dict[str, Any] | None:
    if i.lat is None or i.lon is None or i.ellipse_major_m is None:
        return None
    major, minor = i.ellipse_major_m, i.ellipse_minor_m or 0.0
    if not 0.0 < major <= ELLIPSE_MAX_DRAWN_M:
        return None
    ring = ellipse_ring(i.lat, i.lon, major, minor, i.ellipse_angle_deg or 0.0)
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def incident_features(
    items: Iterable[IncidentOnMap], include_superseded: bool = False
) -> list[dict[str, Any]]:
    """Each incident as a point where it has one, its 95 % ellipse, and its wedge when a
    single bearing is all that locates it; superseded incidents are left out unless asked."""
    out = []
    for item in items:
        superseded = item.fusion is not None and item.fusion.superseded_by is not None
        if superseded and not include_superseded:
            continue
        props = incident_props(item)
        i = item.incident
        if i.lat is not None and i.lon is not None:
            point = {"type": "Point", "coordinates": [i.lon, i.lat]}
            out.append(feature(point, {**props, "shape": "point"}))
        ellipse = _ellipse(i)
        if ellipse is not None:
            out.append(feature(ellipse, {**props, "shape": "ellipse"}))
        wedge = wedge_geometry(item.fusion.wedge) if item.fusion is not None else None
        if wedge is not None and props["location_kind"] == "wedge":
            out.append(feature(wedge, {**props, "shape": "wedge"}))
    return out


def restriction_features(
    rows: Iterable[MovementRestriction], parties: Mapping[int, str]
) -> list[dict[str, Any]]:
    """Restrictions of movement as points, and their no-access areas as polygons."""
    out = []
    for r in rows:
        props = {
            "layer": "restriction",
            "id": r.id,
            "kind": r.kind,
            "occurred_at": r.occurred_at.isoformat(),
            "ended_at": r.ended_at.isoformat() if r.ended_at else None,
            "place": r.place,
            "patrol": r.patrol,
            "stated_party": parties.get(r.stated_party_id) if r.stated_party_id else None,
            "stated_by": r.stated_by,
            "zone": r.zone_code,
        }
        point = {"type": "Point", "coordinates": [r.lon, r.lat]}
        out.append(feature(point, {**props, "shape": "point"}))
        if r.area:
            out.append(feature(r.area, {**props, "shape": "area"}))
    return out


def collection(features: list[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """A FeatureCollection, with foreign members (e.g. the day shown)."""
    return {"type": "FeatureCollection", "features": features, **members}
