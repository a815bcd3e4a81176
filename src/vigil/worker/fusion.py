"""Background fusion: new observations become incidents within seconds, whoever is looking.

A thread in the server process wakes every few seconds, asks whether observations newer
than the last run's have arrived, and fuses the period they cover. Each check is its own
transaction; an error is logged and the next check tries again, so one bad moment never
stops fusion for good.
"""

from __future__ import annotations

import logging
import threading

from vigil.services.fusion import fuse_new
from vigil.services.setup import operator
from vigil.store.db import Database

log = logging.getLogger("vigil.worker.fusion")


class FusionWorker:
    """Runs `fuse_new` every `interval_s` seconds on a daemon thread until stopped."""

    def __init__(self, db: Database, interval_s: float) -> None:
        self.db = db
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vigil-fusion", daemon=True)
        self.who = operator("fusion")

    def start(self) -> None:
        """Start checking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current check."""
        self._stop.set()
        self._thread.join(timeout=30)

    def check(self) -> int:
        """One check: fuse what arrived since the last run; returns incidents touched."""
        with self.db.writing() as session:
            run = fuse_new(session, self.who, "auto")
        return 0 if run is None else run.created + run.changed + run.superseded

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # keep fusing: log, and try again at the next check
                log.exception("background fusion failed; retrying at the next check")
