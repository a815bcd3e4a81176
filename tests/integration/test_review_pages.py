"""The review pages with a signed-in browser session (SQLite and PostgreSQL): the queue with
its filters and bulk actions, and the Review section of the incident page."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.integration.test_report_form import sign_in
from tests.integration.test_reviews import _etag, _review, _scene

from vigil.store.tables import AuditEvent, Incident, IncidentReview, ReviewAssignment


def queue_ids(page: str) -> list[int]:
    """The incidents listed in the queue, in the page's order."""
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', page)]


def etags(page: str) -> dict[int, str]:
    """Each listed incident's ETag, from the bulk form's hidden fields."""
    pairs = re.findall(r'name="etag" value="(\d+):([0-9a-f]+)"', page)
    return {int(i): e for i, e in pairs}


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF field"
    return html.unescape(found.group(1))


def counts(db) -> tuple[int, ...]:
    with db.reading() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (IncidentReview, AuditEvent, ReviewAssignment)
        )


def statuses(db, *ids: int) -> list[str]:
    with db.reading() as session:
        return [session.get(Incident, i).status for i in ids]  # type: ignore[union-attr]


def bulk(client: TestClient, page: str, ids: list[int], **form: str):
    """Send the bulk form as the browser does: the selected rows and every row's ETag."""
    data: dict[str, object] = {
        "csrf_token": csrf(page),
        "incident": [str(i) for i in ids],
        "etag": [f"{i}:{e}" for i, e in etags(page).items()],
        "back": "",
        **form,
    }
    return client.post("/review", data=data, follow_redirects=False)


