"""How the posts perceive the truth: who detects what, and the errors in what they report.

Detection falls with distance (half the events are caught at a distance set by the kind of
event, hardly any at twice that), never beyond a post's range, and for cameras only inside
their view sector. Reports carry the errors real observers make: bearing noise, rough
distance guesses, sound travel delay, times rounded to the minute, miscounts, confused
weapon types, and a few false alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from vigil.domain.geodesy import WGS84
from vigil.domain.simulation_model import (
    OBSERVERS,
    SPECS,
    SPEED_OF_SOUND_M_S,
    WEAPON_OF_EXPLOSION,
    EventSpec,
    SimObservation,
    SimPost,
    TruthEvent,
    in_sector,
    is_night,
)
from vigil.domain.taxonomy import DEFAULT_CATEGORIES

_CV = "ceasefire_violation."
_LABELS = {c.code: c.label for c in DEFAULT_CATEGORIES}
_BY_CATEGORY = {spec.category: spec for name, spec in SPECS.items() if name != "hmg"}
_SWAPS = {
    _CV + "explosion.artillery": _CV + "explosion.mortar",
    _CV + "explosion.mortar": _CV + "explosion.artillery",
    _CV + "projectile.outgoing": _CV + "projectile.incoming",
    _CV + "small_arms.bursts": _CV + "small_arms.shots",
    _CV + "small_arms.shots": _CV + "small_arms.bursts",
}
_SWAP_P = {"observation_post": 0.15, "acoustic_sensor": 0.08, "camera": 0.05}
_COUNT_SIGMA = {"observation_post": 0.25, "acoustic_sensor": 0.1, "camera": 0.1}
_LOCATION_SIGMA_M = {"observation_post": 400.0, "camera": 150.0}
_FALSE_ALARMS_PER_DAY = {"observation_post": 0.12, "acoustic_sensor": 0.4, "camera": 0.1}
_FALSE_CATEGORIES = {
    "observation_post": (_CV + "explosion.undetermined", _CV + "small_arms.shots"),
    "acoustic_sensor": (_CV + "explosion.undetermined",),
    "camera": ("weapons_forces.military_movement",),
}


def _kind(post: SimPost) -> str:
    """The observer model for a post; unknown kinds behave like a staffed post."""
    return post.kind if post.kind in OBSERVERS else "observation_post"


def spec_of(event: TruthEvent) -> EventSpec:
    """The signature (how far heard and seen) of a truth event."""
    if event.weapon_class == "heavy_machine_gun":
        return SPECS["hmg"]
    return _BY_CATEGORY.get(event.category, SPECS["mortar"])


def observe(
    events: Sequence[TruthEvent], posts: Sequence[SimPost], rng: np.random.Generator
) -> list[SimObservation]:
    """Every report the posts make of the events (client ids are filled in later)."""
    if not events or not posts:
        return []
    lons = np.array([e.lon for e in events])
    lats = np.array([e.lat for e in events])
    geometry = []
    for post in posts:
        az, _, dist = WGS84.inv(
            np.full_like(lons, post.lon), np.full_like(lats, post.lat), lons, lats
        )
        geometry.append((np.asarray(az) % 360.0, np.asarray(dist)))
    out = []
    for i, event in enumerate(events):
        spec, night = spec_of(event), is_night(event.started_at)
        for post, (az, dist) in zip(posts, geometry, strict=True):
            p, channel = detection(spec, post, float(dist[i]), float(az[i]), night)
            if p > 0.0 and rng.random() < p:
                out.append(_report(event, post, float(dist[i]), float(az[i]), channel, rng))
    return out


def detection(
    spec: EventSpec, post: SimPost, dist: float, az: float, night: bool
) -> tuple[float, str]:
    """Chance that a post notices an event, and whether by "sound" or "sight"."""
    if dist > post.range_m:
        return 0.0, ""
    kind = _kind(post)
    pmax = OBSERVERS[kind][0]
    sight_r = spec.sight_night_m if night else spec.sight_day_m
    if not in_sector(az, post.view_from_deg, post.view_to_deg):
        sight_r = None
    sound_r = None if kind == "camera" else spec.sound_m
    if kind == "acoustic_sensor":
        sight_r, sound_r = None, (sound_r * 1.3 if sound_r else None)
    p_sound = pmax / (1.0 + (dist / sound_r) ** 4) if sound_r else 0.0
    p_sight = pmax / (1.0 + (dist / sight_r) ** 4) if sight_r else 0.0
    if p_sound == 0.0 and p_sight == 0.0:
        return 0.0, ""
    return (p_sound, "sound") if p_sound >= p_sight else (p_sight, "sight")


def _report(
    event: TruthEvent, post: SimPost, dist: float, az: float, channel: str, rng: np.random.Generator
) -> SimObservation:
    """One post's report of one event, with that post's kind of errors."""
    kind = _kind(post)
    delay = timedelta(seconds=dist / SPEED_OF_SOUND_M_S if channel == "sound" else 0.0)
    observed_at, uncertainty = _reported_time(event.started_at + delay, kind, rng)
    observed_to = None
    if event.ended_at - event.started_at >= timedelta(seconds=60):
        observed_to = max(observed_at, _reported_time(event.ended_at + delay, kind, rng)[0])
    category = _misclassify(event.category, kind, dist, rng)
    weapon = _weapon(event, category, kind, rng)
    count = max(1, int(round(event.count * float(np.exp(rng.normal(0, _COUNT_SIGMA[kind]))))))
    sigma = OBSERVERS[kind][1]
    bearing = float(az + rng.normal(0.0, sigma)) % 360.0
    bearing = 0.0 if bearing >= 360.0 else bearing
    distance, distance_error = _distance_estimate(dist, kind, channel, rng)
    lat, lon, location_error = _direct_location(event, kind, dist, channel, rng)
    return SimObservation(
        client_id="",
        truth_key=event.key or None,
        post_code=post.code,
        observer_lat=post.lat,
        observer_lon=post.lon,
        observed_at=observed_at,
        observed_to=observed_to,
        time_uncertainty_s=uncertainty,
        category=category,
        weapon_class=weapon,
        count=count,
        bearing_deg=round(bearing, 1) % 360.0,  # 359.96 rounds to 360.0: north is 0
        bearing_error_deg=sigma,
        distance_m=distance,
        distance_error_m=distance_error,
        lat=lat,
        lon=lon,
        location_error_m=location_error,
        text=_text(category, count, channel, bearing, distance),
        reliability=OBSERVERS[kind][2],
        credibility=OBSERVERS[kind][3],
    )


def _reported_time(heard: datetime, kind: str, rng: np.random.Generator) -> tuple[datetime, float]:
    """The time as written down: monitors round to the minute, sensors to the second."""
    if kind == "observation_post":
        noted = heard.timestamp() + abs(float(rng.normal(0.0, 20.0)))
        return datetime.fromtimestamp(round(noted / 60.0) * 60.0, UTC), 60.0
    uncertainty = 2.0 if kind == "acoustic_sensor" else 1.0
    return datetime.fromtimestamp(round(heard.timestamp()), UTC), uncertainty


def _misclassify(category: str, kind: str, dist: float, rng: np.random.Generator) -> str:
    """The category as reported: far explosions lose their type, similar kinds get confused."""
    if category.startswith(_CV + "explosion."):
        p_unknown = {"observation_post": 0.05 + 0.25 * min(1.0, dist / 15000.0)}.get(kind, 0.05)
        if rng.random() < p_unknown:
            return _CV + "explosion.undetermined"
    swap = _SWAPS.get(category)
    if swap is not None and rng.random() < _SWAP_P[kind]:
        return swap
    return category


def _weapon(event: TruthEvent, category: str, kind: str, rng: np.random.Generator) -> str | None:
    """The weapon class that goes with the reported category."""
    if category.startswith(_CV + "explosion."):
        return WEAPON_OF_EXPLOSION[category.rsplit(".", 1)[1]]
    if category == _CV + "small_arms.shots":
        return "small_arms"
    if category.startswith("weapons_forces.") and kind != "camera" and rng.random() < 0.2:
        return None if event.weapon_class is None else "unknown"
    return event.weapon_class


def _distance_estimate(
    dist: float, kind: str, channel: str, rng: np.random.Generator
) -> tuple[float | None, float | None]:
    """A guessed distance with its error, or none (acoustic sensors give bearings only)."""
    if kind == "acoustic_sensor":
        return None, None
    rel = 0.1 if kind == "camera" else 0.3
    if kind == "observation_post" and channel == "sound" and rng.random() < 0.25:
        return None, None
    estimate = max(100.0, round(dist * float(np.exp(rng.normal(0.0, rel))), -2))
    return estimate, round(rel * estimate, -1)


def _direct_location(
    event: TruthEvent, kind: str, dist: float, channel: str, rng: np.random.Generator
) -> tuple[float | None, float | None, float | None]:
    """A located sighting (lat, lon, error) of movements and works seen close enough."""
    if not event.category.startswith("weapons_forces.") or channel != "sight":
        return None, None, None
    if kind not in _LOCATION_SIGMA_M or (kind == "observation_post" and dist > 4000.0):
        return None, None, None
    sigma = _LOCATION_SIGMA_M[kind]
    azimuth, shift = float(rng.uniform(0.0, 360.0)), float(rng.rayleigh(sigma))
    lon, lat, _ = WGS84.fwd(event.lon, event.lat, azimuth, shift)
    return round(float(lat), 6), round(float(lon), 6), sigma


def _text(category: str, count: int, channel: str, bearing: float, dist: float | None) -> str:
    """The monitor's free-text line, as a patrol report would put it."""
    verb = "heard" if channel == "sound" else "seen"
    where = f"at bearing {bearing:.0f} deg" + (f", about {dist / 1000:.1f} km" if dist else "")
    return f"{_LABELS.get(category, category)} (x{count}), {verb} {where}."


