"""The hotline (SQLite and PostgreSQL): a thread's whole life through the API, its timers and
the statistics per party checked against medians worked out by hand, escalation with a
controllable clock (once per message and kind), the liaison wall (another party's thread
answers exactly as a thread that does not exist; internal notes never reach a liaison), bad
input as clear 4xx that store nothing, and `vigil verify` after it all."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import OPERATOR, PASSWORD, Account
from tests.integration.test_report_form import field_errors, hidden, sign_in
from tests.integration.test_sources import assert_problem, assert_verified

from vigil.services import accounts
from vigil.services import hotline as service
from vigil.services.access import system_principal
from vigil.services.hotline import MessageDraft, ThreadDraft
from vigil.store.db import Database
from vigil.store.tables import AuditEvent, HotlineEscalation, HotlineMessage, HotlineThread, User
from vigil.worker.hotline import HotlineWorker

API = "/api/v1/hotline"
T0 = datetime(2020, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def p2(db: Database, users: dict[str, Account]) -> Account:
    """A liaison of party P2 (the users fixture's liaison is of P1)."""
    with db.writing() as session:
        accounts.add_user(
            session, OPERATOR.actor, "liaison-p2", "party_liaison", PASSWORD, "", "P2"
        )
        token = accounts.create_token(session, OPERATOR.actor, "liaison-p2", "tests")
    return Account("liaison-p2", "party_liaison", token)


def principal(db: Database, username: str):  # type: ignore[no-untyped-def]
    with db.reading() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return system_principal(user)


def counts(db: Database) -> tuple[int, int, int]:
    with db.reading() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (HotlineThread, HotlineMessage, AuditEvent)
        )


