"""The operations room in a real Chromium against the shared demo server: a patrol of its own
(a fresh member, set out an hour ago with a one-minute interval) goes silent; the server's
safety timer raises the alarm with nobody asking, the open page picks it up by itself within
its refresh, and the duty officer acknowledges it with a note."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.browser.test_admin_pages import open_as
from tests.browser.test_map import SCREENSHOTS, assert_clean
from tests.conftest import OPERATOR

from vigil.domain.patrols import PatrolPlan
from vigil.services import accounts, patrols
from vigil.store.db import Database

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser
ROUTE = {"type": "LineString", "coordinates": [[46.75, 39.81], [46.76, 39.82]]}


def server_database(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """The shared server's SQLite database (the `server` fixture's data folder)."""
    found = sorted(Path(tmp_path_factory.getbasetemp()).glob("vigil-data*/vigil.db"))
    assert found, "the demo server's data folder was not found"
    return Database(f"sqlite:///{found[-1]}")


def silent_patrol(db: Database) -> str:
    """A patrol out for an hour with a one-minute interval and no sign of life; its member is
    new, so no other test's patrol or person is touched."""
    suffix = uuid.uuid4().hex[:6]
    now = datetime.now(UTC).replace(microsecond=0)
    with db.writing() as session:
        accounts.add_user(session, "test", f"ops-{suffix}", "monitor", "x" * 16, "", None)
        plan = PatrolPlan(
            code=f"PTL-OPS-{suffix}", name="Operations test", route=ROUTE,
            planned_start=now - timedelta(hours=1), planned_end=now + timedelta(hours=3),
            check_in_interval_s=60, members=[{"user": f"ops-{suffix}", "role": "leader"}],
        )  # fmt: skip
        row = patrols.plan(session, OPERATOR, plan)
        patrols.start(session, OPERATOR, row.id, now - timedelta(hours=1))
        return row.code


def test_an_alarm_appears_by_itself_and_the_duty_officer_acknowledges_it(
    watched: tuple[Page, Watch], server: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    page, watch = watched
    open_as(page, "/operations", "duty-officer")
    assert page.get_by_role("link", name="Operations").count() >= 1, "the nav links the page"
    db = server_database(tmp_path_factory)
    try:
        code = silent_patrol(db)
    finally:
        db.dispose()
    # nobody reloads: the server's timer (every 30 s) raises it, the page's script (every 15 s)
    # shows it
    alarm = page.locator("#alarms-part li.alarm", has_text=code)
    alarm.wait_for(timeout=60_000)
    assert "MISSED CHECK IN" in alarm.inner_text()
    assert page.locator("#patrols-part tr", has_text=code).count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "operations.png"), full_page=True)

    alarm.get_by_label("Note").fill("Called the patrol on HF: all well, phone battery flat")
    alarm.get_by_role("button", name="Acknowledge").click()
    page.locator("#operations-message").wait_for()
    assert "acknowledged" in page.inner_text("#operations-message")
    assert page.locator("#alarms-part li.alarm", has_text=code).count() == 0
    recent = page.locator("table.recent-alarms tr", has_text=code)
    assert "duty-officer" in recent.inner_text() and "battery flat" in recent.inner_text()
    assert_clean(watch)
