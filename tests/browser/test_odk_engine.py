"""Vigil's observation form and OpenRosa endpoints under ODK's own XForms engine
(@getodk/xforms-engine, the engine of ODK Web Forms in ODK Central), not our emulation: in
the real Chromium, on Vigil's origin, the engine lists and loads the form, applies its
relevance, requirements and constraints, makes the submission and sends it; Vigil records it.

The engine comes from the npm registry (tests/odk_engine/package.json and its lock file):
`npm ci --prefix tests/odk_engine` installs it (.ci/run does); this module bundles
tests/odk_engine/entry.js with esbuild when the bundle is missing or stale. Without node, npm
or the installed packages the test skips with the reason, unless VIGIL_REQUIRE_ALL_LEGS is set.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
from base64 import b64encode
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from defusedxml.ElementTree import fromstring
from PIL import Image
from tests.browser.conftest import Watch
from tests.browser.test_map import DEMO_PASSWORD, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser
ENGINE = Path(__file__).resolve().parents[1] / "odk_engine"
BUNDLE = ENGINE / "dist" / "odk-engine.js"
SOURCES = [ENGINE / "entry.js", ENGINE / "package.json", ENGINE / "package-lock.json"]
PAGE = "/__odk_engine__/index.html"
HTML = (
    "<!doctype html><html><head><meta charset=utf-8><title>ODK engine</title>"
    '<script type="module" src="/__odk_engine__/odk-engine.js"></script></head><body></body></html>'
)
FORM_ID = "vigil_observation"
BAKU = timezone(timedelta(hours=4))
CATEGORY = "ceasefire_violation.explosion.artillery"
POSITION = "39.815 46.742 1200 15"  # latitude longitude altitude accuracy, as Collect saves
TEXT = "Three explosions south-east of the post, 4 km."


def unavailable(reason: str) -> None:
    """Skip this leg, or fail when every leg is required (CI)."""
    if os.environ.get("VIGIL_REQUIRE_ALL_LEGS"):
        pytest.fail(f"VIGIL_REQUIRE_ALL_LEGS is set but {reason}")
    pytest.skip(f"ODK engine leg skipped: {reason}")


def build_bundle() -> bytes:
    """The engine bundled for the browser, rebuilt (offline) when its sources changed."""
    installed = ENGINE / "node_modules" / "@getodk" / "xforms-engine" / "package.json"
    if not installed.exists():
        unavailable("tests/odk_engine has no node_modules: run `npm ci --prefix tests/odk_engine`")
    newest = max(p.stat().st_mtime for p in [*SOURCES, installed])
    if BUNDLE.exists() and BUNDLE.stat().st_mtime >= newest:
        return BUNDLE.read_bytes()
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is not installed (needed to bundle tests/odk_engine/entry.js)")
    done = subprocess.run(
        [npm, "run", "--silent", "build"], cwd=ENGINE, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return BUNDLE.read_bytes()


@pytest.fixture(scope="session")
def bundle() -> bytes:
    return build_bundle()


def photo_jpeg() -> bytes:
    """A small photo, no EXIF: what matters here is that its bytes arrive whole."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 110, 70)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def admin(browser: Browser, server: str) -> Iterator[BrowserContext]:
    """A signed-in admin's context, for the JSON API (its own cookies, apart from the engine)."""
    context = browser.new_context(base_url=server)
    page = context.new_page()
    page.goto("/login")
    sign_in(page, "admin", DEMO_PASSWORD)
    page.wait_for_url(lambda url: "/login" not in url)
    page.close()
    yield context
    context.close()


def api_get(admin: BrowserContext, path: str, **params: str) -> Any:
    r = admin.request.get(path, params=params or None)
    assert r.status == 200, r.text()
    return r.json()


