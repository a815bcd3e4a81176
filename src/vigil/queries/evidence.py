"""SQL of evidence files and their links to observations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.store.tables import EvidenceFile, Observation, ObservationEvidence


def file(session: Session, sha256: str) -> EvidenceFile | None:
    """The file stored under this hash, or None."""
    return session.get(EvidenceFile, sha256)


def link(session: Session, observation_id: int, sha256: str) -> ObservationEvidence | None:
    """The link of a file to an observation, or None."""
    return session.get(ObservationEvidence, (observation_id, sha256))


def for_observations(
    session: Session, observation_ids: Sequence[int]
) -> list[tuple[ObservationEvidence, EvidenceFile]]:
    """The files attached to these observations, by observation, then in the order added."""
    found: list[tuple[ObservationEvidence, EvidenceFile]] = []
    ids = sorted(set(observation_ids))
    for start in range(0, len(ids), 500):
        query = (
            select(ObservationEvidence, EvidenceFile)
            .join(EvidenceFile, EvidenceFile.sha256 == ObservationEvidence.sha256)
            .where(ObservationEvidence.observation_id.in_(ids[start : start + 500]))
            .order_by(
                ObservationEvidence.observation_id,
                ObservationEvidence.added_at,
                ObservationEvidence.sha256,
            )
        )
        found += [(row[0], row[1]) for row in session.execute(query)]
    return found


def counts_between(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    """Observation id -> number of files, for observations made in [start, end) that have
    any: one grouped query for a whole day of the map."""
    query = (
        select(ObservationEvidence.observation_id, func.count())
        .join(Observation, Observation.id == ObservationEvidence.observation_id)
        .where(Observation.observed_at >= start, Observation.observed_at < end)
        .group_by(ObservationEvidence.observation_id)
    )
    return {int(oid): int(n) for oid, n in session.execute(query)}


def stored_names(session: Session, chunk: int = 2000) -> Iterator[tuple[str, str | None]]:
    """(sha256, thumbnail sha256) of every stored file, in hash order, read in chunks."""
    last = ""
    while True:
        rows = session.execute(
            select(EvidenceFile.sha256, EvidenceFile.thumbnail_sha256)
            .where(EvidenceFile.sha256 > last)
            .order_by(EvidenceFile.sha256)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield from ((r[0], r[1]) for r in rows)
        last = rows[-1][0]


def count_files(session: Session) -> int:
    """How many files are stored."""
    return int(session.scalar(select(func.count()).select_from(EvidenceFile)) or 0)
