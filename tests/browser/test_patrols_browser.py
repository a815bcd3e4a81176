"""Patrols in a real Chromium against the shared demo server: the duty officer plans a patrol
on the board (a refusal first, its values kept), starts it, completes it, and opens its report
with the route on the map and the status history.

The patrol is planned on a day before the demo month that no other browser test uses, and
completed at once, so no other test's day, map or alarms change."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from tests.browser.test_admin_pages import open_as
from tests.browser.test_map import SCREENSHOTS, assert_clean

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

DAY = "2020-11-03"
WAYPOINTS = "39.80 46.70\n39.82 46.75\n39.85 46.80"


def test_the_duty_officer_plans_starts_and_reports_a_patrol(watched: tuple[Page, Watch]) -> None:
    page, watch = watched
    open_as(page, "/patrols", "duty-officer")
    page.goto(f"/patrols?day={DAY}")
    assert page.get_by_role("link", name="Patrols").count() >= 1, "the nav links the board"
    code = f"PTL-B-{uuid.uuid4().hex[:6]}"
    form = page.get_by_role("form", name="Plan a patrol")
    assert form.locator('input[name="notified"]:checked').count() == 0, "none preselected"
    form.get_by_label("Code").fill(code)
    form.locator("#f-name").fill("PTL-B")
    form.get_by_label("Planned start").fill(f"{DAY}T08:00")
    form.get_by_label("Planned end").fill(f"{DAY}T07:00")  # before the start: refused
    form.get_by_label("Route").fill(WAYPOINTS)
    form.get_by_label("Leader").select_option("patrol-leader")
    form.get_by_label("Member 1", exact=True).select_option("monitor")
    form.get_by_label("Role of member 1").select_option("driver")
    form.get_by_label("AV-03").check()
    form.get_by_role("button", name="Plan patrol").click()
    error = page.locator("#e-planned_end")
    error.wait_for()
    assert "after planned_start" in error.inner_text()
    assert page.get_by_label("Code").input_value() == code, "the values are kept"
    assert page.get_by_label("AV-03").is_checked()
    refused = "the server responded with a status of 422"
    assert sum(refused in e for e in watch.errors) == 1, watch.errors
    watch.errors = [e for e in watch.errors if refused not in e]

    form = page.get_by_role("form", name="Plan a patrol")
    form.get_by_label("Planned end").fill(f"{DAY}T15:00")
    form.get_by_role("button", name="Plan patrol").click()
    page.locator("#patrol-message").wait_for()
    assert f"planned {code}" in page.inner_text("#patrol-message")
    row = page.locator("#patrol-board tr.patrol-row", has_text=code)
    assert row.count() == 1 and "Planned" in row.inner_text()
    assert "patrol-leader" in row.inner_text() and "AV-03" in row.inner_text()
    row.get_by_role("button", name="Start").click()
    page.locator("#patrol-message").wait_for()
    row = page.locator("#patrol-board tr.patrol-row", has_text=code)
    assert "Under way" in row.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "patrols.png"), full_page=True)
    row.get_by_role("button", name="Complete").click()
    page.locator("#patrol-message").wait_for()
    row = page.locator("#patrol-board tr.patrol-row", has_text=code)
    assert "Completed" in row.inner_text()

    row.get_by_role("link", name=code).click()
    page.wait_for_selector("#patrol-map path.patrol-route")
    assert page.inner_text("#patrol-status") == "Completed"
    history = page.locator("#patrol-history tbody tr")
    assert history.count() == 3
    assert [history.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == [
        "plan", "start", "complete",
    ]  # fmt: skip
    assert "monitor" in page.inner_text("#patrol-members")
    assert_clean(watch)


def test_a_demo_patrol_report_lists_what_it_found(watched: tuple[Page, Watch]) -> None:
    page, watch = watched
    open_as(page, "/patrols", "monitor")
    page.goto("/patrols?day=2020-11-14")
    assert page.get_by_role("form", name="Plan a patrol").count() == 0, "monitors do not plan"
    row = page.locator("#patrol-board tr.patrol-row", has_text="PTL-05-20201114")
    assert "Completed" in row.inner_text() and row.get_by_role("button").count() == 0
    row.get_by_role("link", name="PTL-05-20201114").click()
    page.wait_for_selector("#patrol-map path.patrol-route")
    assert page.locator("#patrol-restrictions tbody tr[data-id]").count() == 1
    assert "denied" in page.inner_text("#patrol-restrictions")
    page.wait_for_timeout(300)  # the map settles after fitting the route
    page.screenshot(path=str(SCREENSHOTS / "patrol-report.png"), full_page=True)
    assert_clean(watch)
