"""What an observer writes down: the errors in its reports, and in a summary of many rounds.

Reports carry the errors real observers make: bearing noise, rough distance guesses, sound
travel delay, a clock that is a little off, times rounded to the minute, miscounts, confused
weapon types. A staffed post that hears several rounds of one shelling episode often files
one summary ("12 explosions 14:05-14:20, SE, 3-5 km") instead of a report per round.
The noise of all of one observer's reports is drawn at once: a simulation may hold millions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from vigil.domain.geodesy import WGS84
from vigil.domain.simulation_clocks import Clock
from vigil.domain.simulation_model import (
    LOCAL_UTC_OFFSET,
    OBSERVERS,
    SPEED_OF_SOUND_M_S,
    STAFFED,
    WEAPON_OF_EXPLOSION,
    SimPost,
    TruthEvent,
)
from vigil.domain.taxonomy import DEFAULT_CATEGORIES

Draft = dict[str, Any]  # the fields of a SimObservation, all but its client id
_CV = "ceasefire_violation."
_LABELS = {c.code: c.label for c in DEFAULT_CATEGORIES}
_SWAPS = {
    _CV + "explosion.artillery": _CV + "explosion.mortar",
    _CV + "explosion.mortar": _CV + "explosion.artillery",
    _CV + "projectile.outgoing": _CV + "projectile.incoming",
    _CV + "small_arms.bursts": _CV + "small_arms.shots",
    _CV + "small_arms.shots": _CV + "small_arms.bursts",
}
_SWAP_P = {"observation_post": 0.15, "patrol": 0.15, "acoustic_sensor": 0.08, "camera": 0.05}
_COUNT_SIGMA = {"observation_post": 0.25, "patrol": 0.25, "acoustic_sensor": 0.1, "camera": 0.1}
_LOCATION_SIGMA_M = {"observation_post": 400.0, "patrol": 400.0, "camera": 150.0}
_TIME_UNCERTAINTY_S = {"acoustic_sensor": 2.0, "camera": 1.0}  # staffed: 60 s
_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


@dataclass(frozen=True)
class Seen:
    """What one observer detected: the events, and from where, how far and how."""

    events: Sequence[TruthEvent]
    start_s: np.ndarray  # the events' start and end, epoch seconds
    end_s: np.ndarray
    counts: np.ndarray
    observer_lats: np.ndarray  # where the observer was at each detection
    observer_lons: np.ndarray
    dist: np.ndarray
    az: np.ndarray  # true azimuth from the observer, degrees
    by_sound: np.ndarray  # heard (True) or seen


def kind_of(post: SimPost) -> str:
    """The observer model for a post; unknown kinds behave like a staffed post."""
    return post.kind if post.kind in OBSERVERS else "observation_post"


def reports(post: SimPost, clock: Clock, seen: Seen, rng: np.random.Generator) -> list[Draft]:
    """One report per detected event, with the errors of that kind of observer."""
    kind, n = kind_of(post), len(seen.events)
    if n == 0:
        return []
    delay = np.where(seen.by_sound, seen.dist / SPEED_OF_SOUND_M_S, 0.0)
    at, uncertainty = reported_times(seen.start_s + delay, kind, clock, rng)
    until = np.maximum(at, reported_times(seen.end_s + delay, kind, clock, rng)[0])
    lasting = (seen.end_s - seen.start_s >= 60.0).tolist()
    counts = noisy_counts(seen.counts, kind, rng)
    bearings = noisy_bearings(seen.az, kind, rng)
    distances, errors = distance_estimates(seen.dist, kind, seen.by_sound, rng)
    unknown, swap, vague = rng.random((3, n)).tolist()
    rows = zip(
        seen.events, seen.observer_lats.tolist(), seen.observer_lons.tolist(),
        seen.dist.tolist(), seen.by_sound.tolist(), at.tolist(), until.tolist(), lasting,
        counts, bearings, distances, errors, unknown, swap, vague, strict=True,
    )  # fmt: skip
    out = []
    for event, lat, lon, dist, sound, t0, t1, long, count, bearing, d, d_err, u, s, v in rows:
        category = misclassify(event.category, kind, dist, u, s)
        out.append(
            _draft(
                post.code,
                kind,
                (lat, lon),
                (event.key,) if event.key else (),
                (_utc(t0), _utc(t1) if long else None, uncertainty),
                category,
                weapon_of(event, category, kind, v),
                count,
                bearing,
                (d, d_err),
                _direct_location(event, kind, dist, sound, rng),
                _text(category, count, sound, bearing, d),
            )  # fmt: skip
        )
    return out


def summary(
    events: Sequence[TruthEvent],
    post: SimPost,
    clock: Clock,
    dists: Sequence[float],
    by_sound: Sequence[bool],
    rng: np.random.Generator,
) -> Draft:
    """One staffed post's summary of several rounds of one episode: a period and a total."""
    kind = kind_of(post)
    heard = [
        e.started_at.timestamp() + (d / SPEED_OF_SOUND_M_S if s else 0.0)
        for e, d, s in zip(events, dists, by_sound, strict=True)
    ]
    times, uncertainty = reported_times(np.array([min(heard), max(heard)]), kind, clock, rng)
    first, last = _utc(float(times[0])), _utc(float(max(times)))
    lat, lon = float(np.mean([e.lat for e in events])), float(np.mean([e.lon for e in events]))
    az, _, dist = WGS84.inv(post.lon, post.lat, lon, lat)
    unknown, swap, vague = rng.random(3).tolist()
    category = misclassify(events[0].category, kind, float(dist), unknown, swap)
    count = noisy_counts(np.array([sum(e.count for e in events)]), kind, rng)[0]
    bearing = noisy_bearings(np.array([float(az) % 360.0]), kind, rng)[0]
    (distance,), (error,) = distance_estimates(np.array([float(dist)]), kind, np.ones(1, bool), rng)
    ordered = sorted(events, key=lambda e: (e.started_at, e.key))
    return _draft(
        post.code, kind, (post.lat, post.lon), tuple(e.key for e in ordered),
        (first, last, uncertainty), category, weapon_of(events[0], category, kind, vague),
        count, bearing, (distance, error), (None, None, None),
        _summary_text(count, first, last, bearing, distance),
    )  # fmt: skip


