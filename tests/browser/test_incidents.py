"""Incidents in a real Chromium: ellipses on the map, their rays lit on a click, their page."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from tests.browser.test_map import (
    DEMO_DAY,
    DEMO_PASSWORD,
    SCREENSHOTS,
    api_day,
    assert_clean,
    count,
    listed_ids,
    sign_in,
    wait_for_map,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser
FUSION_WAIT_S = 90  # `vigil serve` fuses the demo in the background when it starts


def features(data: dict[str, Any], layer: str, shape: str | None = None) -> list[dict[str, Any]]:
    """The properties of the day's features of one layer (and shape)."""
    return [
        f["properties"]
        for f in data["features"]
        if f["properties"]["layer"] == layer and shape in (None, f["properties"].get("shape"))
    ]


def well_seen(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The incident with an ellipse whose reports left the most rays on the map, and that
    number of rays."""
    rays: dict[int, int] = {}
    for ray in features(data, "observation", "ray"):
        rays[ray["id"]] = rays.get(ray["id"], 0) + 1
    ellipses = features(data, "incident", "ellipse")
    assert ellipses, "no incident of the day has an ellipse"

    def lit(p: dict[str, Any]) -> int:
        return sum(rays.get(i, 0) for i in p["observation_ids"] + p["summary_ids"])

    best = max(ellipses, key=lambda p: (lit(p), p["reports"], -p["id"]))
    assert lit(best) > 0, "no incident of the day has a ray drawn"
    return best, lit(best)


def open_map(page: Page) -> dict[str, Any]:
    """Sign in as the analyst on the demo day, once background fusion has given the day its
    incidents; returns what the API says about the day."""
    page.goto(f"/map?day={DEMO_DAY}")
    sign_in(page, "analyst", DEMO_PASSWORD)
    page.wait_for_url(f"**/map?day={DEMO_DAY}")
    deadline = time.monotonic() + FUSION_WAIT_S
    while not api_day(page, DEMO_DAY)["incidents"] and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
    page.reload()
    wait_for_map(page)
    return api_day(page, DEMO_DAY)


def test_map_draws_incidents_and_a_click_lights_up_their_rays(watched: tuple[Page, Watch]) -> None:
    """Ellipses and incident points are drawn; clicking an ellipse lights its reports' rays and
    opens a popup that leads to the incident page."""
    page, watch = watched
    data = open_map(page)
    assert data["incidents"] > 0
    assert count(page, "path.incident-ellipse") > 0, "no ellipse drawn"
    assert count(page, ".incident-marker") == len(features(data, "incident", "point"))
    assert page.inner_text("#incident-count") == str(data["incidents"])
    legend = page.inner_text(".legend")
    assert "95 % ellipse" in legend and "Wedge" in legend and "Rays" in legend
    chosen, rays = well_seen(data)

    page.locator(f"path.incident-ellipse.incident-{chosen['id']}").dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    assert f"Incident #{chosen['id']}" in popup.inner_text()
    assert f"{chosen['reports']} report" in popup.inner_text()
    assert count(page, "path.observation-ray.highlight") == rays
    assert "incident-selected" in (page.get_attribute("#map", "class") or "")
    members = set(map(str, chosen["observation_ids"])) & set(listed_ids(page))
    assert count(page, "#observations li.member") == len(members)

    page.locator(".leaflet-popup-close-button").click()
    assert count(page, "path.observation-ray.highlight") == 0, "closing the popup clears it"
    page.locator(f'#incidents li[data-id="{chosen["id"]}"] .what').click()
    popup.wait_for(state="visible")
    assert count(page, "path.observation-ray.highlight") == rays
    page.wait_for_timeout(400)  # the zoom to the incident settles
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "map-incidents.png"))

    popup.get_by_role("link", name=f"Incident #{chosen['id']}").click()
    page.wait_for_url(f"**/incidents/{chosen['id']}")
    check_incident_page(page, chosen)
    page.screenshot(path=str(SCREENSHOTS / "incident.png"), full_page=True)
    assert_clean(watch)


def check_incident_page(page: Page, p: dict[str, Any]) -> None:
    """Summary, the observations table, the explanation and the small map are all there."""
    page.wait_for_selector("#incident-map[data-state]", state="attached")
    assert page.get_attribute("#incident-map", "data-state") == "ready"
    assert f"Incident #{p['id']}" in page.inner_text("h1")
    rows = page.locator(".obs-table tbody tr")
    assert rows.count() == p["reports"] + len(p["summary_ids"])
    for client_id in p["client_ids"]:
        assert client_id in page.inner_text(".obs-table")
    assert page.locator(".explanation .explain").count() > 0, "no explanation shown"
    drawn = "path.incident-ellipse" if p["shape"] != "wedge" else "path.incident-wedge"
    assert page.locator(f"#incident-map {drawn}").count() == 1
    assert page.locator("#incident-map path.observation-ray").count() > 0


def test_incident_pages_fit_a_phone(watched: tuple[Page, Watch]) -> None:
    """At 390 px a located incident and a bearing-only one both read without sideways
    scrolling; the wedge is drawn and no false point is."""
    page, watch = watched
    page.set_viewport_size({"width": 390, "height": 844})
    data = open_map(page)
    chosen, _ = well_seen(data)
    wedges = features(data, "incident", "wedge")
    for p in [chosen, *wedges[:1]]:
        page.goto(f"/incidents/{p['id']}")
        check_incident_page(page, p)
        if p["shape"] == "wedge":
            assert page.locator("#incident-map .incident-marker").count() == 0
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"incident {p['id']} scrolls sideways ({width} px)"
    assert_clean(watch)