def open_as(client: TestClient, who: Account, **changes: Any) -> dict[str, Any]:
    body = {"subject": "Firing near the bridge", "recipient": "P2", "body": "Stop it, please."}
    body.update(changes)
    r = client.post(f"{API}/threads", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()


# --- the whole life of a thread ----------------------------------------------------------------


def test_thread_lifecycle_through_the_api(db, users, p2, client, cli) -> None:
    p1, duty = users["party_liaison"], users["duty_officer"]
    thread = open_as(client, p1)
    assert thread["origin"] == "P1" and thread["recipient"] == "P2"
    assert thread["status"] == "open" and "opened_by" not in thread
    first = thread["messages"][0]
    assert first["sender"] == "P1" and first["recipient"] == "P2" and first["channel"] == "message"
    assert "internal" not in first and "sender_user" not in first
    tid, mid = thread["id"], first["id"]
    # not relayed yet: P2 does not see it at all, exactly as if it did not exist
    assert client.get(f"{API}/threads", headers=p2.headers).json()["items"] == []
    assert client.get(f"{API}/threads/{tid}", headers=p2.headers).status_code == 404
    note = client.post(
        f"{API}/threads/{tid}/messages",
        json={"body": "P2 liaison was hard to reach last week.", "internal": True},
        headers=duty.headers,
    )
    assert note.status_code == 201 and note.json()["internal"] is True
    relayed = client.post(f"{API}/messages/{mid}/relay", headers=duty.headers)
    assert relayed.status_code == 200, relayed.text
    assert relayed.json()["relayed_at"] is not None
    staff_view = client.get(f"{API}/threads/{tid}", headers=duty.headers).json()
    assert staff_view["status"] == "relayed" and len(staff_view["messages"]) == 2
    seen = client.get(f"{API}/threads/{tid}", headers=p2.headers)
    assert seen.status_code == 200 and [m["id"] for m in seen.json()["messages"]] == [mid]
    ack = client.post(f"{API}/messages/{mid}/acknowledge", headers=p2.headers)
    assert ack.status_code == 200 and ack.json()["acknowledged_at"] is not None
    assert client.get(f"{API}/threads/{tid}", headers=p1.headers).json()["status"] == "acknowledged"
    reply = client.post(
        f"{API}/messages/{mid}/answer", json={"body": "It was an exercise."}, headers=p2.headers
    )
    assert reply.status_code == 201, reply.text
    got = reply.json()
    assert got["sender"] == "P2" and got["recipient"] == "P1" and got["answers_id"] == mid
    view = client.get(f"{API}/threads/{tid}", headers=duty.headers).json()
    assert view["status"] == "answered"
    assert view["messages"][0]["answered_at"] is not None
    # P1 sees the answer once the mission relays it back, never the internal note
    assert len(client.get(f"{API}/threads/{tid}", headers=p1.headers).json()["messages"]) == 1
    assert client.post(f"{API}/messages/{got['id']}/relay", headers=duty.headers).status_code == 200
    p1_view = client.get(f"{API}/threads/{tid}", headers=p1.headers).json()
    assert [m["id"] for m in p1_view["messages"]] == [mid, got["id"]]
    assert "internal" not in str(p1_view) and "hard to reach" not in str(p1_view)
    closed = client.post(f"{API}/threads/{tid}/close", headers=duty.headers)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    late = client.post(f"{API}/threads/{tid}/messages", json={"body": "x"}, headers=p1.headers)
    assert_problem(late, 409, "state_conflict")
    assert_verified(cli)


# --- timers, escalation, statistics --------------------------------------------------------------


def _relayed_request(db, p1_who, duty_who, at: datetime, subject: str = "Shots") -> int:
    """A P1 thread to P2 received and relayed at `at`; returns the first message's id."""
    with db.writing() as session:
        draft = ThreadDraft(subject, "P2", MessageDraft("What happened?", "phone", received_at=at),
                            origin="P1")  # fmt: skip
        thread = service.open_thread(session, duty_who, draft, now=at)
        mid = service.get_thread(session, duty_who, thread.id).messages[0].id
        service.relay(session, duty_who, mid, at, now=at)
    return mid


def test_statistics_match_medians_worked_out_by_hand(db, users, p2, client, cli) -> None:
    duty = principal(db, "duty-officer")
    # three requests to P2: acknowledged after 5, 10 and 30 min; answered after 1 h and 3 h
    # (the third never); one to P1 acknowledged after 2 min, answered after 20 min
    mids = [_relayed_request(db, None, duty, T0 + timedelta(hours=i)) for i in range(3)]
    acks, answers = [5, 10, 30], [60, 180, None]
    with db.writing() as session:
        for mid, i, ack, ans in zip(mids, range(3), acks, answers, strict=True):
            start = T0 + timedelta(hours=i)
            service.acknowledge(
                session, duty, mid, start + timedelta(minutes=ack), now=T0 + timedelta(days=1)
            )
            if ans:
                reply = MessageDraft("An answer", "phone")
                service.answer(session, duty, mid, reply, start + timedelta(minutes=ans),
                               now=T0 + timedelta(days=1))  # fmt: skip
        to_p1 = ThreadDraft("Mines", "P1", MessageDraft("Clear them", received_at=T0), origin="P2")
        thread = service.open_thread(session, duty, to_p1, now=T0)
        m = service.get_thread(session, duty, thread.id).messages[0]
        service.relay(session, duty, m.id, T0, now=T0)
        service.acknowledge(
            session, duty, m.id, T0 + timedelta(minutes=2), now=T0 + timedelta(days=1)
        )
        service.answer(session, duty, m.id, MessageDraft("Done"), T0 + timedelta(minutes=20),
                       now=T0 + timedelta(days=1))  # fmt: skip
    params = {"from": "2020-11-20T00:00:00Z", "to": "2020-11-21T00:00:00Z"}
    r = client.get(f"{API}/stats", params=params, headers=users["analyst"].headers)
    assert r.status_code == 200, r.text
    by = {p["party"]: p for p in r.json()["parties"]}
    assert by["P2"]["messages"] == 3 and by["P2"]["acknowledged"] == 3
    assert by["P2"]["median_ack_s"] == 600.0  # median of 5, 10, 30 min
    assert by["P2"]["answered"] == 2
    assert by["P2"]["median_answer_s"] == 7200.0  # median of 60 and 180 min
    assert by["P2"]["share_answered"] == pytest.approx(2 / 3)
    # P1 received one request; the answers P2 gave are for information and not counted
    assert by["P1"]["messages"] == 1 and by["P1"]["median_ack_s"] == 120.0
    assert by["P1"]["median_answer_s"] == 1200.0 and by["P1"]["share_answered"] == 1.0
    code, out, err = cli("hotline", "stats", "--from", params["from"], "--to", params["to"])
    assert code == 0, err
    assert "P2" in out and "10 min" in out and "2 h 00 min" in out and "67 %" in out
    assert (
        client.get(
            f"{API}/stats", params=params, headers=users["party_liaison"].headers
        ).status_code
        == 403
    )
    bad = client.get(f"{API}/stats", params={"from": params["to"], "to": params["from"]},
                     headers=users["analyst"].headers)  # fmt: skip
    assert_problem(bad, 422, "invalid_range")
    assert_verified(cli)


def test_escalation_fires_once_with_a_controllable_clock(db, users, client, cli) -> None:
    duty = principal(db, "duty-officer")
    mid = _relayed_request(db, None, duty, T0)
    now = [T0 + timedelta(minutes=14)]
    worker = HotlineWorker(db, 60, 900, 86_400, clock=lambda: now[0])
    assert worker.check() == 0, "14 minutes: not yet"
    now[0] = T0 + timedelta(minutes=15)
    assert worker.check() == 1, "15 minutes: unacknowledged"
    assert worker.check() == 0, "raised once"
    now[0] = T0 + timedelta(days=1)
    assert worker.check() == 1, "a day: unanswered too"
    assert worker.check() == 0
    listed = client.get(f"{API}/escalations", headers=users["duty_officer"].headers).json()
    assert sorted(e["kind"] for e in listed) == ["unacknowledged", "unanswered"]
    assert all(e["party"] == "P2" and e["message_id"] == mid for e in listed)
    assert (
        client.get(f"{API}/escalations", headers=users["party_liaison"].headers).status_code == 403
    )
    sign_in(client, "duty-officer")
    board = client.get("/hotline")
    assert 'id="hotline-escalations"' in board.text and "not acknowledged in time" in board.text
    client.cookies.clear()
    with db.writing() as session:
        service.acknowledge(session, duty, mid, T0 + timedelta(days=1), now=T0 + timedelta(days=1))
    open_kinds = [
        e["kind"] for e in client.get(f"{API}/escalations", headers=users["analyst"].headers).json()
    ]
    assert open_kinds == ["unanswered"], "acknowledging clears its escalation"
    code, out, err = cli("hotline", "escalations")
    assert code == 0 and "unanswered" in out, err
    assert worker.check() == 0, "a cleared escalation is not raised again"
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(HotlineEscalation)) == 2
    assert_verified(cli)


