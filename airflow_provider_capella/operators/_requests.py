"""Tasking and repeat requests, one implementation parameterised by :class:`RequestKind`.

- create once per task instance, however often the task is retried: the description carries a tag
  ``[airflow:<16 hex>]`` hashed from ``(dag_id, task_id, run_id, map_index)``, and a retry first searches
  the user's recent requests for it and reuses what it finds;
- the cost guard: a request created without pre-approval waits in ``review`` with its quote. The guard
  waits until it has left ``received`` (polling, or in the triggerer), reads it afresh and decides from
  its status, so a retry never approves twice: in ``review`` within the limits it is approved, above them
  (or with an unreadable quote) rejected and the task fails; already past review it is left as it is
  (failing when above the limits); rejected, expired, canceled, ...: the task fails.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, Protocol

from airflow_provider_capella import lineage
from airflow_provider_capella._compat import AirflowFailException, conf
from airflow_provider_capella._payloads import REPEAT_ARGUMENTS, TASKING_ARGUMENTS, checks
from airflow_provider_capella._payloads.checks import without_none
from airflow_provider_capella._payloads.costs import optional_cost_limit
from airflow_provider_capella.exceptions import CapellaAmbiguousCreateError, CapellaCostLimitError
from airflow_provider_capella.lineage.describe import describe_request_cost
from airflow_provider_capella.links import REPEAT_REQUEST_ID_KEY, TASKING_REQUEST_ID_KEY
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._base import CapellaBaseOperator
from airflow_provider_capella.tasking_status import TERMINAL_FAILURES, latest_status

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context

    from airflow_provider_capella.hooks._quotes import Quote
    from airflow_provider_capella.hooks.capella import CapellaHook

TAG_PREFIX = "[airflow:"
DEFAULT_LOOKBACK = timedelta(days=30)
WAITING = frozenset({"received"})
Limits = tuple[float | None, float | None]
"""``(most per image, most in all)``; ``None`` where unset."""


@dataclass(frozen=True)
class RequestKind:
    """A kind of billable request: its API fields, XCom key and the hook methods behind it, by name.

    Example::

        TASKING.call_on(hook, "get", request_id)  # hook.get_task(tasking_request_id=request_id)
    """

    name: str
    accepted_arguments: tuple[str, ...]
    id_xcom_key: str
    methods: dict[str, str]

    @property
    def label(self) -> str:
        """Return e.g. ``tasking request``."""
        return f"{self.name} request"

    @property
    def id_field(self) -> str:
        """Return the id field of the API's Feature, e.g. ``taskingrequestId``."""
        return f"{self.name}requestId"

    @property
    def ids_argument(self) -> str:
        """Return the bulk operators' ids argument, e.g. ``tasking_request_ids``."""
        return f"{self.name}_request_ids"

    def call(self, hook: CapellaHook, action: str, *args: Any, **kwargs: Any) -> Any:
        """Call the hook method behind ``action`` (``create``, ``search``, ``cancel``, ``update``)."""
        return getattr(hook, self.methods[action])(*args, **kwargs)

    def call_on(self, hook: CapellaHook, action: str, request_id: str) -> Any:
        """Call the hook method behind ``action`` (``get``, ``approve``, ``reject``) on one request."""
        return self.call(hook, action, **{f"{self.name}_request_id": request_id})


TASKING = RequestKind(
    "tasking",
    TASKING_ARGUMENTS,
    TASKING_REQUEST_ID_KEY,
    {
        "create": "create_tasking_request",
        "search": "search_tasking_requests",
        "get": "get_task",
        "approve": "approve_tasking_request",
        "reject": "reject_tasking_request",
        "cancel": "cancel_tasking_requests",
        "update": "update_tasking_requests",
    },
)
REPEAT = RequestKind(
    "repeat",
    REPEAT_ARGUMENTS,
    REPEAT_REQUEST_ID_KEY,
    {
        "create": "create_repeat_request",
        "search": "search_repeat_requests",
        "get": "get_repeat_request",
        "approve": "approve_repeat_request",
        "reject": "reject_repeat_request",
        "cancel": "cancel_repeat_requests",
        "update": "update_repeat_requests",
    },
)


