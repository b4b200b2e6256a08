"""Cancel and update many tasking or repeat requests at once: one result per id, every id attempted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_capella import lineage, tasking_status
from airflow_provider_capella._compat import AirflowException
from airflow_provider_capella._payloads.checks import without_none
from airflow_provider_capella.lineage.record import LineageRecord
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._base import CapellaBaseOperator
from airflow_provider_capella.operators._kinds import RequestKind

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context

FINALIZED = "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"
UPDATE_FIELDS = ("name", "description", "custom_attribute_1", "custom_attribute_2", "product_types")
Results = dict[str, dict[str, Any]]


class BulkRequestOperator(CapellaBaseOperator):
    """Cancel (or, with update fields, update) every id in ``<kind>_request_ids``; fail if any failed."""

    kind: ClassVar[RequestKind]

    def __init__(self, *, fail_on_error: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_on_error = fail_on_error

    def request_ids(self) -> list[str]:
        return _arguments.string_list(self.kind.ids_argument, getattr(self, self.kind.ids_argument))

    def update_fields(self) -> dict[str, Any] | None:
        """Return the fields an update sets; ``None``: cancel."""
        return None

    @lineage.records
    def execute(self, context: Context) -> Results:
        ids = self.request_ids()
        self.lineage.request_ids = ids
        if not ids:
            self.log.info("No %s ids given; nothing to do", self.kind.label)
            return {}
        self.log.info("Processing %d %s(s)", len(ids), self.kind.label)
        fields = self.update_fields()
        if fields is None:
            results = self.forgive_already_canceled(summarize_all(self.kind.call(self.hook, "cancel", *ids)))
        else:
            results = summarize_all(self.kind.call(self.hook, "update", *ids, **fields))
        failed = {request_id: result for request_id, result in results.items() if not result["success"]}
        for request_id, result in failed.items():
            self.log.error("%s %s failed: %s", self.kind.label, request_id, describe(result["error"]))
        self.log.info("%d of %d %s(s) succeeded", len(results) - len(failed), len(results), self.kind.label)
        if failed and self.fail_on_error:
            details = "; ".join(f"{key}: {describe(value['error'])}" for key, value in failed.items())
            raise AirflowException(
                f"{len(failed)} of {len(results)} {self.kind.label}(s) failed (all were processed; "
                f"set fail_on_error=False to succeed anyway): {details}"
            )
        return results

    def forgive_already_canceled(self, results: Results) -> Results:
        """Count a cancel refused because the request is *already* canceled as a success (a task retry)."""
        for request_id, result in results.items():
            if result["success"] or result["error"].get("code") != FINALIZED:
                continue
            try:
                status = tasking_status.latest_status(self.kind.call_on(self.hook, "get", request_id))
            except Exception:
                continue
            if status in tasking_status.CANCELED:
                results[request_id] = {"success": True, "already_canceled": True}
        return results

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        return lineage.facets_on_start(self, lambda: LineageRecord(request_ids=self.request_ids()))

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_complete(self, lineage.no_lookup)


class UpdateRequestsOperator(BulkRequestOperator):
    """Bulk update: the same new ``name``, ``description``, custom attributes or product types per id."""

    fields: ClassVar[tuple[str, ...]] = UPDATE_FIELDS

    def __init__(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        custom_attribute_1: str | None = None,
        custom_attribute_2: str | None = None,
        product_types: list[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.description = description
        self.custom_attribute_1 = custom_attribute_1
        self.custom_attribute_2 = custom_attribute_2
        self.product_types = product_types

    def update_fields(self) -> dict[str, Any]:
        """Return the fields to set (unset ones left alone); the hook rejects an update of nothing."""
        fields = {name: getattr(self, name) for name in self.fields}
        fields["product_types"] = _arguments.structured("product_types", self.product_types)
        return without_none(fields)


def summarize_all(results: dict[str, Any]) -> Results:
    """Reduce each per-id result to ``{"success": bool[, "error": {...}]}``, without the whole Feature."""
    return {
        request_id: {"success": False, "error": dict(result.get("error") or {})}
        if isinstance(result, dict) and result.get("success") is False
        else {"success": True}
        for request_id, result in results.items()
    }


def describe(error: dict[str, Any]) -> str:
    """Describe a per-id error in one line: message and ``[status, code]``."""
    label = ", ".join(str(error[key]) for key in ("status", "code") if error.get(key) is not None)
    return f"{error.get('message') or 'failed'}" + (f" [{label}]" if label else "")
