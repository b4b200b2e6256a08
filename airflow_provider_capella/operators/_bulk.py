"""Cancel and update many requests at once: one result per id, and the task fails only after all ran."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_capella.lineage.operators import BulkLineage, records_lineage
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._base import CapellaBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

FINALIZED = "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"


class BulkRequestOperator(BulkLineage, CapellaBaseOperator):
    """Apply one action to every id; return ``{id: {"success": True}}`` or ``{id: {"success": False,
    "error": {"status", "code", "message"}}}``; then fail if any id failed, unless ``fail_on_error=False``.

    Example::

        class CancelThingsOperator(BulkRequestOperator):
            def run(self, ids): return self.hook.cancel_things(*ids)
    """

    kind: ClassVar[str] = "request"
    ids_argument: ClassVar[str] = "ids"

    def __init__(self, *, fail_on_error: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_on_error = fail_on_error

    def request_ids(self) -> list[str]:
        raise NotImplementedError

    def run(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """``{id: {"success": ...}}`` for every id (see :func:`summarize_all`)."""
        raise NotImplementedError

    @records_lineage
    def execute(self, context: Context) -> dict[str, dict[str, Any]]:
        ids = self.request_ids()
        self.lineage.request_ids = ids
        if not ids:
            self.log.info("No %s ids given; nothing to do", self.kind)
            return {}
        self.log.info("Processing %d %s(s)", len(ids), self.kind)
        return self.finish(self.run(ids))

    def finish(self, results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        failed = {request_id: result for request_id, result in results.items() if not result["success"]}
        for request_id, result in failed.items():
            self.log.error("%s %s failed: %s", self.kind, request_id, describe(result["error"]))
        self.log.info("%d of %d %s(s) succeeded", len(results) - len(failed), len(results), self.kind)
        if failed and self.fail_on_error:
            from airflow.sdk.exceptions import AirflowException

            details = "; ".join(f"{key}: {describe(value['error'])}" for key, value in failed.items())
            raise AirflowException(
                f"{len(failed)} of {len(results)} {self.kind}(s) failed (all were processed; "
                f"set fail_on_error=False to succeed anyway): {details}"
            )
        return results


class UpdateRequestsOperator(BulkRequestOperator):
    """Bulk update: the same new ``name``, ``description``, custom attributes or product types for every id.

    Example::

        class UpdateThingsOperator(UpdateRequestsOperator):
            def run(self, ids): return summarize_all(self.hook.update_things(*ids, **self.update_fields()))
    """

    update_template_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "description",
        "custom_attribute_1",
        "custom_attribute_2",
        "product_types",
    )

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
        """The fields to set (unset ones left alone); the hook rejects an update of nothing."""
        return _arguments.without_none(
            {
                "name": self.name,
                "description": self.description,
                "custom_attribute_1": self.custom_attribute_1,
                "custom_attribute_2": self.custom_attribute_2,
                "product_types": _arguments.structured("product_types", self.product_types),
            }
        )


def parse_ids(argument: str, value: Any) -> list[str]:
    """Ids from a list, one id, or a JSON list (e.g. rendered from upstream XCom)."""
    return _arguments.string_list(argument, value)


def summarize_all(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The hook's per-id results (updated Features or error dicts), each reduced by :func:`summarize`."""
    return {request_id: summarize(result) for request_id, result in results.items()}


def summarize(result: Any) -> dict[str, Any]:
    """``{"success": bool[, "error": {...}]}``: the per-id result without the whole updated Feature."""
    if isinstance(result, dict) and result.get("success") is False:
        return {"success": False, "error": dict(result.get("error") or {})}
    return {"success": True}


def describe(error: dict[str, Any]) -> str:
    label = ", ".join(str(error[key]) for key in ("status", "code") if error.get(key) is not None)
    return f"{error.get('message') or 'failed'}" + (f" [{label}]" if label else "")


def forgive_already_canceled(
    results: dict[str, dict[str, Any]], latest_status: Callable[[str], str | None]
) -> dict[str, dict[str, Any]]:
    """A cancel refused because the request is *already* canceled succeeded (e.g. on a task retry)."""
    settled = dict(results)
    for request_id, result in results.items():
        if result["success"] or (result.get("error") or {}).get("code") != FINALIZED:
            continue
        try:
            status = latest_status(request_id)
        except Exception:
            continue
        if status in ("canceled", "cancelled"):
            settled[request_id] = {"success": True, "already_canceled": True}
    return settled