# --- the liaison wall ---------------------------------------------------------------------------


def _problem_without_instance(r) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body = r.json()
    body.pop("instance")
    body["detail"] = body["detail"].split(" ")[:-1]  # the id asked for
    return body


def test_another_partys_thread_is_indistinguishable_from_none(db, users, p2, client) -> None:
    p1, duty = users["party_liaison"], users["duty_officer"]
    # a thread of the mission with P2 only: P1 must not learn it exists
    theirs = open_as(client, duty, recipient="P2", subject="Only for P2")
    mid = theirs["messages"][0]["id"]
    client.post(f"{API}/messages/{mid}/relay", headers=duty.headers)
    missing = theirs["id"] + 1000
    for method, path, other, body in [
        ("GET", "/threads/{}", "/threads/{}", None),
        ("POST", "/threads/{}/messages", "/threads/{}/messages", {"body": "hello"}),
    ]:
        real = client.request(
            method, API + path.format(theirs["id"]), json=body, headers=p1.headers
        )
        none = client.request(method, API + other.format(missing), json=body, headers=p1.headers)
        assert real.status_code == none.status_code == 404
        assert real.headers["content-type"] == none.headers["content-type"]
        assert _problem_without_instance(real) == _problem_without_instance(none)
        assert (
            len(real.content) - len(str(theirs["id"])) * 2
            == len(none.content) - len(str(missing)) * 2
        )
    for action, sent in (("acknowledge", {}), ("answer", {"body": "x"})):
        real = client.post(f"{API}/messages/{mid}/{action}", json=sent, headers=p1.headers)
        none = client.post(f"{API}/messages/{mid + 1000}/{action}", json=sent, headers=p1.headers)
        assert real.status_code == none.status_code == 404
        assert _problem_without_instance(real) == _problem_without_instance(none)
    assert client.get(f"{API}/threads", headers=p1.headers).json()["items"] == []
    listed = client.get(f"{API}/threads", headers=p2.headers).json()["items"]
    assert [t["id"] for t in listed] == [theirs["id"]]
    assert client.get(f"{API}/threads/{theirs['id']}", headers=p2.headers).status_code == 200


