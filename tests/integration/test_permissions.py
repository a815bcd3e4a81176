"""Every route declares who may call it, and the app grants exactly that (SQLite and PostgreSQL).

The matrix walks the app's routes (API and pages, including any added later) with every role
and anonymously, so a route that forgets its roles, or grants too much, fails here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.conftest import OPERATOR, PASSWORD, Account
from tests.factories import SQUARE, add_post, add_zone, observation

from vigil.domain.roles import Role
from vigil.services import accounts
from vigil.services.access import sha256_hex
from vigil.store.tables import ApiToken
from vigil.web.app import api_routes
from vigil.web.deps import SESSION_COOKIE, Access

PROBLEM = "application/problem+json"
CALLERS: list[Role | None] = [None, *Role]


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, with the roles its Access dependency declares."""

    method: str
    path: str
    route: APIRoute
    declared: bool
    roles: frozenset[Role] | None  # None: public

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def allows(self, role: Role | None) -> bool:
        return self.roles is None or (role is not None and role in self.roles)


def _accesses(dependant: Any) -> list[Access]:
    """Every Access dependency of an endpoint, at any depth."""
    found = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, Access):
            found.append(dep.call)
        found += _accesses(dep)
    return found


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) of the app with its declared roles."""
    out = []
    for path, methods, route in api_routes(app):
        gates = _accesses(route.dependant)
        roles = gates[0].roles if gates else None
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            out.append(Endpoint(method, path, route, bool(gates), roles))
    return out


@pytest.fixture
def world(db, users: dict[str, Account], client: TestClient) -> dict[str, Any]:
    """One of each object, so path parameters point at things that exist."""
    from vigil.domain.geography import PlaceDraft
    from vigil.services import geography

    with db.writing() as session:
        add_post(session, OPERATOR)
        add_zone(session, OPERATOR)
        place = PlaceDraft(code="shusha", names={"az": "Şuşa", "hy": "Շուշի"}, lat=39.76, lon=46.75)
        geography.add_places(session, OPERATOR, [place])
    made = client.post("/api/v1/observations", json=observation(), headers=users["monitor"].headers)
    assert made.status_code == 201, made.text
    obs_id = made.json()["id"]
    inc = client.post(
        "/api/v1/incidents", json={"observation_ids": [obs_id]}, headers=users["analyst"].headers
    )
    assert inc.status_code == 201, inc.text
    return {
        "observation_id": obs_id,
        "incident_id": inc.json()["id"],
        "zones": "square",
        "places": "shusha",
        "posts": "OP-T1",
        "users": users,
    }


def _path(ep: Endpoint, world: dict[str, Any]) -> str:
    """The route's path with each parameter set to an existing object (or a plausible value)."""
    path = ep.path
    for param in ep.route.dependant.path_params:
        before = path.split("{" + param.name)[0].rstrip("/").rsplit("/", 1)[-1]
        fallback = 1 if param.field_info.annotation is int else "x"
        value = world.get(param.name, world.get(before, fallback))
        path = re.sub(r"\{" + param.name + r"(:[^}]*)?\}", str(value), path)
    return path


SAMPLES: dict[Any, str] = {date: "2020-11-12", datetime: "2020-11-12T00:00:00Z", int: "1"}


def _query(ep: Endpoint) -> dict[str, str]:
    """A value for every required query parameter."""
    return {
        q.alias: "2020-11-13T00:00:00Z"
        if q.alias == "to"
        else SAMPLES.get(q.field_info.annotation, "x")
        for q in ep.route.dependant.query_params
        if q.field_info.is_required()
    }


def _code() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


BODIES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "ObservationDraft": lambda w: observation(),
    "ObservationBatch": lambda w: {"observations": [observation(), observation()]},
    "IncidentIn": lambda w: {"observation_ids": [w["observation_id"]]},
    "RunIn": lambda w: {"from": "2020-11-12T00:00:00Z", "to": "2020-11-13T00:00:00Z"},
    "PinIn": lambda w: {"lat": 39.7, "lon": 46.7, "error_m": 30, "reason": "crater"},
    "ZoneDraft": lambda w: {
        "code": _code(),
        "kind": "buffer_zone",
        "names": {"en": "Z"},
        "geometry": SQUARE,
    },
    "PlaceDraft": lambda w: {"code": _code(), "names": {"en": "P"}, "lat": 39.8, "lon": 46.7},
    "SourceProfileIn": lambda w: {"kind": "third_party", "key": _code(), "reliability": "C"},
    "PostDraft": lambda w: {
        "code": _code(),
        "name": "P",
        "kind": "camera",
        "lat": 39.8,
        "lon": 46.7,
    },
}


