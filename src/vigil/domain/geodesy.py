"""Geodesy on the WGS84 ellipsoid; the only place that talks to pyproj."""

from __future__ import annotations

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
