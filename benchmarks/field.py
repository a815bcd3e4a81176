"""Field reporting: ODK submissions and imported files against the JSON API, on a real server.

Three legs send the same observations to `vigil serve` (background fusion off):
- the baseline: one JSON observation per request (POST /api/v1/observations), what a phone app
  of our own would send;
- OpenRosa: one submission per request as ODK Collect sends it (multipart with
  xml_submission_file, through a phone token's path), first without a photo, then each with its
  own ~100 KB JPEG, which is hashed, type-checked, EXIF-read, thumbnailed and stored;
- imports: one CSV file POSTed to /api/v1/imports (all-or-nothing), against the same rows sent
  as JSON batches of 10,000 (POST /api/v1/observations/batch).
Each leg gets a fresh database of the kind measured, so one leg's rows never slow another's.
"""

from __future__ import annotations

import csv
import io
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from defusedxml.ElementTree import fromstring
from PIL import Image
from rich.progress import Progress
from tests.integration.odk_collect import fill

from benchmarks.databases import fresh_database
from benchmarks.server import environment, init_with_token, serving, vigil

USER = "monitor1"
LIST_NS = "{http://openrosa.org/xforms/xformsList}"
START = datetime(2020, 11, 12, 6, 0, tzinfo=UTC)
CATEGORY = "ceasefire_violation.explosion.artillery"


@dataclass(frozen=True)
class Seen:
    """One simulated observation, in the terms every channel shares."""

    key: str
    at: datetime
    lat: float
    lon: float
    bearing: float
    distance: float
    count: int

    def draft(self) -> dict[str, Any]:
        """As the JSON API takes it."""
        return {
            "client_id": self.key,
            "observed_at": self.at.isoformat(),
            "observer": {"kind": "monitor", "lat": self.lat, "lon": self.lon},
            "category": CATEGORY,
            "count": self.count,
            "bearing": {"deg": self.bearing},
            "distance": {"m": self.distance},
        }

    def csv_row(self) -> dict[str, Any]:
        """As the import template has it."""
        return {
            "client_id": self.key,
            "observed_at": self.at.isoformat(),
            "observer_kind": "monitor",
            "observer_lat": self.lat,
            "observer_lon": self.lon,
            "category": CATEGORY,
            "count": self.count,
            "bearing_deg": self.bearing,
            "distance_m": self.distance,
        }

    def odk_values(self) -> dict[str, str]:
        """As ODK Collect fills the generated form."""
        return {
            "category": CATEGORY,
            "observed_at": self.at.isoformat(timespec="milliseconds"),
            "observer_kind": "monitor",
            "observer_position": f"{self.lat} {self.lon} 0 5",
            "location_method": "bearing",
            "bearing": f"{self.bearing}",
            "bearing_north": "true",  # the sample's bearings are true (forms without it: skipped)
            "distance_m": f"{self.distance}",
            "count": str(self.count),
        }


def sample(n: int, seed: int, prefix: str) -> list[Seen]:
    """n monitors' reports along the line, a few seconds apart."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(39.7, 40.1, n)
    lon = rng.uniform(46.6, 47.0, n)
    bearing = rng.uniform(0, 359.9, n).round(1)
    distance = rng.uniform(500, 8000, n).round(0)
    count = rng.integers(1, 6, n)
    return [
        Seen(
            f"{prefix}-{seed}-{i}",
            START + timedelta(seconds=7 * i),
            float(lat[i]),
            float(lon[i]),
            float(bearing[i]),
            float(distance[i]),
            int(count[i]),
        )
        for i in range(n)
    ]


def photo(seed: int, side: int = 200) -> bytes:
    """A JPEG of noise (it does not compress away): about 100 KB, different for each seed."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def instance(xform: str, values: dict[str, str], instance_id: str, photo_name: str | None) -> bytes:
    """The submission XML as Collect writes it (the tests' Collect stand-in fills the form)."""
    known = {e.tag.rsplit("}", 1)[-1] for e in fromstring(xform.encode()).iter()}
    filled = {k: v for k, v in values.items() if k in known}
    if photo_name:
        filled["photo"] = photo_name
    return fill(xform, filled, instance_id)


@contextmanager
def _server(kind: str, work: Path, pg_url: str, name: str) -> Iterator[tuple[str, str, str]]:
    """A fresh database and `vigil serve` on it: (base URL, bearer token, phone token)."""
    with fresh_database(kind, work / name, pg_url) as url:
        env = environment(url, work / name / "data")
        token = init_with_token(env, USER, "monitor")
        issued = vigil(env, "device", "issue", USER, "--label", "bench", "--url", "http://b")
        phone = next(x for x in issued.splitlines() if x.startswith("token:")).split()[-1]
        with serving(env, work / f"{name}.log") as base:
            yield base, token, phone


