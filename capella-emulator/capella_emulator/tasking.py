"""Tasking requests on an accelerated clock, their collects, and (through :mod:`.repeat`) repeat requests.

Lifecycle (see :mod:`.tasking_clock`). With ``step`` = ``tasking_step_seconds`` captured at creation
``t0``: ``received`` (t0) -> ``review`` (+1), where it waits for ``PATCH /task/{id}/status``
(``approved`` or ``rejected``; see :mod:`.request_book`). ``preApproval: true`` skips review
(``submitted`` at +1); the ``auto_approve_review`` option approves at +2. From ``submitted`` (S):
``accepted`` (S + 1), or ``active`` (S + 1) when ``windowClose`` lies beyond the one-week scheduling
horizon (or tasks conflict), then ``accepted`` at ``C = max(S + 2 steps, windowOpen)`` -> ``completed``
(``C`` + 1 step). It is never collected before ``windowOpen``. If ``windowClose`` passes first, it
ends ``expired`` at ``windowClose``.
Everything is computed from stored timestamps: ``EmulatorState.advance()``, called before every API
request, fires what is due, so nothing runs in the background.

Collects. A request gets its collects at ``accepted``/``active`` (``predicted``), ``tasked`` at ``C``, then
``collected`` -> ``processing`` -> ``qa`` -> ``delivered`` at completion (newest first). One collect, two
for a Polygon larger than two scenes. On completion each collect's STAC items (the product types of
``processingConfig.productTypes`` plus GEO, which is always produced; else SLC, GEO, GEC and SICD) join
the catalog, and their order items name the request (``taskingRequestId``).

Forcing outcomes. Put a marker in ``taskingrequestName``, ``customAttribute1`` or ``customAttribute2``
(case-insensitive; derived requests inherit their repeat request's name and attributes):

- ``emulator:rejected``     review -> ``rejected`` (no collect)
- ``emulator:failed`` / ``emulator:anomaly`` / ``emulator:error``  the collect ends that way instead
- ``emulator:retrying``     ``anomaly`` -> ``retrying`` -> ``completed`` (Capella re-attempts the collect)
- ``emulator:conflicting``  goes ``active`` with the conflicting-tasks message (the organization's
  unfinished requests); with ``emulator:rejected``, ``submitted`` -> ``rejected`` for the conflict
- ``emulator:expired``      accepted -> ``expired`` (whatever the window)
- ``emulator:recompleted``  ... completed -> accepted -> completed (reprocessed)
- ``emulator:completed``    the normal path (useful to override a marker through ``PATCH``)
- ``emulator:collects=N``   N collects (1..4) instead of the default

Changing the marker with ``PATCH /task/{id}`` re-plans a request that has not finished. The control
endpoint ``POST /_emulator/tasks/{id}/outcome {"outcome": ..., "collects"?: N}`` does the same at any time
(also on a completed request, for ``recompleted``). Already recorded history never changes.

Wire conventions: ``POST /task`` answers 201; ``preApproval`` and ``pre_approval`` are both accepted;
times come back as ``YYYY-MM-DDTHH:MM:SS.mmmZ``; ``PATCH /task/{id}/status`` takes ``approved`` or
``rejected`` (only in ``review``) or ``canceled``/``cancelled`` (see :mod:`.tasking_cancel`); acting on a
finished request is a 400 ``UNABLE_TO_UPDATE_FINALIZED_TRANSACTION``. Search: :mod:`.tasking_search`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from capella_emulator.collects import (
    AcquisitionSlots,
    CollectRecord,
    collect_items,
    plan_collect,
    render_collect,
)
from capella_emulator.errors import ApiError, validation_error
from capella_emulator.repeat import RepeatBook
from capella_emulator.request_book import TASKING, LoggedRecord, RequestBook
from capella_emulator.tasking_cancel import cancellation_fee, cancellation_refusal
from capella_emulator.tasking_clock import (
    COLLECT,
    OUTCOMES,
    REQUEST,
    Event,
    Review,
    Timeline,
    build_schedule,
    collect_event,
    read_markers,
    replan,
    request_event,
)
from capella_emulator.tasking_constraints import delivered_product_types
from capella_emulator.tasking_pricing import scene_area_sqkm, task_order
from capella_emulator.tasking_time import iso
from capella_emulator.tasking_validation import TaskSubmission, parse_task_body
from capella_emulator.tasking_values import finalized_error

if TYPE_CHECKING:
    from capella_emulator.state import EmulatorState


@dataclass
class TaskRecord(LoggedRecord):
    """One tasking request: its stored properties, timeline, events and collects.

    Example::

        record = state.tasking.get(task_id)
        record.status, record.feature()["properties"]["statusHistory"], record.rendered_collects()
    """

    timeline: Timeline
    collect_count: int
    collects: list[CollectRecord] = field(default_factory=list)
    delivered: bool = False

    @property
    def task_id(self) -> str:
        return self.request_id

    def feature(self) -> dict[str, Any]:
        """Return the tasking request as the API returns it."""
        status = self.status
        properties = {
            **self.properties,
            "transactionStatus": status if self.finalized else "in-progress",
            "statusHistory": self.log.history(REQUEST),
            "order": task_order(self.task_id, self.geometry, self.properties, self.collect_count),
        }
        return {"type": "Feature", "geometry": self.geometry, "properties": properties}

    def rendered_collects(self) -> list[dict[str, Any]]:
        history = self.log.history(COLLECT)
        return [
            render_collect(
                collect,
                task_id=self.task_id,
                repeat_id=self.properties["repeatrequestId"],
                collection_type=self.properties["collectionType"],
                history=history,
            )
            for collect in self.collects
        ]

    def marker_texts(self) -> tuple[str | None, ...]:
        props = self.properties
        return props["taskingrequestName"], props["customAttribute1"], props["customAttribute2"]


class TaskingBook(RequestBook[TaskRecord]):
    """Every tasking request (and, in ``repeats``, every repeat request) of one emulator.

    Example::

        book = state.tasking
        record = book.create({"geometry": {"type": "Point", "coordinates": [4.05, 51.95]},
                              "properties": {"customAttribute2": "emulator:failed"}})
        book.advance(time.time() + 60)
        record.status  # "failed"
    """

    kind = TASKING

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.tasks = self.records
        self.slots = AcquisitionSlots()
        self.collect_tasks: dict[str, str] = {}
        self.repeats = RepeatBook(self)

    # --- creation and lookup -------------------------------------------------------------------

    def create(self, body: Any) -> TaskRecord:
        now = self.state.now()
        submission = parse_task_body(body, now)
        return self.add(submission, created=now, step=self.state.config.tasking_step_seconds)

    def add(
        self, submission: TaskSubmission, *, created: float, step: float, repeat_id: str | None = None
    ) -> TaskRecord:
        """Store a validated request created at ``created`` and fire what is already due."""
        task_id = str(uuid.uuid4())
        properties = {
            "taskingrequestId": task_id,
            "submissionTime": iso(created),
            **self.state.owner_properties(),
            "taskingrequestType": "repeat" if repeat_id else "standard",
            "repeatrequestId": repeat_id,
            **submission.properties,
        }
        markers = read_markers(
            properties["taskingrequestName"], properties["customAttribute1"], properties["customAttribute2"]
        )
        timeline = Timeline(
            self.review(properties, created, step),
            window_open=submission.window_open,
            window_close=submission.window_close,
            outcome=markers.outcome,
            conflicts=self._conflicts() if markers.conflicting else None,
        )
        collects = markers.collects or _default_collect_count(
            submission.geometry, properties["collectionType"]
        )
        record = TaskRecord(task_id, submission.geometry, properties, timeline, collects)
        record.log.pending = build_schedule(timeline)
        self.tasks[task_id] = record
        self._fire(record, created)
        return record

    def _conflicts(self) -> tuple[str, ...]:
        """Return the organization's unfinished requests: the potentially conflicting tasks of a new one."""
        return tuple(record.task_id for record in self.tasks.values() if not record.finalized)[:10]

    def task_of_collect(self, collect_id: str | None) -> str | None:
        """Return the tasking request whose collect ``collect_id`` is (``None`` for an archive collect)."""
        return self.collect_tasks.get(collect_id) if collect_id else None

    # --- changes -------------------------------------------------------------------------------

    def _updated(self, record: TaskRecord) -> None:
        """Re-plan an unfinished request whose outcome marker changed."""
        markers = read_markers(*record.marker_texts())
        if not record.finalized and markers.outcome != record.timeline.outcome:
            self._replan(record, outcome=markers.outcome)

    def _review(
        self, record: TaskRecord, *, approved_at: float | None = None, declined_at: float | None = None
    ) -> None:
        review = record.timeline.review
        approved_at = review.approved_at if approved_at is None else approved_at
        declined_at = review.declined_at if declined_at is None else declined_at
        self._replan(record, review=replace(review, approved_at=approved_at, declined_at=declined_at))

    def _cancel(self, record: TaskRecord, now: float) -> None:
        first_collect = min((collect.acquired_at for collect in record.collects), default=None)
        refusal = cancellation_refusal(record.status, first_collect, now)
        if refusal is not None:
            raise refusal
        self.cancel(record, now, cancellation_fee(first_collect, now))

    def cancel(self, record: TaskRecord, now: float, message: str | None = None) -> None:
        """End a request ``canceled`` now; its undelivered collects end ``canceled`` too."""
        last_collect = record.log.last(COLLECT)
        record.log.pending = [request_event(now, "canceled", message)]
        if record.collects and last_collect is not None and last_collect.code != "delivered":
            record.log.pending.insert(0, collect_event(now, "canceled"))
        self._fire(record, now)

    def force_outcome(self, task_id: str, outcome: Any, collects: Any = None) -> TaskRecord:
        """Re-plan a request for the control endpoint: towards ``outcome`` (and ``collects`` collects)."""
        record = self.get(task_id)
        if outcome not in OUTCOMES:
            raise validation_error(f"outcome must be one of {list(OUTCOMES)}, got {outcome!r}", "outcome")
        if collects is not None:
            if not isinstance(collects, int) or isinstance(collects, bool) or not 1 <= collects <= 4:
                raise validation_error("collects must be an integer from 1 to 4", "collects")
            if record.collects:
                raise validation_error("the request's collects are already planned", "collects")
        planned_count = record.collect_count
        record.collect_count = collects or planned_count
        try:
            self._replan(record, outcome=outcome)
        except ApiError:
            record.collect_count = planned_count
            raise
        return record

    def _replan(
        self,
        record: TaskRecord,
        *,
        outcome: str | None = None,
        review: Review | None = None,
    ) -> None:
        """Re-plan the future of ``record``; its recorded history stays as it is."""
        now = self.state.now()
        timeline = replace(
            record.timeline,
            outcome=outcome or record.timeline.outcome,
            review=review or record.timeline.review,
        )
        pending, consistent = replan(record.log.fired, build_schedule(timeline), now)
        if record.finalized and not consistent:
            raise finalized_error("tasking request", record.task_id, record.status)
        record.timeline = timeline
        record.log.pending = pending
        self._fire(record, now)

    # --- reading -------------------------------------------------------------------------------

    def collects_of(self, task_id: str) -> list[dict[str, Any]]:
        return self.get(task_id).rendered_collects()

    # --- the clock -----------------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Fire everything due by ``now``: derived requests of repeats, request and collect events."""
        self.repeats.spawn_due(now)
        for record in list(self.tasks.values()):
            if record.log.pending:
                self._fire(record, now)
        self.repeats.settle(now)

    def _fire(self, record: TaskRecord, now: float) -> None:
        for event in record.log.fire_due(now):
            if event.target == COLLECT and event.code == "predicted" and not record.collects:
                self._plan_collects(record, event)
            elif event.target == REQUEST and event.code == "completed" and not record.delivered:
                self._deliver(record)

    def _plan_collects(self, record: TaskRecord, predicted: Event) -> None:
        timeline = [*record.log.fired, *record.log.pending]
        active = next(
            (e.time for e in timeline if e.target == REQUEST and e.code == "active"),
            predicted.time + record.timeline.review.step,
        )
        polarization = record.properties["collectConstraints"].get("polarization") or "HH"
        record.collects = [
            plan_collect(
                geometry=record.geometry,
                earliest=max(active, record.timeline.window_open),
                collection_type=record.properties["collectionType"],
                polarization=polarization,
                seed=self.state.config.seed,
                slots=self.slots,
            )
            for _ in range(record.collect_count)
        ]

    def _deliver(self, record: TaskRecord) -> None:
        product_types = delivered_product_types(record.properties.get("processingConfig"))
        for collect in record.collects:
            items = collect_items(
                collect,
                geometry=record.geometry,
                collection_type=record.properties["collectionType"],
                product_types=product_types,
                seed=self.state.config.seed,
            )
            self.state.catalog.add(items)
            self.collect_tasks[collect.collect_id] = record.task_id
        record.delivered = True


def _default_collect_count(geometry: dict[str, Any], collection_type: str) -> int:
    """Two collects for a Polygon larger than two scenes, one otherwise."""
    if geometry["type"] != "Polygon":
        return 1
    scene = scene_area_sqkm({"type": "Point"}, collection_type)
    return 2 if scene_area_sqkm(geometry, collection_type) > 2 * scene else 1
