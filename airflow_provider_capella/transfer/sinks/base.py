"""The interface every sink implements, and the records it works with: source version, resume state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from airflow_provider_capella.transfer.planner import ByteRange

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True)
class SourceVersion:
    """What identifies the bytes being copied: the URL's path (no signature), size and validator.

    Example::

        SourceVersion(path="/data/CAPELLA_X/CAPELLA_X.tif", size=1 << 30, validator='"9b2cf535f27731c9"')
    """

    path: str
    size: int
    validator: str | None


@dataclass
class ResumeState:
    """What a previous, interrupted run already wrote: the object's size and validator, the parts done.

    Example::

        ResumeState(size=1000, validator='"abc"', ranges=plan_ranges(1000, 400), done={0})
    """

    size: int
    validator: str | None
    ranges: list[ByteRange]
    done: set[int] = field(default_factory=set)

    @property
    def missing(self) -> list[ByteRange]:
        return [byte_range for byte_range in self.ranges if byte_range.index not in self.done]

    @property
    def bytes_done(self) -> int:
        return sum(byte_range.length for byte_range in self.ranges if byte_range.index in self.done)


class RangeWriter(Protocol):
    """Receives the bytes of one range in order; ``written`` survives a retry, so a retry continues."""

    written: int

    def write(self, data: bytes | memoryview) -> None: ...

    def close(self) -> None:
        """Persist the completed range (upload the part, record it as done)."""

    def discard(self) -> None:
        """Release the memory of a range that will not be completed."""


class Sink(Protocol):
    """One destination file or object, written range by range, committed atomically at the end."""

    location: str

    def existing_size(self) -> int | None:
        """Size of a complete file/object already at the final location, None when there is none."""

    def resume_state(self, source: Callable[[], SourceVersion]) -> ResumeState | None:
        """Find a previous run's partial download that can be continued, if any.

        :param source: asks the server for the current source version (one small request), for sinks
            that must compare it with what they find before trusting it.
        """

    def discard_resume(self) -> None:
        """Forget (delete) any previous partial download."""

    def begin(self, source: SourceVersion, ranges: list[ByteRange], resume: ResumeState | None) -> None:
        """Prepare to receive ``ranges`` of ``source`` (continuing ``resume`` when given)."""

    def writer(self, byte_range: ByteRange) -> RangeWriter: ...

    def commit(self) -> None:
        """Every range is written: verify the size and make the file/object appear at its final name."""

    def abort(self, *, keep_resume: bool) -> None:
        """Give up: nothing appears at the final name; keep what resuming needs only if ``keep_resume``."""
