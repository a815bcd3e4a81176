"""A real Vigil server for the benchmarks: set up with the `vigil` command, served by uvicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

VIGIL = str(Path(sys.executable).with_name("vigil"))


def environment(url: str, data_dir: Path) -> dict[str, str]:
    """The environment the `vigil` command reads: data folder and database URL."""
    env = dict(os.environ)
    env["VIGIL_DATA_DIR"] = str(data_dir)
    env["VIGIL_DATABASE_URL"] = url
    # Intake and queries are measured alone: background fusion of the loaded rows would
    # compete for the two cores (fusion has its own benchmark).
    env["VIGIL_FUSION_AUTO"] = "false"
    return env


def vigil(env: dict[str, str], *args: str) -> str:
    """Run `vigil ARGS`; its stdout, or an error carrying its stderr."""
    done = subprocess.run([VIGIL, *args], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"vigil {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def init_with_token(env: dict[str, str], user: str, role: str) -> str:
    """`vigil init`, `vigil user add USER --role ROLE`, and that user's new bearer token."""
    vigil(env, "init")
    vigil(env, "user", "add", user, "--role", role)
    return vigil(env, "token", "create", user, "--label", "benchmark").strip().splitlines()[-1]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    """`vigil serve` on a free loopback port as a subprocess; yields its base URL."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [VIGIL, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    """Poll until the server answers (or fail with its log)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vigil serve exited early:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"vigil serve did not answer within 60 s:\n{log.read_text()[-2000:]}")
