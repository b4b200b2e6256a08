"""Tuning knobs of the download engine, with defaults that suit Capella's presigned S3 URLs."""

from __future__ import annotations

from dataclasses import dataclass, replace

MiB = 1024 * 1024
S3_MIN_PART_SIZE = 5 * MiB
S3_MAX_PARTS = 10_000

DEFAULT_PART_SIZE = 8 * MiB
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64


@dataclass(frozen=True)
class TransferSettings:
    """How a download is split and paced.

    ``part_size`` is the byte range one connection fetches with one ranged GET (and, into S3, the size of
    one multipart part); files no larger than it are fetched with a single GET. ``concurrency`` is the
    number of connections (threads) shared by every asset of a call. To disk, parts stream straight
    into the file; into S3 each connection fills one part buffer while up to ``concurrency`` full parts
    upload beside it, so part buffers never exceed ``2 * part_size * concurrency`` (128 MiB by default).

    Example::

        TransferSettings(part_size=16 * 1024 * 1024, concurrency=16)
    """

    part_size: int = DEFAULT_PART_SIZE
    concurrency: int = DEFAULT_CONCURRENCY
    chunk_size: int = 1 * MiB
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 8
    progress_interval: float = 10.0

    def __post_init__(self) -> None:
        if self.part_size < S3_MIN_PART_SIZE:
            raise ValueError(
                f"part_size must be at least {S3_MIN_PART_SIZE} bytes (5 MiB), got {self.part_size}"
            )
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise ValueError(
                f"concurrency must be an integer from 1 to {MAX_CONCURRENCY}, got {self.concurrency}"
            )
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def with_overrides(
        self, *, concurrency: int | None = None, part_size: int | None = None
    ) -> TransferSettings:
        """Return these settings with the non-None arguments replaced."""
        changes: dict[str, int] = {}
        if concurrency is not None:
            changes["concurrency"] = concurrency
        if part_size is not None:
            changes["part_size"] = part_size
        return replace(self, **changes) if changes else self

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)
