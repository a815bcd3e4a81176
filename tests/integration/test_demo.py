"""The demo scenario: loaded whole on SQLite and PostgreSQL, seeded and reproducible."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.conftest import OPERATOR

from vigil.services.demo import DAYS, END, START, load_demo
from vigil.services.verify import verify
from vigil.store.tables import (
    Incident,
    Observation,
    Party,
    Place,
    Post,
    Provision,
    TruthCover,
    TruthEvent,
    TruthLink,
    User,
    Zone,
)


def _count(session, cls) -> int:
    return session.scalar(select(func.count()).select_from(cls))


def test_demo_loads_the_scenario(db) -> None:
    ticks: list[tuple[str, int]] = []
    with db.writing() as session:
        summary = load_demo(session, OPERATOR, 7, lambda stage, n: ticks.append((stage, n)))
    assert sum(n for stage, n in ticks if stage == "observations") == summary.observations
    with db.reading() as session:
        assert {p.code for p in session.scalars(select(Party))} >= {"AZ", "AM"}
        assert [p.number for p in session.scalars(select(Provision).order_by(Provision.id))] == [
            str(n) for n in range(1, 10)
        ]
        kinds = [z.kind for z in session.scalars(select(Zone))]
        assert kinds.count("line_of_contact") == 1 and "corridor" in kinds
        assert kinds.count("withdrawal_zone") == 3
        places = session.scalars(select(Place)).all()
        both = [p for p in places if p.names.get("az") and p.names.get("hy")]
        assert len(both) >= 20
        assert _count(session, Post) >= 10
        assert _count(session, Observation) == summary.observations + summary.scripted
        assert summary.observations > 1000 and summary.scripted > 10
        assert _count(session, TruthEvent) == summary.truth_events > 500
        assert _count(session, TruthLink) == summary.observations
        summaries = _count(session, TruthCover)
        assert summaries > 50  # rounds that multi-count reports cover beyond their first
        patrols = session.execute(
            select(Observation.observer_name, Observation.observer_lat).where(
                Observation.observer_kind == "patrol"
            )
        ).all()
        assert len(patrols) > 20 and all(lat is not None for _, lat in patrols)
        # four simulated daily patrols, and two more in the scripted reports (corridor, north)
        assert {name for name, _ in patrols} <= {f"PTL-0{n}" for n in range(1, 7)}
        assert _count(session, User) == len(summary.accounts)
        first, last = session.execute(
            select(func.min(Observation.observed_at), func.max(Observation.observed_at))
        ).one()
        assert first >= START and (last - START).days < DAYS + 1
        assert last < END  # the month ends at midnight Baku time: its last day is whole
        # fused as loaded: fewer incidents than observations, every one located or a wedge
        incidents = _count(session, Incident)
        assert incidents == summary.incidents and 0 < incidents < summary.observations
        heard = session.scalar(
            select(func.count())
            .select_from(Observation)
            .where(Observation.bearing_deg.is_not(None))
        )
        assert heard > summary.observations / 2  # mostly explosions heard with a bearing
        assert verify(session).ok


def test_same_seed_same_observations() -> None:
    from vigil.domain.simulation import simulate
    from vigil.domain.simulation_model import SimPost
    from vigil.services.simulation import to_draft

    posts = [
        SimPost("A", "observation_post", 39.8, 46.8, 15000.0),
        SimPost("B", "acoustic_sensor", 39.9, 46.9, 20000.0),
    ]
    line = [(46.70, 39.70), (46.95, 40.05)]
    one = simulate(posts, line, START, 3, seed=5)
    two = simulate(posts, line, START, 3, seed=5)
    other = simulate(posts, line, START, 3, seed=6)
    fingerprints = [to_draft(o).fingerprint() for o in one.observations]
    assert fingerprints == [to_draft(o).fingerprint() for o in two.observations]
    assert fingerprints != [to_draft(o).fingerprint() for o in other.observations]
