"""The observation draft: what every channel accepts and refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from tests.factories import observation

from vigil.domain.geodesy import distance_m
from vigil.domain.observation import ObservationDraft, estimated_point, too_far_in_future


def test_valid_draft_and_fingerprint() -> None:
    body = observation()
    a, b = ObservationDraft.model_validate(body), ObservationDraft.model_validate(body)
    assert a.fingerprint() == b.fingerprint()
    changed = ObservationDraft.model_validate({**body, "count": 4})
    assert changed.fingerprint() != a.fingerprint()


@pytest.mark.parametrize(
    "change",
    [
        {"observer": {"kind": "post", "post": "OP-1", "lat": 95, "lon": 46}},
        {"observed_at": "2020-11-12T14:05:00"},  # no zone
        {"bearing": {"deg": 360}},
        {"bearing": None, "location": None},
        {"bearing": None, "distance": {"m": 100}},
        {"count": 0},
        {"grade": {"reliability": "G", "credibility": "1"}},
        {"client_id": "has space"},
        {"surprise": 1},
        {"observer": {"kind": "patrol"}},  # a patrol must say where it was
        {"observed_to": "2020-11-12T14:00:00Z"},  # before observed_at
    ],
)
def test_refused(change: dict) -> None:
    with pytest.raises(ValidationError):
        ObservationDraft.model_validate(observation(**change))


def test_estimated_point_follows_bearing_and_distance() -> None:
    draft = ObservationDraft.model_validate(observation(bearing={"deg": 90}, distance={"m": 5000}))
    lat, lon = estimated_point(draft, 39.8, 46.7) or (0, 0)
    assert abs(distance_m(39.8, 46.7, lat, lon) - 5000) < 1
    assert lon > 46.7
    bearing_only = ObservationDraft.model_validate(observation(distance=None))
    assert estimated_point(bearing_only, 39.8, 46.7) is None


def test_future_tolerance() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert not too_far_in_future(now.replace(minute=4), now, 300)
    assert too_far_in_future(now.replace(minute=6), now, 300)