def test_the_queue_is_oldest_first_and_filters(db, users, client: TestClient) -> None:
    ids = _scene(db, client, users)
    sign_in(client, "analyst")
    page = client.get("/review")
    assert page.status_code == 200, page.text
    assert queue_ids(page.text) == [ids["two_posts"], ids["seen"], ids["lone"]]
    assert '<a href="/review">Review</a>' in page.text, "the nav links the queue"
    assert f'href="/incidents/{ids["two_posts"]}"' in page.text
    one_day = client.get("/review", params={"from": "2020-11-13", "to": "2020-11-13"})
    assert queue_ids(one_day.text) == [ids["seen"]]
    moved = bulk(client, page.text, [ids["lone"]], action="status", status="under_review")
    assert moved.status_code == 303, moved.text
    under = client.get("/review", params={"status": "under_review"})
    assert queue_ids(under.text) == [ids["lone"]]
    given = bulk(client, page.text, [ids["seen"]], action="assign", reviewer="analyst")
    assert given.status_code == 303 and "assigned=analyst" in given.headers["location"]
    mine = client.get("/review", params={"reviewer": "me"})
    assert queue_ids(mine.text) == [ids["seen"]]
    assert "analyst" in re.search(r'class="reviewer">([^<]*)<', mine.text).group(1)  # type: ignore[union-attr]
    other = client.get("/review", params={"category": "weapons_forces"})
    assert queue_ids(other.text) == []
    bad = client.get("/review", params={"from": "12/11/2020"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text


def test_bulk_verify_of_two_incidents(db, users, client: TestClient) -> None:
    ids = _scene(db, client, users)
    two = [ids["two_posts"], ids["seen"]]
    sign_in(client, "analyst")
    page = client.get("/review").text
    taken = bulk(client, page, two, action="status", status="under_review", reason="")
    assert taken.status_code == 303 and "done=2" in taken.headers["location"]
    shown = client.get(taken.headers["location"])
    assert "Moved 2 incidents to under review." in shown.text
    verified = bulk(client, shown.text, two, action="status", status="verified", reason="seen")
    assert verified.status_code == 303, verified.text
    assert statuses(db, *two) == ["verified", "verified"]
    assert statuses(db, ids["lone"]) == ["reported"]
    incident = client.get(f"/incidents/{ids['two_posts']}")
    assert "2 independent sources" in incident.text and "under review → verified" in incident.text


def test_partial_bulk_moves_those_allowed_and_lists_the_others(
    db, users, client: TestClient
) -> None:
    ids = _scene(db, client, users)
    every = [ids["two_posts"], ids["seen"], ids["lone"]]
    sign_in(client, "analyst")
    page = client.get("/review").text
    taken = bulk(client, page, every, action="status", status="under_review")
    assert taken.status_code == 303
    shown = client.get(taken.headers["location"]).text
    partial = bulk(client, shown, every, action="status", status="verified", partial="true")
    assert partial.status_code == 200, partial.text
    text = html.unescape(partial.text)
    assert "Moved 2 incidents to verified; 1 left as they are:" in text
    assert f"incident {ids['lone']}: the review policy for verified is not met" in text
    assert statuses(db, *every) == ["verified", "verified", "under_review"]


def test_one_stale_etag_refuses_the_whole_bulk(db, users, client: TestClient) -> None:
    ids = _scene(db, client, users)
    sign_in(client, "analyst")
    page = client.get("/review").text
    seen = ids["seen"]
    other = _review(
        client, users["head_of_mission"], seen, _etag(client, users, seen), "under_review"
    )
    assert other.status_code == 200, other.text
    before = counts(db)
    refused = bulk(client, page, [ids["two_posts"], seen], action="status", status="under_review")
    assert refused.status_code == 409, refused.text
    text = html.unescape(refused.text)
    assert "1 of 2 refused; nothing was changed" in text
    assert f"incident {seen}: incident {seen} was changed by head-of-mission" in text
    assert "Nothing was changed." in text
    assert counts(db) == before
    assert statuses(db, ids["two_posts"], seen) == ["reported", "under_review"]
    assert re.search(rf'name="incident" value="{ids["two_posts"]}"[^>]*checked', refused.text)


def test_the_incident_page_moves_one_incident_and_names_a_stale_copy(
    db, users, client: TestClient
) -> None:
    ids = _scene(db, client, users)
    inc = ids["two_posts"]
    sign_in(client, "analyst")
    page = client.get(f"/incidents/{inc}").text
    assert 'id="review"' in page and "Not reviewed yet" in page
    review = page.split('id="review"')[1].split("</section>")[0]
    assert re.findall(r'<option value="([a-z_]+)"', review) == ["under_review"]
    etag = re.search(r'name="etag" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf(page), "etag": etag, "status": "under_review", "reason": "start"}
    done = client.post(f"/incidents/{inc}/review", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/incidents/{inc}?")
    after = client.get(done.headers["location"]).text
    assert "Moved to under review." in after and "reported → under review" in after
    assert "start" in after and "analyst" in after
    before = counts(db)
    stale = client.post(f"/incidents/{inc}/review", data={**form, "status": "verified"})
    assert stale.status_code == 409
    text = html.unescape(stale.text)
    assert f"Incident #{inc} was changed by analyst at" in text
    assert "since you opened the page: reload" in text
    assert counts(db) == before and statuses(db, inc) == ["under_review"]
    lone = ids["lone"]
    page = client.get(f"/incidents/{lone}").text
    etag = re.search(r'name="etag" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf(page), "etag": etag, "status": "under_review", "reason": ""}
    assert client.post(f"/incidents/{lone}/review", data=form).status_code == 200
    page = client.get(f"/incidents/{lone}").text
    form = {**form, "etag": re.search(r'name="etag" value="([0-9a-f]+)"', page).group(1)}  # type: ignore[union-attr]
    policy = client.post(f"/incidents/{lone}/review", data={**form, "status": "verified"})
    assert policy.status_code == 409 and "policy for verified is not met" in policy.text
    assert statuses(db, lone) == ["under_review"]


def test_missing_csrf_is_refused_and_nothing_changes(db, users, client: TestClient) -> None:
    ids = _scene(db, client, users)
    sign_in(client, "analyst")
    page = client.get("/review").text
    before = counts(db)
    data = {"incident": [str(ids["lone"])], "etag": [f"{i}:{e}" for i, e in etags(page).items()]}
    refused = client.post("/review", data={**data, "action": "status", "status": "under_review"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    one = {"status": "under_review", "etag": etags(page)[ids["lone"]]}
    assert client.post(f"/incidents/{ids['lone']}/review", data=one).status_code == 403
    assert counts(db) == before and statuses(db, ids["lone"]) == ["reported"]


def test_a_monitor_may_not_review(db, users, client: TestClient) -> None:
    ids = _scene(db, client, users)
    sign_in(client, "monitor")
    assert client.get("/review").status_code == 403
    page = client.get(f"/incidents/{ids['lone']}")
    assert page.status_code == 200 and 'id="review"' in page.text
    assert 'action="/incidents/' not in page.text, "no review form for a monitor"
    assert '<a href="/review">' not in page.text.split("</nav>")[0]
    form = {"csrf_token": csrf(page.text), "status": "under_review", "etag": "x"}
    before = counts(db)
    assert client.post(f"/incidents/{ids['lone']}/review", data=form).status_code == 403
    assert client.post("/review", data={**form, "incident": "1"}).status_code == 403
    assert counts(db) == before