@pytest.fixture(scope="module")
def phone_key(admin: BrowserContext) -> str:
    """A phone key for the monitor, issued through the API as an administrator would."""
    csrf = api_get(admin, "/api/v1/me")["csrf_token"]
    r = admin.request.post(
        "/api/v1/devices",
        data={"username": "monitor", "label": "ODK engine test"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status == 201, r.text()
    return str(r.json()["token"])


@pytest.fixture
def engine(bundle: bytes, browser: Browser, server: str) -> Iterator[Page]:
    """A page on Vigil's origin (so no CORS) that holds the engine, in Baku time, without
    cookies; its requests must all stay on this machine."""
    context = browser.new_context(base_url=server, timezone_id="Asia/Baku")
    context.set_default_timeout(20_000)
    page = context.new_page()
    watch = Watch()
    page.on("request", lambda r: watch.requests.append(r.url))
    page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))
    page.route(f"**{PAGE}", lambda r: r.fulfill(body=HTML, content_type="text/html"))
    page.route(
        "**/__odk_engine__/odk-engine.js",
        lambda r: r.fulfill(body=bundle, content_type="text/javascript"),
    )
    page.goto(PAGE)
    page.wait_for_function("window.odkEngineReady === true")
    yield page
    context.close()
    assert watch.errors == [] and watch.foreign() == []  # nothing leaves this machine


def basic(username: str) -> dict[str, str]:
    pair = f"{username}:{DEMO_PASSWORD}".encode()
    return {"Authorization": "Basic " + b64encode(pair).decode()}


REQUIRED = {"relevant": True, "required": True}
OPTIONAL = {"relevant": True, "required": False}
HIDDEN = {"relevant": False}
FINE = {"violation": None}
BEARING_MSG = "A bearing is between 0 and 360 degrees."
DISTANCE_MSG = "A distance is more than 0 and at most 200000 metres."
COUNT_MSG = "Count at least 1 (at most 100000)."
FUTURE_MSG = "The time cannot be in the future."
POS, METHOD = "observer_position", "location_method"
POSITION_MSG = "Your position is needed unless you report from a post."


def violated(message: str | None, condition: str = "constraint") -> dict[str, Any]:
    return {"violation": {"condition": condition, "message": message}}


def ref(name: str) -> str:
    return f"/data/{name}"


def walk(observed_at: str, future: str, photo: bytes) -> list[tuple[str, Any, dict[str, Any]]]:
    """What a monitor does with the form, step by step, and what the engine must then show:
    (field, answer, {field: the expected part of its state})."""
    jpeg = {"name": "photo.jpg", "type": "image/jpeg", "base64": b64encode(photo).decode()}
    return [
        ("observer_kind", "post", {"post": REQUIRED, "patrol": HIDDEN, POS: OPTIONAL}),
        ("observer_kind", "patrol", {"post": HIDDEN, "patrol": OPTIONAL, POS: REQUIRED}),
        ("observer_kind", "monitor", {"post": HIDDEN, "patrol": HIDDEN, POS: REQUIRED}),
        (METHOD, "point", {"target": REQUIRED, "bearing": HIDDEN, "distance_m": HIDDEN}),
        (METHOD, "bearing", {"target": HIDDEN, "bearing": REQUIRED, "distance_m": OPTIONAL}),
        ("bearing", 400, {"bearing": violated(BEARING_MSG)}),
        ("bearing", 135, {"bearing": FINE}),
        ("distance_m", 0, {"distance_m": violated(DISTANCE_MSG)}),
        ("distance_m", 4000, {"distance_m": FINE}),
        ("count", 0, {"count": violated(COUNT_MSG)}),
        ("count", 3, {"count": FINE}),
        ("observed_at", future, {"observed_at": violated(FUTURE_MSG)}),
        ("observed_at", observed_at, {"observed_at": FINE}),
        ("category", CATEGORY, {"category": FINE}),
        ("observer_position", POSITION, {POS: FINE}),
        ("text", TEXT, {"text": FINE}),
        ("photo", jpeg, {"photo": {"value": "photo.jpg", **FINE}}),
    ]  # fmt: skip


def ask_north(steps: list[tuple[str, Any, dict[str, Any]]]) -> None:
    """For a form that asks which north the bearing is from (hidden until there is a bearing,
    then required, default magnetic, which Vigil turns to true north): answer true north (a
    map's) after the bearing, so Vigil keeps the bearing as given."""
    by_step = {(n, v): expected for n, v, expected in steps if not isinstance(v, dict)}
    by_step[(METHOD, "bearing")]["bearing_north"] = HIDDEN
    by_step[("bearing", 135)]["bearing_north"] = {**REQUIRED, "value": "magnetic"}
    at = [name for name, _, _ in steps].index("distance_m")
    steps.insert(at, ("bearing_north", "true", {"bearing_north": {"value": "true", **FINE}}))