def _draft(
    code: str,
    kind: str,
    observer: tuple[float, float],
    keys: tuple[str, ...],
    when: tuple[datetime, datetime | None, float],
    category: str,
    weapon: str | None,
    count: int,
    bearing: float,
    distance: tuple[float | None, float | None],
    location: tuple[float | None, float | None, float | None],
    text: str,
) -> Draft:
    """The fields of a report, in the form SimObservation takes them."""
    return {
        "truth_key": keys[0] if keys else None,
        "truth_keys": keys,
        "post_code": code,
        "observer_kind": "patrol" if kind == "patrol" else "post",
        "observer_lat": observer[0],
        "observer_lon": observer[1],
        "observed_at": when[0],
        "observed_to": when[1],
        "time_uncertainty_s": when[2],
        "category": category,
        "weapon_class": weapon,
        "count": count,
        "bearing_deg": bearing,
        "bearing_error_deg": OBSERVERS[kind][1],
        "distance_m": distance[0],
        "distance_error_m": distance[1],
        "lat": location[0],
        "lon": location[1],
        "location_error_m": location[2],
        "text": text,
        "reliability": OBSERVERS[kind][2],
        "credibility": OBSERVERS[kind][3],
    }


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def reported_times(
    heard_s: np.ndarray, kind: str, clock: Clock, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Times as written down by the observer's clock, with the uncertainty it states: people
    round to the minute (after a moment's delay), sensors and cameras to the second."""
    shown = heard_s + clock.error_s(heard_s)
    if kind in STAFFED:
        noted = shown + np.abs(rng.normal(0.0, 20.0, len(shown)))
        return np.round(noted / 60.0) * 60.0, 60.0
    return np.round(shown), _TIME_UNCERTAINTY_S.get(kind, 1.0)


def noisy_counts(counts: np.ndarray, kind: str, rng: np.random.Generator) -> list[int]:
    """Counts as reported: a multiplicative error, never below one."""
    noisy = np.round(counts * np.exp(rng.normal(0.0, _COUNT_SIGMA[kind], len(counts))))
    return [int(c) for c in np.maximum(1, noisy).tolist()]


def noisy_bearings(az: np.ndarray, kind: str, rng: np.random.Generator) -> list[float]:
    """Bearings as reported, with the observer kind's sigma, to 0.1 deg in [0, 360)."""
    bearings = np.round((az + rng.normal(0.0, OBSERVERS[kind][1], len(az))) % 360.0, 1)
    return np.where(bearings >= 360.0, 0.0, bearings).tolist()  # 359.96 -> 360.0: north is 0


def misclassify(category: str, kind: str, dist: float, unknown: float, swap: float) -> str:
    """The category as reported (given two uniform draws): far explosions lose their type,
    similar kinds get confused."""
    if category.startswith(_CV + "explosion."):
        p_unknown = 0.05 + 0.25 * min(1.0, dist / 15000.0) if kind in STAFFED else 0.05
        if unknown < p_unknown:
            return _CV + "explosion.undetermined"
    other = _SWAPS.get(category)
    return other if other is not None and swap < _SWAP_P[kind] else category


def weapon_of(event: TruthEvent, category: str, kind: str, vague: float) -> str | None:
    """The weapon class that goes with the reported category (given a uniform draw)."""
    if category.startswith(_CV + "explosion."):
        return WEAPON_OF_EXPLOSION[category.rsplit(".", 1)[1]]
    if category == _CV + "small_arms.shots":
        return "small_arms"
    if category.startswith("weapons_forces.") and kind != "camera" and vague < 0.2:
        return None if event.weapon_class is None else "unknown"
    return event.weapon_class


def distance_estimates(
    dist: np.ndarray, kind: str, by_sound: np.ndarray, rng: np.random.Generator
) -> tuple[list[float | None], list[float | None]]:
    """Guessed distances with their errors, or none: acoustic sensors give bearings only,
    and people often give none for what they only heard."""
    n = len(dist)
    if kind == "acoustic_sensor":
        return [None] * n, [None] * n
    rel = 0.1 if kind == "camera" else 0.3
    estimates = np.maximum(100.0, np.round(dist * np.exp(rng.normal(0.0, rel, n)), -2))
    errors = np.round(rel * estimates, -1)
    missing = (by_sound & (rng.random(n) < 0.25)).tolist() if kind in STAFFED else [False] * n
    return (
        [None if m else e for e, m in zip(estimates.tolist(), missing, strict=True)],
        [None if m else e for e, m in zip(errors.tolist(), missing, strict=True)],
    )


def _direct_location(
    event: TruthEvent, kind: str, dist: float, by_sound: bool, rng: np.random.Generator
) -> tuple[float | None, float | None, float | None]:
    """A located sighting (lat, lon, error) of movements and works seen close enough."""
    if by_sound or not event.category.startswith("weapons_forces."):
        return None, None, None
    if kind not in _LOCATION_SIGMA_M or (kind in STAFFED and dist > 4000.0):
        return None, None, None
    sigma = _LOCATION_SIGMA_M[kind]
    azimuth, shift = float(rng.uniform(0.0, 360.0)), float(rng.rayleigh(sigma))
    lon, lat, _ = WGS84.fwd(event.lon, event.lat, azimuth, shift)
    return round(float(lat), 6), round(float(lon), 6), sigma


def _text(category: str, count: int, by_sound: bool, bearing: float, dist: float | None) -> str:
    """The monitor's free-text line, as a patrol report would put it."""
    verb = "heard" if by_sound else "seen"
    where = f"at bearing {bearing:.0f} deg" + (f", about {dist / 1000:.1f} km" if dist else "")
    return f"{_LABELS.get(category, category)} (x{count}), {verb} {where}."


def _summary_text(
    count: int, first: datetime, last: datetime, bearing: float, dist: float | None
) -> str:
    """A summary as monitors write it: "12 explosions 14:05-14:20, SE, 3-5 km" (local time)."""
    span = f"{(first + LOCAL_UTC_OFFSET):%H:%M}-{(last + LOCAL_UTC_OFFSET):%H:%M}"
    where = _COMPASS[int((bearing + 22.5) // 45.0) % 8]
    if dist is not None:
        low, high = max(1, int(dist * 0.8 // 1000)), int(-(-dist * 1.2 // 1000))
        where += f", {low}-{max(high, low + 1)} km"
    return f"{count} explosions {span}, {where}"
