"""Cancel and update many requests at once, for tasking and repeat requests alike.

One implementation, parametrised by a :class:`RequestOps` (which hook methods to call): one result per
id, and the task fails only after every id was attempted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_capella import tasking_status
from airflow_provider_capella._payloads.checks import without_none
from airflow_provider_capella.lineage.operators import BulkLineage, records_lineage
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._base import CapellaBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_capella.hooks.capella import CapellaHook

FINALIZED = "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"
UPDATE_TEMPLATE_FIELDS = ("name", "description", "custom_attribute_1", "custom_attribute_2", "product_types")


@dataclass(frozen=True)
class RequestOps:
    """The hook methods behind the bulk operators of one request kind, by name.

    Example::

        ops = RequestOps("tasking request", "cancel_tasking_requests", "update_tasking_requests", "get_task")
        results = ops.cancel(hook, ["6a8e5c2f-2a0e-4d3b-9d5f-0f1e2d3c4b5a"])
    """

    label: str
    cancel_method: str
    update_method: str
    get_method: str

    @property
    def ids_argument(self) -> str:
        """Return the operator argument holding the ids, e.g. ``tasking_request_ids``."""
        return self.label.replace(" ", "_") + "_ids"

    def cancel(self, hook: CapellaHook, ids: list[str]) -> dict[str, Any]:
        """Cancel ``ids`` through the hook; per-id results."""
        return getattr(hook, self.cancel_method)(*ids)

    def update(self, hook: CapellaHook, ids: list[str], fields: dict[str, Any]) -> dict[str, Any]:
        """Set ``fields`` on ``ids`` through the hook; per-id results."""
        return getattr(hook, self.update_method)(*ids, **fields)

    def get(self, hook: CapellaHook, request_id: str) -> dict[str, Any]:
        """Fetch one request through the hook."""
        return getattr(hook, self.get_method)(request_id)


TASKING = RequestOps("tasking request", "cancel_tasking_requests", "update_tasking_requests", "get_task")
REPEAT = RequestOps(
    "repeat request", "cancel_repeat_requests", "update_repeat_requests", "get_repeat_request"
)


class BulkRequestOperator(BulkLineage, CapellaBaseOperator):
    """Apply one action to every id of ``ops.ids_argument``; report per id; then fail if any failed.

    Returns ``{id: {"success": True}}`` or ``{id: {"success": False, "error": {"status", "code",
    "message"}}}``; the task fails after all ids ran when any failed, unless ``fail_on_error=False``.

    :param fail_on_error: fail the task when any id failed (default ``True``).

    Example::

        class CancelThingsOperator(BulkRequestOperator):
            ops = THINGS
            def run(self, ids): return summarize_all(self.ops.cancel(self.hook, ids))
    """

    ops: ClassVar[RequestOps]

    def __init__(self, *, fail_on_error: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_on_error = fail_on_error

    def request_ids(self) -> list[str]:
        """Return the ids to act on, parsed from the (rendered) ids argument."""
        return parse_ids(self.ops.ids_argument, getattr(self, self.ops.ids_argument))

    def run(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Act on every id; ``{id: {"success": ...}}`` (see :func:`summarize_all`)."""
        raise NotImplementedError

    @records_lineage
    def execute(self, context: Context) -> dict[str, dict[str, Any]]:
        ids = self.request_ids()
        self.lineage.request_ids = ids
        if not ids:
            self.log.info("No %s ids given; nothing to do", self.ops.label)
            return {}
        self.log.info("Processing %d %s(s)", len(ids), self.ops.label)
        return self.finish(self.run(ids))

    def finish(self, results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Log each failure; fail the task when any id failed, unless ``fail_on_error=False``."""
        kind = self.ops.label
        failed = {request_id: result for request_id, result in results.items() if not result["success"]}
        for request_id, result in failed.items():
            self.log.error("%s %s failed: %s", kind, request_id, describe(result["error"]))
        self.log.info("%d of %d %s(s) succeeded", len(results) - len(failed), len(results), kind)
        if failed and self.fail_on_error:
            from airflow_provider_capella._compat import AirflowException

            details = "; ".join(f"{key}: {describe(value['error'])}" for key, value in failed.items())
            raise AirflowException(
                f"{len(failed)} of {len(results)} {kind}(s) failed (all were processed; "
                f"set fail_on_error=False to succeed anyway): {details}"
            )
        return results


class CancelRequestsOperator(BulkRequestOperator):
    """Cancel every id; an id that is already canceled counts as success (``"already_canceled"``).

    So a retried task does not fail on the ids its first try canceled.

    Example::

        class CancelTaskingRequestsOperator(CancelRequestsOperator):
            ops = TASKING
    """

    def run(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Cancel the ids, then forgive the ones refused because they are canceled already."""
        results = summarize_all(self.ops.cancel(self.hook, ids))
        return forgive_already_canceled(results, self.latest_status)

    def latest_status(self, request_id: str) -> str | None:
        """Return the request's newest status code."""
        return tasking_status.latest_status(self.ops.get(self.hook, request_id))


class UpdateRequestsOperator(BulkRequestOperator):
    """Bulk update: the same new ``name``, ``description``, custom attributes or product types per id.

    :param name: the new name.
    :param description: the new description.
    :param custom_attribute_1: the new first tracking value.
    :param custom_attribute_2: the new second tracking value.
    :param product_types: the new product types (a list or a JSON list).

    Example::

        class UpdateTaskingRequestsOperator(UpdateRequestsOperator):
            ops = TASKING
    """

    update_template_fields: ClassVar[tuple[str, ...]] = UPDATE_TEMPLATE_FIELDS

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
        return without_none(
            {
                "name": self.name,
                "description": self.description,
                "custom_attribute_1": self.custom_attribute_1,
                "custom_attribute_2": self.custom_attribute_2,
                "product_types": _arguments.structured("product_types", self.product_types),
            }
        )

    def run(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Update every id with the same fields."""
        return summarize_all(self.ops.update(self.hook, ids, self.update_fields()))


def parse_ids(argument: str, value: Any) -> list[str]:
    """Return ids from a list, one id, or a JSON list (e.g. rendered from upstream XCom)."""
    return _arguments.string_list(argument, value)


def summarize_all(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Reduce each of the hook's per-id results (updated Features or error dicts) with :func:`summarize`."""
    return {request_id: summarize(result) for request_id, result in results.items()}


def summarize(result: Any) -> dict[str, Any]:
    """Return ``{"success": bool[, "error": {...}]}``: the per-id result without the whole Feature."""
    if isinstance(result, dict) and result.get("success") is False:
        return {"success": False, "error": dict(result.get("error") or {})}
    return {"success": True}


def describe(error: dict[str, Any]) -> str:
    """Describe a per-id error in one line: message and ``[status, code]``."""
    label = ", ".join(str(error[key]) for key in ("status", "code") if error.get(key) is not None)
    return f"{error.get('message') or 'failed'}" + (f" [{label}]" if label else "")


def forgive_already_canceled(
    results: dict[str, dict[str, Any]], latest_status: Callable[[str], str | None]
) -> dict[str, dict[str, Any]]:
    """Count a cancel refused because the request is *already* canceled as a success (a task retry)."""
    settled = dict(results)
    for request_id, result in results.items():
        if result["success"] or (result.get("error") or {}).get("code") != FINALIZED:
            continue
        try:
            status = latest_status(request_id)
        except Exception:
            continue
        if status in tasking_status.CANCELED:
            settled[request_id] = {"success": True, "already_canceled": True}
    return settled
