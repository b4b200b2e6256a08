"""Progress logging: the user's progress bar in the Airflow task log.

Each file that takes a while gets a line at most every ``interval`` seconds (bytes, percent, rate, ETA);
the whole call ends with one summary line (files, bytes, seconds, MB/s).
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("airflow_provider_capella.transfer")


def human_bytes(count: float) -> str:
    """Write a byte count in decimal units, as rates are quoted in MB/s: ``1.25 GB``."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.2f} {unit}"
        count /= 1000
    return f"{count:.2f} TB"


class FileProgress:
    """Bytes received for one file; logs itself at most every ``interval`` seconds."""

    def __init__(self, label: str, interval: float) -> None:
        self.label, self.interval, self._lock = label, interval, threading.Lock()
        self.total = self.already = self.received = 0
        self.started = self._last_log = time.monotonic()

    def start(self, total: int, already: int) -> None:
        self.total, self.already = total, already
        self.started = self._last_log = time.monotonic()

    def add(self, count: int) -> None:
        with self._lock:
            self.received += count
            now = time.monotonic()
            if now - self._last_log < self.interval:
                return
            self._last_log = now
        done = self.already + self.received
        rate = self.received / max(now - self.started, 1e-9)
        percent = 100.0 * done / self.total if self.total else 100.0
        eta = "unknown"
        if rate > 0:
            minutes, seconds = divmod(max(0, round((self.total - done) / rate)), 60)
            eta = f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
        of = f"{human_bytes(done)} of {human_bytes(self.total)} ({percent:.1f}%)"
        log.info("%s: %s at %.1f MB/s, ETA %s", self.label, of, rate / 1e6, eta)

    @property
    def seconds(self) -> float:
        return max(time.monotonic() - self.started, 0.0)


class BatchTotals:
    """Counters for the summary line of one download call."""

    def __init__(self) -> None:
        self.files = self.skipped = self.failed = self.bytes = 0
        self.started, self._lock = time.monotonic(), threading.Lock()

    def count(self, outcome: str, received: int = 0) -> None:
        """Count one file that ended as ``outcome`` (``files``, ``skipped`` or ``failed``)."""
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)
            self.bytes += received

    def summary(self) -> str:
        seconds = max(time.monotonic() - self.started, 1e-9)
        files = f"{self.files} file{'s' if self.files != 1 else ''}, {human_bytes(self.bytes)}"
        text = f"downloaded {files} in {seconds:.1f} s ({self.bytes / seconds / 1e6:.1f} MB/s)"
        if self.skipped:
            text += f"; {self.skipped} already complete, skipped"
        return text + (f"; {self.failed} failed" if self.failed else "")
