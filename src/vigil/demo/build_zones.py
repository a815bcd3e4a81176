"""Regenerates demo/data/zones.geojson from the hand-drawn vertices below.

Run `python -m vigil.demo.build_zones` after changing a vertex; the JSON file it writes is
what the demo loads at run time. Every geometry here is approximate (drawn from published
maps to within a few kilometres), fit for a demonstration and for nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon, mapping
from shapely.geometry.polygon import orient

DATA = Path(__file__).parent / "data"
Coords = list[tuple[float, float]]

# Approximate line of contact after 10 November 2020, (lon, lat), north-east to south-west:
# between Sugovushan/Madagiz and Aghdara/Martakert, west of Aghdam, east of Askeran and
# Khojavend/Martuni, through Taghavard, round the Hin Tagher salient, east of Shusha and
# between Shusha and Khankendi/Stepanakert, crossing the Lachin corridor there.
LINE_OF_CONTACT: Coords = [
    (46.500, 40.250), (46.550, 40.262), (46.600, 40.270), (46.640, 40.282),
    (46.680, 40.290), (46.710, 40.292), (46.740, 40.290), (46.770, 40.282),
    (46.800, 40.270), (46.830, 40.262), (46.860, 40.250), (46.880, 40.228),
    (46.890, 40.200), (46.886, 40.170), (46.880, 40.140), (46.875, 40.110),
    (46.870, 40.080), (46.864, 40.050), (46.860, 40.020), (46.862, 39.995),
    (46.865, 39.970), (46.868, 39.950), (46.870, 39.930), (46.884, 39.910),
    (46.900, 39.890), (46.930, 39.872), (46.960, 39.860), (46.995, 39.854),
    (47.030, 39.850), (47.065, 39.846), (47.100, 39.840), (47.128, 39.832),
    (47.150, 39.820), (47.165, 39.800), (47.170, 39.780), (47.162, 39.760),
    (47.150, 39.740), (47.120, 39.728), (47.090, 39.720), (47.060, 39.711),
    (47.030, 39.700), (47.005, 39.682), (46.980, 39.660), (46.955, 39.656),
    (46.930, 39.655), (46.905, 39.640), (46.880, 39.620), (46.870, 39.590),
    (46.860, 39.560), (46.856, 39.530), (46.850, 39.500), (46.835, 39.485),
    (46.820, 39.480), (46.805, 39.488), (46.790, 39.500), (46.790, 39.535),
    (46.790, 39.570), (46.785, 39.605), (46.780, 39.640), (46.775, 39.670),
    (46.770, 39.700), (46.775, 39.720), (46.778, 39.740), (46.775, 39.760),
    (46.765, 39.780), (46.745, 39.786), (46.720, 39.782), (46.700, 39.774),
    (46.680, 39.768), (46.660, 39.765),
]  # fmt: skip

# Centreline of the Lachin corridor: Goris, Tegh, Kornidzor, Lachin/Berdzor, then past
# Shusha on its north-west side (the statement says the corridor shall not pass through
# the territory of Shusha) to Khankendi/Stepanakert.
CORRIDOR_CENTRELINE: Coords = [
    (46.3417, 39.5111), (46.4000, 39.5300), (46.4758, 39.5547), (46.5311, 39.5481),
    (46.5500, 39.5800), (46.5472, 39.6400), (46.5800, 39.6600), (46.6200, 39.6900),
    (46.6600, 39.7150), (46.6900, 39.7450), (46.7150, 39.7850), (46.7350, 39.8050),
    (46.7519, 39.8153),
]  # fmt: skip
CORRIDOR_HALF_WIDTH_M = 2500.0

KALBAJAR: Coords = [
    (45.80, 40.45), (46.05, 40.42), (46.30, 40.37), (46.44, 40.33), (46.50, 40.25),
    (46.48, 40.15), (46.45, 40.05), (46.45, 39.82), (46.30, 39.85), (46.15, 39.83),
    (46.02, 39.85), (45.88, 39.98), (45.97, 40.13), (45.95, 40.30),
]  # fmt: skip

LACHIN: Coords = [
    (46.02, 39.85), (46.15, 39.83), (46.30, 39.85), (46.45, 39.82), (46.58, 39.78),
    (46.66, 39.72), (46.68, 39.62), (46.66, 39.52), (46.62, 39.45), (46.58, 39.50),
    (46.55, 39.56), (46.50, 39.60), (46.40, 39.66), (46.28, 39.70), (46.15, 39.75),
]  # fmt: skip

# The part of Aghdam district returned on 20 November 2020: west of the pre-2020 line,
# east of the former NKAO boundary (which the line of contact follows here).
AGHDAM: Coords = [
    (46.880, 40.150), (46.950, 40.170), (47.020, 40.120), (47.030, 40.030),
    (47.050, 39.950), (47.030, 39.880), (46.960, 39.860), (46.930, 39.872),
    (46.900, 39.890), (46.884, 39.910), (46.870, 39.930), (46.868, 39.950),
    (46.865, 39.970), (46.862, 39.995), (46.860, 40.020), (46.864, 40.050),
    (46.870, 40.080), (46.875, 40.110),
]  # fmt: skip

AREA_OF_RESPONSIBILITY: Coords = [
    (45.70, 39.90), (45.95, 39.60), (46.25, 39.40), (46.70, 39.35), (47.30, 39.45),
    (47.45, 39.75), (47.35, 40.10), (47.10, 40.45), (46.70, 40.55), (46.10, 40.55),
    (45.70, 40.40),
]  # fmt: skip

# Rough state outlines for a base map drawn without tiles. The shared border is drawn
# once and used by both countries so that the outlines neither overlap nor gap.
BORDER_AM_AZ: Coords = [
    (45.02, 41.29), (45.20, 41.13), (45.40, 41.02), (45.55, 40.93), (45.62, 40.78),
    (45.55, 40.65), (45.65, 40.55), (45.80, 40.45), (45.95, 40.30), (45.97, 40.13),
    (45.88, 39.98), (46.02, 39.85), (46.15, 39.75), (46.28, 39.70), (46.40, 39.66),
    (46.50, 39.60), (46.55, 39.56), (46.58, 39.50), (46.53, 39.40), (46.50, 39.28),
    (46.56, 39.15), (46.62, 39.05), (46.55, 38.93), (46.53, 38.87),
]  # fmt: skip
BORDER_AM_NAKHCHIVAN: Coords = [
    (46.12, 38.88), (46.05, 39.05), (45.92, 39.25), (45.80, 39.40), (45.60, 39.52),
    (45.40, 39.60), (45.15, 39.70), (44.95, 39.73), (44.78, 39.71),
]  # fmt: skip
ARMENIA_REST: Coords = [
    (44.60, 39.85), (44.40, 40.00), (44.10, 40.03), (43.85, 40.10), (43.70, 40.25),
    (43.60, 40.45), (43.70, 40.65), (43.60, 40.85), (43.55, 41.00), (43.62, 41.12),
    (43.85, 41.17), (44.20, 41.20), (44.50, 41.20), (44.80, 41.22),
]  # fmt: skip
AZERBAIJAN_REST: Coords = [
    (46.80, 39.00), (47.00, 39.18), (47.20, 39.35), (47.50, 39.50), (47.80, 39.65),
    (47.98, 39.72), (48.33, 39.40), (48.10, 39.05), (48.30, 38.80), (48.45, 38.55),
    (48.87, 38.43), (48.88, 38.75), (48.95, 39.10), (49.40, 39.35), (49.35, 39.60),
    (49.40, 39.95), (49.60, 40.20), (49.87, 40.35), (50.37, 40.45), (50.00, 40.60),
    (49.67, 40.59), (49.45, 40.80), (49.10, 41.08), (48.80, 41.46), (48.58, 41.84),
    (48.10, 41.55), (47.90, 41.22), (47.50, 41.25), (47.20, 41.50), (46.80, 41.80),
    (46.45, 41.90), (46.30, 41.70), (46.55, 41.30), (46.45, 41.10), (46.15, 41.15),
    (45.75, 41.25), (45.30, 41.45),
]  # fmt: skip
NAKHCHIVAN_REST: Coords = [
    (44.81, 39.63), (45.05, 39.45), (45.30, 39.15), (45.55, 38.98), (45.85, 38.90),
]  # fmt: skip


def _rounded(geojson: Any) -> Any:
    """Coordinates rounded to 5 decimals (about a metre), recursively."""
    if isinstance(geojson, list | tuple):
        if geojson and isinstance(geojson[0], float | int):
            return [round(float(v), 5) for v in geojson]
        return [_rounded(part) for part in geojson]
    return geojson


def _polygon(coords: Coords) -> Polygon:
    """A valid polygon with a counter-clockwise exterior (RFC 7946)."""
    poly = orient(Polygon(coords), sign=1.0)
    if not poly.is_valid:
        raise ValueError(f"invalid polygon starting at {coords[0]}")
    return poly


def corridor_polygon() -> Polygon:
    """The 5 km corridor: a 2.5 km buffer round the centreline, computed in UTM 38N."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32638", always_xy=True).transform
    to_wgs = Transformer.from_crs("EPSG:32638", "EPSG:4326", always_xy=True).transform
    centreline = shapely.transform(LineString(CORRIDOR_CENTRELINE), to_utm, interleaved=False)
    buffered = centreline.buffer(CORRIDOR_HALF_WIDTH_M, quad_segs=8)
    simplified = buffered.simplify(40.0, preserve_topology=True)
    return _polygon(list(shapely.transform(simplified, to_wgs, interleaved=False).exterior.coords))


