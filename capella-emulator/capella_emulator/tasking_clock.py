"""The accelerated tasking clock: the timed events of a tasking request and of its collects.

A request's whole future is planned as a list of :class:`Event` when it is created (and re-planned
when it is approved, rejected, cancelled or given another outcome); ``TaskingBook.advance(now)`` fires
the events whose time has come. With ``step`` = ``tasking_step_seconds`` captured at creation ``t0``::

    received  t0              review  t0 + step        (waits there until approved or rejected)
    submitted S = approval time, t0 + step with preApproval (no review), t0 + 2 step with auto-approval
    accepted  S + step        (short window; collect predicted)
      or active S + step      (windowClose beyond the one-week horizon, or conflicting tasks)
    C = max(S + 2 step, windowOpen): the collect is tasked (and an active request becomes accepted)
    completed C + step        (collect collected, processing, qa between; delivered at C + step)

If ``windowClose`` passes before the request finishes, it ends ``expired`` at ``windowClose``.
An ``anomaly`` followed by ``retrying`` (the ``retrying`` outcome) re-attempts the collect one step later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from capella_emulator.tasking_time import iso

REQUEST = "request"
COLLECT = "collect"

OUTCOMES = ("completed", "rejected", "failed", "anomaly", "error", "expired", "recompleted", "retrying")
FAILURE_OUTCOMES = ("failed", "anomaly", "error")
# Codes mirror the provider's _payloads/vocabulary.REQUEST_STATUSES (kept apart: an independent oracle).
FINALIZED = frozenset({"completed", "canceled", "rejected", "expired", "failed", "error", "anomaly"})
CONFLICTING = "conflicting"
MAX_COLLECTS = 4
SCHEDULING_HORIZON_SECONDS = 7 * 86_400  # beyond it a request is "active" (not guaranteed), not "accepted"
_MARKER = re.compile(r"emulator:([a-z][a-z0-9_=-]*)", re.IGNORECASE)

CONFLICT_ACTIVE_MESSAGE = "Collection will be attempted but conflicting tasks may prevent task completion"
CONFLICT_REJECTED_MESSAGE = "Request conflicts with accepted tasks of the organization"
REQUEST_MESSAGES = {
    "received": "Request created",
    "review": "Tasking request ready for review.",
    "submitted": "Request submitted through automatic approval",
    "approved": "Request approved and submitted for scheduling",
    "accepted": "Request can be completely satisfied during validity window.",
    "active": "Request is being scheduled; collection may be attempted, full completion is not guaranteed.",
    "completed": "Tasking request has been completed.",
    "rejected": "Request rejected during review.",
    "declined": "Request rejected by the user during review.",
    "expired": "The validity window closed before the request could be satisfied.",
    "failed": "Collection failed.",
    "anomaly": "An anomaly prevented the full completion of the request.",
    "retrying": "Capella is re-attempting the collection after an anomaly.",
    "error": "An error occurred while processing the request.",
    "canceled": "Request canceled by the user.",
}
COLLECT_MESSAGES = {
    "predicted": "Collect created",
    "tasked": "Collection of image has been incorporated into a schedule and uplinked to spacecraft.",
    "collected": "Known to have been collected on the spacecraft",
    "processing": "Processing data from raw to higher level products",
    "qa": "Products awaiting QA before delivery",
    "delivered": "The products have been processed and delivered",
    "expired": "The validity window closed before the collect was made.",
    "failed": "Collection failed.",
    "anomaly": "A spacecraft anomaly prevented the collect.",
    "error": "An error occurred while processing the collect.",
    "canceled": "Collect canceled with its tasking request.",
}


@dataclass(frozen=True)
class Event:
    """One status change, of the request itself (``target`` ``request``) or of all its collects.

    Example::

        Event(time.time(), REQUEST, "completed", "Tasking request has been completed.")
    """

    time: float
    target: str
    code: str
    message: str


@dataclass(frozen=True)
class Markers:
    """What ``emulator:<word>`` markers in a request's name or custom attributes ask for.

    Example::

        read_markers("pier survey emulator:failed")  # Markers(outcome="failed", ...)
    """

    outcome: str = "completed"
    collects: int | None = None
    conflicting: bool = False


@dataclass(frozen=True)
class Review:
    """How a request gets past ``review``, shared by tasking and repeat requests (epoch seconds).

    A request waits in ``review`` until ``approved_at`` or ``declined_at`` (``PATCH .../status``), unless
    it was created with ``preApproval`` (no review at all) or the emulator auto-approves
    (``auto_approve_review``: approved one step after ``review``).

    Example::

        review_events(Review(created=t0, step=0.2, pre_approved=True), REQUEST_MESSAGES)
    """

    created: float
    step: float
    pre_approved: bool = False
    auto_approve: bool = False
    approved_at: float | None = None
    declined_at: float | None = None


@dataclass(frozen=True)
class Timeline:
    """Everything a request's schedule depends on, all times in epoch seconds.

    ``conflicts`` (``None`` unless the ``emulator:conflicting`` marker is set) names the organization's
    other unfinished requests, listed in the conflicting-tasks message of ``active`` or ``rejected``.

    Example::

        build_schedule(Timeline(Review(created=t0, step=0.2), window_open=t0, window_close=t0 + 86400))
    """

    review: Review
    window_open: float
    window_close: float
    outcome: str = "completed"
    conflicts: tuple[str, ...] | None = None


def read_markers(*texts: str | None) -> Markers:
    """Read the markers in ``texts`` (the first outcome marker wins; unknown words are ignored)."""
    outcome, collects, conflicting = "completed", None, False
    found_outcome = False
    for text in texts:
        for word in _MARKER.findall(text or ""):
            word = word.lower()
            if word in OUTCOMES and not found_outcome:
                outcome, found_outcome = word, True
            elif word == CONFLICTING:
                conflicting = True
            elif word.startswith("collects=") and word[9:].isdigit():
                collects = min(MAX_COLLECTS, max(1, int(word[9:])))
    return Markers(outcome=outcome, collects=collects, conflicting=conflicting)


def request_event(time: float, code: str, message: str | None = None) -> Event:
    return Event(time, REQUEST, code, message or REQUEST_MESSAGES[code])


def collect_event(time: float, code: str) -> Event:
    return Event(time, COLLECT, code, COLLECT_MESSAGES[code])


def conflict_message(base: str, conflicts: tuple[str, ...]) -> str:
    """Append the potentially conflicting tasks of the organization to ``base``."""
    listed = ", ".join(conflicts) if conflicts else "none currently listed"
    return f"{base}. Potentially conflicting tasks: {listed}"


def review_events(review: Review, messages: dict[str, str]) -> tuple[list[Event], float | None]:
    """Plan a request from ``received`` through review: its events, and when it is submitted (or ``None``).

    ``messages`` are the kind's status messages (``received``, ``review``, ``submitted``, ``approved``,
    ``declined``). The events end with ``submitted``, with a user's ``rejected``, or in ``review``.
    """
    t0, step = review.created, review.step
    events = [Event(t0, REQUEST, "received", messages["received"])]
    if review.pre_approved:
        submitted, message = t0 + step, messages["submitted"]
    else:
        events.append(Event(t0 + step, REQUEST, "review", messages["review"]))
        if review.declined_at is not None:
            return [*events, Event(review.declined_at, REQUEST, "rejected", messages["declined"])], None
        if review.approved_at is not None:
            submitted, message = review.approved_at, messages["approved"]
        elif review.auto_approve:
            submitted, message = t0 + 2 * step, messages["submitted"]
        else:
            return events, None
    return [*events, Event(submitted, REQUEST, "submitted", message)], submitted


def build_schedule(timeline: Timeline) -> list[Event]:
    """Plan every event of a request from ``received`` to its end (or to ``review``), in firing order."""
    review = timeline.review
    if timeline.outcome == "rejected" and timeline.conflicts is None and review.declined_at is None:
        # Capella rejects it in review: whatever approves it, it goes no further.
        waiting = replace(review, approved_at=None, auto_approve=False)
        events = review_events(waiting, REQUEST_MESSAGES)[0]
        events.append(request_event(review.created + 2 * review.step, "rejected"))
    else:
        events, submitted = review_events(review, REQUEST_MESSAGES)
        if submitted is not None:
            events += _after_review(timeline, submitted)
    return _expire_at_window_close(events, timeline.window_close)


def _after_review(timeline: Timeline, start: float) -> list[Event]:
    step = timeline.review.step
    if timeline.conflicts is not None and timeline.outcome == "rejected":
        message = conflict_message(CONFLICT_REJECTED_MESSAGE, timeline.conflicts)
        return [request_event(start + step, "rejected", message)]
    beyond_horizon = timeline.window_close - start > SCHEDULING_HORIZON_SECONDS
    first = "active" if beyond_horizon or timeline.conflicts is not None else "accepted"
    first_message = None
    if timeline.conflicts is not None:
        first_message = conflict_message(CONFLICT_ACTIVE_MESSAGE, timeline.conflicts)
    events = [
        request_event(start + step, first, first_message),
        collect_event(start + step, "predicted"),
    ]
    if timeline.outcome == "expired":
        return [
            *events,
            request_event(start + 2 * step, "expired"),
            collect_event(start + 2 * step, "expired"),
        ]
    collect_at = max(start + 2 * step, timeline.window_open)
    done = collect_at + step
    if first == "active":
        events.append(request_event(collect_at, "accepted"))
    events.append(collect_event(collect_at, "tasked"))
    if timeline.outcome in FAILURE_OUTCOMES:
        return [*events, collect_event(done, timeline.outcome), request_event(done, timeline.outcome)]
    if timeline.outcome == "retrying":
        events += [collect_event(done, "anomaly"), request_event(done, "anomaly")]
        events += [request_event(done + step, "retrying"), collect_event(done + step, "tasked")]
        return [*events, *_delivery(done + step, step), request_event(done + 2 * step, "completed")]
    events += [*_delivery(collect_at, step), request_event(done, "completed")]
    if timeline.outcome == "recompleted":
        events += [request_event(done + step, "accepted")]
        events += [*_delivery(done + step, step)[1:], request_event(done + 2 * step, "completed")]
    return events


def _delivery(start: float, step: float) -> list[Event]:
    """Return a collect's way from the sky to delivery, spread over one step after ``start``."""
    codes = ("collected", "processing", "qa", "delivered")
    return [collect_event(start + step * (index + 1) / len(codes), code) for index, code in enumerate(codes)]