def assert_walk(steps: list[tuple[str, Any, dict[str, Any]]], filled: list[Any]) -> None:
    """After each answer, the engine shows, requires and flags what the form says."""
    assert len(filled) == len(steps)
    for (name, value, expected), done in zip(steps, filled, strict=True):
        for node, want in expected.items():
            got = done["states"][ref(node)]
            assert {k: got[k] for k in want} == want, (name, value, node, got)


def instance_meta(xml: str) -> dict[str, str]:
    """The instance's root attributes and its meta children, as the engine wrote them."""
    root = fromstring(xml.encode())
    meta = {c.tag: c.text or "" for c in root.find("meta")}
    return {**root.attrib, "root": root.tag, **meta}


def find_observation(admin: BrowserContext, instance_id: str, at: datetime) -> dict[str, Any]:
    """The observation recorded for an instance (client id = instanceID), via the JSON API."""
    window = {
        "from": (at - timedelta(seconds=1)).isoformat(),
        "to": (at + timedelta(seconds=1)).isoformat(),
    }
    items = api_get(admin, "/api/v1/observations", **window, limit="1000")["items"]
    [found] = [o for o in items if o["client_id"] == instance_id]
    return dict(found)


def test_engine_fills_vigils_form_and_vigil_records_it(engine: Page, admin, phone_key) -> None:
    """Through the phone key: the engine loads the form cleanly, enforces its rules, makes
    the submission (XML + photo) and Vigil answers 201 with the observation as filled."""
    server = engine.evaluate("location.origin") + f"/key/{phone_key}"
    observed = datetime.now(BAKU).replace(microsecond=0) - timedelta(minutes=10)
    future = (datetime.now(BAKU) + timedelta(days=1)).replace(microsecond=0).isoformat()
    photo = photo_jpeg()
    steps = walk(observed.isoformat(), future, photo)
    args = {"server": server, "formId": FORM_ID}
    if ref("bearing_north") in engine.evaluate("a => window.odkEngine.fields(a)", args):
        ask_north(steps)
    report = engine.evaluate(
        "args => window.odkEngine.fillAndSubmit(args)",
        {**args, "steps": [[ref(n), v] for n, v, _ in steps]},
    )
    listed = report["listed"]
    assert listed["downloadUrl"].startswith(f"{server}/forms/{FORM_ID}/")
    assert report["load"] == {
        "status": "success",
        "warnings": None,
        "error": None,
        "mode": "create",
    }

    initial = report["initial"]
    for hidden in (
        "/data/post",
        "/data/patrol",
        "/data/target",
        "/data/bearing",
        "/data/distance_m",
    ):
        assert initial[hidden]["relevant"] is False, hidden
    assert initial["/data/count"]["value"] == "1"  # the form's default
    assert initial["/data/meta/instanceID"]["value"].startswith("uuid:")
    # observed_at is preloaded with the phone's clock, with its UTC offset (Vigil needs one).
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+04:00", initial["/data/observed_at"]["value"]
    )
    required = [(v["reference"], v["condition"], v["message"]) for v in report["initialViolations"]]
    assert required == [
        (ref("category"), "required", None),
        (ref("observer_kind"), "required", None),
        (ref("observer_position"), "required", POSITION_MSG),
        (ref("location_method"), "required", None),
    ]
    assert_walk(steps, report["filled"])

    assert report["probe"] == {"status": 204, "maxSize": report["probe"]["maxSize"]}
    assert int(report["probe"]["maxSize"]) > len(photo)
    assert report["payload"] == {"status": "ready", "violations": []}
    assert report["parts"] == [
        {
            "name": "xml_submission_file",
            "fileName": "xml_submission_file",
            "type": "text/xml",
            "size": report["parts"][0]["size"],
        },
        {"name": "photo.jpg", "fileName": "photo.jpg", "type": "image/jpeg", "size": len(photo)},
    ]
    meta = instance_meta(report["instanceXML"])
    assert meta["root"] == "data" and meta["id"] == FORM_ID and meta["version"] == listed["version"]
    assert meta["instanceName"] == f"{CATEGORY} {observed.isoformat()}"
    # Not relevant, so not in the instance (ODK XForms): the post, patrol and target.
    for absent in ("<post", "<patrol", "<target"):
        assert absent not in report["instanceXML"]

    answer = report["submission"]
    assert answer["status"] == 201, answer["body"]
    assert 'nature="submit_success"' in answer["body"]

    got = find_observation(admin, meta["instanceID"], observed)
    assert datetime.fromisoformat(got["observed_at"]) == observed.astimezone(UTC)
    assert got["observer"] == {
        "kind": "monitor",
        "post": None,
        "name": "Demo monitor",  # the sender's own sighting carries the sender's name
        "lat": 39.815,
        "lon": 46.742,
        "error_m": 15.0,
    }
    assert (got["category"], got["count"], got["text"]) == (CATEGORY, 3, TEXT)
    assert got["bearing"]["deg"] == 135 and got["distance"]["m"] == 4000
    assert got["location"] is None and got["estimated"] is not None
    assert (got["channel"], got["submitted_by"], got["status"]) == ("odk", "monitor", "new")
    [evidence] = api_get(admin, f"/api/v1/observations/{got['id']}/evidence")
    assert (evidence["name"], evidence["field"]) == ("photo.jpg", "photo")
    assert evidence["sha256"] == hashlib.sha256(photo).hexdigest()
    assert evidence["file"]["media_type"] == "image/jpeg"


