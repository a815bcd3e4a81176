"""Compass bearings to true north: phones and hand compasses point to magnetic north, while
Vigil stores (and fusion uses) bearings clockwise from true north, so a magnetic reading is
turned at intake, by the declination where and when it was taken.

One function serves every channel that takes compass readings (the ODK form, the web
report form); the API and imports take true bearings and do not come here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vigil.domain.geodesy import magnetic_declination, true_bearing
from vigil.domain.observation import ObservationDraft

NORTHS = ("magnetic", "true")
# A bearing whose north is not said is a compass reading: ODK Collect's bearing widget and
# the browser's compass give magnetic bearings, and so does a hand compass.
DEFAULT_NORTH = "magnetic"
DECIMALS = 2  # a stored true bearing: far finer than any compass, and no float noise

PostPositions = Mapping[str, tuple[float, float]]  # post code -> (lat, lon)


@dataclass(frozen=True)
class NorthCorrection:
    """A bearing as read from magnetic north, the declination there and then, and the true
    bearing stored."""

    magnetic_deg: float
    declination_deg: float
    true_deg: float


def observer_position(draft: ObservationDraft, posts: PostPositions) -> tuple[float, float] | None:
    """Where the observer stood: the position given, else the post's (None: not known)."""
    observer = draft.observer
    if observer.lat is not None and observer.lon is not None:
        return observer.lat, observer.lon
    if observer.post and observer.post in posts:
        return posts[observer.post]
    return None


def bearing_to_true_north(
    draft: ObservationDraft, north: str, posts: PostPositions
) -> tuple[ObservationDraft, NorthCorrection | None]:
    """The draft with its bearing from true north, and the correction made (None when the
    bearing was true already, there is no bearing, or the observer's position is unknown:
    an unknown post, which recording refuses). The bearing's error is kept as given."""
    if draft.bearing is None or north == "true":
        return draft, None
    position = observer_position(draft, posts)
    if position is None:
        return draft, None
    lat, lon = position
    declination = magnetic_declination(lat, lon, draft.observed_at)
    turned = round(true_bearing(draft.bearing.deg, lat, lon, draft.observed_at), DECIMALS)
    turned %= 360.0  # 359.999 rounds to 360.0, which is north
    bearing = draft.bearing.model_copy(update={"deg": turned})
    correction = NorthCorrection(draft.bearing.deg, declination, turned)
    return draft.model_copy(update={"bearing": bearing}), correction
