"""The issue's "done when" in a real Chromium: a form sent as ODK Collect sends it, with a
photo, appears on the map of its day marked as having a photo, and its popup shows the
thumbnail linking to the file as received."""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING

import httpx
import pytest
from PIL import ExifTags, Image, ImageDraw
from tests.browser.test_map import (
    DEMO_PASSWORD,
    SCREENSHOTS,
    api_day,
    assert_clean,
    count,
    sign_in,
    wait_for_map,
)
from tests.integration.odk_collect import Collect, fill, md5

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

# A day before the demo month (it starts on 10 November 2020) and a place no post is at, so
# the other browser tests' days, counts and latest day stay as the demo made them.
DAY = "2020-11-07"
INSTANCE_ID = "uuid:0b5e7a52-browser-field-photo"
VALUES = {
    "category": "ceasefire_violation.explosion.artillery",
    "observed_at": f"{DAY}T10:20:00.000+04:00",
    "observer_kind": "monitor",
    "observer_position": "39.66 46.93 0 6",
    "location_method": "bearing",
    "bearing": "75",
    "distance_m": "3000",
    "count": "2",
    "text": "two explosions east of the road, smoke photographed",
    "photo": "1604730000000.jpg",
}


def camera_jpeg() -> bytes:
    """What the phone's camera wrote: a landscape with two plumes of smoke, EXIF time (UTC+4)
    and GPS position close to the report, so nothing is flagged."""
    image = Image.new("RGB", (800, 600), (150, 190, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 800, 600), fill=(110, 125, 70))
    draw.polygon([(0, 380), (180, 300), (360, 380)], fill=(120, 110, 95))
    for x, top in ((480, 150), (610, 210)):
        for i in range(6):
            r = 30 + i * 6
            y = 370 - i * (370 - top) // 5
            draw.ellipse((x - r + i * 8, y - r, x + r + i * 8, y + r), fill=(95, 95, 100))
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2020:11:07 10:21:30"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.OffsetTimeOriginal] = "+04:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 39.0, 36.0)  # 39.66
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (46.0, 55.0, 48.0)  # 46.93
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def send_from_collect(server: str, image: bytes) -> None:
    """Get Blank Form, fill it offline and Send Finalized Form, as Collect does over http
    (the monitor's user name and password, answered by Digest)."""
    with httpx.Client(timeout=30) as http:
        collect = Collect(http, server=server, username="monitor", password=DEMO_PASSWORD)
        [entry] = [f for f in collect.form_list() if f["formID"] == "vigil_observation"]
        xform = collect.download(entry["downloadUrl"])
        assert entry["hash"] == "md5:" + md5(xform)
        xml = fill(xform, VALUES, INSTANCE_ID)
        answers = collect.submit(xml, [(VALUES["photo"], image)])
        assert [a.status_code for a in answers] == [201], [a.text for a in answers]
        signed = [r.request.headers.get("authorization", "") for r in collect.log]
        assert any(a.startswith("Digest ") for a in signed), "Collect answers with Digest"


def zoom_to(page: Page, selector: str) -> None:
    """Zoom in around a marker with the mouse wheel, as a person looking closer would."""
    box = page.locator(selector).bounding_box()
    assert box, f"{selector} is not drawn"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    page.wait_for_timeout(400)


def test_an_observation_sent_from_odk_collect_is_on_the_map_with_its_photo(
    watched: tuple[Page, Watch], server: str
) -> None:
    """The marker is ringed and has a camera badge, the list shows the camera; a click on the
    badge opens the popup whose thumbnail loads and links to the file as received."""
    page, watch = watched
    image = camera_jpeg()
    sha = hashlib.sha256(image).hexdigest()
    send_from_collect(server, image)

    page.goto(f"/map?day={DAY}")
    sign_in(page, "analyst", DEMO_PASSWORD)
    page.wait_for_url(f"**/map?day={DAY}")
    wait_for_map(page)
    data = api_day(page, DAY)
    mine = [
        f["properties"]
        for f in data["features"]
        if f["properties"]["layer"] == "observation" and f["properties"]["client_id"] == INSTANCE_ID
    ]
    assert {p["shape"] for p in mine} == {"point", "ray"}, mine
    assert {p["evidence"] for p in mine} == {1}
    oid = mine[0]["id"]
    others = [
        f["properties"]
        for f in data["features"]
        if f["properties"]["layer"] == "observation" and f["properties"]["id"] != oid
    ]
    assert all(p["evidence"] == 0 for p in others)

    assert count(page, "path.observation-marker.has-evidence") == 1
    assert count(page, "path.observation-ray.has-evidence") == 1
    badge = page.locator(f'.evidence-badge[data-id="{oid}"]')
    assert badge.count() == 1 and badge.is_visible()
    assert count(page, ".evidence-badge") == 1 + len({p["id"] for p in others if p["evidence"]})
    listed = page.locator(f'#observations li[data-id="{oid}"]')
    assert "has-evidence" in (listed.get_attribute("class") or "")
    assert listed.locator(".evidence-count").inner_text().strip() == "1"
    assert "Observation with photos" in page.inner_text(".legend")

    zoom_to(page, "path.observation-marker.has-evidence")
    badge.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    assert VALUES["text"] in popup.inner_text()
    thumb = popup.locator(".evidence img")
    thumb.wait_for(state="visible")
    page.wait_for_function(
        "() => { const i = document.querySelector('.leaflet-popup-content .evidence img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert thumb.get_attribute("src") == f"/api/v1/evidence/{sha}/thumbnail"
    link = popup.locator("a.evidence-link")
    assert link.get_attribute("href") == f"/api/v1/evidence/{sha}"
    assert "flagged" not in (link.get_attribute("class") or "")
    assert page.locator(f'#observations li[data-id="{oid}"].active').count() == 1
    size = "u => fetch(u).then(r => r.arrayBuffer()).then(b => b.byteLength)"
    served = page.evaluate(size, f"/api/v1/evidence/{sha}")
    assert served == len(image)  # the file as received
    page.wait_for_timeout(300)  # the popup has panned into view
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "map-photo.png"))
    assert_clean(watch)
