"""The compliance page in a real Chromium against the shared demo server: an analyst verifies
an explosion (seen by a patrol and a monitor) on a day of its own, confirms the ceasefire flag
it raised, and sees provision 1 breached with the incident linked, the parties left unknown
(the breach is unattributed), the timeline and the chart; a bad window is named next to its
field."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.browser.test_admin_pages import open_as
from tests.browser.test_map import SCREENSHOTS, assert_clean
from tests.browser.verified_incident import Scene, verified

if TYPE_CHECKING:
    from playwright.sync_api import APIRequestContext, Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

# A day of the demo month (so that the map's latest day stays the month's last); a small box
# around this test's explosion finds its incident alone among the day's.
EXPLOSION = Scene(
    day="2020-11-28", hour="10", category="ceasefire_violation.explosion.artillery",
    at=(39.62, 47.06), seen_from=(39.60, 47.05), text="an explosion",
    queue_filter="bbox=47.05,39.61,47.07,39.63",
)  # fmt: skip
AS_OF = "2020-11-29T00:00"


def verified_breach(api: APIRequestContext, csrf: str) -> int:
    """Verify the explosion and confirm the provision-1 flag it raised; the incident's id."""
    incident_id = verified(api, csrf, EXPLOSION, "patrol and monitor saw it")
    flags = api.get(f"/api/v1/incidents/{incident_id}/flags").json()
    ours = [f for f in flags if f["provision"] == "1" and f["effect"] == "breach"]
    assert ours, f"verifying raised no ceasefire flag: {flags}"
    decided = api.post(
        f"/api/v1/flags/{ours[0]['id']}/decision",
        data={"status": "confirmed"},
        headers={"X-CSRF-Token": csrf},
    )
    assert decided.ok, decided.text()
    return incident_id


def test_an_analyst_sees_a_confirmed_breach_on_the_compliance_page(
    watched: tuple[Page, Watch],
) -> None:
    page, watch = watched
    open_as(page, "/compliance", "analyst")
    assert page.get_by_role("link", name="Compliance").count() == 1, "the nav links the page"
    me = page.context.request.get("/api/v1/me").json()
    incident_id = verified_breach(page.context.request, me["csrf_token"])

    page.goto(f"/compliance?as_of={AS_OF}&window_days=7")
    rows = page.locator("#compliance-table tbody tr")
    assert rows.count() == 9, "the demo agreement's nine provisions"
    one = page.locator('#compliance-table tr[data-number="1"]')
    assert one.get_attribute("data-status") == "breached"
    overall = one.locator("td.overall")
    assert "breached" in overall.inner_text()
    assert "1 verified breach in the last 7 days" in overall.inner_text()
    for party in ("AZ", "AM"):
        cell = one.locator(f'td[data-party="{party}"]')
        assert cell.get_attribute("data-status") == "unknown", "unattributed: nobody is blamed"
        assert "unknown" in cell.inner_text()
    assert "not bound" in one.locator('td[data-party="RU"]').inner_text()
    deadlines = page.locator("#compliance-deadlines tbody tr")
    assert deadlines.count() >= 2 and "passed" in deadlines.first.inner_text()
    assert page.locator("#compliance-chart svg.chart").count() == 9
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "compliance.png"), full_page=True)

    form = page.get_by_role("form", name="As of")
    form.get_by_label("Window (days)").fill("30")
    form.get_by_role("button", name="Show").click()
    page.wait_for_url("**/compliance?*window_days=30*")
    assert "in the last 30 days" in page.locator('tr[data-number="1"] td.overall').inner_text()

    overall = page.locator('tr[data-number="1"] td.overall')
    overall.get_by_role("link", name=f"#{incident_id}", exact=True).click()
    page.wait_for_url(f"**/incidents/{incident_id}")

    assert_clean(watch)

    page.goto("/compliance?window_days=0")
    alert = page.locator("#error-window_days")
    alert.wait_for()
    assert "from 1 to 365" in alert.inner_text()
    assert page.get_by_label("Window (days)").get_attribute("aria-invalid") == "true"
    assert all("422" in e for e in watch.errors), "only the refused page's own status"