def _login_form(client: TestClient, world: dict[str, Any]) -> dict[str, str]:
    """The login form as a browser fills it: CSRF cookie from GET /login, the hidden field."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the login page has no CSRF field"
    return {"username": "monitor", "password": PASSWORD, "csrf_token": token.group(1)}


FORMS: dict[str, Callable[[TestClient, dict[str, Any]], dict[str, str]]] = {
    "/login": _login_form,
}


def call(
    client: TestClient, ep: Endpoint, role: Role | None, world: dict[str, Any]
) -> httpx.Response:
    """Call one endpoint as one role (None: anonymous) with a valid-enough request."""
    client.cookies.clear()
    headers = world["users"][role.value].headers if role else {}
    kwargs: dict[str, Any] = {"params": _query(ep), "headers": headers}
    body = ep.route.body_field
    if body is not None:
        name = getattr(body.field_info.annotation, "__name__", "")
        if ep.path in FORMS or name.startswith("Body_"):
            kwargs["data"] = FORMS.get(ep.path, lambda c, w: {})(client, world)
        else:
            kwargs["json"] = BODIES.get(name, lambda w: {})(world)
    try:
        return client.request(ep.method, _path(ep, world), follow_redirects=False, **kwargs)
    finally:
        client.cookies.clear()


def _denial_problem(ep: Endpoint, role: Role | None, r: httpx.Response) -> str | None:
    """What is wrong with the answer to a caller the endpoint must refuse, if anything."""
    if role is None and not ep.is_api:
        if r.status_code != 303 or not r.headers.get("location", "").startswith("/login"):
            return f"expected 303 to /login, got {r.status_code} {r.headers.get('location')}"
        return None
    status, code = (401, "not_authenticated") if role is None else (403, "forbidden")
    if r.status_code != status:
        return f"expected {status}, got {r.status_code}"
    if ep.is_api:
        if not r.headers.get("content-type", "").startswith(PROBLEM):
            return f"not problem+json: {r.headers.get('content-type')}"
        if r.json().get("code") != code:
            return f"expected code {code}, got {r.json().get('code')}"
        if status == 401 and "www-authenticate" not in r.headers:
            return "401 without WWW-Authenticate"
    return None


def _has_sample(ep: Endpoint) -> bool:
    """True when this test knows a valid request for the endpoint (else it sends `{}`)."""
    body = ep.route.body_field
    name = getattr(body.field_info.annotation, "__name__", "") if body else ""
    return body is None or name in BODIES or ep.path in FORMS


def _verdict(ep: Endpoint, role: Role | None, r: httpx.Response) -> str | None:
    if ep.allows(role):
        refused = r.status_code >= 400 and r.status_code != 404 and _has_sample(ep)
        if r.status_code in (401, 403) or r.status_code >= 500 or refused:
            return f"declared roles {_names(ep.roles)} but got {r.status_code}: {r.text[:200]}"
        return None
    return _denial_problem(ep, role, r)


def _names(roles: frozenset[Role] | None) -> str:
    return "public" if roles is None else ",".join(sorted(r.value for r in roles))


def test_every_route_declares_its_roles(app: FastAPI) -> None:
    """A route without an Access declaration would be open by accident."""
    found = endpoints(app)
    paths = {(e.method, e.path) for e in found}
    for expected in [
        ("POST", "/api/v1/observations"),
        ("GET", "/api/v1/incidents/{incident_id}"),
        ("GET", "/map"),
        ("POST", "/login"),
    ]:
        assert expected in paths, f"route discovery missed {expected}"
    undeclared = [f"{e.method} {e.path}" for e in found if not e.declared]
    assert undeclared == [], f"routes without allow(...) or public(): {undeclared}"


def test_openapi_lists_the_roles_of_every_operation(client: TestClient) -> None:
    """Clients can read who may call what from the spec."""
    spec = client.get("/api/openapi.json").json()
    ops = [op for item in spec["paths"].values() for op in item.values()]
    assert ops and all("x-vigil-roles" in op for op in ops)
    assert spec["paths"]["/api/v1/zones"]["post"]["x-vigil-roles"] == ["admin"]


def test_permission_matrix(app: FastAPI, client: TestClient, world: dict[str, Any]) -> None:
    """Each declared role is granted, everyone else denied with 401, 403 or a login redirect."""
    failures = []
    checked = 0
    for ep in endpoints(app):
        for role in CALLERS:
            response = call(client, ep, role, world)
            checked += 1
            problem = _verdict(ep, role, response)
            if problem:
                who = role.value if role else "anonymous"
                failures.append(f"{ep.method} {ep.path} as {who}: {problem}")
    assert checked >= 25 * len(CALLERS)
    assert failures == [], "\n".join(failures)


def test_party_liaison_sees_nothing_internal(
    app: FastAPI, client: TestClient, world: dict[str, Any]
) -> None:
    """Liaisons are external: every endpoint not declared for them answers 403."""
    internal = [
        e for e in endpoints(app) if e.roles is not None and Role.party_liaison not in e.roles
    ]
    assert {"/api/v1/observations", "/api/v1/audit", "/map"} <= {e.path for e in internal}
    statuses = {
        f"{e.method} {e.path}": call(client, e, Role.party_liaison, world) for e in internal
    }
    assert {k: r.status_code for k, r in statuses.items() if r.status_code != 403} == {}
    me = client.get("/api/v1/me", headers=world["users"]["party_liaison"].headers)
    assert me.status_code == 200 and me.json()["party"] == "P1"


def _assert_unauthorised(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.headers["www-authenticate"].lower().startswith("bearer")
    assert r.json()["code"] == "invalid_credentials"


def test_disabled_users_token_stops_working(db, users, client: TestClient) -> None:
    headers = users["monitor"].headers
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with db.writing() as session:
        accounts.disable_user(session, OPERATOR.actor, "monitor")
    _assert_unauthorised(client.get("/api/v1/me", headers=headers))
    _assert_unauthorised(client.get("/api/v1/observations", headers=headers))


def test_unknown_revoked_and_malformed_tokens_are_401(db, users, client: TestClient) -> None:
    _assert_unauthorised(client.get("/api/v1/me", headers={"Authorization": "Bearer vgl_nope"}))
    _assert_unauthorised(client.get("/api/v1/me", headers={"Authorization": "Basic YTpi"}))
    account = users["analyst"]
    with db.writing() as session:  # no revoke command yet: mark the token as a revoke would
        session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == sha256_hex(account.token))
            .values(revoked_at=datetime.now(UTC))
        )
    _assert_unauthorised(client.get("/api/v1/observations", headers=account.headers))


def _sign_in(client: TestClient, username: str) -> httpx.Response:
    page = client.get("/login")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    return client.post("/login", data=form, follow_redirects=False)


def test_browser_session_reads_and_writes_with_csrf(db, users, client: TestClient) -> None:
    """A cookie session may read; its writes need the session's CSRF token in a header."""
    with db.writing() as session:
        add_post(session, OPERATOR)
    signed_in = _sign_in(client, "monitor")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/map"
    cookie = next(
        h for h in signed_in.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert client.get("/api/v1/observations").status_code == 200
    body = observation()
    refused = client.post("/api/v1/observations", json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert client.get("/api/v1/observations").json()["items"] == []
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    wrong = client.post("/api/v1/observations", json=body, headers={"X-CSRF-Token": "x" + csrf})
    assert wrong.status_code == 403
    done = client.post("/api/v1/observations", json=body, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201, done.text
    assert client.get("/map").status_code == 200


def test_login_with_wrong_csrf_is_refused(db, users, client: TestClient) -> None:
    client.get("/login")
    form = {"username": "monitor", "password": PASSWORD, "csrf_token": "forged"}
    forged = client.post("/login", data=form, follow_redirects=False)
    assert forged.status_code == 403
    assert SESSION_COOKIE not in forged.cookies
    client.cookies.clear()
    no_cookie = client.post("/login", data=form, follow_redirects=False)
    assert no_cookie.status_code == 403 and SESSION_COOKIE not in no_cookie.cookies
    assert client.get("/api/v1/me").status_code == 401


def test_anonymous_pages_redirect_to_login(client: TestClient) -> None:
    r = client.get("/map", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
