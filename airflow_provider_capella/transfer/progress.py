"""Progress logging: the user's progress bar in the Airflow task log.

Each file that takes a while gets a line at most every ``interval`` seconds (bytes, percent, rate, ETA);
the whole call ends with one summary line (files, bytes, seconds, MB/s).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("airflow_provider_capella.transfer")


def human_bytes(count: float) -> str:
    """Write a byte count in decimal units, as rates are quoted in MB/s: ``1.25 GB``."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.2f} {unit}"
        count /= 1000
    return f"{count:.2f} TB"


@dataclass
class FileProgress:
    """Bytes received for one file; logs itself at most every ``interval`` seconds."""

    label: str
    interval: float
    clock: Callable[[], float] = time.monotonic
    total: int = 0
    already: int = 0
    received: int = 0
    started: float = 0.0
    _last_log: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, total: int, already: int) -> None:
        self.total, self.already = total, already
        self.started = self._last_log = self.clock()

    def add(self, count: int) -> None:
        with self._lock:
            self.received += count
            now = self.clock()
            if now - self._last_log < self.interval:
                return
            self._last_log = now
        log.info("%s", self.line(now))

    def line(self, now: float) -> str:
        done = self.already + self.received
        rate = self.received / max(now - self.started, 1e-9)
        percent = 100.0 * done / self.total if self.total else 100.0
        eta = "unknown"
        if rate > 0:
            minutes, seconds = divmod(max(0, round((self.total - done) / rate)), 60)
            eta = f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
        return (
            f"{self.label}: {human_bytes(done)} of {human_bytes(self.total)} ({percent:.1f}%) "
            f"at {rate / 1e6:.1f} MB/s, ETA {eta}"
        )

    @property
    def seconds(self) -> float:
        return max(self.clock() - self.started, 0.0)


@dataclass
class BatchTotals:
    """Counters for the summary line of one download call."""

    files: int = 0
    skipped: int = 0
    failed: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, outcome: str, received: int = 0) -> None:
        """Count one file that ended as ``outcome`` (``files``, ``skipped`` or ``failed``)."""
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)
            self.bytes += received

    def summary(self) -> str:
        seconds = max(time.monotonic() - self.started, 1e-9)
        text = (
            f"downloaded {self.files} file{'s' if self.files != 1 else ''}, {human_bytes(self.bytes)} "
            f"in {seconds:.1f} s ({self.bytes / seconds / 1e6:.1f} MB/s)"
        )
        if self.skipped:
            text += f"; {self.skipped} already complete, skipped"
        if self.failed:
            text += f"; {self.failed} failed"
        return text
