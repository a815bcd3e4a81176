"""Reviewing a whole stretch of the queue: every incident matching the filters is moved along
the forward path to a status (reported -> under review -> verified) where the rules allow;
the others stay where they stopped and are counted by reason.

How an analyst takes a month from reported to verified. Each step is an ordinary review step,
audited, with the rule that allowed it. Verifying pins an incident, and fusion re-run around
the pin may regroup a neighbour into a new incident, which starts as reported: the sweep
passes over the period again until nothing more moves. One transaction: all of it or nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from vigil.domain import review as rules
from vigil.domain.roles import ANALYSTS
from vigil.errors import invalid
from vigil.services import review_queue, reviews
from vigil.services.access import Principal, require
from vigil.store.tables import Incident

Tick = Callable[[int], None]
MAX_PASSES = 5


@dataclass(frozen=True)
class SweepOutcome:
    """How many incidents the last pass looked at, how many reached the status, why the
    others did not, and how many passes it took."""

    examined: int
    moved: int
    refused: Counter[str]  # reason -> how many
    passes: int


def forward_path(to_status: str) -> list[str]:
    """The forward steps from reported to `to_status`, e.g. [under_review, verified]."""
    if to_status not in rules.STATES or to_status == rules.REPORTED:
        raise invalid("status", f"not a status to move to: {to_status!r}")
    path = [to_status]
    while True:
        before = [m.source for m in rules.TRANSITIONS if m.target == path[0] and not m.back]
        if not before or before[0] == rules.REPORTED:
            return path
        # The shortest way: through under_review rather than corroborated.
        path.insert(0, rules.UNDER_REVIEW if rules.UNDER_REVIEW in before else before[0])


def sweep(
    session: Session,
    who: Principal | None,
    q: review_queue.QueueRequest,
    to_status: str,
    reason: str,
    tick: Tick = lambda n: None,
) -> SweepOutcome:
    """Move every incident the queue `q` describes along the forward path to `to_status`,
    page by page, oldest first, in passes until a pass moves nothing more."""
    who = require(who, ANALYSTS)
    path = forward_path(to_status)
    q = replace(q, statuses=(rules.REPORTED, *path[:-1]))
    moved = passes = reached = 0
    while passes == 0 or (reached and passes < MAX_PASSES):
        passes += 1
        examined, reached, refused = _pass(session, who, q, path, reason, tick)
        moved += reached
    return SweepOutcome(examined, moved, refused, passes)


def _pass(
    session: Session,
    who: Principal,
    q: review_queue.QueueRequest,
    path: list[str],
    reason: str,
    tick: Tick,
) -> tuple[int, int, Counter[str]]:
    examined = reached = 0
    refused: Counter[str] = Counter()
    after = None
    while page := review_queue.review_queue(session, who, q, after, reviews.MAX_BULK):
        after = (page[-1].started_at, page[-1].id)
        examined += len(page)
        current: dict[int, Incident] = {i.id: i for i in page}
        for step in path:
            ready = [i for i in current.values() if rules.is_forward(i.status, step)]
            if not ready:
                continue
            items = [(i.id, reviews.incident_etag(i)) for i in ready]
            outcome = reviews.bulk_review(session, who, items, step, reason, partial=True)
            stopped = {i.id for i in ready} - {d.incident.id for d in outcome.done}
            current = {k: i for k, i in current.items() if k not in stopped}
            refused.update(_why(f.message) for f in outcome.refused)
        reached += sum(1 for i in current.values() if i.status == path[-1])
        tick(len(page))
    return examined, reached, refused


def _why(message: str) -> str:
    """A refusal without its incident number ("incident 12: needs ..." -> "needs ..."), so
    that like refusals are counted together."""
    head, sep, rest = message.partition(": ")
    return rest if sep and head.startswith("incident ") else message
