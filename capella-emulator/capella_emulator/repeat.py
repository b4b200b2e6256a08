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

The repeat request itself goes ``received`` (t0) -> ``review`` (+1 step) -> ``submitted`` (+2 steps) ->
``active`` (at ``max(submitted + 1 step, repeatStart)``) -> ``completed`` once a bounded series has derived
its last request and every derived request has finished. Derived requests appear from ``active`` on. With
the ``emulator:manual-approval`` marker it waits in ``review`` until ``PATCH .../status`` with
``{"code": "submitted"}`` (the docs' form; ``{"status": "submitted"}`` or ``"approved"`` too) or declines
with ``{"code": "rejected"}``. Cancelling (``{"code": "canceled"}`` as docs and Postman send it, or
``{"status": "canceled"}`` as the SDK does) is accepted from ``active`` or ``accepted`` only, and cancels
the unfinished derived requests. Only a Point can be repeat-tasked.
"""

from __future__ import annotations

import copy
import math
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from capella_emulator.config import DAY_SECONDS
from capella_emulator.errors import ApiError, not_found, validation_error
from capella_emulator.tasking_cancel import CANCEL_REFUSED, CANCELLABLE
from capella_emulator.tasking_clock import REQUEST, Event, EventLog, read_markers
from capella_emulator.tasking_pricing import format_usd, image_price
from capella_emulator.tasking_search import REPEAT_FIELDS, SearchPaging, search_page
from capella_emulator.tasking_time import iso
from capella_emulator.tasking_validation import (
    CANCEL_WORDS,
    REPEAT_UPDATABLE,
    RepeatSubmission,
    TaskSubmission,
    parse_repeat_body,
    parse_update,
)
from capella_emulator.tasking_values import (
    finalized_error,
    require_uuid,
    status_word,
)

if TYPE_CHECKING:
    from capella_emulator.tasking import TaskingBook

REPEAT_MESSAGES = {
    "received": "Repeat request created",
    "review": "Repeat request ready for review.",
    "submitted": "Repeat request submitted through automatic approval",
    "approved": "Repeat request approved and submitted",
    "rejected": "Repeat request rejected by the user during review.",
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


APPROVE_WORDS = ("submitted", "approved")


def _event(time: float, code: str, message_key: str | None = None) -> Event:
    return Event(time, REQUEST, code, REPEAT_MESSAGES[message_key or code])


def repeat_schedule(
    created: float, step: float, repeat_start: float, manual: bool, approved_at: float | None = None
) -> list[Event]:
    """Plan a repeat request's own events: received, review, then (unless held for approval) on to active."""
    events = [_event(created, "received"), _event(created + step, "review")]
    if manual and approved_at is None:
        return events
    submitted = approved_at if approved_at is not None else created + 2 * step
    message = "approved" if approved_at is not None else None
    return [
        *events,
        _event(submitted, "submitted", message),
        _event(max(submitted + step, repeat_start), "active"),
    ]


@dataclass
class RepeatRecord:
    """One repeat request: its stored properties, series parameters, events and derived requests.

    Example::

        record = state.tasking.repeats.get(repeat_id)
        record.appearance(2), record.series_length(), record.derived
    """

    repeat_id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
    created: float
    step: float
    series: RepeatSubmission
    log: EventLog = field(default_factory=EventLog)
    derived: list[str] = field(default_factory=list)
    active_at: float | None = None

    @property
    def status(self) -> str:
        return self.log.status

    @property
    def finalized(self) -> bool:
        return self.log.finalized

    def appearance(self, index: int) -> float:
        """Real time at which derived request ``index`` (0-based) appears."""
        origin = max(self.series.repeat_start, self.active_at or self.created)
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


class RepeatBook:
    """Every repeat request of one emulator; derives tasking requests into the :class:`TaskingBook`.

    Example::

        record = state.tasking.repeats.create({"geometry": {...}, "properties": {
            "repetitionProperties": {"repetitionInterval": 1, "repetitionCount": 3}}})
    """

    def __init__(self, tasking: TaskingBook) -> None:
        self.tasking = tasking
        self.repeats: dict[str, RepeatRecord] = {}

    def create(self, body: Any) -> RepeatRecord:
        state = self.tasking.state
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
        step = state.config.tasking_step_seconds
        record = RepeatRecord(repeat_id, series.geometry, properties, now, step, series)
        markers = read_markers(
            properties["repeatrequestName"], properties["customAttribute1"], properties["customAttribute2"]
        )
        self._plan(record, repeat_schedule(now, step, series.repeat_start, markers.manual_approval))
        self.repeats[repeat_id] = record
        self.tasking.advance(now)
        return record

    def _plan(self, record: RepeatRecord, events: list[Event]) -> None:
        fired = len(record.log.fired)
        record.log.pending = events[fired:]
        record.active_at = next((event.time for event in events if event.code == "active"), None)

    # Intended mirror of tasking.py's get/update: the API treats both request kinds the same way.
    def get(self, repeat_id: str) -> RepeatRecord:
        require_uuid(repeat_id, "repeatrequestId")
        record = self.repeats.get(repeat_id)
        if record is None:
            raise not_found("repeat request", repeat_id)
        return record

    def update(self, repeat_id: str, body: Any) -> RepeatRecord:
        record = self.get(repeat_id)
        changes = parse_update(body, REPEAT_UPDATABLE)
        if "processingConfig" in changes and record.finalized:
            raise finalized_error("repeat request", repeat_id, record.status)
        record.properties.update(changes)
        return record

    def change_status(self, repeat_id: str, body: Any) -> RepeatRecord:
        """Approve (``submitted``) or reject a repeat request in review, or cancel an active one."""
        record = self.get(repeat_id)
        wanted = status_word(body, keys=("code", "status"))
        if wanted not in (*CANCEL_WORDS, *APPROVE_WORDS, "rejected"):
            raise validation_error(
                f"a repeat request can be submitted, rejected or canceled, not {wanted!r}", "code"
            )
        if record.finalized:
            raise finalized_error("repeat request", repeat_id, record.status)
        now = self.tasking.state.now()
        if wanted in CANCEL_WORDS:
            self._cancel(record, now)
        elif record.status != "review":
            raise validation_error(
                f"only a repeat request in review can be {wanted} (it is {record.status})", "code"
            )
        elif wanted == "rejected":
            record.log.pending = [_event(now, "rejected")]
            record.log.fire_due(now)
        else:
            series = record.series
            self._plan(record, repeat_schedule(record.created, record.step, series.repeat_start, True, now))
            self.tasking.advance(now)
        return record

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

    def search(self, body: Any, paging: SearchPaging) -> dict[str, Any]:
        features = [record.feature() for record in self.repeats.values()]
        return search_page(features, body, ("query", "filter"), REPEAT_FIELDS, paging)

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
