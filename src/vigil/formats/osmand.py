"""The OsmAnd protocol as Traccar Client and OsmAnd send it: parameters in the query string or
a form body (id, timestamp, lat, lon, speed in knots, bearing, altitude, accuracy, batt), and
the JSON body of the newer Traccar Client (device_id, location.coords, location.battery).
Pure parsing into a PositionReport; a value that cannot be read is a field error."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vigil.errors import FieldError, VigilError

KNOTS_PER_MPS = 3600 / 1852
MAX_ID_CHARS = 128
MS_THRESHOLD = 2**31 - 1  # as Traccar: a number above this is milliseconds, else seconds
NUMBERS = {  # parameter -> PositionReport field
    "speed": "speed_kn",
    "bearing": "bearing_deg",
    "heading": "bearing_deg",
    "altitude": "altitude_m",
    "accuracy": "accuracy_m",
    "batt": "battery_pct",
}


@dataclass(frozen=True)
class PositionReport:
    """One position as a phone sent it (times aware, UTC; None: the phone did not say)."""

    identifier: str
    recorded_at: datetime | None
    lat: float
    lon: float
    speed_kn: float | None = None
    bearing_deg: float | None = None
    altitude_m: float | None = None
    accuracy_m: float | None = None
    battery_pct: float | None = None
    source: str = "osmand"


def _refuse(errors: list[FieldError]) -> VigilError:
    first = errors[0]
    return VigilError("malformed_request", f"{first.field}: {first.message}", errors)


def _number(text: Any, field: str, errors: list[FieldError]) -> float | None:
    """A finite number, or an error on the field."""
    try:
        value = float(str(text).strip()) if not isinstance(text, bool) else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        errors.append(FieldError(field, f"not a number: {str(text)[:40]!r}"))
        return None
    return value


def parse_time(text: str, field: str, errors: list[FieldError]) -> datetime | None:
    """Unix seconds or milliseconds, ISO 8601, or 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    text = text.strip()
    if text.isdigit():
        number = int(text)
        seconds = number / 1000 if number > MS_THRESHOLD else number
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
        except OverflowError:
            errors.append(FieldError(field, "out of range"))
            return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        errors.append(FieldError(field, "unix seconds or milliseconds, or ISO 8601"))
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _identifier(value: str | None, field: str, errors: list[FieldError]) -> str:
    text = (value or "").strip()
    if not text:
        errors.append(FieldError(field, "send the device identifier"))
    elif len(text) > MAX_ID_CHARS:
        errors.append(FieldError(field, f"at most {MAX_ID_CHARS} characters"))
    return text


def identifier_of(params: Mapping[str, Sequence[str]]) -> str:
    """The device identifier a parameter request names ('' when none): read before anything
    else, since the identifier is the credential."""
    for key in ("id", "deviceid"):
        values = params.get(key) or []
        if values and values[0].strip():
            return values[0].strip()[:MAX_ID_CHARS]
    return ""


def parse_params(params: Mapping[str, Sequence[str]], source: str = "osmand") -> PositionReport:
    """A report from query or form parameters (the first value of each is used)."""
    errors: list[FieldError] = []
    one = {k: v[0] for k, v in params.items() if v}
    ident = _identifier(one.get("id") or one.get("deviceid"), "id", errors)
    lat = lon = None
    if "location" in one and not ("lat" in one and "lon" in one):
        parts = one["location"].split(",")
        if len(parts) != 2:
            errors.append(FieldError("location", "give lat,lon"))
        else:
            lat = _number(parts[0], "location", errors)
            lon = _number(parts[1], "location", errors)
    else:
        for name in ("lat", "lon"):
            if name not in one:
                errors.append(FieldError(name, f"send {name} (or location=lat,lon)"))
        lat = _number(one["lat"], "lat", errors) if "lat" in one else None
        lon = _number(one["lon"], "lon", errors) if "lon" in one else None
    stamp = one.get("timestamp")
    when = parse_time(stamp, "timestamp", errors) if stamp else None
    extra = {
        NUMBERS[k]: _number(v, k, errors) for k, v in one.items() if k in NUMBERS and v.strip()
    }
    if errors or lat is None or lon is None:
        raise _refuse(errors or [FieldError("lat", "missing")])
    return PositionReport(ident, when, lat, lon, source=source, **extra)