def _feature(code: str, kind: str, names: dict[str, str], description: str, geom: Any) -> Any:
    """One GeoJSON feature with Vigil's zone properties."""
    return {
        "type": "Feature",
        "properties": {"code": code, "kind": kind, "names": names, "description": description},
        "geometry": {**mapping(geom), "coordinates": _rounded(mapping(geom)["coordinates"])},
    }


def _outlines() -> list[Any]:
    """Armenia and Azerbaijan (with Nakhchivan) as rough outline polygons."""
    armenia = _polygon(BORDER_AM_AZ + BORDER_AM_NAKHCHIVAN + ARMENIA_REST)
    main = _polygon(BORDER_AM_AZ + AZERBAIJAN_REST)
    nakhchivan = _polygon(BORDER_AM_NAKHCHIVAN + NAKHCHIVAN_REST)
    azerbaijan = MultiPolygon([main, nakhchivan])
    return [
        _feature(
            "armenia", "outline",
            {"en": "Armenia", "az": "Ermənistan", "hy": "Հայաստան", "ru": "Армения"},
            "Rough outline of the Republic of Armenia for a base map without tiles.", armenia,
        ),
        _feature(
            "azerbaijan", "outline",
            {"en": "Azerbaijan", "az": "Azərbaycan", "hy": "Ադրբեջան", "ru": "Азербайджан"},
            "Rough outline of the Republic of Azerbaijan, with the Nakhchivan Autonomous "
            "Republic, for a base map without tiles.", azerbaijan,
        ),
    ]  # fmt: skip


