"""The agreement's pages in a real Chromium against the shared demo server: an analyst adds a
rule to provision 7 from its page (a bad zone is refused next to the field first), reports and
verifies an incident the rule matches, and confirms its flag from the incident page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.browser.test_admin_pages import open_as
from tests.browser.test_map import SCREENSHOTS, assert_clean
from tests.browser.verified_incident import Scene, verified

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

# A day of the demo month (so that the map's latest day stays the month's last) on which the
# demo has no returns: the queue's category filter finds this test's incident alone.
RETURNS = Scene(
    day="2020-11-21", hour="11", category="humanitarian.returns", at=(39.76, 47.17),
    seen_from=(39.75, 47.16), text="families returning about 700 m from the line of contact",
    queue_filter="category=humanitarian.returns",
)  # fmt: skip
LABEL = "Returns seen within 10 km of the line of contact"


def test_an_analyst_adds_a_rule_and_confirms_its_flag(watched: tuple[Page, Watch]) -> None:
    page, watch = watched
    open_as(page, "/provisions", "analyst")
    assert page.get_by_role("link", name="Agreement").count() == 1, "the nav links the agreement"
    row = page.locator('#provisions tr[data-number="7"]')
    assert "Return of internally displaced persons" in row.inner_text()
    row.get_by_role("link").click()
    page.wait_for_url("**/provisions/7")

    form = page.get_by_role("form", name="Add a rule")
    form.get_by_label("Label").fill(LABEL)
    form.get_by_label("Effect").select_option("compliance")
    form.get_by_label("Categories (none: any)").select_option(["humanitarian.returns"])
    form.get_by_label("Zone relation").select_option("within")
    form.get_by_role("button", name="Add rule").click()
    page.locator("#zones-error").wait_for()  # within what? no zone was ticked
    assert "name the zones" in page.locator("#zones-error").inner_text()
    assert [e for e in watch.errors if "422" not in e] == []
    watch.errors.clear()  # the refusal's status, which the browser logs: expected here
    form = page.get_by_role("form", name="Add a rule")
    assert form.get_by_label("Label").input_value() == LABEL, "the form keeps what was typed"
    form.get_by_label("line-of-contact").check()
    form.get_by_label("Within km").fill("10")
    form.get_by_role("button", name="Add rule").click()
    page.locator("#provision-message").wait_for()
    assert "added" in page.locator("#provision-message").inner_text()
    rule_row = page.locator("#rule-rows tbody tr", has_text=LABEL)
    assert "within 10 km of line-of-contact" in rule_row.inner_text()

    me = page.context.request.get("/api/v1/me").json()
    incident_id = verified(page.context.request, me["csrf_token"], RETURNS, "seen by two")
    page.goto(f"/incidents/{incident_id}")
    section = page.locator("#flags")
    assert "Provisions it may breach" in section.locator("h2").inner_text()
    ours = section.locator("tr", has_text=LABEL)
    assert "km from line-of-contact" in ours.locator("td.why").inner_text()
    assert "open" in ours.locator("td.state").inner_text()
    ours.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"**/incidents/{incident_id}*")
    ours = page.locator("#flags tr", has_text=LABEL)
    assert "confirmed by analyst" in ours.locator("td.state").inner_text()

    page.goto("/provisions/7")
    rows = page.locator("#flag-rows tbody tr", has_text=f"#{incident_id}")
    assert rows.count() == 2, "the demo's returns rule flagged it too"
    assert "confirmed" in rows.filter(has_text=LABEL).inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "provision.png"), full_page=True)
    assert_clean(watch)
