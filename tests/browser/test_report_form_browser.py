"""The monitor's report form on a phone-sized page in a real Chromium: the phone's location,
a tap on the map, a compass bearing, a photo, and the observation stored with it."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from PIL import ExifTags, Image
from tests.browser.conftest import Watch
from tests.browser.test_map import DEMO_PASSWORD, SCREENSHOTS, assert_clean, sign_in

from vigil.domain.geodesy import magnetic_declination

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
HERE = {"latitude": 39.815, "longitude": 46.742, "accuracy": 15}  # near Shusha
TEXT = "Two explosions, smoke rising north-east of the road."
OBSERVED = datetime(2020, 12, 3, 10, 5, tzinfo=UTC)  # 14:05 in Baku, as the report says


def camera_jpeg() -> bytes:
    """A photo as a phone camera writes it: EXIF time (UTC+4) and a GPS position 60 km
    away from where the monitor reports, which Vigil flags."""
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2020:12:03 14:06:00"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.OffsetTimeOriginal] = "+04:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (40.0, 20.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (46.0, 45.0, 0.0)
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 110, 70)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[tuple[Page, Watch]]:
    """A phone-sized page in Baku time that may read its (fixed) location and its compass."""
    context = browser.new_context(
        viewport=PHONE,
        base_url=server,
        is_mobile=True,
        has_touch=True,
        geolocation=HERE,
        # Chromium asks for the motion sensors as iOS does (requestPermission): granted here.
        permissions=["geolocation", "accelerometer", "gyroscope", "magnetometer"],
        timezone_id="Asia/Baku",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch = Watch()
    page.on("request", lambda r: watch.requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and watch.errors.append(m.text))
    page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))
    yield page, watch
    context.close()


def value(page: Page, name: str) -> str:
    return page.locator(f"[name={name}]").first.input_value()


def open_form(page: Page) -> None:
    """Anonymous goes to login; the monitor signs in and lands on the form."""
    page.goto("/report")
    assert "/login?next=/report" in page.url
    sign_in(page, "monitor", DEMO_PASSWORD)
    page.wait_for_url("**/report")
    page.wait_for_selector("#report-map[data-state=ready]", state="attached")


def take_bearing(page: Page, alpha: float) -> None:
    """Headless Chromium has no compass: the button waits for a reading, and the test sends
    one as Chrome on Android would (alpha counted anticlockwise from north)."""
    page.get_by_role("button", name="Take bearing").click()
    page.evaluate(
        """alpha => window.dispatchEvent(new DeviceOrientationEvent(
             "deviceorientationabsolute", { alpha, beta: 0, gamma: 0, absolute: true }))""",
        alpha,
    )


def fill_report(page: Page) -> None:
    """Location from the phone, a tap on the map, then a compass bearing and the rest."""
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_function("document.querySelector('[name=observer_lat]').value !== ''")
    assert (value(page, "observer_lat"), value(page, "observer_lon")) == ("39.815000", "46.742000")
    assert value(page, "observer_error_m") == "15"
    assert "± 15 m" in page.inner_text("#location-status")
    assert page.locator("#report-map path.observer-marker").count() == 1

    page.select_option("[name=category]", "ceasefire_violation.explosion.artillery")
    page.fill("[name=observed_at]", "2020-12-03T14:05")
    page.locator("#report-map").click(position={"x": 200, "y": 120})
    assert value(page, "target_lat") and value(page, "target_lon"), "a tap sets the point"
    assert page.locator("#report-map path.target-marker").count() == 1

    page.get_by_label("A bearing from me").check()
    assert page.locator("#where-point").is_hidden() and page.locator("#where-bearing").is_visible()
    page.get_by_label("True north (map)").check()
    take_bearing(page, 300.0)
    page.wait_for_function("document.querySelector('[name=bearing_deg]').value === '60'")
    assert "60°" in page.inner_text("#compass-status")
    assert "magnetic" in page.inner_text("#compass-status")
    assert page.get_by_label("Magnetic north (phone or hand compass)").is_checked(), (
        "a compass reading is from magnetic north"
    )
    page.fill("[name=bearing_deg]", "62")  # typed over: the field stays editable
    page.fill("[name=bearing_error_deg]", "8")
    page.fill("[name=distance_m]", "3500")
    assert page.locator("#report-map path.bearing-line").count() == 1

    page.fill("[name=count]", "2")
    page.select_option("[name=weapon_class]", "artillery")
    page.fill("[name=text]", TEXT)
    page.set_input_files(
        "#f-photos",
        files=[{"name": "smoke.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}],
    )


def api(page: Page, path: str) -> Any:
    """The JSON API, fetched from inside the page with its session."""
    return page.evaluate("p => fetch(p).then(r => r.json())", path)


def test_a_monitor_reports_from_a_phone(phone: tuple[Page, Watch]) -> None:
    page, watch = phone
    open_form(page)
    client_id = value(page, "client_id")
    uuid.UUID(client_id)
    assert value(page, "tz_offset") == "+04:00", "the phone's UTC offset goes with the time"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", value(page, "observed_at")), "now"
    assert page.locator("#post-field").is_hidden(), "the post select shows for a post only"
    fill_report(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the form scrolls sideways ({width} px)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report-form.png"), full_page=True)

    page.get_by_role("button", name="Send report").click()
    heading = page.locator("h1#recorded")
    heading.wait_for()
    found = re.search(r"Observation (\d+) recorded", heading.inner_text())
    assert found, heading.inner_text()
    obs_id = int(found.group(1))
    assert "smoke.jpg" in page.inner_text(".files")
    assert page.locator(".flag-far_from_report").count() == 1, "the far photo is flagged"
    assert page.get_attribute("a:text('Map of 2020-12-03')", "href") == "/map?day=2020-12-03"
    turn = magnetic_declination(HERE["latitude"], HERE["longitude"], OBSERVED)
    said = f"62° magnetic = {62 + turn:.1f}° true (declination {turn:+.1f}°)"
    assert page.inner_text("#bearing-fact") == said

    stored = api(page, f"/api/v1/observations/{obs_id}")
    assert stored["client_id"] == client_id and stored["channel"] == "web"
    assert stored["observed_at"].startswith("2020-12-03T10:05:00"), "14:05 in Baku"
    assert stored["observer"]["lat"] == 39.815 and stored["observer"]["lon"] == 46.742
    assert stored["bearing"]["deg"] == pytest.approx(62 + turn, abs=0.006), "from true north"
    assert stored["bearing"]["error_deg"] == 8 and stored["distance"]["m"] == 3500
    assert stored["count"] == 2 and stored["text"] == TEXT
    files = api(page, f"/api/v1/observations/{obs_id}/evidence")
    assert [(f["name"], f["field"]) for f in files] == [("smoke.jpg", "photos")]
    assert "far_from_report" in files[0]["flags"]
    fetched = page.evaluate(
        "p => fetch(p).then(r => r.arrayBuffer()).then(b => b.byteLength)",
        f"/api/v1/evidence/{files[0]['sha256']}",
    )
    assert fetched == len(camera_jpeg())

    page.get_by_role("link", name="Another report").click()
    page.wait_for_url("**/report")
    assert value(page, "client_id") != client_id, "the next report has its own id"
    assert_clean(watch)


def test_a_report_whose_answer_was_lost_is_stored_once(phone: tuple[Page, Watch]) -> None:
    """The report reaches the server but the answer is lost; the phone shows its network
    error page and the monitor reloads it, which sends the same form again: one observation."""
    page, watch = phone
    open_form(page)
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_function("document.querySelector('[name=observer_lat]').value !== ''")
    page.select_option("[name=category]", "ceasefire_violation.small_arms.bursts")
    page.fill("[name=observed_at]", "2020-12-03T16:40")
    page.fill("[name=target_lat]", "39.80")
    page.fill("[name=target_lon]", "46.78")
    page.fill("[name=text]", "bursts to the east")
    client_id = value(page, "client_id")
    delivered: list[int] = []

    def lose_the_answer(route: Route) -> None:
        if route.request.method != "POST" or delivered:
            route.continue_()
            return
        delivered.append(route.fetch(max_redirects=0).status)  # the server stores it
        route.abort("internetdisconnected")  # and the phone never hears back

    page.route("**/report", lose_the_answer)
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url("chrome-error://**")
    assert delivered == [201], delivered
    again = page.reload()
    assert again is not None and again.request.method == "POST", "the form is sent again"
    page.locator("h1#recorded").wait_for()
    assert "reached Vigil already" in page.inner_text("main")
    assert client_id in page.inner_text("main")
    found = api(page, "/api/v1/observations?from=2020-12-03T12:00:00Z&to=2020-12-03T13:00:00Z")
    assert [o["client_id"] for o in found["items"]].count(client_id) == 1
    assert watch.foreign() == [] and not [e for e in watch.errors if e.startswith("uncaught")]


def test_the_plain_form_works_without_javascript(browser: Browser, server: str) -> None:
    """Typed by hand, sent as a plain form: the time is read in mission time (Baku)."""
    context = browser.new_context(viewport=PHONE, base_url=server, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/login?next=/report")
        sign_in(page, "monitor", DEMO_PASSWORD)
        page.wait_for_url("**/report")
        assert page.locator("#report-map").is_hidden(), "no map without its script"
        assert (
            page.locator("#use-location").is_hidden() and page.locator("#take-bearing").is_hidden()
        )
        page.select_option("[name=category]", "weapons_forces.military_movement")
        page.fill("[name=observed_at]", "2020-12-04T09:30")
        page.get_by_label("Post", exact=True).check()
        page.select_option("[name=post]", index=1)
        page.get_by_label("A bearing from me").check()
        page.fill("[name=bearing_deg]", "200")
        page.fill("[name=text]", "three trucks moving south, typed without script")
        page.get_by_role("button", name="Send report").click()
        found = re.search(r"Observation (\d+) recorded", page.locator("h1").inner_text())
        assert found, page.locator("main").inner_text()
        assert "2020-12-04 09:30 +04" in page.inner_text("main")
        stored = api_with_session(page, int(found.group(1)))
        assert stored["channel"] == "web" and stored["observed_at"].startswith("2020-12-04T05:30")
        assert stored["observer"]["kind"] == "post"
        # Magnetic by default, turned at the post's position (the observer's, as stored).
        post_at = (stored["observer"]["lat"], stored["observer"]["lon"])
        observed = datetime(2020, 12, 4, 5, 30, tzinfo=UTC)
        turn = magnetic_declination(*post_at, observed)
        assert stored["bearing"]["deg"] == pytest.approx(200 + turn, abs=0.006)
    finally:
        context.close()


def api_with_session(page: Page, obs_id: int) -> Any:
    """The observation from the API with the page's session cookie (no script in the page)."""
    answer = page.context.request.get(f"/api/v1/observations/{obs_id}")
    assert answer.ok, answer.text()
    return answer.json()
