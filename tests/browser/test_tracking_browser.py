"""Live tracking in a real Chromium against the shared demo server: the duty officer registers
the patrol leader's phone on /trackers, plans and starts a patrol with them on it, then the
phone (httpx, sending exactly what Traccar Client sends) reports twice, and the marker on the
map's "Patrols (live)" layer moves to each new position."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest
from tests.browser.test_admin_pages import open_as
from tests.browser.test_map import SCREENSHOTS, assert_clean

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser
ROUTE = {"type": "LineString", "coordinates": [[46.70, 39.80], [46.80, 39.85]]}


def plan_and_start(page: Page) -> str:
    """A patrol under way with the patrol leader on it, through the API as the signed-in duty
    officer (the session's CSRF token in a header)."""
    csrf = page.request.get("/api/v1/me").json()["csrf_token"]
    now = datetime.now(UTC)
    code = f"PTL-LIVE-{uuid.uuid4().hex[:6]}"
    plan = {
        "code": code, "name": "Live test", "route": ROUTE,
        "planned_start": (now - timedelta(minutes=5)).isoformat(),
        "planned_end": (now + timedelta(hours=3)).isoformat(), "check_in_interval_s": 1800,
        "members": [{"user": "patrol-leader", "role": "leader"}],
    }  # fmt: skip
    made = page.request.post("/api/v1/patrols", data=plan, headers={"X-CSRF-Token": csrf})
    assert made.status == 201, made.text()
    started = page.request.post(
        f"/api/v1/patrols/{made.json()['id']}/start", data={}, headers={"X-CSRF-Token": csrf}
    )
    assert started.status == 200, started.text()
    return code


def send(server: str, identifier: str, lat: float, lon: float, at: datetime) -> None:
    """One position as Traccar Client sends it: a form POST to the server URL."""
    form = {"id": identifier, "timestamp": str(int(at.timestamp())), "lat": str(lat),
            "lon": str(lon), "speed": "20.0", "bearing": "60.0", "altitude": "1200",
            "accuracy": "8.0", "batt": "76.0"}  # fmt: skip
    r = httpx.post(f"{server}/tracking", data=form, timeout=10)
    assert r.status_code == 200 and r.text == "", r.text


def marker_at(page: Page, device: str) -> list[float]:
    return page.evaluate(
        "(id) => { const m = window.Vigil.liveMarkers[id]; if (!m) return null;"
        " const ll = m.getLatLng(); return [ll.lat, ll.lng]; }",
        device,
    )


def test_a_phone_moves_its_patrol_on_the_live_map(watched: tuple[Page, Watch], server: str) -> None:
    page, watch = watched
    open_as(page, "/trackers", "duty-officer")
    form = page.get_by_role("form", name="Register a phone")
    form.get_by_label("Person").select_option("patrol-leader")
    form.get_by_label("Label").fill("PL Pixel (live test)")
    form.get_by_role("button", name="Register phone").click()
    page.locator("code.identifier").wait_for()
    identifier = page.inner_text("code.identifier").strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", identifier), identifier
    assert page.inner_text("code.server-url").endswith("/tracking")
    device = page.locator("section.setup h2").inner_text().split(":")[0].split()[-1]
    code = plan_and_start(page)

    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)  # after the start
    send(server, identifier, 39.8100, 46.7200, now)
    page.goto("/map")
    page.wait_for_selector("#map[data-state]", state="attached")
    page.wait_for_function("(id) => window.Vigil.liveMarkers[id]", arg=device)
    assert marker_at(page, device) == [39.81, 46.72]
    label = page.locator(f".live-label:has-text('{code}')")
    assert label.count() == 1 and "patrol leader" in label.inner_text().lower()
    assert "Patrol member (live)" in page.inner_text(".legend")

    send(server, identifier, 39.8300, 46.7600, now + timedelta(seconds=30))  # it drives on
    page.wait_for_function(
        "(id) => window.Vigil.liveMarkers[id].getLatLng().lat > 39.82", arg=device, timeout=15_000
    )
    assert marker_at(page, device) == [39.83, 46.76]
    page.locator(f"path.live-device-{device}").click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    assert code in popup.inner_text() and "battery 76 %" in popup.inner_text()
    page.wait_for_timeout(400)  # the popup fades in
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tracking.png"))

    page.goto("/trackers")
    row = page.locator(f"tr[data-device='{device}']")
    assert "39.83000, 46.76000" in row.inner_text() and "battery 76 %" in row.inner_text()
    assert identifier not in page.content(), "the identifier is shown only once"
    assert_clean(watch)