def test_internal_notes_never_reach_a_liaison(db, users, p2, client) -> None:
    p1, duty = users["party_liaison"], users["duty_officer"]
    thread = open_as(client, p1)
    tid, mid = thread["id"], thread["messages"][0]["id"]
    secret = "SECRET-NOTE-8841"
    client.post(f"{API}/threads/{tid}/messages", json={"body": secret, "internal": True},
                headers=duty.headers)  # fmt: skip
    client.post(f"{API}/messages/{mid}/relay", headers=duty.headers)
    for who in (p1, p2):
        for path in ("/threads", f"/threads/{tid}"):
            r = client.get(API + path, headers=who.headers)
            assert r.status_code == 200 and secret not in r.text and "internal" not in r.text
    staff = client.get(f"{API}/threads/{tid}", headers=users["monitor"].headers)
    assert secret in staff.text, "staff see the note"
    # a liaison cannot write an internal note, nor post as someone else
    for body in ({"body": "x", "internal": True}, {"body": "x", "sender_party": "P2"}):
        r = client.post(f"{API}/threads/{tid}/messages", json=body, headers=p1.headers)
        assert_problem(r, 403, "forbidden")
    # nor acknowledge what is addressed to another party, nor relay
    assert_problem(
        client.post(f"{API}/messages/{mid}/acknowledge", headers=p1.headers), 403, "forbidden"
    )
    assert_problem(client.post(f"{API}/messages/{mid}/relay", headers=p1.headers), 403, "forbidden")


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"subject": ""}, 422, "validation_failed", "subject"),
        ({"subject": " "}, 422, "validation_failed", "subject"),
        ({"subject": "x" * 301}, 422, "validation_failed", "subject"),
        ({"body": "x" * 10_001}, 422, "validation_failed", "body"),
        ({"body": "   "}, 422, "validation_failed", "body"),
        ({"recipient": "XX"}, 422, "unknown_reference", "recipient"),
        ({"recipient": "P1"}, 422, "validation_failed", "recipient"),
        ({"channel": "pigeon"}, 422, "validation_failed", "channel"),
        ({"received_at": "2020-11-20T10:00:00"}, 422, "validation_failed", "received_at"),
        ({"received_at": "2999-01-01T00:00:00Z"}, 422, "validation_failed", "received_at"),
        ({"origin": "P2"}, 403, "forbidden", None),
        ({"surprise": 1}, 422, "validation_failed", "surprise"),
    ],
)
def test_bad_threads_are_refused_and_store_nothing(
    db, users, client, changes, status, code, field
) -> None:
    who = users["party_liaison"]
    before = counts(db)
    body = {"subject": "s", "recipient": "P2", "body": "b", **changes}
    r = client.post(f"{API}/threads", json=body, headers=who.headers)
    if (
        "received_at" in changes
        and r.status_code == 422
        and changes["received_at"].startswith("2999")
    ):
        assert r.json()["errors"][0]["field"] == "received_at"
    assert_problem(r, status, code, field)
    assert counts(db) == before


def test_bad_times_and_states_are_refused(db, users, client, cli) -> None:
    duty = users["duty_officer"]
    thread = open_as(client, duty, received_at="2020-11-20T10:00:00Z", channel="phone")
    mid = thread["messages"][0]["id"]
    before = counts(db)
    early = client.post(
        f"{API}/messages/{mid}/relay", json={"at": "2020-11-20T09:00:00Z"}, headers=duty.headers
    )
    assert_problem(early, 422, "validation_failed", "at")
    unrelayed = client.post(f"{API}/messages/{mid}/acknowledge", headers=duty.headers)
    assert_problem(unrelayed, 409, "state_conflict")
    assert_problem(
        client.post(f"{API}/messages/999999/relay", headers=duty.headers), 404, "not_found"
    )
    assert_problem(
        client.post(f"{API}/threads/999999/close", headers=duty.headers), 404, "not_found"
    )
    assert_problem(
        client.post(
            f"{API}/messages/{mid}/relay",
            content=b"{",
            headers={**duty.headers, "content-type": "application/json"},
        ),
        400,
        "malformed_request",
    )
    assert counts(db) == before
    ok = client.post(
        f"{API}/messages/{mid}/relay", json={"at": "2020-11-20T10:05:00Z"}, headers=duty.headers
    )
    assert ok.status_code == 200
    again = client.post(f"{API}/messages/{mid}/relay", headers=duty.headers)
    assert_problem(again, 409, "state_conflict")
    ack_early = client.post(
        f"{API}/messages/{mid}/acknowledge",
        json={"at": "2020-11-20T10:04:00Z"},
        headers=duty.headers,
    )
    assert_problem(ack_early, 422, "validation_failed", "at")
    assert_problem(
        client.get(f"{API}/threads", params={"status": "lost"}, headers=duty.headers),
        422,
        "validation_failed",
        "status",
    )
    assert_problem(
        client.get(f"{API}/threads", params={"cursor": "nonsense"}, headers=duty.headers),
        422,
        "validation_failed",
        "cursor",
    )
    assert_verified(cli)


