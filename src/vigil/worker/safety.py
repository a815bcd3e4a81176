"""The safety timer: alarms fire whoever is looking at the operations page.

A thread in the server process evaluates every patrol out every few seconds (each check its
own transaction; an error is logged and the next check tries again). New alarms go to a
second thread that POSTs them to the configured webhook, retrying with back-off and
recording each attempt, so a hanging or failing gateway never delays the next check. The
clock is injectable: tests drive time.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from vigil.domain.safety import DEFAULT_FORBIDDEN_KINDS, forbidden_kinds
from vigil.services import safety
from vigil.services.setup import operator
from vigil.store.db import Database
from vigil.store.tables import Alarm

log = logging.getLogger("vigil.worker.safety")
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, in UTC."""
    return datetime.now(UTC)


class SafetyWorker:
    """Evaluates the safety timer every `interval_s` seconds and sends new alarms on."""

    def __init__(
        self,
        db: Database,
        interval_s: float,
        clock: Clock = system_clock,
        webhook_url: str | None = None,
        forbidden_kinds: Collection[str] = DEFAULT_FORBIDDEN_KINDS,
        public_url: str | None = None,
        timeout_s: float = 5.0,
        backoff_s: Sequence[float] = (2.0, 10.0),
    ) -> None:
        self.db, self.interval_s, self.clock = db, interval_s, clock
        self.webhook_url, self.forbidden_kinds = webhook_url, tuple(forbidden_kinds)
        self.public_url = (public_url or "").rstrip("/")
        self.timeout_s, self.backoff_s = timeout_s, tuple(backoff_s)  # waits between attempts
        self.who = operator("safety")
        self._stop = threading.Event()
        self._outbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="vigil-safety", daemon=True)
        self._sender = threading.Thread(target=self._send_loop, name="vigil-alarms", daemon=True)

    def start(self) -> None:
        """Start checking (and sending, when a webhook is set)."""
        self._thread.start()
        if self.webhook_url:
            self._sender.start()

    def stop(self) -> None:
        """Stop after the current check and the current delivery attempt."""
        self._stop.set()
        self._thread.join(timeout=30)
        if self._sender.is_alive():
            self._sender.join(timeout=self.timeout_s + 5)

    def check(self) -> list[int]:
        """One evaluation at the clock's now; returns the ids of the alarms raised."""
        with self.db.writing() as session:
            raised = safety.evaluate(session, self.who, self.clock(), self.forbidden_kinds)
            messages = [self._message(session, a) for a in raised]
        if self.webhook_url:
            for m in messages:
                self._outbox.put(m)
        return [m["alarm_id"] for m in messages]

    def _message(self, session: Any, alarm: Alarm) -> dict[str, Any]:
        """What the gateway receives: enough to text a duty officer."""
        code = safety.patrol_codes(session, [alarm.patrol_id]).get(alarm.patrol_id, "")
        return {"alarm_id": alarm.id, "patrol": code, "kind": alarm.kind,
                "raised_at": alarm.raised_at.isoformat(), "detail": alarm.detail,
                "link": f"{self.public_url}/operations#alarm-{alarm.id}"}  # fmt: skip

    def deliver(self, message: dict[str, Any]) -> bool:
        """POST one alarm, retrying with back-off; each attempt is recorded. True if delivered."""
        waits = (0.0, *self.backoff_s)
        for wait in waits:
            if wait and self._stop.wait(wait):
                return False
            status, error = self._post(message)
            with self.db.writing() as session:
                done = safety.record_delivery(
                    session, self.who, message["alarm_id"], status, error, self.clock()
                )
            if done.outcome == "delivered":
                return True
        return False

    def _post(self, message: dict[str, Any]) -> tuple[int | None, str]:
        """(status code, error text) of one attempt; never raises."""
        try:
            r = httpx.post(str(self.webhook_url), json=message, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        return r.status_code, "" if r.is_success else f"HTTP {r.status_code}"

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # keep watching: log, and try again at the next check
                log.exception("safety check failed; retrying at the next check")

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._outbox.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                self.deliver(message)
            except Exception:  # one alarm's failure must not stop the others
                log.exception("sending alarm %s failed", message.get("alarm_id"))


def from_settings(db: Database, settings: Any) -> SafetyWorker | None:
    """The server's safety worker as the settings configure it (None when turned off)."""
    if not settings.safety_auto:
        return None
    kinds = forbidden_kinds(settings.safety_forbidden_kinds)
    return SafetyWorker(db, settings.safety_interval_s, webhook_url=settings.alarm_webhook_url,
                        forbidden_kinds=kinds, public_url=settings.public_url)  # fmt: skip
