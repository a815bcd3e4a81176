"""The login and map pages in a real Chromium against a real server loaded with the demo."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "vigil-demo"  # src/vigil/services/demo.py DEMO_PASSWORD
DEMO_DAY = "2020-12-03"  # inside the demo month, which starts on 10 November 2020
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def sign_in(page: Page, username: str, password: str) -> None:
    """Fill and send the login form the way a person would."""
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def wait_for_map(page: Page) -> None:
    """Until map.js has drawn the day (or failed, which the assertions then show)."""
    page.wait_for_selector("#map[data-state]", state="attached")
    assert page.get_attribute("#map", "data-state") == "ready", page.inner_text("#summary")


def count(page: Page, selector: str) -> int:
    """How many elements match right now."""
    return page.locator(selector).count()


def api_day(page: Page, day: str) -> dict[str, Any]:
    """What the API says about a day, fetched from inside the page with its session."""
    return page.evaluate("d => fetch('/api/v1/map/day?date=' + d).then(r => r.json())", day)


def listed_ids(page: Page) -> list[str]:
    """The observation ids in the list beside the map."""
    return page.eval_on_selector_all("#observations li", "els => els.map(e => e.dataset.id)")


def assert_clean(watch: Watch) -> None:
    """Nothing left the machine and the console stayed free of errors."""
    assert watch.requests, "no request was recorded at all"
    assert watch.foreign() == [], f"requests to other hosts: {watch.foreign()}"
    assert watch.errors == [], f"console errors: {watch.errors}"


def check_day(page: Page) -> tuple[str, list[str]]:
    """Markers, rays and posts are drawn, and the list matches the API; returns day and ids."""
    wait_for_map(page)
    day = page.get_attribute("#map", "data-day")
    assert count(page, "path.zone") > 0, "no zone drawn"
    assert count(page, ".post-marker") >= 10, "posts missing"
    drawn = count(page, ".observation-marker") + count(page, "path.observation-ray")
    assert drawn > 0, f"no observation drawn for {day}"
    data = api_day(page, day)
    assert data["day"] == day and data["observations"] > 0
    ids = listed_ids(page)
    assert len(ids) == data["observations"]
    assert len(set(ids)) == len(ids)
    assert str(data["observations"]) in page.inner_text("#summary")
    assert_mission_time(page, data)
    return day, ids


def assert_mission_time(page: Page, data: dict[str, Any]) -> None:
    """The list gives times of day in the mission's time zone, not in UTC."""
    tz = datetime.fromisoformat(data["start"]).tzinfo
    first = next(
        f["properties"] for f in data["features"] if f["properties"]["layer"] == "observation"
    )
    local = datetime.fromisoformat(first["observed_at"]).astimezone(tz).strftime("%H:%M")
    shown = page.locator(f'#observations li[data-id="{first["id"]}"] .what').inner_text()
    assert shown.startswith(local), f"{shown!r} should start with mission time {local}"


def test_sign_in_and_read_the_map_of_the_day(watched: tuple[Page, Watch]) -> None:
    """Anonymous → login; monitor signs in, sees the day drawn and listed, changes day."""
    page, watch = watched
    page.goto("/map")
    assert page.url.endswith("/login?next=/map")
    sign_in(page, "monitor", DEMO_PASSWORD)
    page.wait_for_url("**/map")
    day, ids = check_day(page)
    assert count(page, ".place-label") >= 20, "settlement names missing"
    assert "Xankəndi / Ստեփանակերտ" in page.inner_text("#map")
    assert page.locator(".legend").is_visible()
    assert "Bearing without distance" in page.inner_text(".legend")
    assert count(page, ".observation-marker") > 0, "no located observation drawn"
    assert count(page, "path.observation-ray") > 0, "no bearing ray drawn"
    assert count(page, "path.observation-ray[stroke-dasharray]") > 0, "bearing-only rays dashed"

    first = page.locator("#observations li").first
    what = first.locator(".what").inner_text()
    first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    assert what in popup.inner_text()

    other = (date.fromisoformat(day) - timedelta(days=7)).isoformat()
    page.fill("input[name=day]", other)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/map?day={other}")
    other_day, other_ids = check_day(page)
    assert other_day == other
    assert set(other_ids).isdisjoint(ids), "the list did not change with the day"
    assert page.inner_text("#summary").startswith(f"{len(other_ids)} observations on {other}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "map.png"))
    assert_clean(watch)


def test_wrong_password_is_refused_with_a_message(watched: tuple[Page, Watch]) -> None:
    """A wrong password keeps you on the login page and says why."""
    page, watch = watched
    page.goto("/login")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "login.png"))
    sign_in(page, "monitor", "not-the-password")
    alert = page.get_by_role("alert")
    alert.wait_for(state="visible")
    assert "wrong password" in alert.inner_text()
    assert page.url.endswith("/login")
    assert all(c["name"] != "vigil_session" for c in page.context.cookies())
    page.goto("/map")
    assert "/login" in page.url, "a refused login must not open the map"
    refused = "the server responded with a status of 401 (Unauthorized)"
    assert [e for e in watch.errors if refused in e] != [], "the refusal should be a 401"
    watch.errors = [e for e in watch.errors if refused not in e]
    assert_clean(watch)


def test_map_fits_a_phone_and_keeps_the_day_through_login(watched: tuple[Page, Watch]) -> None:
    """A link to a day survives the login; at 390 px the map and list both fit, day steps work."""
    page, watch = watched
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/map?day={DEMO_DAY}")
    assert page.url.endswith(f"/login?next=/map%3Fday%3D{DEMO_DAY}")
    sign_in(page, "monitor", DEMO_PASSWORD)
    page.wait_for_url(f"**/map?day={DEMO_DAY}")
    day, ids = check_day(page)
    assert day == DEMO_DAY
    page.get_by_label("Previous day").click()
    before = (date.fromisoformat(DEMO_DAY) - timedelta(days=1)).isoformat()
    page.wait_for_url(f"**/map?day={before}")
    day, earlier = check_day(page)
    assert day == before and set(earlier).isdisjoint(ids)
    box = page.locator("#map").bounding_box()
    assert box and box["width"] >= 380 and box["height"] >= 300
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "page scrolls sideways"
    assert page.locator("#observations li").first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "map-phone.png"))
    assert_clean(watch)
