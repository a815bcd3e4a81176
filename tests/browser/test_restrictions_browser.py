"""Restrictions of movement in a real Chromium against the shared demo server: a patrol leader
records one with a no-access area through the page (a refusal first, its values kept), sees it
listed and counted, then sees the hatched area on the map of that day with its popup."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import pytest
from tests.browser.test_admin_pages import open_as
from tests.browser.test_map import SCREENSHOTS, assert_clean

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

# A day before the demo month that no other browser test uses; the restriction ends that day,
# so the other days' maps stay as the demo made them.
DAY = "2020-11-04"
MINED_DAY = "2020-11-28"
AREA = {
    "type": "Polygon",
    "coordinates": [
        [[46.93, 39.96], [46.97, 39.96], [46.97, 39.98], [46.93, 39.98], [46.93, 39.96]]
    ],
}


def test_a_patrol_leader_records_a_restriction_and_sees_it_on_the_map(
    watched: tuple[Page, Watch],
) -> None:
    page, watch = watched
    open_as(page, "/restrictions", "patrol-leader")
    assert page.get_by_role("link", name="Restrictions").count() >= 1, "the nav links the page"
    place = f"Checkpoint east of Aghdam {uuid.uuid4().hex[:6]}"
    form = page.get_by_role("form", name="Record a restriction")
    form.get_by_label("Kind").select_option("denied")
    form.get_by_label("When").fill(f"{DAY}T09:30")
    form.get_by_label("Ended").fill(f"{DAY}T08:00")  # before it began: refused
    form.get_by_label("Latitude").fill("39.97")
    form.get_by_label("Longitude").fill("46.95")
    form.get_by_label("Place").fill(place)
    form.get_by_label("Patrol", exact=True).fill("PTL-02")
    form.get_by_label("No-access area").fill(json.dumps(AREA))
    form.get_by_role("button", name="Record restriction").click()
    error = page.locator("#e-ended_at")
    error.wait_for()
    assert "after" in error.inner_text()
    assert page.get_by_label("Place").input_value() == place, "the values are kept"
    # the refused form came back as a 422 page on purpose; Chromium logs that status
    refused = "the server responded with a status of 422"
    assert sum(refused in e for e in watch.errors) == 1, watch.errors
    watch.errors = [e for e in watch.errors if refused not in e]

    form = page.get_by_role("form", name="Record a restriction")
    form.get_by_label("Ended").fill(f"{DAY}T17:00")
    form.get_by_role("button", name="Record restriction").click()
    page.locator("#restriction-message").wait_for()
    assert "recorded" in page.inner_text("#restriction-message")
    row = page.locator("#restriction-rows tbody tr", has_text=place)
    assert row.count() == 1
    assert "aghdam-district" in row.inner_text() and "7 h 30 min" in row.inner_text()
    page.goto(f"/restrictions?from={DAY}&to={DAY}")
    assert "1 restriction," in page.inner_text("#restriction-total")
    assert page.locator('table[aria-label="Kind"] tr[data-key="denied"]').count() == 1
    page.goto("/restrictions")  # the whole demo month, counted
    assert page.locator('table[aria-label="Area"] tr[data-key="lachin-corridor"]').count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "restrictions.png"), full_page=True)

    page.goto(f"/map?day={DAY}")
    page.wait_for_selector("#map[data-state]", state="attached")
    assert page.get_attribute("#map", "data-state") == "ready", page.inner_text("#summary")
    area = page.locator("path.no-access-area")
    assert area.count() == 1, "the no-access area is drawn"
    assert area.first.get_attribute("fill") == "url(#no-access-hatch)", "hatched"
    assert page.locator("path.restriction-marker").count() == 1
    assert "No-access area" in page.inner_text(".legend")
    page.locator("path.restriction-marker").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    text = popup.inner_text()
    assert "Access denied" in text and "PTL-02" in text and "not stated" in text, text
    assert f"{DAY} 09:30" in text and f"until {DAY} 17:00" in text, text
    page.goto(f"/map?day={MINED_DAY}")  # the demo's mined road west of Aghdam, closed
    page.wait_for_selector("#map[data-state]", state="attached")
    closed = page.locator("path.no-access-area")
    assert closed.count() >= 1
    closed.first.click(force=True)
    page.locator(".leaflet-popup-content", has_text="Mines").wait_for()
    page.wait_for_timeout(500)  # the popup fades in
    page.screenshot(path=str(SCREENSHOTS / "restrictions-map.png"))
    assert_clean(watch)
