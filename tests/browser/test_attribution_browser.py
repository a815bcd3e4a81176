"""Attribution in a real Chromium against the shared demo server: an analyst is refused
without a confidence (the form keeps what they entered), attributes an incident with its own
report and a crater analysis, sees it with its evidence and history, then withdraws it."""

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

# A day before the demo month that no other browser test uses.
DAY = "2020-11-04"
FUSION_WAIT_S = 90  # `vigil serve` fuses new reports in the background
WINDOW = f"from={DAY}T00:00:00%2B04:00&to={DAY}T23:59:59%2B04:00"


def report_an_explosion(page: Page) -> None:
    """A monitor's located sighting of an explosion on DAY."""
    body: dict[str, Any] = {
        "client_id": f"browser-attribution-{uuid.uuid4().hex[:8]}",
        "observed_at": f"{DAY}T11:20:00+04:00",
        "time_uncertainty_s": 60,
        "observer": {"kind": "monitor", "name": "Monitor 9", "lat": 39.60, "lon": 47.02},
        "category": "ceasefire_violation.explosion.artillery",
        "count": 1,
        "location": {"lat": 39.62, "lon": 47.04, "error_m": 150},
        "text": "an explosion in the field east of the road",
        "grade": {"reliability": "B", "credibility": "2"},
    }
    me = page.context.request.get("/api/v1/me").json()
    sent = page.context.request.post(
        "/api/v1/observations", data=body, headers={"X-CSRF-Token": me["csrf_token"]}
    )
    assert sent.status == 201, sent.text()


def incident_of_the_day(page: Page) -> int:
    """The day's incident, once background fusion has made it."""
    deadline = time.monotonic() + FUSION_WAIT_S
    while True:
        answer = page.context.request.get(f"/api/v1/incidents?{WINDOW}")
        assert answer.ok, answer.text()
        items = answer.json()["items"]
        if items:
            return int(items[0]["id"])
        assert time.monotonic() < deadline, "fusion made no incident of the day"
        page.wait_for_timeout(1000)


def test_an_analyst_attributes_and_withdraws(watched: tuple[Page, Watch]) -> None:
    page, watch = watched
    open_as(page, "/map", "analyst")
    report_an_explosion(page)
    incident_id = incident_of_the_day(page)
    page.goto(f"/incidents/{incident_id}")
    section = page.locator("#attribution")
    assert "not attributed" in section.locator("h2").inner_text()
    form = section.locator("form.attribution-set")
    assert form.get_by_label("Party").input_value() == "", "no party is preselected"
    assert form.get_by_label("Confidence").input_value() == "", "no confidence is preselected"

    form.get_by_label("Party").select_option("AM")
    form.locator('input[name="observation"]').first.check()
    form.get_by_label("Kind of evidence 1").select_option("crater_analysis")
    form.get_by_label("Note 1").fill("fuze and crater point to the north-east")
    form.get_by_label("Reason", exact=True).fill("the crater and the sighting agree")
    form.get_by_role("button", name="Attribute").click()
    page.wait_for_load_state()
    error = page.locator("#attr-e-confidence")
    error.wait_for()
    assert "choose one of" in error.inner_text()
    form = page.locator("#attribution form.attribution-set")
    assert form.get_by_label("Party").input_value() == "AM", "the party is kept"
    assert form.get_by_label("Note 1").input_value() == "fuze and crater point to the north-east"
    assert form.locator('input[name="observation"]').first.is_checked()

    form.get_by_label("Confidence").select_option("high")
    form.get_by_role("button", name="Attribute").click()
    page.wait_for_url(f"**/incidents/{incident_id}#attribution")
    section = page.locator("#attribution")
    title = section.locator("h2").inner_text()
    assert "AM (Republic of Armenia)" in title and "high confidence" in title, title
    assert "in reports" in section.locator("p.publication").inner_text()
    evidence = section.locator("table.attribution-evidence tbody tr")
    assert evidence.count() == 2
    assert "this incident's report" in evidence.nth(0).inner_text()
    assert "Crater analysis" in evidence.nth(1).inner_text()
    history = section.locator("table.attribution-history tbody tr")
    assert "analyst" in history.nth(0).inner_text()
    assert "the crater and the sighting agree" in history.nth(0).inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(SCREENSHOTS / "attribution.png"))

    withdraw = section.locator("form.attribution-withdraw")
    withdraw.get_by_label("Reason (required)").fill("the crater was misread")
    withdraw.get_by_role("button", name="Withdraw").click()
    page.wait_for_url(f"**/incidents/{incident_id}#attribution")
    section = page.locator("#attribution")
    assert "not attributed" in section.locator("h2").inner_text()
    last = section.locator("table.attribution-history tbody tr").nth(1).inner_text()
    assert "withdrew AM (high)" in last and "the crater was misread" in last, last
    # the refused form came back as a 422 page on purpose; Chromium logs that status
    refused = "the server responded with a status of 422"
    assert sum(refused in e for e in watch.errors) == 1, watch.errors
    watch.errors = [e for e in watch.errors if refused not in e]
    assert_clean(watch)
