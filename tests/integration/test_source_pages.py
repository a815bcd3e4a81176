"""The Sources page with a signed-in browser session (SQLite and PostgreSQL): everyone inside
reads the profiles; the head of mission sets and removes them; bad input changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.integration.test_report_form import hidden, sign_in

from vigil.services.verify import verify
from vigil.store.tables import AuditEvent, SourceProfile


def _counts(db) -> tuple[int, int]:
    with db.reading() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (SourceProfile, AuditEvent)
        )


def _form(page: str, **fields: str) -> dict[str, str]:
    base = {"kind": "", "key": "", "reliability": "", "label": "", "notes": ""}
    return {**base, **fields, "csrf_token": hidden(page, "csrf_token")}


def test_head_of_mission_sets_and_removes_a_profile(db, users, client: TestClient) -> None:
    sign_in(client, "head-of-mission")
    page = client.get("/sources")
    assert page.status_code == 200 and "No profiles yet" in page.text
    done = client.post(
        "/sources",
        data=_form(page.text, kind="third_party", key="Daily Courier", reliability="D",
                   label="A daily newspaper", notes="often first, often wrong"),
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    listed = client.get(done.headers["location"])
    assert "Profile saved." in listed.text and "<code>daily courier</code>" in listed.text
    assert "D · Not usually reliable" in listed.text
    with db.reading() as session:
        profile_id = session.scalars(select(SourceProfile.id)).one()
    removed = client.post(
        f"/sources/{profile_id}/remove",
        data={"csrf_token": hidden(listed.text, "csrf_token")},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert "daily courier" not in client.get("/sources").text
    with db.reading() as session:
        assert verify(session).ok


def test_bad_profiles_are_refused_next_to_the_form(db, users, client: TestClient) -> None:
    sign_in(client, "head-of-mission")
    page = client.get("/sources").text
    before = _counts(db)
    for fields, where in (
        ({"kind": "oracle", "key": "x", "reliability": "A"}, "kind"),
        ({"kind": "third_party", "key": "x", "reliability": "Z"}, "reliability"),
        ({"kind": "post", "key": "OP-NOWHERE", "reliability": "B"}, "key"),
    ):
        got = client.post("/sources", data=_form(page, **fields))
        assert got.status_code == 422, (fields, got.text)
        assert f"<code>{where}</code>" in got.text and "Nothing was changed." in got.text
        assert f'value="{fields["key"]}"' in got.text  # the form keeps what was sent
    missing = client.post("/sources/999999/remove", data={"csrf_token": hidden(page, "csrf_token")})
    assert missing.status_code == 404
    forged = client.post("/sources", data={**_form(page, kind="patrol", key="P", reliability="A"),
                                           "csrf_token": "forged"})  # fmt: skip
    assert forged.status_code == 403
    assert _counts(db) == before


def test_who_sees_and_who_may_change(db, users, client: TestClient) -> None:
    sign_in(client, "analyst")
    page = client.get("/sources")
    assert page.status_code == 200 and 'action="/sources"' not in page.text
    tried = client.post("/sources", data=_form(page.text, kind="patrol", key="P", reliability="A"))
    assert tried.status_code == 403
    client.cookies.clear()
    sign_in(client, "party-liaison")
    assert client.get("/sources").status_code == 403
