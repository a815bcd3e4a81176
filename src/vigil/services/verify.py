"""`vigil verify`: recompute the audit chain and compare every audited row with its last
audited state, so that any edit made behind Vigil's back is found and named."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.domain.audit_chain import GENESIS, EventContent, canonical, digest
from vigil.queries import audit as audit_q
from vigil.queries import evidence as evidence_q
from vigil.queries import forms as forms_q
from vigil.store.blobs import BlobStore, is_sha256
from vigil.store.snapshots import entity_id, entity_type, row_values, snapshot, unsigned_zero
from vigil.store.tables import AuditEvent, audited_tables

Progress = Callable[[str, int], None]
MAX_PROBLEMS = 20


@dataclass
class Verdict:
    """What verify found: counts, and the problems in the order they were met."""

    events: int = 0
    rows: int = 0
    files: int = 0  # evidence files rehashed (with their thumbnails)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain is intact and every row matches its audit trail."""
        return not self.problems

    def add(self, problem: str) -> None:
        """Keep a problem (the first ones are the useful ones)."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def verify(
    session: Session, progress: Progress | None = None, blobs: BlobStore | None = None
) -> Verdict:
    """Check the chain link by link, then every audited row against its last event, then
    (given the evidence store) that every evidence file's bytes still hash to its name."""
    tick = progress or (lambda _stage, _n: None)
    verdict = Verdict()
    last_state = _walk_chain(session, verdict, tick)
    _compare_rows(session, verdict, last_state, tick)
    if blobs is not None:
        _check_files(session, verdict, blobs, tick)
    return verdict


def _check_files(session: Session, verdict: Verdict, blobs: BlobStore, tick: Progress) -> None:
    """Each evidence file, thumbnail and form media file must be in the store, unchanged."""
    for sha, thumbnail in evidence_q.stored_names(session):
        verdict.files += 1
        _check_file(verdict, blobs, sha, f"evidence_file {sha}")
        if thumbnail:
            _check_file(verdict, blobs, thumbnail, f"the thumbnail of evidence_file {sha}")
        tick("files", 1)
    for version_id, name, sha in forms_q.stored_media(session):
        verdict.files += 1
        _check_file(verdict, blobs, sha, f"form_media {version_id}/{name} ({sha})")
        tick("files", 1)


def _check_file(verdict: Verdict, blobs: BlobStore, sha: str, what: str) -> None:
    try:
        found = blobs.digest(sha) if is_sha256(sha) else None
    except OSError as exc:
        verdict.add(f"{what} cannot be read from the evidence store: {exc.strerror or exc}")
        return
    if found is None:
        verdict.add(f"{what} is missing from the evidence store ({blobs.root})")
    elif found != sha:
        verdict.add(f"{what} was altered outside Vigil: its bytes now hash to {found}")


def _walk_chain(
    session: Session, verdict: Verdict, tick: Progress
) -> dict[tuple[str, str], tuple[int, str | None]]:
    """Recompute each hash; return (entity type, id) -> (seq, digest of its last state)."""
    state: dict[tuple[str, str], tuple[int, str | None]] = {}
    tables = {entity_type(cls) for cls in audited_tables()}
    prev, expected_seq = GENESIS, 1
    for event in audit_q.iter_all(session):
        verdict.events += 1
        tick("chain", 1)
        _check_link(event, prev, expected_seq, verdict)
        prev, expected_seq = event.hash, event.seq + 1
        after = orjson.loads(event.after) if event.after is not None else None
        key = (event.entity_type, event.entity_id)
        if event.entity_type in tables:  # not notes such as logins, which recur by name
            _check_recreated(event, state.get(key), verdict)
        if after is not None:  # as snapshots record it today: -0.0 as 0.0
            after = {k: unsigned_zero(v) for k, v in after.items()}
        state[key] = (event.seq, None if after is None else digest(after))
    return state


def _check_recreated(
    event: AuditEvent, last: tuple[int, str | None] | None, verdict: Verdict
) -> None:
    """A row created under an id whose audited row still existed: that row was deleted
    behind Vigil's back and its id reused, which would otherwise hide the deletion."""
    if event.before is None and event.after is not None and last and last[1] is not None:
        verdict.add(
            f"{event.entity_type} {event.entity_id} was created again in event {event.seq}: "
            f"the row audited in event {last[0]} was deleted behind Vigil's back"
        )


def _check_link(event: AuditEvent, prev: str, expected_seq: int, verdict: Verdict) -> None:
    if event.seq != expected_seq:
        verdict.add(f"audit chain: event {expected_seq} is missing (next is {event.seq})")
    if event.prev_hash != prev:
        verdict.add(
            f"audit chain broken at event {event.seq}: it does not link to event {event.seq - 1}"
        )
    content = EventContent(
        event.seq,
        event.at,
        event.actor,
        event.action,
        event.entity_type,
        event.entity_id,
        event.before,
        event.after,
    )
    if content.hash_with(event.prev_hash) != event.hash:
        verdict.add(
            f"audit event {event.seq} ({event.action} {event.entity_type} "
            f"{event.entity_id}) was altered: its hash does not match its content"
        )


def _compare_rows(
    session: Session,
    verdict: Verdict,
    state: dict[tuple[str, str], tuple[int, str | None]],
    tick: Progress,
) -> None:
    """Every audited row must equal its last audited state; every audited row must exist."""
    seen: set[tuple[str, str]] = set()
    for cls in audited_tables():
        kind = entity_type(cls)
        for row in session.execute(select(cls).execution_options(yield_per=2000)).scalars():
            verdict.rows += 1
            tick("rows", 1)
            values = row_values(row)
            key = (kind, entity_id(cls, values))
            seen.add(key)
            recorded = state.get(key)
            current = snapshot(cls, values)
            if recorded is None or recorded[1] is None:
                verdict.add(f"{kind} {key[1]} is in the table but not in the audit log")
            elif digest(current) != recorded[1]:
                verdict.add(_describe_edit(session, kind, key[1], recorded[0], current))
        session.expunge_all()
    for (kind, ident), (seq, last) in state.items():
        if last is not None and (kind, ident) not in seen and kind in _AUDITED:
            verdict.add(
                f"{kind} {ident} was deleted behind Vigil's back (last audited in event {seq})"
            )


_AUDITED = {entity_type(cls) for cls in audited_tables()}


def _describe_edit(session: Session, kind: str, key: str, seq: int, current: dict) -> str:
    """Name the fields whose stored value differs from the audited one."""
    event = session.get(AuditEvent, seq)
    audited = orjson.loads(event.after) if event and event.after else {}
    now = orjson.loads(canonical(current))  # the table's values as the log would hold them
    fields = [
        f"{name}: table has {now.get(name)!r}, audit event {seq} has {audited.get(name)!r}"
        for name in sorted(set(now) | set(audited))
        if now.get(name) != audited.get(name)
    ]
    return f"{kind} {key} was edited outside Vigil ({'; '.join(fields)})"
