"""Tuning knobs of the download engine, with defaults that suit Capella's presigned S3 URLs."""

from __future__ import annotations

from dataclasses import dataclass, replace

MiB = 1024 * 1024
S3_MIN_PART_SIZE = 5 * MiB
S3_MAX_PARTS = 10_000
MAX_CONCURRENCY = 64


@dataclass(frozen=True)
class TransferSettings:
    """How a download is split and paced.

    ``part_size``: the bytes of one ranged GET (and of one S3 part). The connections are shared by every
    file of a call: ``concurrency`` at first, then, if ``adaptive``, as many as pay off up to
    ``max_connections``. Into S3 the part buffers of one call stay within ``s3_buffer_budget``.

    Example::

        TransferSettings(part_size=16 * 1024 * 1024, concurrency=16, adaptive=False)
    """

    part_size: int = 8 * MiB
    concurrency: int = 8
    chunk_size: int = 1 * MiB
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 8
    progress_interval: float = 10.0
    adaptive: bool = True
    max_connections: int = 32
    s3_buffer_budget: int = 192 * MiB

    def __post_init__(self) -> None:
        if self.part_size < S3_MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {S3_MIN_PART_SIZE} (5 MiB), got {self.part_size}")
        for name in ("concurrency", "max_connections"):
            value = getattr(self, name)
            if not 1 <= value <= MAX_CONCURRENCY:
                raise ValueError(f"{name} must be an integer from 1 to {MAX_CONCURRENCY}, got {value}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def with_overrides(
        self, *, concurrency: int | None = None, part_size: int | None = None
    ) -> TransferSettings:
        """Return these settings with the non-None arguments replaced (a given ``concurrency`` is fixed)."""
        settings = self if concurrency is None else replace(self, concurrency=concurrency, adaptive=False)
        return settings if part_size is None else replace(settings, part_size=part_size)

    @property
    def connection_cap(self) -> int:
        """Return the most connections a call may open."""
        return max(self.concurrency, self.max_connections) if self.adaptive else self.concurrency

    def s3_connection_cap(self) -> int:
        """Return the most connections into S3: each holds a part buffer, half as many more wait to upload."""
        fits = max(2, (2 * self.s3_buffer_budget) // (3 * self.part_size))
        return min(self.connection_cap, fits) if self.adaptive else self.concurrency

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)
