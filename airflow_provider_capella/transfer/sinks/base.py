"""The interface every sink implements, and the resume record a local sink keeps beside its file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from airflow_provider_capella.transfer.planner import ByteRange


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
        """The range is complete: persist it (upload the part, record it as done)."""

    def discard(self) -> None:
        """The range will not be completed: release its memory."""


class Sink(Protocol):
    """One destination file or object, written range by range, committed atomically at the end."""

    location: str

    def existing_size(self) -> int | None:
        """Size of a complete file/object already at the final location, None when there is none."""

    def resume_state(self) -> ResumeState | None:
        """A previous run's partial download that can be continued, if any."""

    def discard_resume(self) -> None:
        """Forget (delete) any previous partial download."""

    def begin(
        self, size: int, ranges: list[ByteRange], validator: str | None, resume: ResumeState | None
    ) -> None:
        """Prepare to receive ``ranges`` of a ``size``-byte object (continuing ``resume`` when given)."""

    def writer(self, byte_range: ByteRange) -> RangeWriter: ...

    def commit(self) -> None:
        """Every range is written: verify the size and make the file/object appear at its final name."""

    def abort(self, *, keep_resume: bool) -> None:
        """Give up: nothing appears at the final name; keep what resuming needs only if ``keep_resume``."""
