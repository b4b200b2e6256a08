"""Repeat requests and the tasking requests they derive, on the same accelerated clock as tasking.

One day of ``repetitionInterval`` lasts one tasking step (``tasking_step_seconds`` captured when the
repeat request is created): derived request ``k`` (k = 0, 1, ...) appears at
``repeatStart + k * repetitionInterval * step`` real seconds. ``repeatStart`` itself is a real time (a
series starting tomorrow starts tomorrow; one starting in the past starts when it is submitted); only the
spacing is compressed. The series stops after
``repetitionCount`` requests, or before the first request whose nominal start
``repeatStart + k * repetitionInterval days`` is not earlier than ``repeatEnd`` (so ``repeatEnd`` is
measured on the same compressed scale), or when the repeat request is cancelled. Without either bound it
goes on for as long as the emulator runs.

Each derived request carries ``repeatrequestId`` and the repeat's name, description, custom attributes
(so ``emulator:<outcome>`` markers apply to every derived request), collection type and tier, constraints
and processing config; its window opens when it appears and lasts ``windowDuration`` seconds (default: one
repetition interval in real days). From there it runs the normal tasking lifecycle (see :mod:`.tasking`).

The repeat request itself goes ``received`` (t0) -> ``review`` (+1 step), where it waits like a tasking
request (see :mod:`.request_book`) until ``PATCH .../status`` with ``{"code": "submitted"}`` (the docs'
form; ``{"status": "submitted"}`` or ``"approved"`` too) or declines with ``{"code": "rejected"}``
(``preApproval: true`` skips review; the ``auto_approve_review`` option approves at +2 steps) ->
``submitted`` -> ``active`` (at ``max(submitted + 1 step, repeatStart)``) -> ``completed`` once a bounded
series has derived its last request and every derived request has finished. Derived requests appear
from ``active`` on (each pre-approved). Cancelling (``{"code": "canceled"}`` as docs and Postman send it, or
``{"status": "canceled"}`` as the SDK does) is accepted from ``active`` or ``accepted`` only, and cancels
the unfinished derived requests. Only a Point can be repeat-tasked.
"""

from __future__ import annotations

import copy
import math
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from capella_emulator.config import DAY_SECONDS
from capella_emulator.errors import ApiError
from capella_emulator.request_book import REPEAT, LoggedRecord, RequestBook
from capella_emulator.tasking_cancel import CANCEL_REFUSED, CANCELLABLE
from capella_emulator.tasking_clock import REQUEST, Event, Review, review_events
from capella_emulator.tasking_pricing import format_usd, image_price
from capella_emulator.tasking_time import iso
from capella_emulator.tasking_validation import RepeatSubmission, TaskSubmission, parse_repeat_body

if TYPE_CHECKING:
    from capella_emulator.tasking import TaskingBook

REPEAT_MESSAGES = {
    "received": "Repeat request created",
    "review": "Repeat request ready for review.",
    "submitted": "Repeat request submitted through automatic approval",
    "approved": "Repeat request approved and submitted",
    "declined": "Repeat request rejected by the user during review.",
    "accepted": "Repeat request accepted; tasking requests will be derived from it",
    "active": "Repeat series is deriving tasking requests",
    "completed": "Every tasking request of the repeat series has finished",
    "canceled": "Repeat request canceled by the user.",
}
DERIVED_COPIED = (
    "collectionTier",
    "collectionType",
    "type",
    "archiveHoldback",
    "customAttribute1",
    "customAttribute2",
    "collectConstraints",
    "processingConfig",
    "contractId",
)


def _event(time: float, code: str) -> Event:
    return Event(time, REQUEST, code, REPEAT_MESSAGES[code])


def repeat_schedule(review: Review, repeat_start: float) -> list[Event]:
    """Plan a repeat request's own events: received, review, then (once approved) submitted and active."""
    events, submitted = review_events(review, REPEAT_MESSAGES)
    if submitted is None:
        return events
    return [*events, _event(max(submitted + review.step, repeat_start), "active")]


@dataclass
class RepeatRecord(LoggedRecord):
    """One repeat request: its stored properties, series parameters, events and derived requests.

    Example::

        record = state.tasking.repeats.get(repeat_id)
        record.appearance(2), record.series_length(), record.derived
    """

    review: Review
    series: RepeatSubmission
    derived: list[str] = field(default_factory=list)
    active_at: float | None = None

    @property
    def repeat_id(self) -> str:
        return self.request_id

    @property
    def step(self) -> float:
        return self.review.step

    def appearance(self, index: int) -> float:
        """Real time at which derived request ``index`` (0-based) appears."""
        origin = max(self.series.repeat_start, self.active_at or self.review.created)
        return origin + index * self.series.interval_days * self.step

    def series_length(self) -> int | None:
        """How many requests the series derives in all (``None``: unbounded)."""
        if self.series.count is not None:
            return self.series.count
        if self.series.repeat_end is None:
            return None
        span_days = (self.series.repeat_end - self.series.repeat_start) / DAY_SECONDS
        return max(1, math.ceil(span_days / self.series.interval_days))

    def feature(self) -> dict[str, Any]:
        properties = {**self.properties, "statusHistory": self.log.history(REQUEST)}
        return {"type": "Feature", "geometry": self.geometry, "properties": properties}


