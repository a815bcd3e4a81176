"""The hotline in a real Chromium against the shared demo server: AZ's liaison opens a thread
(a refusal first, its values kept), the duty officer writes an internal note and relays it, AM's
liaison acknowledges and answers, the duty officer relays the answer back; AZ's liaison then
sees the answer and never the note."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import pytest
from tests.browser.test_admin_pages import open_as
from tests.browser.test_map import SCREENSHOTS, assert_clean

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser
NOTE = "Internal: AM duty line was busy twice"


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login**")


def test_a_concern_goes_through_the_mission_and_back(watched: tuple[Page, Watch]) -> None:
    page, watch = watched
    subject = f"Tracer fire near Aghdam {uuid.uuid4().hex[:6]}"
    open_as(page, "/hotline", "liaison-az")
    assert page.get_by_role("link", name="Hotline").count() >= 1
    form = page.get_by_role("form", name="Open a thread")
    assert form.get_by_label("On behalf of").count() == 0, "a liaison raises for their party"
    form.get_by_label("For party").select_option("AM")
    form.get_by_label("Message", exact=True).fill("Tracer fire towards our posts since 21:40.")
    form.get_by_role("button", name="Open thread").click()  # no subject: refused
    page.locator("#e-subject").wait_for()
    assert page.locator("#f-body").input_value().startswith("Tracer fire")
    refused = "the server responded with a status of 422"
    assert sum(refused in e for e in watch.errors) == 1, watch.errors
    watch.errors = [e for e in watch.errors if refused not in e]
    page.get_by_role("form", name="Open a thread").get_by_label("Subject").fill(subject)
    page.get_by_role("button", name="Open thread").click()
    page.wait_for_url(re.compile(r"/hotline/\d+"))
    path = page.url.split("?")[0].replace(page.url.split("/hotline")[0], "")
    assert page.inner_text("#thread-status") == "open"
    sign_out(page)

    open_as(page, path, "duty-officer")
    post = page.get_by_role("form", name="Write into this thread")
    post.get_by_label("Message", exact=True).fill(NOTE)
    post.get_by_label("Internal note (never shown to a party)").check()
    post.get_by_role("button", name="Send").click()
    page.locator(".internal-note").wait_for()
    page.get_by_role("button", name="Relay to AM").click()
    page.wait_for_url("**done=relay")
    assert page.inner_text("#thread-status") == "relayed"
    sign_out(page)

    open_as(page, path, "liaison-am")
    assert NOTE not in page.content()
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url("**done=acknowledge")
    page.get_by_label("Answer", exact=True).fill("Our units report no firing; we are checking.")
    page.get_by_role("button", name="Answer").click()
    page.wait_for_url("**done=answer")
    assert page.inner_text("#thread-status") == "answered"
    sign_out(page)

    open_as(page, path, "duty-officer")
    page.get_by_role("button", name="Relay to AZ").click()
    page.wait_for_url("**done=relay")
    assert page.locator(".internal-note").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "hotline.png"), full_page=True)
    sign_out(page)

    open_as(page, path, "liaison-az")
    text = page.inner_text("#hotline-messages")
    assert "we are checking" in text and NOTE not in page.content()
    page.goto("/hotline")
    assert page.locator("#hotline-threads tr", has_text=subject).count() == 1
    assert_clean(watch)
