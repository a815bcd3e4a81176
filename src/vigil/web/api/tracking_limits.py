"""Per-device token buckets for the tracking endpoint: a phone may send a burst (a backlog
after a dead zone) and then a steady rate; a flood gets 429 before any database work, while
a phone reporting every few seconds is never refused. Kept in the web process."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_KEYS = 10_000  # identifiers remembered; the least recently seen are forgotten first


class Buckets:
    """One token bucket per key: `rate` tokens a second, at most `burst` saved up."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.rate, self.burst, self.clock, self.max_keys = rate, float(burst), clock, max_keys
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the key may go ahead (a token is spent), else the seconds until it may."""
        with self._lock:
            now = self.clock()
            tokens, at = self._state.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._state[key] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._state) > self.max_keys:
                self._state.popitem(last=False)
            return wait