class Reviewing(Protocol):
    """What the cost guard reads of an operator."""

    capella_conn_id: str
    deferrable: bool
    poll_interval: float
    review_timeout: float

    @property
    def hook(self) -> CapellaHook: ...

    @property
    def log(self) -> Any: ...

    def defer(self, *, trigger: Any, method_name: str, timeout: timedelta | None = None) -> Any: ...


class CreateRequestOperator(CapellaBaseOperator):
    """Create one billable request of ``kind`` per task instance, then settle its review within the limits.

    Arguments given both explicitly and in ``request_options`` are an error. The public subclasses
    document every argument.

    Example::

        class CreateTaskingRequestOperator(CreateRequestOperator):
            kind = TASKING
    """

    kind: ClassVar[RequestKind]
    template_fields_renderers = {"geometry": "json", "request_options": "json"}
    common_template_fields: ClassVar[Sequence[str]] = (
        "capella_conn_id",
        "geometry",
        "name",
        "description",
        "collection_type",
        "collection_tier",
        "product_types",
        "custom_attribute_1",
        "custom_attribute_2",
        "contract_id",
        "local_time",
        "request_options",
        "idempotency_key",
    )

    def __init__(
        self,
        *,
        geometry: dict[str, Any] | str,
        name: str | None = None,
        description: str | None = None,
        collection_type: str | None = None,
        collection_tier: str | None = None,
        product_types: list[str] | str | None = None,
        custom_attribute_1: str | None = None,
        custom_attribute_2: str | None = None,
        contract_id: str | None = None,
        local_time: str | list[Any] | None = None,
        request_options: dict[str, Any] | str | None = None,
        idempotency_key: str | None = None,
        idempotency_lookback: timedelta = DEFAULT_LOOKBACK,
        max_cost: float | str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 30.0,
        review_timeout: float | timedelta = 3600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.geometry = geometry
        self.name = name
        self.description = description
        self.collection_type = collection_type
        self.collection_tier = collection_tier
        self.product_types = product_types
        self.custom_attribute_1 = custom_attribute_1
        self.custom_attribute_2 = custom_attribute_2
        self.contract_id = contract_id
        self.local_time = local_time
        self.request_options = request_options
        self.idempotency_key = idempotency_key
        self.idempotency_lookback = idempotency_lookback
        self.max_cost = max_cost
        self.deferrable, self.poll_interval, self.review_timeout = review_options(
            deferrable, poll_interval, review_timeout
        )

    def specific_arguments(self) -> dict[str, Any]:
        """Return the kind's own explicit arguments (window, repetition, ...), ``None`` for unset."""
        return {}

    def cost_limits(self) -> Limits:
        """Return ``(max per image, max in all)`` checked; only ``max_cost`` here."""
        return None, optional_cost_limit("max_cost", self.max_cost)

    @lineage.records
    def execute(self, context: Context) -> str:
        """Create the request (retry-safe); with cost limits, settle its review within them."""
        limits = self.cost_limits()
        arguments = self.request_arguments()
        if limits != (None, None):
            check_reviewable(self.kind, arguments, limits)
        request_id = create_once(self, self.kind, arguments, context)
        self.push(context, self.kind.id_xcom_key, request_id)
        if limits == (None, None):
            return request_id
        wait_for_quote(self, self.kind, request_id)
        return settle(self, self.kind, request_id, limits)

    @lineage.records
    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        """Resume after the review trigger fired: settle the request, or fail with the trigger's message."""
        return settle(self, self.kind, resumed(self, event), self.cost_limits())

    def request_arguments(self) -> dict[str, Any]:
        """Return the hook's keyword arguments: explicit ones (JSON parsed) and ``request_options``."""
        explicit = without_none(
            {
                "geometry": _arguments.structured("geometry", self.geometry),
                "name": self.name,
                "description": self.description,
                "collection_type": self.collection_type,
                "collection_tier": self.collection_tier,
                "product_types": _arguments.structured("product_types", self.product_types),
                "custom_attribute_1": self.custom_attribute_1,
                "custom_attribute_2": self.custom_attribute_2,
                "contract_id": self.contract_id,
                "local_time": _arguments.structured("local_time", self.local_time),
                **self.specific_arguments(),
            }
        )
        options = _arguments.mapping("request_options", self.request_options)
        checks.reject_unknown(options, self.kind.accepted_arguments, "request_options")
        twice = sorted(set(options) & set(explicit))
        if twice:
            checks.fail("request_options", f"repeats argument(s) given explicitly: {', '.join(twice)}")
        return {**explicit, **options}

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        return lineage.facets_on_start(self)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_complete(self, describe_request_cost)

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_failure(self)


def review_options(deferrable: Any, poll_interval: Any, review_timeout: Any) -> tuple[bool, float, float]:
    """Return the waiting options checked: ``(deferrable, poll_interval, review_timeout seconds)``."""
    if isinstance(review_timeout, timedelta):
        review_timeout = review_timeout.total_seconds()
    return (
        checks.boolean("deferrable", deferrable),
        float(checks.number("poll_interval", poll_interval, positive=True)),
        float(checks.number("review_timeout", review_timeout, positive=True)),
    )


def check_reviewable(kind: RequestKind, arguments: dict[str, Any], limits: Limits) -> None:
    """Refuse limits that cannot be checked: with ``pre_approval``, or a total of an open-ended series."""
    if arguments.get("pre_approval"):
        checks.fail("pre_approval", "cannot be True with max_cost: the quote must be reviewed first")
    per_image, total = limits
    if (
        kind is REPEAT
        and total is not None
        and arguments.get("repetition_count") is None
        and arguments.get("repeat_end") is None
    ):
        checks.fail(
            "max_cost" if per_image is not None else "max_cost_per_image",
            "an open-ended series (no repetition_count or repeat_end) has no total: bound it, "
            "and limit it with max_cost_per_image instead of max_cost",
        )


def task_instance_tag(context: Context, key: str | None) -> str:
    """Return ``[airflow:<key>]``; the key is derived from the task instance unless given."""
    ti = context["ti"]
    parts = (ti.dag_id, ti.task_id, ti.run_id, str(ti.map_index if ti.map_index is not None else -1))
    return f"{TAG_PREFIX}{key or hashlib.sha256(chr(31).join(parts).encode()).hexdigest()[:16]}]"


def create_once(
    op: CreateRequestOperator, kind: RequestKind, arguments: dict[str, Any], context: Context
) -> str:
    """Return the id of the request an earlier try created (a retry), or create a tagged one."""
    tag = task_instance_tag(context, op.idempotency_key)
    text = (arguments.get("description") or "").rstrip()
    arguments["description"] = text if tag in text else f"{text} {tag}".strip()
    if int(getattr(context["ti"], "try_number", 1) or 1) > 1:
        since = (datetime.now(timezone.utc) - op.idempotency_lookback).isoformat()
        op.log.info("Retry: looking for a %s tagged %s submitted since %s", kind.label, tag, since)
        found = find_tagged(kind.call(op.hook, "search", submission_time__gte=since), kind, tag)
        if found is not None:
            request_id = str(found["properties"][kind.id_field])
            op.log.info(
                "Reusing %s %s created by an earlier try (no new request sent)", kind.label, request_id
            )
            return request_id
        op.log.info("No earlier %s found; creating one", kind.label)
    try:
        created = kind.call(op.hook, "create", **arguments)
    except CapellaAmbiguousCreateError:
        op.log.error(
            "The %s may have been created although no answer came back. It was not re-sent. A retry "
            "of this task looks for it by its description tag %s and reuses it; without retries, "
            "search your %ss for that tag before creating another.",
            kind.label,
            tag,
            kind.label,
        )
        raise
    request_id = str((created.get("properties") or {}).get(kind.id_field))
    op.log.info("Created %s %s (tag %s)", kind.label, request_id, tag)
    return request_id


def find_tagged(requests: list[dict[str, Any]], kind: RequestKind, tag: str) -> dict[str, Any] | None:
    """Return the earliest-submitted request whose description carries ``tag``, or ``None``."""
    field = f"{kind.name}requestDescription"
    matches = [one for one in requests if tag in str((one.get("properties") or {}).get(field) or "")]
    if not matches:
        return None
    return min(matches, key=lambda one: str(one["properties"].get("submissionTime") or ""))


def wait_for_quote(op: Reviewing, kind: RequestKind, request_id: str) -> None:
    """Wait until the request has left ``received`` (in the triggerer when ``op.deferrable``)."""
    deadline = time.monotonic() + op.review_timeout
    while latest_status(kind.call_on(op.hook, "get", request_id)) in WAITING:
        if op.deferrable:
            from airflow_provider_capella.triggers.review import RequestReviewTrigger  # lazy: only to defer

            op.defer(
                trigger=RequestReviewTrigger(
                    request_id,
                    kind.name,
                    op.capella_conn_id,
                    poll_interval=op.poll_interval,
                    end_time=time.time() + op.review_timeout,
                ),
                method_name="execute_complete",
                timeout=timedelta(seconds=op.review_timeout + 60),
            )
        if time.monotonic() >= deadline:
            fail(f"{kind.label} {request_id} had no quote after {op.review_timeout:g} s")
        time.sleep(min(op.poll_interval, max(0.0, deadline - time.monotonic())))


def resumed(op: Reviewing, event: dict[str, Any]) -> str:
    """Return the request id of the review trigger's event, or fail with its message."""
    request_id = str(event.get("request_id") or "")
    if event.get("status") != "success" or not request_id:
        fail(f"Waiting for the quote failed: {event.get('message') or event}")
    op.log.info("%s after %s poll(s) in the triggerer", event.get("message"), event.get("polls"))
    return request_id


def settle(op: Reviewing, kind: RequestKind, request_id: str, limits: Limits) -> str:
    """Approve, reject or leave the request as its status and quote say; return its id."""
    request = kind.call_on(op.hook, "get", request_id)
    status = latest_status(request)
    quote, error = verdict(kind, request, limits)
    subject = f"{kind.label} {request_id}"
    if status == "review":
        if error is None:
            kind.call_on(op.hook, "approve", request_id)
            op.log.info("Approved %s at its quote %s (within the limit)", subject, quote.text)
            return request_id
        kind.call_on(op.hook, "reject", request_id)
        fail(f"{error}; {subject} was rejected, nothing is charged", error)
    if status in TERMINAL_FAILURES or status is None:
        fail(f"{subject} is {status or 'without a status'}" + (f" ({error})" if error else ""), error)
    if error is not None:
        fail(
            f"{error}; {subject} was already approved outside this task (it is {status}) and is left as "
            "it is: cancel it if it is unwanted",
            error,
        )
    op.log.info(
        "%s is already %s (approved by an earlier try or a person); quote %s is within the limit, "
        "nothing approved again",
        subject,
        status,
        quote.text,
    )
    return request_id


def verdict(
    kind: RequestKind, request: dict[str, Any], limits: Limits
) -> tuple[Quote, CapellaCostLimitError | None]:
    """Judge the request's quote against ``limits``: ``(the quote, an error or None when within them)``.

    A tasking request is judged by its order total; a repeat request by its per-image estimate and that
    estimate times the number of collections.
    """
    from airflow_provider_capella.hooks._quotes import (  # lazy: keeps the hooks package out of DAG parsing
        Quote,
        repeat_image_count,
        repeat_quote_per_image,
        tasking_quote,
    )

    per_image_limit, total_limit = limits
    if kind is TASKING:
        total = tasking_quote(request)
        what = "tasking request"
    else:
        per_image = repeat_quote_per_image(request)
        if per_image_limit is not None and not per_image.within(per_image_limit):
            return per_image, over(
                f"{kind.label} (per image)", per_image, per_image_limit, "max_cost_per_image"
            )
        if total_limit is None:
            return per_image, None
        count = repeat_image_count(request)
        total = per_image.times(count) if count is not None else Quote(f"{per_image.text} x ?", None)
        what = f"{kind.label} (whole series)"
    if total_limit is None or total.within(total_limit):
        return total, None
    return total, over(what, total, total_limit, "max_cost")


def over(what: str, quote: Quote, limit: float, argument: str) -> CapellaCostLimitError:
    """Build the error for a ``Quote`` above ``limit`` (or unreadable)."""
    return CapellaCostLimitError.over_limit(
        what, quote=quote.text, quoted=quote.amount, limit=limit, argument=argument
    )


def fail(message: str, cause: BaseException | None = None) -> NoReturn:
    """Fail the task without retries (the decision would not change)."""
    raise AirflowFailException(message) from cause