def test_engine_edit_replaces_the_observation(engine: Page, admin) -> None:
    """With a password (Basic): a report, then an edit as ODK Web Forms makes one (new
    instanceID, deprecatedID = the old one, the photo not sent again): Vigil records the
    edit, marks the old observation replaced and carries the photo over."""
    server = engine.evaluate("location.origin")
    credentials = basic("monitor")
    observed = datetime.now(BAKU).replace(microsecond=0) - timedelta(minutes=20)
    photo = photo_jpeg()
    jpeg = {"name": "photo.jpg", "type": "image/jpeg", "base64": b64encode(photo).decode()}
    steps = [
        ["/data/category", CATEGORY],
        ["/data/observed_at", observed.isoformat()],
        ["/data/observer_kind", "monitor"],
        ["/data/observer_position", POSITION],
        ["/data/location_method", "bearing"],
        ["/data/bearing", 90],
        ["/data/photo", jpeg],
    ]
    args = {"server": server, "formId": FORM_ID, "credentials": credentials}
    first = engine.evaluate(
        "args => window.odkEngine.fillAndSubmit(args)", {**args, "steps": steps}
    )
    assert first["submission"]["status"] == 201, first["submission"]["body"]
    original = instance_meta(first["instanceXML"])["instanceID"]

    edit = engine.evaluate(
        "args => window.odkEngine.editAndSubmit(args)",
        {**args, "instanceXML": first["instanceXML"], "steps": [["/data/count", 4]]},
    )
    assert edit["load"]["status"] == "success" and edit["load"]["mode"] == "edit"
    assert edit["payload"] == {"status": "ready", "violations": []}
    assert [p["name"] for p in edit["parts"]] == ["xml_submission_file"]  # no file again
    meta = instance_meta(edit["instanceXML"])
    assert meta["deprecatedID"] == original and meta["instanceID"] != original
    assert edit["submission"]["status"] == 201, edit["submission"]["body"]

    old = find_observation(admin, original, observed)
    new = find_observation(admin, meta["instanceID"], observed)
    assert (old["status"], old["count"]) == ("replaced", 1)
    assert (new["status"], new["count"], new["submitted_by"]) == ("new", 4, "monitor")
    [carried] = api_get(admin, f"/api/v1/observations/{new['id']}/evidence")
    assert carried["sha256"] == hashlib.sha256(photo).hexdigest()