# --- the CLI --------------------------------------------------------------------------------------


def test_cli_lists_shows_and_checks(db, users, client, cli) -> None:
    duty = users["duty_officer"]
    thread = open_as(client, duty, subject="Drone over the village")
    code, out, err = cli("hotline", "threads")
    assert code == 0 and "Drone over the village" in out, err
    code, out, err = cli("hotline", "threads", "--party", "P2", "--status", "open")
    assert code == 0 and "Drone" in out, err
    code, out, err = cli("hotline", "show", str(thread["id"]))
    assert code == 0 and "Stop it, please." in out, err
    code, out, err = cli("hotline", "check")
    assert code == 0 and "0 escalation" in out, err
    code, out, err = cli("hotline", "show", "999999")
    assert code == 1 and "no hotline thread" in err
    code, out, err = cli("hotline", "threads", "--status", "lost")
    assert code == 1 and "status" in err
    code, out, err = cli("hotline", "stats", "--from", "yesterday", "--to", "2020-11-21T00:00Z")
    assert code == 1 and "--from" in err


# --- the pages --------------------------------------------------------------------------------


def test_pages_open_relay_answer_with_the_wall(db, users, p2, client, cli) -> None:
    sign_in(client, "party-liaison")
    page = client.get("/hotline")
    assert page.status_code == 200 and "Open a thread" in page.text
    assert 'name="origin"' not in page.text, "a liaison raises for their own party only"
    csrf = hidden(page.text, "csrf_token")
    refused = client.post("/hotline", data={"csrf_token": csrf, "subject": "", "recipient": "P2",
                                            "body": "Shelling near Fuzuli"})  # fmt: skip
    assert refused.status_code == 422
    assert field_errors(refused.text)["subject"] == ["fill this in"]
    assert "Shelling near Fuzuli" in refused.text, "the values are kept"
    done = client.post("/hotline", data={"csrf_token": csrf, "subject": "Shelling",
                                         "recipient": "P2", "body": "Shelling near Fuzuli"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    tid = int(done.headers["location"].split("/")[2].split("?")[0])
    client.cookies.clear()
    sign_in(client, "liaison-p2")  # not relayed yet: as if it did not exist
    hidden_page, none_page = client.get(f"/hotline/{tid}"), client.get(f"/hotline/{tid + 1000}")
    assert hidden_page.status_code == none_page.status_code == 404
    same = hidden_page.text.replace(f"thread {tid}", "thread ID")
    assert same == none_page.text.replace(f"thread {tid + 1000}", "thread ID")
    client.cookies.clear()
    sign_in(client, "duty-officer")
    staff_page = client.get(f"/hotline/{tid}")
    csrf = hidden(staff_page.text, "csrf_token")
    client.post(f"/hotline/{tid}/messages", data={"csrf_token": csrf, "body": "NOTE-77 call back",
                                                   "internal": "1"})  # fmt: skip
    mid = int(re.search(r"/messages/(\d+)/relay", staff_page.text).group(1))
    bad = client.post(f"/hotline/{tid}/messages/{mid}/relay",
                      data={"csrf_token": csrf, "at": "yesterday"})  # fmt: skip
    assert bad.status_code == 422 and field_errors(bad.text)["at"]
    ok = client.post(f"/hotline/{tid}/messages/{mid}/relay", data={"csrf_token": csrf},
                     follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303
    staff_page = client.get(f"/hotline/{tid}")
    assert "NOTE-77" in staff_page.text and "Internal note" in staff_page.text
    client.cookies.clear()
    sign_in(client, "liaison-p2")
    theirs = client.get(f"/hotline/{tid}")
    assert theirs.status_code == 200 and "NOTE-77" not in theirs.text
    csrf = hidden(theirs.text, "csrf_token")
    answered = client.post(f"/hotline/{tid}/messages/{mid}/answer",
                           data={"csrf_token": csrf, "body": "We will look into it."},
                           follow_redirects=False)  # fmt: skip
    assert answered.status_code == 303
    client.cookies.clear()
    sign_in(client, "party-liaison")
    mine = client.get(f"/hotline/{tid}")
    assert "NOTE-77" not in mine.text and "answered" in mine.text
    assert client.get("/hotline/999999").status_code == 404
    assert_verified(cli)
