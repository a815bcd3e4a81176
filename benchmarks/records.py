"""A synthetic sample as API drafts (JSON, for intake) or as stored rows (for the bulk load)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from benchmarks.synthetic import (
    CATEGORY_MIX,
    CREDIBILITY,
    LABELS,
    RELIABILITY,
    PostSpec,
    Sample,
    stand_in_fingerprint,
    time_of,
)

COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def _columns(s: Sample, start: int, stop: int) -> dict[str, list[Any]]:
    """Rows start..stop of a sample as plain Python lists (fast to index)."""
    return {name: getattr(s, name)[start:stop].tolist() for name in s.__dataclass_fields__}


def _iso(seconds: int) -> str:
    return time_of(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(kind: int, category: str, count: int, bearing: float) -> str:
    """A monitor's short free text."""
    what = LABELS[category].lower()
    if kind == 2:
        return f"{what} seen by the patrol ({count})"
    return f"{what} heard to the {COMPASS[round(bearing / 45) % 8]} ({count})"


def _observer_draft(c: dict[str, list[Any]], i: int, posts: list[PostSpec]) -> dict[str, Any]:
    if c["kind"][i] == 2:
        lat, lon, err = c["observer"][i]
        name = f"Patrol {c['patrol'][i]:02d}"
        return {
            "kind": "patrol",
            "name": name,
            "lat": round(lat, 5),
            "lon": round(lon, 5),
            "error_m": err,
        }
    return {"kind": "post", "post": posts[c["post"][i]].code}


def _where_draft(c: dict[str, list[Any]], i: int) -> dict[str, Any]:
    kind = c["kind"][i]
    if kind == 2:
        lat, lon, err = c["location"][i]
        return {"location": {"lat": round(lat, 5), "lon": round(lon, 5), "error_m": err}}
    out: dict[str, Any] = {"bearing": {"deg": c["bearing"][i], "error_deg": c["bearing_err"][i]}}
    if kind == 0:
        m = c["distance"][i]
        out["distance"] = {"m": m, "error_m": round(m * 0.3)}
    return out


def _draft(
    c: dict[str, list[Any]], i: int, posts: list[PostSpec], client_id: str
) -> dict[str, Any]:
    """One observation as a sensor or app would POST it."""
    category, _, weapon = CATEGORY_MIX[c["category"][i]]
    rel, cred = c["grade"][i]
    draft: dict[str, Any] = {
        "client_id": client_id,
        "observed_at": _iso(c["seconds"][i]),
        "time_uncertainty_s": c["uncertainty"][i],
        "observer": _observer_draft(c, i, posts),
        "category": category,
        "count": c["count"][i],
        "text": _text(c["kind"][i], category, c["count"][i], c["bearing"][i]),
        "grade": {"reliability": str(RELIABILITY[rel]), "credibility": str(CREDIBILITY[cred])},
        **_where_draft(c, i),
    }
    if weapon:
        draft["weapon_class"] = weapon
    if c["duration"][i]:
        draft["observed_to"] = _iso(c["seconds"][i] + c["duration"][i])
    return draft


def drafts(
    s: Sample, posts: list[PostSpec], prefix: str, start: int, stop: int
) -> list[dict[str, Any]]:
    """Rows start..stop as JSON drafts with client ids PREFIX-0000000..."""
    c = _columns(s, start, stop)
    return [_draft(c, i, posts, f"{prefix}-{start + i:07d}") for i in range(stop - start)]


def _row_where(c: dict[str, list[Any]], i: int) -> dict[str, Any]:
    kind = c["kind"][i]
    heard = kind != 2
    distance = c["distance"][i] if kind == 0 else None
    lat, lon, err = c["location"][i]
    return {
        "lat": None if heard else round(lat, 5),
        "lon": None if heard else round(lon, 5),
        "location_error_m": None if heard else err,
        "bearing_deg": c["bearing"][i] if heard else None,
        "bearing_error_deg": c["bearing_err"][i] if heard else None,
        "distance_m": distance,
        "distance_error_m": None if distance is None else float(round(distance * 0.3)),
        "est_lat": c["estimated"][i][0],
        "est_lon": c["estimated"][i][1],
    }


def _row_observer(
    c: dict[str, list[Any]], i: int, posts: list[PostSpec], post_ids: dict[str, int]
) -> dict[str, Any]:
    if c["kind"][i] == 2:
        lat, lon, err = c["observer"][i]
        return {
            "observer_kind": "patrol",
            "post_id": None,
            "observer_name": f"Patrol {c['patrol'][i]:02d}",
            "observer_lat": round(lat, 5),
            "observer_lon": round(lon, 5),
            "observer_error_m": err,
        }
    post = posts[c["post"][i]]
    return {
        "observer_kind": "post",
        "post_id": post_ids[post.code],
        "observer_name": None,
        "observer_lat": post.lat,
        "observer_lon": post.lon,
        "observer_error_m": None,
    }


def _row(
    c: dict[str, list[Any]],
    i: int,
    posts: list[PostSpec],
    post_ids: dict[str, int],
    user_id: int,
    client_id: str,
) -> dict[str, Any]:
    """One observation in its stored form (every column but the id)."""
    category, _, weapon = CATEGORY_MIX[c["category"][i]]
    rel, cred = c["grade"][i]
    seconds, duration = c["seconds"][i], c["duration"][i]
    return {
        "client_id": client_id,
        "fingerprint": stand_in_fingerprint(client_id),
        "channel": "api",
        "submitted_by": user_id,
        "submitted_at": time_of(c["submitted"][i]),
        "observed_at": time_of(seconds),
        "observed_to": time_of(seconds + duration) if duration else None,
        "time_uncertainty_s": c["uncertainty"][i],
        **_row_observer(c, i, posts, post_ids),
        "category": category,
        "weapon_class": weapon,
        "count": c["count"][i],
        **_row_where(c, i),
        "text": _text(c["kind"][i], category, c["count"][i], c["bearing"][i]),
        "reliability": str(RELIABILITY[rel]),
        "credibility": str(CREDIBILITY[cred]),
        "status": "new",
    }


def rows(
    s: Sample,
    posts: list[PostSpec],
    post_ids: dict[str, int],
    user_id: int,
    prefix: str,
    start: int,
    stop: int,
) -> list[dict[str, Any]]:
    """Rows start..stop in stored form, for a bulk load that bypasses the service."""
    c = _columns(s, start, stop)
    return [
        _row(c, i, posts, post_ids, user_id, f"{prefix}-{start + i:07d}")
        for i in range(stop - start)
    ]


def day_start(day: int) -> Any:
    """Midnight UTC that starts day `day` of the benchmark month."""
    return time_of(0) + timedelta(days=day)
