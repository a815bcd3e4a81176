"""The login and map pages in a real Chromium against a real server loaded with the demo."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "vigil-demo"  # src/vigil/services/demo.py DEMO_PASSWORD
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def sign_in(page, username: str, password: str) -> None:
    """Fill and send the login form the way a person would."""
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def wait_for_map(page) -> None:
    """Until map.js has drawn the day (or failed, which the assertions then show)."""
    page.wait_for_selector("#map[data-state]", state="attached")
    assert page.get_attribute("#map", "data-state") == "ready", page.inner_text("#summary")


def count(page, selector: str) -> int:
    """How many elements match right now."""
    return page.locator(selector).count()


def api_day(page, day: str) -> dict:
    """What the API says about a day, fetched from inside the page with its session."""
    return page.evaluate(
        "d => fetch('/api/v1/map/day?date=' + d).then(r => r.json())", day
    )


def listed_ids(page) -> list[str]:
    """The observation ids in the list beside the map."""
    return page.eval_on_selector_all("#observations li", "els => els.map(e => e.dataset.id)")


def assert_clean(watch) -> None:
    """Nothing left the machine and the console stayed free of errors."""
    assert watch.requests, "no request was recorded at all"
    assert watch.foreign() == [], f"requests to other hosts: {watch.foreign()}"
    assert watch.errors == [], f"console errors: {watch.errors}"


def check_day(page) -> tuple[str, list[str]]:
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
    return day, ids


def test_sign_in_and_read_the_map_of_the_day(watched) -> None:
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


def test_wrong_password_is_refused_with_a_message(watched) -> None:
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
    assert page.context.cookies() == [] or all(
        c["name"] != "vigil_session" for c in page.context.cookies()
    )
    page.goto("/map")
    assert "/login" in page.url, "a refused login must not open the map"
    watch.errors = [e for e in watch.errors if "401" not in e]  # the refused POST itself
    assert_clean(watch)


def test_map_fits_a_phone(watched) -> None:
    """At 390 px wide the map and the list are both usable, nothing scrolls sideways."""
    page, watch = watched
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    sign_in(page, "monitor", DEMO_PASSWORD)
    page.wait_for_url("**/map")
    check_day(page)
    box = page.locator("#map").bounding_box()
    assert box and box["width"] >= 380 and box["height"] >= 300
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "map-phone.png"))
    assert_clean(watch)