def _expire_at_window_close(events: list[Event], window_close: float) -> list[Event]:
    """Cut the events the window does not leave time for and end ``expired`` at ``windowClose``."""
    first_end = max(i for i, e in enumerate(events) if e.target == REQUEST)
    ends_in_time = events[first_end].code in FINALIZED and events[first_end].time <= window_close
    if ends_in_time:
        return events
    kept = events[:1] + [event for event in events[1 : first_end + 1] if event.time <= window_close]
    at = max([window_close, *(event.time for event in kept)])
    tail = [request_event(at, "expired")]
    if any(event.code == "predicted" for event in kept):
        tail.insert(0, collect_event(at, "expired"))
    return kept + tail


def replan(fired: list[Event], schedule: list[Event], now: float) -> tuple[list[Event], bool]:
    """Return the events still to fire when ``schedule`` replaces a plan of which ``fired`` already happened.

    Returns ``(pending, consistent)``; ``consistent`` is False when history already left ``schedule``
    (the new events then follow the history, starting no earlier than ``now``).
    """
    shared = 0
    while shared < min(len(fired), len(schedule)) and (fired[shared].target, fired[shared].code) == (
        schedule[shared].target,
        schedule[shared].code,
    ):
        shared += 1
    pending, floor = [], now
    for event in schedule[shared:]:
        floor = max(floor, event.time)
        pending.append(replace(event, time=floor))
    return pending, shared == len(fired)


