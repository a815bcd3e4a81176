"""Observations: record one or a batch (idempotent by client id), list, get."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from vigil.config import Settings
from vigil.domain.observation import ObservationDraft
from vigil.domain.roles import INTERNAL, REPORTERS
from vigil.errors import VigilError
from vigil.queries import observations as obs_q
from vigil.queries.accounts import users
from vigil.services import observations as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.store.snapshots import row_values
from vigil.web import cursor
from vigil.web.api.filters import ListQuery, list_query
from vigil.web.deps import allow, database, settings
from vigil.web.schemas import (
    BatchItemOut,
    BatchOut,
    ObservationBatch,
    ObservationOut,
    ObservationPage,
)

router = APIRouter(prefix="/api/v1/observations", tags=["observations"])


def _names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    return obs_q.post_codes(session), {u.id: u.username for u in users(session)}


@router.post(
    "",
    status_code=201,
    response_model=ObservationOut,
    responses={200: {"description": "Already stored with identical content (a retry)"}},
)
def record_one(
    draft: ObservationDraft,
    response: Response,
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> ObservationOut:
    """Record one observation. A retry with the same client id and content answers 200."""
    with db.writing() as session:
        [done] = service.record_observations(
            session, who, [draft], "api", [""], future_tolerance_s=cfg.future_tolerance_s
        )
        if not done.created:
            response.status_code = 200
        return ObservationOut.of(done.values, *_names(session))


@router.post("/batch", status_code=201, response_model=BatchOut)
def record_batch(
    batch: ObservationBatch,
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> BatchOut:
    """Record up to 10,000 observations in one transaction: all are stored, or none."""
    drafts = batch.observations
    if len(drafts) > cfg.max_batch:
        raise VigilError("batch_too_large", f"{len(drafts)} observations; at most {cfg.max_batch}")
    labels = [f"observations[{i}]" for i in range(len(drafts))]
    with db.writing() as session:
        done = service.record_observations(
            session, who, drafts, "api", labels, future_tolerance_s=cfg.future_tolerance_s
        )
    items = [
        BatchItemOut.model_construct(
            client_id=d.values["client_id"], id=d.values["id"], created=d.created
        )
        for d in done
    ]
    created = sum(1 for d in done if d.created)
    return BatchOut(created=created, existing=len(done) - created, items=items)


@router.get("", response_model=ObservationPage)
def list_observations(
    q: ListQuery = Depends(list_query),
    observer: str | None = Query(None, max_length=200, description="Post code or observer name"),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> ObservationPage:
    """Observations in time order, filtered; follow next_cursor for more."""
    f = obs_q.ObservationFilter(
        q.bbox, q.time_from, q.time_to, q.category, observer=observer, status=q.status
    )
    with db.reading() as session:
        rows = service.list_observations(session, who, f, q.after, q.limit)
        names = _names(session)
    items = [ObservationOut.of(r, *names) for r in rows]
    nxt = cursor.encode(rows[-1]["observed_at"], rows[-1]["id"]) if len(rows) == q.limit else None
    return ObservationPage(items=items, next_cursor=nxt)


@router.get("/{observation_id}", response_model=ObservationOut)
def get_observation(
    observation_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> ObservationOut:
    """One observation."""
    with db.reading() as session:
        row = service.get_observation(session, who, observation_id)
        return ObservationOut.of(row_values(row), *_names(session))
