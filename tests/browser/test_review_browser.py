"""The review workflow in a real Chromium against the shared demo server: an analyst takes
two incidents up from the queue in one bulk action, then verifies one from its page and sees
its history."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from tests.browser.test_admin_pages import open_as
from tests.browser.test_map import SCREENSHOTS, assert_clean

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

# A day before the demo month (it starts on 10 November 2020) that no other browser test uses,
# so the other tests' days, counts and queues stay as the demo made them.
DAY = "2020-11-02"
FUSION_WAIT_S = 90  # `vigil serve` fuses new reports in the background
WINDOW = f"from={DAY}T00:00:00%2B04:00&to={DAY}T23:59:59%2B04:00"


def sighting(run: str, n: int, at: str, kind: str, name: str, lat: float) -> dict[str, Any]:
    """A located sighting of an explosion (a direct sighting: the event's own position)."""
    return {
        "client_id": f"browser-review-{run}-{n}",
        "observed_at": f"{DAY}T{at}:00+04:00",
        "time_uncertainty_s": 60,
        "observer": {"kind": kind, "name": name, "lat": lat - 0.02, "lon": 47.05},
        "category": "ceasefire_violation.explosion.artillery",
        "count": 1,
        "location": {"lat": lat, "lon": 47.06, "error_m": 150},
        "text": f"an explosion seen by {name}",
        "grade": {"reliability": "B", "credibility": "2"},
    }


def report_two_events(page: Page) -> None:
    """Two explosions hours apart, each seen by a patrol and a monitor (two sources each)."""
    run = uuid.uuid4().hex[:8]
    bodies = [
        sighting(run, 1, "09:00", "patrol", "Patrol 7", 39.62),
        sighting(run, 2, "09:01", "monitor", "Monitor 8", 39.62),
        sighting(run, 3, "15:30", "patrol", "Patrol 7", 39.58),
        sighting(run, 4, "15:31", "monitor", "Monitor 8", 39.58),
    ]
    me = page.context.request.get("/api/v1/me").json()
    sent = page.context.request.post(
        "/api/v1/observations/batch",
        data={"observations": bodies},
        headers={"X-CSRF-Token": me["csrf_token"]},
    )
    assert sent.status == 201, sent.text()


def queued(page: Page) -> list[dict[str, Any]]:
    """The day's incidents in the review queue, once background fusion has made them."""
    deadline = time.monotonic() + FUSION_WAIT_S
    while True:
        answer = page.context.request.get(f"/api/v1/reviews/queue?{WINDOW}")
        assert answer.ok, answer.text()
        items: list[dict[str, Any]] = answer.json()["items"]
        if len(items) >= 2 or time.monotonic() > deadline:
            return items
        page.wait_for_timeout(1000)


def test_an_analyst_takes_two_up_and_verifies_one(watched: tuple[Page, Watch]) -> None:
    """Bulk move from the queue, then a move from the incident page with its history."""
    page, watch = watched
    open_as(page, "/review", "analyst")
    assert page.get_by_role("link", name="Review").count() == 1, "the nav links the queue"
    report_two_events(page)
    items = queued(page)
    assert len(items) >= 2, f"fusion made {len(items)} incident(s) of the day"
    first, second = items[0]["id"], items[1]["id"]

    page.goto(f"/review?from={DAY}&to={DAY}")
    rows = page.locator("#review-rows tbody tr")
    assert [int(r.get_attribute("data-id") or 0) for r in rows.all()] == [i["id"] for i in items]
    for incident_id in (first, second):
        page.get_by_label(f"Select incident {incident_id}").check()
    bulk = page.get_by_role("form", name="Bulk actions")
    bulk.get_by_label("To", exact=True).select_option("under_review")
    bulk.get_by_label("Reason").fill("taking these up")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "review-queue.png"), full_page=True)
    bulk.get_by_role("button", name="Change status").click()
    message = page.locator("#review-message")
    message.wait_for()
    assert message.inner_text() == "Moved 2 incidents to under review."
    assert f"from={DAY}" in page.url, "the filters are kept"
    for incident_id in (first, second):
        row = page.locator(f'#review-rows tr[data-id="{incident_id}"]')
        assert row.locator("td.status").inner_text() == "under review"

    page.get_by_role("link", name=f"#{first}", exact=True).click()
    page.wait_for_url(f"**/incidents/{first}")
    review = page.locator("#review")
    assert "under review" in review.locator("h2").inner_text()
    review.get_by_label("Move to").select_option("verified")
    review.get_by_label("Reason").fill("two independent observers saw it")
    review.get_by_role("button", name="Move").click()
    page.wait_for_url(f"**/incidents/{first}?reviewed=verified*")
    assert page.get_by_role("status").inner_text() == "Moved to verified."
    assert "verified" in review.locator("h2").inner_text()
    steps = review.locator("table.review-history tbody tr")
    assert steps.count() == 2
    assert "reported → under review" in steps.nth(0).inner_text()
    assert "taking these up" in steps.nth(0).inner_text()
    last = steps.nth(1).inner_text()
    assert "under review → verified" in last and "analyst" in last, last
    assert "2 independent sources" in last, last
    assert review.get_by_label("Move to").locator("option").all_inner_texts() == [
        "under review (reason required)"
    ]
    review.scroll_into_view_if_needed()
    review.screenshot(path=str(SCREENSHOTS / "incident-review.png"))
    assert_clean(watch)
