"""Create tasking and repeat requests, once per task instance (docs/operators.md: Safe under retries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from hashlib import sha256
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_capella import lineage
from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads.checks import without_none
from airflow_provider_capella.exceptions import CapellaAmbiguousCreateError
from airflow_provider_capella.lineage.describe import describe_request_cost
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._kinds import REPEAT
from airflow_provider_capella.operators._review import ReviewingOperator

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context

DEFAULT_LOOKBACK = timedelta(days=30)
STRUCTURED = ("geometry", "product_types", "local_time")  # may arrive as JSON strings
INTEGERS = ("repetition_interval", "repetition_count")  # may arrive as rendered strings


class CreateRequestOperator(ReviewingOperator):
    """Create one billable request of ``kind`` per task instance, then settle its review within the limits."""

    template_fields_renderers = {"geometry": "json", "request_options": "json"}
    specific: ClassVar[tuple[str, ...]] = ()  # the kind's own explicit arguments (window, repetition, ...)
    common_fields: ClassVar[Sequence[str]] = (
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

    @lineage.records
    def execute(self, context: Context) -> str:
        limits = self.cost_limits()
        arguments = self.request_arguments()
        per_image, total = limits  # refuse limits no review can check, before anything is sent:
        if arguments.get("pre_approval") and limits != (None, None):
            source = next(cap.source for cap in limits if cap is not None)
            checks.fail("pre_approval", f"cannot be True with {source}: the quote must be reviewed first")
        bounded = arguments.get("repetition_count") is not None or arguments.get("repeat_end") is not None
        if self.kind is REPEAT and total is not None and not bounded:
            checks.fail(
                "max_cost" if per_image is not None else "max_cost_per_image",
                "an open-ended series (no repetition_count or repeat_end) has no total: bound it, "
                "and limit it with max_cost_per_image instead of max_cost",
            )
        request_id = self.create_once(arguments, context)
        self.push(context, self.kind.id_xcom_key, request_id)
        if limits == (None, None):
            if not arguments.get("pre_approval"):
                self.log.warning(
                    "%s %s waits in review until someone approves its cost: nothing is collected until "
                    "then (give max_cost to approve a quote within it, or pre_approval=True)",
                    self.kind.label.capitalize(),
                    request_id,
                )
            return request_id
        self.wait_for_quote(request_id)
        return self.settle(request_id, limits)

    @lineage.records
    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        request_id = self.resumed(event)
        self.lineage.note_pushed(self.kind.id_xcom_key, request_id)  # pushed by the try that deferred
        return self.settle(request_id, self.cost_limits())

    def request_arguments(self) -> dict[str, Any]:
        """Return the hook's keyword arguments: explicit ones (JSON parsed) and ``request_options``."""
        names = (*self.common_fields[1:-2], *self.specific)  # geometry ... local_time, the kind's
        given = {name: getattr(self, name) for name in names}
        given.update({name: _arguments.structured(name, given[name]) for name in STRUCTURED})
        given.update({name: _arguments.integer(name, given[name]) for name in INTEGERS if name in given})
        arguments = _arguments.merged("request_options", self.request_options, without_none(given))
        checks.reject_unknown(arguments, self.kind.accepted_arguments, "request_options")
        return arguments

    def create_once(self, arguments: dict[str, Any], context: Context) -> str:
        """Return the id of the request an earlier try created (a retry), or create a tagged one."""
        kind, ti = self.kind, context["ti"]
        parts = (ti.dag_id, ti.task_id, ti.run_id, str(ti.map_index if ti.map_index is not None else -1))
        derived = sha256("\x1f".join(parts).encode()).hexdigest()[:16]
        tag = f"[airflow:{self.idempotency_key or derived}]"
        text = (arguments.get("description") or "").rstrip()
        arguments["description"] = text if tag in text else f"{text} {tag}".strip()
        if ti.try_number > 1:
            since = (datetime.now(timezone.utc) - self.idempotency_lookback).isoformat()
            self.log.info("Retry: looking for a %s tagged %s submitted since %s", kind.label, tag, since)
            found = [one["properties"] for one in kind.call(self.hook, "search", submission_time__gte=since)]
            tagged = [one for one in found if tag in str(one.get(f"{kind.name}requestDescription") or "")]
            if tagged:
                earliest = min(tagged, key=lambda one: str(one.get("submissionTime") or ""))
                request_id = str(earliest[kind.id_field])
                self.log.info("Reusing %s %s an earlier try created (none sent)", kind.label, request_id)
                return request_id
            self.log.info("No earlier %s found; creating one", kind.label)
        try:
            created = kind.call(self.hook, "create", **arguments)
        except CapellaAmbiguousCreateError:
            self.log.error(
                "The %s may have been created although no answer came back. It was not re-sent. A retry "
                "of this task looks for it by its description tag %s and reuses it; without retries, "
                "search your %ss for that tag before creating another.",
                kind.label,
                tag,
                kind.label,
            )
            raise
        request_id = str((created.get("properties") or {}).get(kind.id_field))
        self.log.info("Created %s %s (tag %s)", kind.label, request_id, tag)
        return request_id

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_complete(self, describe_request_cost)
