"""Geodesy on the WGS84 ellipsoid; the only place that talks to pyproj."""

from __future__ import annotations

import math

import numpy as np
from pyproj import CRS, Geod, Transformer

WGS84 = Geod(ellps="WGS84")


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
