"""`vigil demo`: the scenario after the trilateral statement of 10 November 2020.

Loads the mission, parties, provisions, zones, places and posts shipped as data in
vigil/demo/data, demo accounts for every role, and a simulated month of observations (from
the posts and four daily patrols) whose ground truth is kept in tables of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

from sqlalchemy.orm import Session

from vigil.domain.observation import ObservationDraft
from vigil.domain.roles import Role
from vigil.domain.simulation import Scenario
from vigil.formats.geography_files import parse_places_csv, parse_posts_csv, parse_zones
from vigil.services import accounts, geography, mission, patrols, provision_rules, restrictions
from vigil.services.access import Principal
from vigil.services.fusion import fuse_range
from vigil.services.hotline_demo import load_threads as load_hotline
from vigil.services.observations import record_observations
from vigil.services.simulation import Progress, record_scenario, scenario_for
from vigil.store.tables import Mission

DEMO_PASSWORD = "vigil-demo"
START = datetime(2020, 11, 9, 21, 0, tzinfo=UTC)  # 00:00 Moscow time, 10 November 2020
DAYS = 30
# The month ends at midnight Baku time, so that its last day is a whole day on the map.
END = datetime(2020, 12, 9, 20, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoSummary:
    """What the demo loaded."""

    observations: int  # simulated
    truth_events: int
    accounts: list[tuple[str, str]]  # (username, role)
    incidents: int  # what fusion made of the observations
    scripted: int  # reports written by hand (agreement_reports.json), without ground truth


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
    provision_rules.load_rules(session, who, json.loads(_data("provision_rules.json")))
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
    scenario = _until(scenario_for(posts, line, START, DAYS, seed), END)
    monitor = users["monitor"]
    reporter = Principal(monitor.id, monitor.username, Role.monitor, None, "system")
    received_at = START + timedelta(days=DAYS + 1)  # when the month's reports were all in
    record_scenario(session, who, reporter, scenario, tick, channel="demo", received_at=received_at)
    scripted = _agreement_reports()
    record_observations(session, reporter, scripted, "demo", now=received_at)
    leader = users["patrol_leader"]
    leader_as = Principal(leader.id, leader.username, Role.patrol_leader, None, "system")
    restrictions.record_all(session, leader_as, json.loads(_data("restrictions.json")), received_at)
    duty = users["duty_officer"]
    duty_as = Principal(duty.id, duty.username, Role.duty_officer, None, "system")
    load_hotline(session, duty_as, json.loads(_data("hotline.json")), END)
    patrols.load_all(session, who, json.loads(_data("patrols.json")), received_at)
    run = fuse_range(session, who, START, END, "demo")
    tick("fused", 1)
    return DemoSummary(
        len(scenario.observations),
        len(scenario.events),
        [(u, r) for u, r, _ in demo_accounts()],
        run.created,
        len(scripted),
    )


def _agreement_reports() -> list[ObservationDraft]:
    """Patrols' reports of the agreement being implemented (or obstructed) in the demo month:
    peacekeepers deploying, withdrawals, handovers, returns, an exchange of remains, traffic on
    the Lachin corridor and its obstruction, so every provision has incidents to judge."""
    items = json.loads(_data("agreement_reports.json"))
    return [ObservationDraft.model_validate(item) for item in items]


def _until(scenario: Scenario, end: datetime) -> Scenario:
    """The scenario without what happened or was reported from `end` on."""
    events = tuple(e for e in scenario.events if e.started_at < end)
    kept = {e.key for e in events}
    observations = tuple(
        o
        for o in scenario.observations
        if (o.observed_to or o.observed_at) < end and all(k in kept for k in o.truth_keys)
    )
    return Scenario(events=events, observations=observations)
