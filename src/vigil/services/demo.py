"""`vigil demo`: the scenario after the trilateral statement of 10 November 2020.

Loads the mission, parties, provisions, zones, places and posts shipped as data in
vigil/demo/data, demo accounts for every role, and a simulated month of observations whose
ground truth is kept in tables of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain.observation import ObservationDraft
from vigil.domain.roles import Role
from vigil.domain.simulation import Scenario, SimObservation, SimPost, simulate
from vigil.formats.geography_files import parse_places_csv, parse_posts_csv, parse_zones
from vigil.services import accounts, geography, mission
from vigil.services.access import Principal
from vigil.services.audit import Auditor
from vigil.services.observations import record_observations
from vigil.store.tables import Mission, TruthEvent, TruthLink

DEMO_PASSWORD = "vigil-demo"
START = datetime(2020, 11, 9, 21, 0, tzinfo=UTC)  # 00:00 Moscow time, 10 November 2020
DAYS = 30
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class DemoSummary:
    """What the demo loaded."""

    observations: int
    truth_events: int
    accounts: list[tuple[str, str]]  # (username, role)


def _data(name: str) -> bytes:
    return resources.files("vigil.demo").joinpath("data", name).read_bytes()


def demo_accounts() -> list[tuple[str, str, str | None]]:
    """(username, role, party) for every demo account."""
    staff = [
        (r.value.replace("_", "-"), r.value, None) for r in Role if r is not Role.party_liaison
    ]
    return [*staff, ("liaison-az", "party_liaison", "AZ"), ("liaison-am", "party_liaison", "AM")]


def is_loaded(session: Session) -> bool:
    """True when a mission is configured (the demo, or a real one)."""
    return session.get(Mission, 1) is not None


def load_demo(session: Session, who: Principal, seed: int, tick: Progress) -> DemoSummary:
    """Load the whole scenario in the caller's transaction: all of it, or nothing."""
    mission.set_mission(session, who, json.loads(_data("mission.json")))
    mission.add_parties(session, who, json.loads(_data("parties.json")))
    mission.add_provisions(session, who, json.loads(_data("provisions.json")))
    zones = geography.add_zones(session, who, parse_zones(_data("zones.geojson")))
    geography.add_places(session, who, parse_places_csv(_data("places.csv")))
    posts = geography.add_posts(session, who, parse_posts_csv(_data("posts.csv")))
    users = {}
    for username, role, party in demo_accounts():
        user = accounts.add_user(
            session,
            who.actor,
            username,
            role,
            DEMO_PASSWORD,
            f"Demo {role.replace('_', ' ')}",
            party,
        )
        users[role] = user
    tick("setup", 1)
    line = next(z.geometry for z in zones if z.kind == "line_of_contact")
    sim_posts = [SimPost(p.code, p.kind, p.lat, p.lon, p.range_m or 10_000.0) for p in posts]
    scenario = simulate(sim_posts, _line_coords(line), START, DAYS, seed)
    monitor = users["monitor"]
    reporter = Principal(monitor.id, monitor.username, Role.monitor, None, "system")
    _record(session, reporter, scenario, tick)
    _record_truth(session, who, scenario)
    return DemoSummary(
        len(scenario.observations), len(scenario.events), [(u, r) for u, r, _ in demo_accounts()]
    )


def _line_coords(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    coords = geometry["coordinates"]
    if geometry["type"] == "MultiLineString":
        coords = [pt for part in coords for pt in part]
    return [(float(x), float(y)) for x, y, *_ in coords]


def _draft(o: SimObservation) -> ObservationDraft:
    where: dict[str, Any] = {}
    if o.lat is not None:
        where["location"] = {"lat": o.lat, "lon": o.lon, "error_m": o.location_error_m}
    if o.bearing_deg is not None:
        where["bearing"] = {"deg": o.bearing_deg, "error_deg": o.bearing_error_deg}
    if o.distance_m is not None:
        where["distance"] = {"m": o.distance_m, "error_m": o.distance_error_m}
    return ObservationDraft.model_validate(
        {
            "client_id": o.client_id,
            "observed_at": o.observed_at,
            "observed_to": o.observed_to,
            "time_uncertainty_s": o.time_uncertainty_s,
            "observer": {
                "kind": "post",
                "post": o.post_code,
                "lat": o.observer_lat,
                "lon": o.observer_lon,
            },
            "category": o.category,
            "weapon_class": o.weapon_class,
            "count": o.count,
            "text": o.text,
            "grade": {"reliability": o.reliability, "credibility": o.credibility},
            **where,
        }
    )


def _record(session: Session, reporter: Principal, scenario: Scenario, tick: Progress) -> None:
    """Record the simulated observations through the same service as the API, in chunks."""
    drafts = [_draft(o) for o in scenario.observations]
    end = START + timedelta(days=DAYS + 1)  # when the month's reports were all in
    for start in range(0, len(drafts), 1000):
        chunk = drafts[start : start + 1000]
        record_observations(session, reporter, chunk, "demo", now=end)
        tick("observations", len(chunk))


def _record_truth(session: Session, who: Principal, scenario: Scenario) -> None:
    events = [
        {
            "id": i + 1,
            "key": e.key,
            "category": e.category,
            "weapon_class": e.weapon_class,
            "lat": e.lat,
            "lon": e.lon,
            "started_at": e.started_at,
            "ended_at": e.ended_at,
            "count": e.count,
        }
        for i, e in enumerate(scenario.events)
    ]
    links = [{"client_id": o.client_id, "truth_key": o.truth_key} for o in scenario.observations]
    session.bulk_insert_mappings(TruthEvent, events)
    session.bulk_insert_mappings(TruthLink, links)
    audit = Auditor(session, who.actor)
    audit.created_many("truth.record", TruthEvent, events)
    audit.created_many("truth.record", TruthLink, links)
