"""The pages people use to set up field reporting, in a real Chromium against the shared
demo server: Phones (issue a token, scan its QR code, revoke it), Import (a dry run, then
the good rows) and Forms (the current version and its XLSForm)."""

from __future__ import annotations

import csv
import io
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from tests.browser.test_map import DEMO_PASSWORD, SCREENSHOTS, assert_clean, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

# A day no other browser test uses, before the demo month (it starts on 10 November 2020),
# so the map tests' days, counts and latest day stay as the demo made them.
IMPORT_DAY = "2020-11-05"
LABEL = "patrol 2 tablet"
OPENROSA = {"X-OpenRosa-Version": "1.0"}
UNKNOWN = "ceasefire_violation.made_up"


def open_as(page: Page, path: str, username: str) -> None:
    """Anonymous goes to the login page, signs in and lands on the page asked for."""
    page.goto(path)
    assert f"/login?next={path}" in page.url, page.url
    sign_in(page, username, DEMO_PASSWORD)
    page.wait_for_url(f"**{path}")


def form_list(url: str) -> httpx.Response:
    """The OpenRosa form list a phone set up with this server URL asks for."""
    return httpx.get(f"{url}/formList", headers=OPENROSA, timeout=30)


def test_an_admin_issues_a_phone_scans_its_code_and_revokes_it(
    watched: tuple[Page, Watch],
) -> None:
    """The QR code and the server URL are shown once; the token works until revoked."""
    page, watch = watched
    open_as(page, "/devices", "admin")
    page.get_by_label("User").select_option("monitor")
    page.get_by_label("Label").fill(LABEL)
    page.get_by_role("button", name="Issue and show QR code").click()

    setup = page.get_by_role("region", name="New phone")
    setup.wait_for()
    qr = setup.locator("svg").first
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 100 and box["height"] >= 100, box
    assert qr.locator("path, rect").count() > 0, "the QR code draws nothing"
    heading = setup.locator("h2").inner_text()
    assert f"{LABEL} (monitor)" in heading, heading
    url = setup.locator("code.server-url").inner_text().strip()
    prefix, token = url.rsplit("/key/", 1)
    server = page.evaluate("location.origin")
    assert prefix == server and len(token) >= 20, url
    assert page.content().count(token) == 1, "the token is shown once, as the server URL"
    assert "only works on the server itself" in setup.inner_text(), "127.0.0.1 is local"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "devices-qr.png"), full_page=True)

    listed = form_list(url)
    assert listed.status_code == 200, listed.text
    assert "<xforms" in listed.text and "vigil_observation" in listed.text

    page.goto("/devices")
    assert token not in page.content(), "the token is never shown again"
    row = page.locator("tr.live", has_text=LABEL)
    assert row.count() == 1
    device_id = row.locator("td").first.inner_text().strip()
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    row.get_by_role("button", name=f"Revoke phone {device_id}").click()
    page.wait_for_url(f"**/devices?revoked={device_id}")
    assert asked == [f"Revoke phone {device_id}? Its token stops working at once."]
    assert f"Phone {device_id} was revoked" in page.get_by_role("status").inner_text()
    assert page.locator("tr.revoked", has_text=LABEL).count() == 1
    assert page.locator("tr.live", has_text=LABEL).count() == 0

    refused = form_list(url)
    assert refused.status_code in (401, 403), (refused.status_code, refused.text)
    assert "<xforms" not in refused.text
    assert_clean(watch)


def import_csv(ids: list[str]) -> bytes:
    """Three good rows and one with a category the mission does not have, on IMPORT_DAY."""
    rows = [
        (ids[0], "09:10", "ceasefire_violation.explosion.artillery", "2", "artillery, two rounds"),
        (ids[1], "11:25", "ceasefire_violation.small_arms.bursts", "5", "bursts to the south"),
        (ids[2], "13:40", "weapons_forces.military_movement", "1", "a truck moving north"),
        (ids[3], "15:05", UNKNOWN, "1", "a category nobody has"),
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["client_id", "observed_at", "observer_kind", "observer_name", "observer_lat"]
        + ["observer_lon", "category", "count", "lat", "lon", "text"]
    )
    for cid, time, category, count, text in rows:
        at = f"{IMPORT_DAY}T{time}:00+04:00"
        observer = ["patrol", "Patrol 9", "39.70", "46.90"]
        writer.writerow([cid, at, *observer, category, count, "39.71", "46.93", text])
    return out.getvalue().encode()