def _districts() -> list[Any]:
    """The three districts to be returned under points 2 and 6 of the statement."""
    return [
        _feature(
            "kalbajar-district", "withdrawal_zone",
            {"en": "Kalbajar district", "az": "Kəlbəcər rayonu", "hy": "Քարվաճառի շրջան",
             "ru": "Кельбаджарский район"},
            "Approximate outline. To be returned to Azerbaijan by 15 November 2020, "
            "extended to 25 November 2020 (point 6).", _polygon(KALBAJAR),
        ),
        _feature(
            "aghdam-district", "withdrawal_zone",
            {"en": "Aghdam district", "az": "Ağdam rayonu", "hy": "Աղդամի շրջան",
             "ru": "Агдамский район"},
            "Approximate outline of the part held by Armenian forces before 2020. "
            "To be returned to Azerbaijan by 20 November 2020 (point 2).", _polygon(AGHDAM),
        ),
        _feature(
            "lachin-district", "withdrawal_zone",
            {"en": "Lachin district", "az": "Laçın rayonu", "hy": "Բերձորի (Քաշաթաղի) շրջան",
             "ru": "Лачинский район"},
            "Approximate outline. To be returned to Azerbaijan by 1 December 2020, "
            "except the Lachin corridor (point 6).", _polygon(LACHIN),
        ),
    ]  # fmt: skip


def features() -> list[Any]:
    """Every demo zone as a GeoJSON feature."""
    line = LineString(LINE_OF_CONTACT)
    return [
        _feature(
            "line-of-contact", "line_of_contact",
            {"en": "Line of contact (after 10 November 2020)", "az": "Təmas xətti",
             "hy": "Շփման գիծ", "ru": "Линия соприкосновения"},
            "Approximate line of contact at which the parties stopped on 10 November 2020 "
            "(point 1), drawn from published maps to within a few kilometres.", line,
        ),
        _feature(
            "lachin-corridor", "corridor",
            {"en": "Lachin corridor", "az": "Laçın dəhlizi", "hy": "Լաչինի միջանցք",
             "ru": "Лачинский коридор"},
            "5 km wide corridor along the Goris - Lachin/Berdzor - Khankendi/Stepanakert road "
            "(point 6): a 2.5 km buffer round an approximate centreline.", corridor_polygon(),
        ),
        *_districts(),
        _feature(
            "area-of-responsibility", "area_of_responsibility",
            {"en": "Mission area of responsibility", "az": "Missiyanın məsuliyyət zonası",
             "hy": "Առաքելության պատասխանատվության գոտի", "ru": "Зона ответственности миссии"},
            "Where the mission patrols and observes: the line of contact, the corridor and "
            "the districts returned under the statement.", _polygon(AREA_OF_RESPONSIBILITY),
        ),
        *_outlines(),
    ]  # fmt: skip


def main() -> None:
    """Write zones.geojson."""
    collection = {"type": "FeatureCollection", "features": features()}
    text = json.dumps(collection, ensure_ascii=False, indent=1)
    (DATA / "zones.geojson").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
