"""GeoJSON (RFC 7946) for the map: zones, posts, and a day's observations with bearing rays."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vigil.domain.geodesy import ray
from vigil.store.tables import Observation, Post, Zone

RAY_WITHOUT_DISTANCE_M = 15_000.0  # how far a bearing-only ray is drawn


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
    rows: Iterable[Observation], post_codes: dict[int, str]
) -> list[dict[str, Any]]:
    """Each observation as a point where located, and its bearing as a ray from the observer."""
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


def collection(features: list[dict[str, Any]], **members: Any) -> dict[str, Any]:
    """A FeatureCollection, with foreign members (e.g. the day shown)."""
    return {"type": "FeatureCollection", "features": features, **members}