def false_alarms(
    posts: Sequence[SimPost], start: datetime, end: datetime, rng: np.random.Generator
) -> list[SimObservation]:
    """Reports of things that did not happen: quarry blasts, thunder, a tractor at dusk."""
    span_s = (end - start).total_seconds()
    out = []
    for post in posts:
        kind = _kind(post)
        for _ in range(int(rng.poisson(_FALSE_ALARMS_PER_DAY[kind] * span_s / 86400.0))):
            phantom, dist, az, channel = _phantom(post, kind, start, span_s, rng)
            out.append(_report(phantom, post, dist, az, channel, rng))
    return out


def _phantom(
    post: SimPost, kind: str, start: datetime, span_s: float, rng: np.random.Generator
) -> tuple[TruthEvent, float, float, str]:
    """An imagined event somewhere in the post's sector, with its distance and bearing."""
    width = (post.view_to_deg - post.view_from_deg) % 360.0 or 360.0
    az = float(post.view_from_deg + rng.uniform(0.0, width)) % 360.0
    dist = float(rng.uniform(1000.0, max(1500.0, min(post.range_m, 8000.0))))
    lon, lat, _ = WGS84.fwd(post.lon, post.lat, az, dist)
    category = str(rng.choice(_FALSE_CATEGORIES[kind]))
    at = start + timedelta(seconds=float(rng.uniform(0.0, span_s)))
    spec = _BY_CATEGORY[category] if category in _BY_CATEGORY else SPECS["mortar"]
    weapon = "unknown" if spec.weapon_class else None
    event = TruthEvent("", category, weapon, float(lat), float(lon), at, at, 1)
    return event, dist, az, "sight" if kind == "camera" else "sound"