class RepeatBook(RequestBook[RepeatRecord]):
    """Every repeat request of one emulator; derives tasking requests into the :class:`TaskingBook`.

    Example::

        record = state.tasking.repeats.create({"geometry": {...}, "properties": {
            "repetitionProperties": {"repetitionInterval": 1, "repetitionCount": 3}}})
    """

    kind = REPEAT

    def __init__(self, tasking: TaskingBook) -> None:
        super().__init__(tasking.state)
        self.tasking = tasking
        self.repeats = self.records

    def create(self, body: Any) -> RepeatRecord:
        state = self.state
        now = state.now()
        series = parse_repeat_body(body, now)
        repeat_id = str(uuid.uuid4())
        properties = {
            "repeatrequestId": repeat_id,
            "submissionTime": iso(now),
            **state.owner_properties(),
            **series.properties,
        }
        tier = properties["collectionTier"]
        properties["costPerImageEstimate"] = format_usd(image_price(properties["collectionType"], tier))
        review = self.review(properties, now, state.config.tasking_step_seconds)
        record = RepeatRecord(repeat_id, series.geometry, properties, review, series)
        self._plan(record, review)
        self.repeats[repeat_id] = record
        self.tasking.advance(now)
        return record

    def _plan(self, record: RepeatRecord, review: Review) -> None:
        events = repeat_schedule(review, record.series.repeat_start)
        record.review = review
        record.log.pending = events[len(record.log.fired) :]
        record.active_at = next((event.time for event in events if event.code == "active"), None)

    def _review(
        self, record: RepeatRecord, *, approved_at: float | None = None, declined_at: float | None = None
    ) -> None:
        self._plan(record, replace(record.review, approved_at=approved_at, declined_at=declined_at))
        self.tasking.advance(self.state.now())

    def _cancel(self, record: RepeatRecord, now: float) -> None:
        if record.status not in CANCELLABLE:
            raise ApiError(
                400,
                CANCEL_REFUSED,
                f"only an accepted or active repeat request can be canceled; this one is {record.status}",
            )
        record.log.pending = [_event(now, "canceled")]
        record.log.fire_due(now)
        for task_id in record.derived:
            task = self.tasking.tasks[task_id]
            if not task.finalized:
                self.tasking.cancel(task, now)

    # --- the clock -----------------------------------------------------------------------------

    def spawn_due(self, now: float) -> None:
        """Derive every tasking request whose appearance time has come."""
        for record in self.repeats.values():
            length = record.series_length()
            while (
                record.active_at is not None
                and not record.finalized
                and (length is None or len(record.derived) < length)
            ):
                appears = record.appearance(len(record.derived))
                if appears > now:
                    break
                self._derive(record, appears)

    def settle(self, now: float) -> None:
        """Fire the repeat requests' own events; complete the bounded series that are over."""
        for record in self.repeats.values():
            record.log.fire_due(now)
            over = bool(record.derived) and record.series_length() == len(record.derived)
            if record.finalized or record.log.pending or not over:
                continue
            tasks = [self.tasking.tasks[task_id] for task_id in record.derived]
            if all(task.finalized for task in tasks):
                ended = max(task.log.fired[-1].time for task in tasks)
                last = record.log.last()
                record.log.pending.append(_event(max(ended, last.time if last else ended), "completed"))
                record.log.fire_due(now)

    def _derive(self, record: RepeatRecord, appears: float) -> None:
        props = record.properties
        derived = {key: copy.deepcopy(props[key]) for key in DERIVED_COPIED}
        window = float(props["windowDuration"])
        submission = TaskSubmission(
            geometry=copy.deepcopy(record.geometry),
            properties={
                "taskingrequestName": props["repeatrequestName"],
                "taskingrequestDescription": props["repeatrequestDescription"],
                "windowOpen": iso(appears),
                "windowClose": iso(appears + window),
                "windowDuration": round(window),
                "preApproval": True,
                **derived,
            },
            window_open=appears,
            window_close=appears + window,
        )
        task = self.tasking.add(submission, created=appears, step=record.step, repeat_id=record.repeat_id)
        record.derived.append(task.task_id)
