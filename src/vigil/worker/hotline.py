"""The hotline's response timers, checked in the server process: a party that has not
acknowledged (or answered) a relayed message in time is escalated within a minute, whether
or not anyone is looking. Each check is its own transaction; an error is logged and the next
check tries again. The clock is injectable, so tests can move time on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from vigil.config import Settings
from vigil.services.hotline_escalation import escalate_due
from vigil.store.db import Database

log = logging.getLogger("vigil.worker.hotline")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class HotlineWorker:
    """Runs `escalate_due` every `interval_s` seconds on a daemon thread until stopped."""

    def __init__(
        self,
        db: Database,
        interval_s: float,
        ack_s: float,
        answer_s: float,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.db = db
        self.interval_s = interval_s
        self.ack_s = ack_s
        self.answer_s = answer_s
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vigil-hotline", daemon=True)

    def start(self) -> None:
        """Start checking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current check."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def check(self) -> int:
        """One check: raise the escalations due now; returns how many."""
        with self.db.writing() as session:
            return len(escalate_due(session, self.clock(), self.ack_s, self.answer_s))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # keep watching: log, and try again at the next check
                log.exception("hotline timer check failed; retrying at the next check")

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> HotlineWorker | None:
        """The started worker the settings ask for, or None when VIGIL_HOTLINE_AUTO is off."""
        if not settings.hotline_auto:
            return None
        worker = cls(db, settings.hotline_interval_s, settings.hotline_ack_s,
                     settings.hotline_answer_s)  # fmt: skip
        worker.start()
        return worker
