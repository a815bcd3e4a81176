"""Geodesy on the WGS84 ellipsoid and the Earth's magnetic field; the only place that talks
to pyproj and to the World Magnetic Model (pygeomag)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from pygeomag import GeoMag
from pygeomag.wmm.wmm_2010 import WMM_2010
from pygeomag.wmm.wmm_2015v2 import WMM_2015v2
from pygeomag.wmm.wmm_2020 import WMM_2020
from pygeomag.wmm.wmm_2025 import WMM_2025
from pyproj import CRS, Geod, Transformer

WGS84 = Geod(ellps="WGS84")
# The World Magnetic Models by the first year of their 5-year life span (coefficients as
# Python data, so nothing is read from a file here).
WMM_MODELS = ((2010.0, WMM_2010), (2015.0, WMM_2015v2), (2020.0, WMM_2020), (2025.0, WMM_2025))
WMM_SPAN_YEARS = 5.0
WMM_STRETCH_YEARS = 5.0  # how far before the first or after the last model it is carried


def destination(
    lat: float, lon: float, bearing_deg: float, distance_m: float
) -> tuple[float, float]:
    """The point reached from (lat, lon) along a bearing for a distance: (lat, lon)."""
    lon2, lat2, _ = WGS84.fwd(lon, lat, bearing_deg, distance_m)
    return lat2, lon2


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in metres between two points."""
    _, _, dist = WGS84.inv(lon1, lat1, lon2, lat2)
    return float(dist)


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from the first point to the second, degrees clockwise from north."""
    az, _, _ = WGS84.inv(lon1, lat1, lon2, lat2)
    return float(az) % 360.0


def ray(
    lat: float, lon: float, bearing: float, length_m: float, points: int = 16
) -> list[tuple[float, float]]:
    """A bearing drawn as a geodesic line from the observer: [(lon, lat), ...] for GeoJSON."""
    end_lat, end_lon = destination(lat, lon, bearing, length_m)
    inner = WGS84.npts(lon, lat, end_lon, end_lat, max(points - 2, 0))
    return [(lon, lat), *[(x, y) for x, y in inner], (end_lon, end_lat)]


class LocalPlane:
    """An azimuthal equidistant plane around a point: metres east (x) and north (y)."""

    def __init__(self, lat0: float, lon0: float) -> None:
        crs = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
        self._to = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._from = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Metres east and north of the origin."""
        x, y = self._to.transform(lon, lat)
        return float(x), float(y)

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        """Back to (lat, lon)."""
        lon, lat = self._from.transform(x, y)
        return float(lat), float(lon)


def inverse_many(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised inverse problem: azimuth at 1, azimuth at 2 (towards 1), distance."""
    az12, az21, dist = WGS84.inv(lon1, lat1, lon2, lat2)
    return np.asarray(az12, float), np.asarray(az21, float), np.asarray(dist, float)


def forward_many(
    lat: np.ndarray, lon: np.ndarray, az_deg: np.ndarray, dist_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised direct problem: the (lat, lon) arrays reached along azimuths."""
    lon2, lat2, _ = WGS84.fwd(lon, lat, az_deg, dist_m)
    return np.asarray(lat2, float), np.asarray(lon2, float)


def ellipse_ring(
    lat: float,
    lon: float,
    major_m: float,
    minor_m: float,
    angle_deg: float,
    n: int = 48,
) -> list[tuple[float, float]]:
    """An uncertainty ellipse as a closed GeoJSON ring [(lon, lat), ...] of n + 1 points.

    `major_m` and `minor_m` are semi-axes in metres on the local azimuthal equidistant plane
    around the centre, `angle_deg` the azimuth of the major axis (clockwise from north). Each
    plane point is carried out along the geodesic of its azimuth and distance, which is what
    that projection means, so no projection object is built per ellipse."""
    if n < 3:
        raise ValueError("an ellipse ring needs at least 3 points")
    phi = math.radians(angle_deg)
    major_e, major_n = math.sin(phi), math.cos(phi)  # unit vector of the major axis
    azimuths, distances = [], []
    for k in range(n):
        t = 2.0 * math.pi * k / n
        x = major_m * math.cos(t) * major_e + minor_m * math.sin(t) * major_n
        y = major_m * math.cos(t) * major_n - minor_m * math.sin(t) * major_e
        azimuths.append(math.degrees(math.atan2(x, y)))
        distances.append(math.hypot(x, y))
    lons, lats, _ = WGS84.fwd([lon] * n, [lat] * n, azimuths, distances)
    ring = [(float(x), float(y)) for x, y in zip(lons, lats, strict=True)]
    return [*ring, ring[0]]


def plane_xy_many(lat0: float, lon0: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Metres east and north of (lat0, lon0) for many points (azimuthal equidistant), (n, 2)."""
    az, _, dist = inverse_many(np.full(lats.shape, lat0), np.full(lons.shape, lon0), lats, lons)
    a = np.radians(az)
    return np.stack([dist * np.sin(a), dist * np.cos(a)], axis=1)


def decimal_year(when: datetime) -> float:
    """A time as a decimal year in UTC (2020-07-02T00:00Z is 2020.5); naive means UTC."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    start = datetime(when.year, 1, 1, tzinfo=UTC)
    length = datetime(when.year + 1, 1, 1, tzinfo=UTC) - start
    return when.year + (when - start) / length


def magnetic_declination(lat: float, lon: float, when: datetime) -> float:
    """Degrees from true north to magnetic north at sea level, east positive (World Magnetic
    Model), so that a true bearing is the magnetic one plus this.

    The model is the one whose 5-year life span holds the date (WMM-2010, WMM-2015v2,
    WMM-2020, WMM-2025: 2010.0 to 2030.0). Outside that span the nearest model is used,
    carried by its secular variation for at most WMM_STRETCH_YEARS (its value at that
    limit further out): less exact, but a compass bearing's error is larger still."""
    year = decimal_year(when)
    first, last = WMM_MODELS[0][0], WMM_MODELS[-1][0] + WMM_SPAN_YEARS
    year = min(max(year, first - WMM_STRETCH_YEARS), last + WMM_STRETCH_YEARS)
    coefficients = WMM_MODELS[0][1]
    for epoch, data in WMM_MODELS:
        if year >= epoch:
            coefficients = data
    # A new GeoMag per call: it keeps working arrays, so one shared instance is not safe
    # across threads; loading the coefficients takes a fraction of a millisecond.
    model = GeoMag(coefficients_data=coefficients)
    result = model.calculate(lat, lon, 0.0, year, allow_date_outside_lifespan=True)
    return float(result.d)


def true_bearing(magnetic_deg: float, lat: float, lon: float, when: datetime) -> float:
    """A bearing read from magnetic north (a compass) as degrees from true north, [0, 360)."""
    bearing = (magnetic_deg + magnetic_declination(lat, lon, when)) % 360.0
    return 0.0 if bearing >= 360.0 else bearing  # -1e-20 % 360 rounds to 360.0
