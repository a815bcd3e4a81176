"""Browser fixtures: a real `vigil serve` on a demo database, driven by Debian's Chromium.

No browser is downloaded: Playwright drives the system Chromium through `executable_path`.
Without Chromium the leg skips with the reason, unless VIGIL_REQUIRE_ALL_LEGS is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def chromium_executable() -> str:
    """Debian's Chromium, or skip (fail when every leg is required)."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )
    if found:
        return found
    missing = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("VIGIL_REQUIRE_ALL_LEGS"):
        pytest.fail(f"VIGIL_REQUIRE_ALL_LEGS is set but {missing}")
    pytest.skip(f"browser leg skipped: {missing}")


def vigil_command() -> str:
    """The `vigil` script of the interpreter running the tests."""
    script = Path(sys.executable).parent / "vigil"
    return str(script) if script.exists() else shutil.which("vigil") or "vigil"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Block until the server accepts connections; fail if it dies or takes too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"vigil serve exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"vigil serve did not listen on port {port} within {seconds} s")


def server_env(data_dir: Path) -> dict[str, str]:
    """The environment for the CLI: only our data folder, never an inherited database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env["VIGIL_DATA_DIR"] = str(data_dir)
    return env


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Where Chromium is (resolved before any server is started)."""
    return chromium_executable()


@pytest.fixture(scope="session")
def server(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real `vigil serve` over a fresh SQLite folder loaded with `vigil demo`."""
    data = tmp_path_factory.mktemp("vigil-data")
    env = server_env(data)
    demo = subprocess.run(
        [vigil_command(), "demo", "--seed", "1"], env=env, capture_output=True, timeout=120
    )
    assert demo.returncode == 0, demo.stderr.decode(errors="replace")
    port = free_port()
    log = (data / "serve.log").open("wb")
    proc = subprocess.Popen(
        [vigil_command(), "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        try:
            wait_for_port(port, proc)
        except RuntimeError as e:
            log.flush()
            pytest.fail(f"{e}\n{(data / 'serve.log').read_text(errors='replace')}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What the page asked for and complained about, checked at the end of each test."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        """Requests that left this machine (the app must work offline)."""
        parsed = [(u, urlsplit(u)) for u in self.requests]
        return [
            u
            for u, p in parsed
            if p.scheme in ("http", "https", "ws", "wss") and p.hostname not in LOCAL_HOSTS
        ]


@pytest.fixture
def watched(browser: Browser, server: str) -> Iterator[tuple[Page, Watch]]:
    """A fresh 1280x800 page whose requests and console errors are recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch = Watch()
    page.on("request", lambda r: watch.requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and watch.errors.append(m.text))
    page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))
    yield page, watch
    context.close()
