"""A verified incident made through the API of the shared demo server, as the browser tests
of the agreement and compliance pages need one: two direct sightings (a patrol's and a
monitor's) of one event, fused by the server's background worker, then reviewed."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import APIRequestContext

FUSION_WAIT_S = 90


@dataclass(frozen=True)
class Scene:
    """What was seen, when and where, and how the review queue finds it alone."""

    day: str  # YYYY-MM-DD, mission time (+04:00)
    hour: str  # HH, mission time
    category: str
    at: tuple[float, float]  # lat, lon of the event
    seen_from: tuple[float, float]  # lat, lon of the observers
    text: str
    queue_filter: str  # extra query of the review queue that leaves only this incident

    def sighting(self, run: str, n: int, kind: str, name: str) -> dict[str, Any]:
        return {
            "client_id": f"browser-{run}-{n}",
            "observed_at": f"{self.day}T{self.hour}:0{n}:00+04:00",
            "time_uncertainty_s": 60,
            "observer": {"kind": kind, "name": name,
                         "lat": self.seen_from[0], "lon": self.seen_from[1]},
            "category": self.category,
            "count": 1,
            "location": {"lat": self.at[0], "lon": self.at[1], "error_m": 150},
            "text": f"{self.text}, seen by {name}",
            "grade": {"reliability": "B", "credibility": "2"},
        }  # fmt: skip

    @property
    def window(self) -> str:
        day = self.day
        return f"from={day}T00:00:00%2B04:00&to={day}T23:59:59%2B04:00&{self.queue_filter}"


def verified(api: APIRequestContext, csrf: str, scene: Scene, reason: str) -> int:
    """Report the scene, wait for fusion, take it under review and verify it: its id."""
    run = uuid.uuid4().hex[:8]
    bodies = [scene.sighting(run, 1, "patrol", "Patrol 6"),
              scene.sighting(run, 2, "monitor", "Monitor 5")]  # fmt: skip
    headers = {"X-CSRF-Token": csrf}
    sent = api.post("/api/v1/observations/batch", data={"observations": bodies}, headers=headers)
    assert sent.status == 201, sent.text()
    deadline = time.monotonic() + FUSION_WAIT_S
    items: list[dict[str, Any]] = []
    while not items and time.monotonic() < deadline:
        items = api.get(f"/api/v1/reviews/queue?{scene.window}").json()["items"]
        time.sleep(1)
    assert len(items) == 1, f"fusion made {len(items)} incident(s) of the scene"
    incident_id = int(items[0]["id"])
    for status in ("under_review", "verified"):
        etag = api.get(f"/api/v1/incidents/{incident_id}").headers["etag"]
        moved = api.post(
            f"/api/v1/incidents/{incident_id}/review",
            data={"status": status, "reason": reason},
            headers={**headers, "If-Match": etag},
        )
        assert moved.ok, moved.text()
    return incident_id
