"""Valid inputs to start tests from; each test changes what it is about."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain.geography import PostDraft, ZoneDraft
from vigil.services import geography
from vigil.services.access import Principal

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[46.5, 39.5], [47.0, 39.5], [47.0, 40.0], [46.5, 40.0], [46.5, 39.5]]],
}


def observation(**changes: Any) -> dict[str, Any]:
    """A valid observation body: an artillery explosion heard from post OP-T1."""
    body: dict[str, Any] = {
        "client_id": f"test-{uuid.uuid4()}",
        "observed_at": "2020-11-12T14:05:00Z",
        "time_uncertainty_s": 60,
        "observer": {"kind": "post", "post": "OP-T1"},
        "category": "ceasefire_violation.explosion.artillery",
        "weapon_class": "artillery",
        "count": 3,
        "bearing": {"deg": 120.0, "error_deg": 5.0},
        "distance": {"m": 4000, "error_m": 1200},
        "text": "three explosions south-east",
        "grade": {"reliability": "A", "credibility": "2"},
    }
    body.update(changes)
    return body


def add_post(session: Session, who: Principal, code: str = "OP-T1") -> None:
    """A post in the demo region."""
    geography.add_posts(
        session,
        who,
        [PostDraft(code=code, name=f"Post {code}", kind="observation_post", lat=39.8, lon=46.75)],
    )


def add_zone(session: Session, who: Principal, code: str = "square") -> None:
    """A square zone."""
    geography.add_zones(
        session,
        who,
        [ZoneDraft(code=code, kind="buffer_zone", names={"en": "Square"}, geometry=SQUARE)],
    )