def _object(value: Any, field: str, errors: list[FieldError]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(FieldError(field, "an object"))
        return {}
    return value


def _optional(obj: dict[str, Any], key: str, field: str, errors: list[FieldError]) -> float | None:
    value = obj.get(key)
    if value is None or (isinstance(value, int | float) and value < 0 and key != "altitude"):
        return None  # the app's -1: not known
    return _number(value, field, errors)


def parse_json(data: bytes) -> PositionReport:
    """A report from the newer Traccar Client's JSON body (speed in m/s, battery 0..1)."""
    try:
        root = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise VigilError("malformed_request", f"the body is not JSON: {exc}") from exc
    errors: list[FieldError] = []
    root = _object(root, "body", errors)
    ident = _identifier(str(root.get("device_id") or ""), "device_id", errors)
    location = _object(root.get("location"), "location", errors)
    coords = _object(location.get("coords"), "location.coords", errors)
    lat = lon = None
    for key in ("latitude", "longitude"):
        if coords.get(key) is None:
            errors.append(FieldError(f"location.coords.{key}", "missing"))
    if not errors:
        lat = _number(coords["latitude"], "location.coords.latitude", errors)
        lon = _number(coords["longitude"], "location.coords.longitude", errors)
    stamp = location.get("timestamp")
    when = parse_time(str(stamp), "location.timestamp", errors) if stamp is not None else None
    speed = _optional(coords, "speed", "location.coords.speed", errors)
    battery = _optional(
        _object(location.get("battery"), "location.battery", errors),
        "level", "location.battery.level", errors,
    )  # fmt: skip
    report = {
        "speed_kn": speed * KNOTS_PER_MPS if speed is not None else None,
        "bearing_deg": _optional(coords, "heading", "location.coords.heading", errors),
        "altitude_m": _optional(coords, "altitude", "location.coords.altitude", errors),
        "accuracy_m": _optional(coords, "accuracy", "location.coords.accuracy", errors),
        "battery_pct": battery * 100 if battery is not None and battery <= 1 else battery,
    }
    if errors or lat is None or lon is None:
        raise _refuse(errors or [FieldError("location.coords", "missing")])
    return PositionReport(ident, when, lat, lon, source="traccar_json", **report)


def json_identifier(data: bytes) -> str:
    """The device_id of a JSON body ('' when it cannot be read)."""
    try:
        root = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return ""
    value = root.get("device_id") if isinstance(root, dict) else None
    return str(value).strip()[:MAX_ID_CHARS] if isinstance(value, str | int) else ""


def check(report: PositionReport, now: datetime, future_s: float, max_age_s: float) -> list[str]:
    """Why a report cannot be stored ('' free list when it can): impossible coordinates,
    values out of range, a time too far in the future or past."""
    why = []
    if not -90 <= report.lat <= 90:
        why.append(f"lat {report.lat} is not between -90 and 90")
    if not -180 <= report.lon <= 180:
        why.append(f"lon {report.lon} is not between -180 and 180")
    if report.bearing_deg is not None and not 0 <= report.bearing_deg <= 360:
        why.append(f"bearing {report.bearing_deg} is not between 0 and 360")
    for name, value in (("speed", report.speed_kn), ("accuracy", report.accuracy_m)):
        if value is not None and value < 0:
            why.append(f"{name} {value} is negative")
    if report.battery_pct is not None and not 0 <= report.battery_pct <= 100:
        why.append(f"batt {report.battery_pct} is not a percentage")
    when = report.recorded_at
    if when is not None and when > now + timedelta(seconds=future_s):
        why.append(f"timestamp {when.isoformat()} is more than {int(future_s)} s in the future")
    if when is not None and when < now - timedelta(seconds=max_age_s):
        days = max_age_s / 86400
        why.append(f"timestamp {when.isoformat()} is more than {days:g} days in the past")
    return why
