"""The Sources page in a real Chromium against the shared demo server: the head of mission
gives a newspaper its default reliability, sees it listed, is told next to the form when a
post's profile names no post, and removes the profile again."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.browser.test_admin_pages import open_as
from tests.browser.test_map import SCREENSHOTS, assert_clean

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser


def test_head_of_mission_grades_a_source(watched: tuple[Page, Watch]) -> None:
    page, watch = watched
    open_as(page, "/sources", "head-of-mission")
    assert page.get_by_role("link", name="Sources").count() == 1, "the nav links the page"
    form = page.locator("form.profile")
    form.get_by_label("Kind").select_option("third_party")
    form.get_by_label("Key").fill("Evening Courier")
    form.get_by_label("Reliability").select_option("D")
    form.get_by_label("Label").fill("A daily newspaper")
    form.get_by_role("button", name="Save").click()
    page.wait_for_url("**/sources?done=set")
    row = page.locator("table tr", has_text="evening courier")
    assert "D · Not usually reliable" in row.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sources.png"), full_page=True)

    form = page.locator("form.profile")
    form.get_by_label("Kind").select_option("post")
    form.get_by_label("Key").fill("OP-NOWHERE")
    form.get_by_label("Reliability").select_option("B")
    form.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "key" in alert.inner_text() and "Nothing was changed." in alert.inner_text()
    assert page.locator("form.profile").get_by_label("Key").input_value() == "OP-NOWHERE"
    watch.errors.clear()  # the refusal's 422, which the browser logs: expected here

    page.once("dialog", lambda d: d.accept())
    row = page.locator("table tr", has_text="evening courier")
    row.get_by_role("button", name="Remove").click()
    page.wait_for_url("**/sources?done=removed")
    assert page.locator("table tr", has_text="evening courier").count() == 0
    assert_clean(watch)