def _timed(label: str, progress: Progress, items: list[Any], send: Any) -> list[float]:
    """Send each item in turn; the seconds each took."""
    seconds = []
    task = progress.add_task(label, total=len(items))
    for item in items:
        start = time.perf_counter()
        send(item)
        seconds.append(time.perf_counter() - start)
        progress.advance(task)
    progress.remove_task(task)
    return seconds


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(f"refused: {response.status_code} {response.text[:500]}")


def _api_singles(base: str, token: str, seen: list[Seen], progress: Progress) -> list[float]:
    """The baseline: one JSON observation per request, over one keep-alive connection."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [orjson.dumps(s.draft()) for s in seen]
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        return _timed(
            "api single",
            progress,
            bodies,
            lambda body: _expect(client.post("/api/v1/observations", content=body), 201),
        )


def _openrosa(
    base: str, phone: str, seen: list[Seen], with_photo: bool, progress: Progress
) -> list[float]:
    """One submission per request, as Collect sends it (after its HEAD probe, untimed)."""
    headers = {"X-OpenRosa-Version": "1.0"}
    with httpx.Client(base_url=f"{base}/key/{phone}", headers=headers, timeout=120) as client:
        listed = fromstring(client.get("/formList").content)
        url = next(x.findtext(f"{LIST_NS}downloadUrl") for x in listed)
        xform = client.get(url).text
        _expect(client.head("/submission"), 204)
        bodies = []
        for i, s in enumerate(seen):
            name = f"{i}.jpg" if with_photo else None
            xml = instance(xform, s.odk_values(), f"uuid:{uuid.uuid4()}", name)
            files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
            if name:
                files.append((name, (name, photo(i), "image/jpeg")))
            bodies.append(files)
        label = "openrosa + photo" if with_photo else "openrosa"
        return _timed(
            label, progress, bodies, lambda f: _expect(client.post("/submission", files=f), 201)
        )


def _csv(seen: list[Seen]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(seen[0].csv_row()))
    writer.writeheader()
    writer.writerows(s.csv_row() for s in seen)
    return out.getvalue().encode()


def _import(base: str, token: str, seen: list[Seen]) -> float:
    """One CSV file, all-or-nothing: seconds."""
    headers = {"Authorization": f"Bearer {token}"}
    data = _csv(seen)
    with httpx.Client(base_url=base, headers=headers, timeout=1800) as client:
        start = time.perf_counter()
        r = client.post("/api/v1/imports", files={"file": ("rows.csv", data, "text/csv")})
        took = time.perf_counter() - start
    _expect(r, 201)
    return took


def _batches(base: str, token: str, seen: list[Seen]) -> float:
    """The same rows as JSON batches of 10,000: seconds."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [
        orjson.dumps({"observations": [s.draft() for s in seen[i : i + 10_000]]})
        for i in range(0, len(seen), 10_000)
    ]
    with httpx.Client(base_url=base, headers=headers, timeout=1800) as client:
        start = time.perf_counter()
        for body in bodies:
            _expect(client.post("/api/v1/observations/batch", content=body), 201)
        return time.perf_counter() - start


def _rate(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "per_s": round(len(seconds) / sum(seconds), 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
    }


def run_field(
    kind: str, n: int, rows: int, seed: int, work: Path, pg_url: str, progress: Progress
) -> list[dict[str, Any]]:
    """The submission and import figures of one database kind."""
    legs: dict[str, list[float]] = {}
    for name, send in (
        ("api", lambda b, t, p, s: _api_singles(b, t, s, progress)),
        ("openrosa", lambda b, t, p, s: _openrosa(b, p, s, False, progress)),
        ("openrosa_photo", lambda b, t, p, s: _openrosa(b, p, s, True, progress)),
    ):
        with _server(kind, work, pg_url, f"field-{kind}-{name}") as (base, token, phone):
            legs[name] = send(base, token, phone, sample(n, seed, name))
    base_rate = _rate(legs["api"])
    submissions = {
        "benchmark": "submissions",
        "db": kind,
        "submissions": n,
        "api": base_rate,
        "openrosa": _rate(legs["openrosa"]),
        "openrosa_photo": _rate(legs["openrosa_photo"]),
    }
    for leg in ("openrosa", "openrosa_photo"):
        submissions[f"{leg}_ratio"] = round(submissions[leg]["per_s"] / base_rate["per_s"], 2)
    seen = sample(rows, seed, "import")
    with _server(kind, work, pg_url, f"field-{kind}-batch") as (base, token, _):
        batch_s = _batches(base, token, seen)
    with _server(kind, work, pg_url, f"field-{kind}-import") as (base, token, _):
        import_s = _import(base, token, seen)
    imports = {
        "benchmark": "import",
        "db": kind,
        "rows": rows,
        "import_s": round(import_s, 2),
        "import_per_s": round(rows / import_s),
        "batch_s": round(batch_s, 2),
        "batch_per_s": round(rows / batch_s),
        "ratio": round(batch_s / import_s, 2),
    }
    return [submissions, imports]