def api(page: Page, path: str) -> Any:
    """The JSON API with the page's session."""
    answer = page.context.request.get(path)
    assert answer.ok, answer.text()
    return answer.json()


def test_a_monitor_imports_a_file_after_its_dry_run(watched: tuple[Page, Watch]) -> None:
    """The dry run lists every row with what would happen and why a row is refused; the
    partial import stores the three good rows."""
    page, watch = watched
    run = uuid.uuid4().hex[:8]
    ids = [f"browser-import-{run}-{i}" for i in range(1, 5)]
    open_as(page, "/import", "monitor")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "patrol9.csv", "mimeType": "text/csv", "buffer": import_csv(ids)}],
    )
    page.get_by_role("button", name="Check the file").click()
    table = page.locator("#import-rows")
    table.wait_for()
    assert "dry run" in page.locator("h2").first.inner_text()
    counts = page.inner_text("#import-counts")
    assert "4 rows: 3 would be imported" in counts and "1 refused" in counts, counts
    rows = table.locator("tbody tr")
    assert rows.count() == 4
    for i, cid in enumerate(ids[:3]):
        assert cid in rows.nth(i).inner_text()
        assert rows.nth(i).get_attribute("class") == "new"
        assert rows.nth(i).locator("td.outcome").inner_text() == "would import"
    refused = rows.nth(3)
    assert refused.get_attribute("class") == "refused" and ids[3] in refused.inner_text()
    assert refused.locator("td.outcome").inner_text() == "refused"
    why = refused.locator("td").last.inner_text()
    assert "category" in why and UNKNOWN in why, why
    before = api(page, f"/api/v1/observations?{day_range()}")["items"]
    assert before == [], "a dry run stores nothing"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "import-dry-run.png"), full_page=True)

    page.get_by_role("button", name="Import the 3 good rows").click()
    page.locator("#import-counts").wait_for()
    counts = page.inner_text("#import-counts")
    assert "4 rows: 3 imported" in counts and "1 refused" in counts, counts
    assert "dry run" not in page.locator("h2").first.inner_text()
    assert "Recorded as import" in page.inner_text("main")
    assert [r.locator("td.outcome").inner_text() for r in rows.all()] == ["imported"] * 3 + [
        "refused"
    ]

    stored = api(page, f"/api/v1/observations?{day_range()}")["items"]
    assert sorted(o["client_id"] for o in stored) == ids[:3]
    assert {o["channel"] for o in stored} == {"import"}
    assert_clean(watch)


def day_range() -> str:
    """IMPORT_DAY in Baku time, as API query parameters."""
    return f"from={IMPORT_DAY}T00:00:00%2B04:00&to={IMPORT_DAY}T23:59:59%2B04:00"


def test_an_admin_downloads_the_current_forms_xlsform(watched: tuple[Page, Watch]) -> None:
    """The generated form is listed with its version and links; its XLSForm is an .xlsx
    pyxform reads."""
    page, watch = watched
    open_as(page, "/forms", "admin")
    forms = api(page, "/api/v1/forms")["items"]
    [current] = [
        f
        for f in forms
        if f["form_id"] == "vigil_observation" and f["open"] and not f["replaced_at"]
    ]
    version = current["version"]
    row = page.locator(f'tr[id="vigil_observation-{version}"]')
    assert row.count() == 1 and row.is_visible()
    text = row.inner_text()
    assert version in text and current["source"] in text and "yes" in text, text
    xlsform = row.get_by_role("link", name="XLSForm")
    assert xlsform.get_attribute("href") == current["xlsform_url"]
    assert row.get_by_role("link", name="XForm").get_attribute("href") == current["xform_url"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "forms.png"), full_page=True)

    with page.expect_download() as waiting:
        xlsform.click()
    download = waiting.value
    assert download.suggested_filename == f"vigil_observation-{version}.xlsx"
    data = download.path().read_bytes()
    assert data.startswith(b"PK"), data[:8]
    from pyxform.xls2xform import convert

    xform = convert(xlsform=io.BytesIO(data), file_type=".xlsx", form_name="data").xform
    assert 'id="vigil_observation"' in xform and f'version="{version}"' in xform
    assert_clean(watch)
