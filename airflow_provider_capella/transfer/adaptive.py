"""How many connections a download call uses: as many as add throughput, fewer when the server pushes back.

The controller measures the call's throughput over short windows. It doubles the connections while
doubling adds at least half of the proportional gain, up to the cap; when a step adds too little it
steps back, then tries fewer connections and keeps them if throughput holds (a fast source or a busy
CPU gains nothing from more). A 429 or 503 halves them at once and holds growth back for a while.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("airflow_provider_capella.transfer")

WINDOW_SECONDS = 0.3
GAIN_SHARE = 0.5
HOLD_SHARE = 0.95
THROTTLE_HOLD_SECONDS = 10.0
MIN_PROBE = 2


class Meter:
    """A thread-safe byte counter the workers add to and the controller reads."""

    def __init__(self) -> None:
        self.total, self._lock = 0, threading.Lock()

    def add(self, count: int) -> None:
        with self._lock:
            self.total += count


class Pool(Protocol):
    """What the controller needs from the worker pool."""

    @property
    def limit(self) -> int: ...
    def set_limit(self, limit: int) -> int: ...
    def backlog(self) -> int: ...


class ConnectionController:
    """Adjusts ``pool``'s limit between 1 and ``cap`` from the throughput ``meter`` sees."""

    def __init__(
        self,
        pool: Pool,
        meter: Meter,
        *,
        start: int,
        cap: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool, self.meter, self.cap, self.window, self.clock = pool, meter, max(1, cap), window, clock
        self.pool.set_limit(min(start, self.cap))
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._thread = threading.Thread(target=self._run, name="capella-connections", daemon=True)
        self._phase = "grow"  # then "shrink" (trying fewer connections) or "hold"
        self._previous: tuple[int, float] | None = None  # (connections, rate) of the last step
        self._held_until, self._last_cut = 0.0, float("-inf")
        self._ceiling, self._grown = self.cap, False
        self._final: int | None = None
        self.history: list[tuple[int, float]] = []

    def start(self) -> None:
        """Begin adjusting in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop adjusting (the pool's limit at this moment is the call's last)."""
        self._final = self.pool.limit
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)

    def summary(self) -> str:
        """Describe the connection counts the call went through, e.g. ``8 -> 16 -> 32``."""
        counts = [connections for connections, _ in self.history] + [self._final or self.pool.limit]
        return " -> ".join(str(count) for count, _ in itertools.groupby(counts))

    def throttled(self) -> None:
        """Halve the connections and hold growth back: the server pushed back (429, 503, SlowDown)."""
        with self._lock:
            now = self.clock()
            if now - self._last_cut < 2 * self.window:
                return  # one cut per burst: the parallel requests of one moment all see the same 429
            self._last_cut = now
            current = self.pool.limit
            reduced = self.pool.set_limit(max(1, current // 2))
            self._ceiling = max(1, reduced)
            self._held_until = now + THROTTLE_HOLD_SECONDS
            self._phase, self._previous = "grow", None
        if reduced < current:
            log.info("the server is throttling: %d connections now (was %d)", reduced, current)

    def _run(self) -> None:
        last_total, last_time = self.meter.total, self.clock()
        while not self._stop.wait(self.window):
            total, now = self.meter.total, self.clock()
            rate = (total - last_total) / max(now - last_time, 1e-6)
            last_total, last_time = total, now
            with self._lock:
                self.step(rate)

    def step(self, rate: float) -> None:
        """Take one decision from the throughput ``rate`` (bytes/s) measured at the current limit."""
        connections = self.pool.limit
        self.history.append((connections, rate))
        if self.clock() >= self._held_until and self._ceiling < self.cap:
            self._ceiling = min(self.cap, self._ceiling + max(1, self._ceiling // 2))
        previous, self._previous = self._previous, (connections, rate)
        if self._phase == "grow":
            self._grow(connections, rate, previous)
        elif self._phase == "shrink":
            self._shrink(connections, rate, previous)

    def _grow(self, connections: int, rate: float, previous: tuple[int, float] | None) -> None:
        if previous is not None and previous[0] < connections:
            if not _paid_off(previous, connections, rate):
                self._set(previous[0], "adding connections did not add throughput")
                self._phase, self._previous = ("hold" if self._grown else "shrink"), previous
                return
            self._grown = True
        if connections < self._ceiling and self.pool.backlog() > 0:
            self._set(min(self._ceiling, connections * 2), "more connections add throughput")

    def _shrink(self, connections: int, rate: float, previous: tuple[int, float] | None) -> None:
        if previous is not None and previous[0] > connections and rate < HOLD_SHARE * previous[1]:
            self._set(previous[0], "fewer connections were slower")
            self._phase = "hold"
            return
        if connections // 2 >= MIN_PROBE:
            self._set(connections // 2, "trying fewer connections")
        else:
            self._phase = "hold"

    def _set(self, connections: int, reason: str) -> None:
        before, after = self.pool.limit, self.pool.set_limit(connections)
        if after != before:
            log.debug("connections %d -> %d: %s", before, after, reason)


def _paid_off(previous: tuple[int, float], connections: int, rate: float) -> bool:
    """Whether going from ``previous`` to ``connections`` gained at least half the proportional gain."""
    count, before = previous
    if before <= 0:
        return rate > 0
    expected = before * connections / count
    return rate >= before + GAIN_SHARE * (expected - before)
