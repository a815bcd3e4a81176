"""The review workflow through the API and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from tests.conftest import OPERATOR
from tests.factories import add_post, observation
from typer.testing import CliRunner

from vigil.cli.main import app as cli
from vigil.config import get_settings
from vigil.domain.geography import ZoneDraft
from vigil.services import geography
from vigil.services.verify import verify
from vigil.store.tables import AuditEvent, FusionDecision, Incident, IncidentReview, ReviewPolicy

MONITOR_AT = {"kind": "monitor", "name": "Monitor 4", "lat": 39.75, "lon": 46.70}


def _incident(client, users, bodies) -> int:
    done = client.post(
        "/api/v1/observations/batch",
        json={"observations": bodies},
        headers=users["monitor"].headers,
    )
    assert done.status_code == 201, done.text
    ids = [i["id"] for i in done.json()["items"]]
    made = client.post(
        "/api/v1/incidents", json={"observation_ids": ids}, headers=users["analyst"].headers
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _scene(db, client, users) -> dict[str, int]:
    """Three incidents on three days: two posts; one post alone; a monitor who saw it."""
    with db.writing() as session:
        add_post(session, OPERATOR, "OP-T1")
        add_post(session, OPERATOR, "OP-T2")
    two_posts = _incident(
        client, users,
        [observation(observed_at="2020-11-12T14:05:00Z"),
         observation(observed_at="2020-11-12T14:06:00Z", observer={"kind": "post", "post": "OP-T2"},
                     bearing={"deg": 200.0, "error_deg": 5.0})],
    )  # fmt: skip
    lone = _incident(client, users, [observation(observed_at="2020-11-14T09:00:00Z")])
    seen = _incident(
        client, users,
        [observation(observed_at="2020-11-13T10:00:00Z", observer=MONITOR_AT, bearing=None,
                     distance=None, location={"lat": 39.76, "lon": 46.71, "error_m": 100})],
    )  # fmt: skip
    return {"two_posts": two_posts, "lone": lone, "seen": seen}


def _etag(client, users, incident_id: int) -> str:
    got = client.get(f"/api/v1/incidents/{incident_id}", headers=users["analyst"].headers)
    assert got.status_code == 200
    return got.headers["ETag"]


def _review(client, who, incident_id: int, etag: str | None, status: str, reason: str = ""):
    headers = {**who.headers, **({"If-Match": etag} if etag else {})}
    return client.post(
        f"/api/v1/incidents/{incident_id}/review",
        json={"status": status, "reason": reason},
        headers=headers,
    )


def _counts(db) -> tuple[int, int, int]:
    with db.reading() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (IncidentReview, AuditEvent, FusionDecision)
        )


def test_reported_to_verified_with_the_rule_shown(db, users, client, fresh_settings) -> None:
    ids = _scene(db, client, users)
    analyst = users["analyst"]
    inc = ids["two_posts"]
    taken = _review(client, analyst, inc, _etag(client, users, inc), "under_review")
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "under_review"
    done = _review(client, analyst, inc, taken.headers["ETag"], "verified")
    assert done.status_code == 200, done.text
    step = done.json()["review"]
    assert step["check"]["met"] and step["check"]["rule_text"] == "2 independent sources"
    assert step["check"]["independent_sources"] == ["post:OP-T1", "post:OP-T2"]
    assert step["check"]["pin"]["pinned_by_review"] is not None
    assert step["reviewed_by"] == "analyst" and step["from_status"] == "under_review"
    assert done.json()["etag"] == _etag(client, users, inc).strip('"')
    # a monitor's located sighting verifies by the second rule
    seen = ids["seen"]
    _review(client, analyst, seen, _etag(client, users, seen), "under_review")
    by_sight = _review(client, analyst, seen, _etag(client, users, seen), "verified")
    assert by_sight.status_code == 200, by_sight.text
    assert by_sight.json()["review"]["check"]["rule"] == 1
    history = client.get(f"/api/v1/incidents/{inc}/reviews", headers=users["monitor"].headers)
    assert [s["to_status"] for s in history.json()["items"]] == ["under_review", "verified"]
    with db.reading() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "incident.review")
        ).all()
        assert len(actions) == 8  # each of 4 steps: the incident's status and the step
        verdict = verify(session)
    assert verdict.ok, verdict.problems
    done_cli = CliRunner().invoke(cli, ["verify"], env={"VIGIL_DATABASE_URL": db.url})
    assert done_cli.exit_code == 0, done_cli.output


def test_policy_not_met_is_refused_and_refuted_needs_a_reason(db, users, client) -> None:
    ids = _scene(db, client, users)
    analyst, lone = users["analyst"], ids["lone"]
    _review(client, analyst, lone, _etag(client, users, lone), "under_review")
    before = _counts(db)
    refused = _review(client, analyst, lone, _etag(client, users, lone), "verified")
    assert refused.status_code == 409 and refused.json()["code"] == "state_conflict"
    assert "policy for verified is not met" in refused.json()["detail"]
    assert refused.json()["check"]["met"] is False
    no_reason = _review(client, analyst, lone, _etag(client, users, lone), "refuted")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    assert _counts(db) == before
    refuted = _review(
        client, analyst, lone, _etag(client, users, lone), "refuted", "a quarry blast"
    )
    assert refuted.status_code == 200, refuted.text
    # stays visible internally, with its reason
    listed = client.get(
        "/api/v1/incidents", params={"status": "refuted"}, headers=users["monitor"].headers
    )
    assert [i["id"] for i in listed.json()["items"]] == [lone]
    queue = client.get(
        "/api/v1/reviews/queue", params={"status": "refuted"}, headers=analyst.headers
    )
    assert [i["id"] for i in queue.json()["items"]] == [lone]
    steps = client.get(f"/api/v1/incidents/{lone}/reviews", headers=analyst.headers).json()
    assert steps["items"][-1]["reason"] == "a quarry blast" and steps["status"] == "refuted"
    # refuted -> verified directly is illegal; back to under_review needs a reason
    before = _counts(db)
    illegal = _review(client, analyst, lone, _etag(client, users, lone), "verified")
    assert illegal.status_code == 409 and "refuted -> verified is not allowed" in illegal.text
    back = _review(client, analyst, lone, _etag(client, users, lone), "under_review")
    assert back.status_code == 422
    assert _counts(db) == before
    back = _review(client, analyst, lone, _etag(client, users, lone), "under_review", "new photo")
    assert back.status_code == 200, back.text
    # the review's pin (if any) is withdrawn on the way back
    pin = back.json()["review"]["check"]["pin"]
    assert pin["pinned_by_review"] is None


def test_bad_moves_store_nothing(db, users, client) -> None:
    ids = _scene(db, client, users)
    analyst, inc = users["analyst"], ids["two_posts"]
    before = _counts(db)
    published = _review(client, analyst, inc, _etag(client, users, inc), "published")
    assert published.status_code == 422 and published.json()["errors"][0]["field"] == "status"
    skipped = _review(client, analyst, inc, _etag(client, users, inc), "verified")
    assert skipped.status_code == 409  # reported -> verified skips under_review
    unknown = _review(client, analyst, 999_999, "x", "under_review")
    assert unknown.status_code == 404
    no_etag = _review(client, analyst, inc, None, "under_review")
    assert no_etag.status_code == 428 and no_etag.json()["code"] == "precondition_required"
    for role in ("monitor", "party_liaison", "duty_officer"):
        denied = _review(client, users[role], inc, _etag(client, users, inc), "under_review")
        assert denied.status_code == 403, role
    assert _counts(db) == before


def test_two_analysts_with_one_etag_the_second_gets_a_conflict(db, users, client) -> None:
    ids = _scene(db, client, users)
    inc = ids["two_posts"]
    loaded = _etag(client, users, inc)
    first = _review(client, users["analyst"], inc, loaded, "under_review")
    assert first.status_code == 200
    before = _counts(db)
    second = _review(client, users["head_of_mission"], inc, loaded, "under_review")
    assert second.status_code == 409, second.text
    body = second.json()
    assert body["code"] == "state_conflict" and body["changed_by"] == "analyst"
    assert "changed by analyst at" in body["detail"]
    assert _counts(db) == before
    with db.reading() as session:
        assert session.get(Incident, inc).status == "under_review"


def test_bulk_is_all_or_nothing(db, users, client) -> None:
    ids = _scene(db, client, users)
    analyst = users["analyst"]
    items = [{"incident_id": i, "etag": _etag(client, users, i).strip('"')} for i in ids.values()]
    taken = client.post(
        "/api/v1/reviews/bulk",
        json={"items": items, "status": "under_review"},
        headers=analyst.headers,
    )
    assert taken.status_code == 200, taken.text
    assert {i["status"] for i in taken.json()["items"]} == {"under_review"}
    fresh = [{"incident_id": i["incident_id"], "etag": i["etag"]} for i in taken.json()["items"]]
    before = _counts(db)
    # the lone post's incident does not meet the policy: none of the three is verified
    refused = client.post(
        "/api/v1/reviews/bulk", json={"items": fresh, "status": "verified"}, headers=analyst.headers
    )
    assert refused.status_code == 409, refused.text
    named = refused.json()["errors"]
    assert len(named) == 1 and f"incident {ids['lone']}" in named[0]["message"]
    stale = [{**fresh[0], "etag": "0" * 64}, *fresh[1:]]
    refused = client.post(
        "/api/v1/reviews/bulk", json={"items": stale, "status": "corroborated"},
        headers=analyst.headers,
    )  # fmt: skip
    # the stale ETag, and two incidents of one source each (corroborated needs two)
    assert refused.status_code == 409 and len(refused.json()["errors"]) == 3
    assert "changed by analyst" in refused.json()["errors"][0]["message"]
    assert _counts(db) == before
    with db.reading() as session:
        assert {session.get(Incident, i).status for i in ids.values()} == {"under_review"}
    # partial: those the policy allows are verified, the lone post's is named and kept
    partial = client.post(
        "/api/v1/reviews/bulk", json={"items": fresh, "status": "verified", "partial": True},
        headers=analyst.headers,
    )  # fmt: skip
    assert partial.status_code == 200, partial.text
    moved = {i["incident_id"] for i in partial.json()["items"]}
    assert moved == {ids["two_posts"], ids["seen"]}
    (left,) = partial.json()["refused"]
    assert f"incident {ids['lone']}" in left["message"] and "not met" in left["message"]
    with db.reading() as session:
        assert session.get(Incident, ids["lone"]).status == "under_review"
        assert verify(session).ok


def test_sweep_takes_a_period_to_verified(db, users, client, fresh_settings) -> None:
    """`vigil review sweep`: every incident of the period under review, then verified where
    the policy allows; the others counted by reason; bad options are clear errors."""
    ids = _scene(db, client, users)
    env = {"VIGIL_DATABASE_URL": db.url}
    run = CliRunner().invoke
    taken = run(cli, ["review", "sweep", "under_review", "--to", "2020-11-13T00:00Z",
                      "--as", "analyst"], env=env)  # fmt: skip
    assert taken.exit_code == 0, taken.output
    assert "1 incident(s) moved to under_review; 0 left" in taken.output
    # the other two go from reported through under review in the same sweep
    found = run(cli, ["review", "sweep", "verified", "--from", "2020-11-12T00:00Z",
                      "--to", "2020-12-01T00:00Z", "--as", "analyst"], env=env)  # fmt: skip
    assert found.exit_code == 0, found.output
    assert "2 incident(s) moved to verified; 1 left" in found.output
    assert "left as they are" in found.output
    with db.reading() as session:
        got = {k: session.get(Incident, i).status for k, i in ids.items()}
        assert got == {"two_posts": "verified", "seen": "verified", "lone": "under_review"}
        assert verify(session).ok
    before = _counts(db)
    for args, words in (
        (["review", "sweep", "published", "--as", "analyst"], "published"),
        (["review", "sweep", "verified", "--from", "yesterday", "--as", "analyst"], "--from"),
        (["review", "sweep", "verified", "--zone", "atlantis", "--as", "analyst"], "atlantis"),
        (["review", "sweep", "verified", "--as", "monitor"], "monitor"),
    ):
        bad = run(cli, args, env=env)
        assert bad.exit_code != 0 and words in bad.output, (args, bad.output)
        assert "Traceback" not in bad.output
    assert _counts(db) == before


def test_assign_and_queue_oldest_first(db, users, client) -> None:
    ids = _scene(db, client, users)
    analyst = users["analyst"]
    bad = client.post(
        "/api/v1/reviews/assign",
        json={"incident_ids": [ids["lone"]], "username": "monitor"},
        headers=analyst.headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "username"
    done = client.post(
        "/api/v1/reviews/assign",
        json={"incident_ids": [ids["lone"], ids["two_posts"]], "username": "analyst"},
        headers=analyst.headers,
    )
    assert done.status_code == 200, done.text
    mine = client.get(
        "/api/v1/reviews/queue", params={"reviewer": "me"}, headers=analyst.headers
    ).json()
    assert [i["id"] for i in mine["items"]] == [ids["two_posts"], ids["lone"]]
    assert {i["reviewer"] for i in mine["items"]} == {"analyst"}
    everyone = client.get("/api/v1/reviews/queue", headers=analyst.headers).json()
    assert [i["id"] for i in everyone["items"]] == [ids["two_posts"], ids["seen"], ids["lone"]]
    page = client.get("/api/v1/reviews/queue", params={"limit": 1}, headers=analyst.headers)
    nxt = client.get(
        "/api/v1/reviews/queue",
        params={"limit": 1, "cursor": page.json()["next_cursor"]},
        headers=analyst.headers,
    )
    assert [i["id"] for i in nxt.json()["items"]] == [ids["seen"]]
    window = client.get(
        "/api/v1/reviews/queue",
        params={"from": "2020-11-13T00:00:00Z", "to": "2020-11-14T00:00:00Z"},
        headers=analyst.headers,
    )
    assert [i["id"] for i in window.json()["items"]] == [ids["seen"]]
    other = client.get(
        "/api/v1/reviews/queue", params={"category": "ceasefire_violation.small_arms"},
        headers=analyst.headers,
    )  # fmt: skip
    assert other.json()["items"] == []
    hom = client.get(
        "/api/v1/reviews/queue", params={"reviewer": "head-of-mission"}, headers=analyst.headers
    )
    assert hom.json()["items"] == []
    bad_status = client.get(
        "/api/v1/reviews/queue", params={"status": "published"}, headers=analyst.headers
    )
    assert bad_status.status_code == 422
    for role in ("monitor", "party_liaison"):
        assert client.get("/api/v1/reviews/queue", headers=users[role].headers).status_code == 403


def test_queue_filtered_by_zone(db, users, client, fresh_settings) -> None:
    """A zone filter keeps the incidents located inside the zone's polygon (not its box), pages
    exactly, and names an unknown zone as the field at fault."""
    ids = _scene(db, client, users)
    with db.reading() as session:
        seen = session.get(Incident, ids["seen"])
        assert seen is not None and seen.lat is not None and seen.lon is not None
        lat, lon = seen.lat, seen.lon
    # A triangle whose box also holds a corner where nothing is inside the polygon.
    d = 0.01
    ring = [[lon - d, lat - d], [lon + 2 * d, lat - d], [lon - d, lat + 2 * d], [lon - d, lat - d]]
    with db.writing() as session:
        geography.add_zones(session, OPERATOR, [ZoneDraft(
            code="triangle", kind="buffer_zone", names={"en": "Triangle"},
            geometry={"type": "Polygon", "coordinates": [ring]},
        )])  # fmt: skip
    analyst = users["analyst"].headers
    inside = client.get("/api/v1/reviews/queue", params={"zone": "triangle"}, headers=analyst)
    assert [i["id"] for i in inside.json()["items"]] == [ids["seen"]]
    bad = client.get("/api/v1/reviews/queue", params={"zone": "atlantis"}, headers=analyst)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "zone"
    page = client.get("/review", params={"zone": "triangle"}, headers=analyst)
    assert page.status_code == 200 and f"/incidents/{ids['seen']}" in page.text
    assert f'/incidents/{ids["lone"]}"' not in page.text
    env = {"VIGIL_DATABASE_URL": db.url}
    result = CliRunner().invoke(cli, ["review", "queue", "--zone", "triangle"], env=env)
    assert result.exit_code == 0, result.output
    assert str(ids["seen"]) in result.output and "1 incident(s)" in result.output


def test_policy_set_and_validated(db, users, client) -> None:
    got = client.get("/api/v1/review-policy", headers=users["monitor"].headers).json()
    assert got["default"] is True and "verified" in got["rules"]
    strict = {"verified": {"any_of": [{"independent_sources": 3}]}}
    for role in ("analyst", "monitor", "party_liaison"):
        denied = client.put(
            "/api/v1/review-policy", json={"rules": strict}, headers=users[role].headers
        )
        assert denied.status_code == 403, role
    before = _counts(db)
    bad = client.put(
        "/api/v1/review-policy",
        json={"rules": {"verified": {"any_of": [{"independent_sources": -1}]}}},
        headers=users["head_of_mission"].headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "rules.verified.any_of[0].independent_sources"
    assert _counts(db) == before
    done = client.put(
        "/api/v1/review-policy", json={"rules": strict}, headers=users["head_of_mission"].headers
    )
    assert done.status_code == 200 and done.json() == {"rules": strict, "default": False}
    assert client.get("/api/v1/review-policy", headers=users["analyst"].headers).json() == {
        "rules": strict, "default": False,
    }  # fmt: skip
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ReviewPolicy)) == 1
        assert verify(session).ok


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The CLI reads settings once per process: make it read this test's database."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_review(db, users, client, tmp_path, fresh_settings) -> None:
    ids = _scene(db, client, users)
    env = {"VIGIL_DATABASE_URL": db.url}
    run = CliRunner().invoke
    done = run(cli, ["review", "set", str(ids["two_posts"]), "under_review", "--as", "analyst"],
               env=env)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "reported -> under_review" in done.output
    done = run(
        cli, ["review", "set", str(ids["two_posts"]), "verified", "--as", "analyst"], env=env
    )
    assert done.exit_code == 0 and "2 independent sources" in done.output, done.output
    done = run(cli, ["review", "assign", str(ids["lone"]), "--to", "analyst", "--as", "analyst"],
               env=env)  # fmt: skip
    assert done.exit_code == 0, done.output
    listed = run(cli, ["review", "queue", "--reviewer", "analyst"], env=env)
    assert listed.exit_code == 0 and "1 incident(s)" in listed.output, listed.output
    policy = run(cli, ["review", "policy"], env=env)
    assert policy.exit_code == 0 and "independent_sources" in policy.output
    before = _counts(db)
    for args in (
        ["review", "set", str(ids["lone"]), "verified", "--as", "analyst"],
        ["review", "set", str(ids["lone"]), "published", "--as", "analyst"],
        ["review", "set", "999999", "under_review", "--as", "analyst"],
        ["review", "set", str(ids["lone"]), "under_review", "--as", "monitor"],
        ["review", "set", str(ids["lone"]), "under_review", "--as", "nobody"],
        ["review", "assign", str(ids["lone"]), "--to", "monitor", "--as", "analyst"],
    ):
        refused = run(cli, args, env=env)
        assert refused.exit_code == 1, args
        assert refused.output.startswith("error:") and "Traceback" not in refused.output, args
        assert len(refused.output.strip().splitlines()) == 1, refused.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"verified": {"any_of": [{"votes": 1}]}}))
    refused = run(cli, ["review", "policy", "--set", str(bad)], env=env)
    assert refused.exit_code == 1 and "votes" in refused.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert run(cli, ["review", "policy", "--set", str(broken)], env=env).exit_code == 1
    assert _counts(db) == before
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"corroborated": {"any_of": [{"independent_sources": 1}]}}))
    done = run(cli, ["review", "policy", "--set", str(good)], env=env)
    assert done.exit_code == 0, done.output