@dataclass
class EventLog:
    """The events of one request: those that happened (``fired``) and those still to come (``pending``).

    Example::

        log = EventLog(pending=build_schedule(timeline))
        log.fire_due(time.time())
        log.status  # "received"
    """

    fired: list[Event] = field(default_factory=list)
    pending: list[Event] = field(default_factory=list)

    def fire_due(self, now: float) -> list[Event]:
        """Move every pending event whose time has come into the history; returns them in order."""
        due = 0
        while due < len(self.pending) and self.pending[due].time <= now:
            due += 1
        fired, self.pending = self.pending[:due], self.pending[due:]
        self.fired.extend(fired)
        return fired

    def history(self, target: str = REQUEST) -> list[dict[str, Any]]:
        """``[{time, code, message}]`` of ``target``, newest first (the API's order)."""
        return [
            {"time": iso(event.time), "code": event.code, "message": event.message}
            for event in reversed(self.fired)
            if event.target == target
        ]

    def last(self, target: str = REQUEST) -> Event | None:
        return next((event for event in reversed(self.fired) if event.target == target), None)

    @property
    def status(self) -> str:
        last = self.last()
        return last.code if last else "received"

    @property
    def finalized(self) -> bool:
        """Whether the request is over; an ``anomaly`` with a ``retrying`` still to come is not."""
        if self.status == "anomaly" and any(event.target == REQUEST for event in self.pending):
            return False
        return self.status in FINALIZED
