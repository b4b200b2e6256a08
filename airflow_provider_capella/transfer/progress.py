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
    """Decimal units, as rates are quoted in MB/s.

    Example::

        human_bytes(1_250_000_000)  # '1.25 GB'
    """
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.2f} {unit}"
        count /= 1000
    return f"{count:.2f} TB"


def human_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


@dataclass
class FileProgress:
    """Bytes received for one file; logs itself at most every ``interval`` seconds.

    Example::

        progress = FileProgress("x.tif", interval=10.0)
        progress.start(total=1_000_000, already=0)
        progress.add(65_536)
    """

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
        elapsed = max(now - self.started, 1e-9)
        rate = self.received / elapsed
        percent = 100.0 * done / self.total if self.total else 100.0
        eta = human_duration((self.total - done) / rate) if rate > 0 else "unknown"
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

    def file_done(self, received: int) -> None:
        with self._lock:
            self.files += 1
            self.bytes += received

    def file_skipped(self) -> None:
        with self._lock:
            self.skipped += 1

    def file_failed(self, received: int) -> None:
        with self._lock:
            self.failed += 1
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
