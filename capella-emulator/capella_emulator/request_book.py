"""What tasking and repeat requests share: lookup, updates, review, status changes and search, per kind.

The API treats both kinds alike (``/task`` and ``/repeat-requests``), so one :class:`RequestBook` serves
both, parameterised by a :class:`RequestKind`; :mod:`.tasking` and :mod:`.repeat` add what differs (the
collects of a tasking request, the derived requests of a repeat series).

Review (docs "Tasking Request Status"): a request waits in ``review`` until ``PATCH .../status`` approves
(``approved``; a repeat request also ``submitted``) or rejects it. ``preApproval: true`` skips review.
The emulator option ``auto_approve_review`` approves every request one step after ``review`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from capella_emulator.errors import not_found, validation_error
from capella_emulator.tasking_clock import EventLog, Review
from capella_emulator.tasking_search import REPEAT_FIELDS, TASK_FIELDS, SearchPaging, search_page
from capella_emulator.tasking_validation import CANCEL_WORDS, REPEAT_UPDATABLE, TASK_UPDATABLE, parse_update
from capella_emulator.tasking_values import finalized_error, require_uuid, status_word

if TYPE_CHECKING:
    from capella_emulator.state import EmulatorState


@dataclass(frozen=True)
class RequestKind:
    """The names and vocabularies that tell a tasking request from a repeat request.

    Example::

        TASKING.label, REPEAT.id_key  # "tasking request", "repeatrequestId"
    """

    label: str
    id_key: str
    updatable: tuple[str, ...]
    status_keys: tuple[str, ...]
    approve_words: tuple[str, ...]
    search_keys: tuple[str, ...]
    search_fields: dict[str, Any]


TASKING = RequestKind(
    "tasking request", "taskingrequestId", TASK_UPDATABLE, ("status",), ("approved",), ("query",), TASK_FIELDS
)
# The docs approve a repeat request with {"code": "submitted"}; "approved" is accepted too.
REPEAT = RequestKind(
    "repeat request",
    "repeatrequestId",
    REPEAT_UPDATABLE,
    ("code", "status"),
    ("submitted", "approved"),
    ("query", "filter"),
    REPEAT_FIELDS,
)


@dataclass
class LoggedRecord:
    """A request (either kind): its id, geometry and stored properties; its status is its last event."""

    request_id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
    log: EventLog = field(init=False, default_factory=EventLog)

    @property
    def status(self) -> str:
        return self.log.status

    @property
    def finalized(self) -> bool:
        return self.log.finalized


class Record(Protocol):
    """What the shared book reads of a request record."""

    log: EventLog
    properties: dict[str, Any]

    @property
    def status(self) -> str: ...

    @property
    def finalized(self) -> bool: ...

    def feature(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Record)


class RequestBook(Generic[R]):
    """Every request of one kind: the shared half of :class:`.TaskingBook` and :class:`.RepeatBook`.

    Subclasses set ``kind`` and implement :meth:`create`, :meth:`_review` (re-plan after an approval or a
    rejection), :meth:`_cancel` and, when an update changes the plan, :meth:`_updated`.
    """

    kind: RequestKind

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.records: dict[str, R] = {}

    def create(self, body: Any) -> R:
        raise NotImplementedError

    def review(self, properties: dict[str, Any], created: float, step: float) -> Review:
        """Return how a request created now with ``properties`` gets past review."""
        return Review(
            created,
            step,
            pre_approved=bool(properties.get("preApproval")),
            auto_approve=bool(self.state.config.auto_approve_review),
        )

    def get(self, request_id: str) -> R:
        require_uuid(request_id, self.kind.id_key)
        record = self.records.get(request_id)
        if record is None:
            raise not_found(self.kind.label, request_id)
        return record

    def update(self, request_id: str, body: Any) -> R:
        """``PATCH`` the updatable properties (``processingConfig`` only while the request is unfinished)."""
        record = self.get(request_id)
        changes = parse_update(body, self.kind.updatable)
        if "processingConfig" in changes and record.finalized:
            raise finalized_error(self.kind.label, request_id, record.status)
        record.properties.update(changes)
        self._updated(record)
        return record

    def change_status(self, request_id: str, body: Any) -> R:
        """``PATCH .../status``: approve or reject a request in review, or cancel one."""
        kind = self.kind
        record = self.get(request_id)
        wanted = status_word(body, keys=kind.status_keys)
        accepted = (*kind.approve_words, "rejected", "canceled")
        if wanted not in (*CANCEL_WORDS, *accepted):
            raise validation_error(
                f"{kind.status_keys[0]} must be one of {list(accepted)}, got {wanted!r}",
                kind.status_keys[0],
                "invalid_enum_value",
            )
        if record.finalized:
            raise finalized_error(kind.label, request_id, record.status)
        now = self.state.now()
        if wanted in CANCEL_WORDS:
            self._cancel(record, now)
        elif record.status != "review":
            message = f"only a {kind.label} in review can be {wanted} (it is {record.status})"
            raise validation_error(message, kind.status_keys[0])
        elif wanted == "rejected":
            self._review(record, declined_at=now)
        else:
            self._review(record, approved_at=now)
        return record

    def search(self, body: Any, paging: SearchPaging) -> dict[str, Any]:
        features = [record.feature() for record in self.records.values()]
        return search_page(features, body, self.kind.search_keys, self.kind.search_fields, paging)

    def _updated(self, record: R) -> None:
        """React to changed properties (nothing by default)."""

    def _review(
        self, record: R, *, approved_at: float | None = None, declined_at: float | None = None
    ) -> None:
        raise NotImplementedError

    def _cancel(self, record: R, now: float) -> None:
        raise NotImplementedError
