"""Tasking request operators: create (safe under retries), cancel and update."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.links import CapellaTaskingRequestLink
from airflow_provider_capella.operators._bulk import BulkRequestOperator, UpdateRequestsOperator
from airflow_provider_capella.operators._kinds import TASKING
from airflow_provider_capella.operators._requests import CreateRequestOperator

if TYPE_CHECKING:
    from airflow.sdk import XComArg


class CreateTaskingRequestOperator(CreateRequestOperator):
    """Create a Capella tasking request (a new collection, billable), once; return its id.

    Within ``max_cost`` it approves the quote, else rejects it and fails (docs/cost-safety.md).

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param geometry: GeoJSON Point or Polygon: a dict, or a JSON string (e.g. ``{{ params.aoi | tojson }}``).
    :param name: request name.
    :param description: free text (the idempotency tag is appended).
    :param window_open: start of the collection window (datetime or ISO 8601; default: now).
    :param window_close: end of the window (default: open + 7 days).
    :param collection_type: ``spotlight`` (default), ``stripmap``, ...
    :param collection_tier: ``urgent``, ``priority``, ``standard`` (default), ``flexible``.
    :param product_types: products to make (list or JSON list).
    :param local_time: ``day``, ``night``, ``anytime`` or ``[[start, end], ...]`` seconds of the day.
    :param custom_attribute_1: free text echoed by the API.
    :param custom_attribute_2: a second free text echoed by the API.
    :param contract_id: the contract to charge.
    :param pre_approval: skip the cost review step.
    :param request_options: other ``CapellaHook.create_tasking_request`` arguments (dict or JSON object).
    :param idempotency_key: overrides the derived key (e.g. for two deployments on one account).
    :param idempotency_lookback: how far back a retry searches (30 days).
    :param max_cost: the most it may cost, in the quote's currency (``None``: no limit, no wait).
    :param deferrable: wait for the quote in the triggerer (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between checks for the quote (default 30).
    :param timeout: the most seconds (or a timedelta) to wait for the quote (default 1 hour).

    Example::

        CreateTaskingRequestOperator(task_id="task", geometry=aoi, request_options={"off_nadir_max": 30},
                                     window_open="{{ data_interval_end | ts }}", max_cost=5000, retries=2)
    """

    kind = TASKING
    specific = ("window_open", "window_close", "pre_approval")
    template_fields = (*CreateRequestOperator.common_fields, "window_open", "window_close", "max_cost")
    operator_extra_links = (CapellaTaskingRequestLink(),)

    def __init__(
        self,
        *,
        window_open: datetime | str | None = None,
        window_close: datetime | str | None = None,
        pre_approval: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.window_open = window_open
        self.window_close = window_close
        self.pre_approval = pre_approval


class CancelTaskingRequestsOperator(BulkRequestOperator):
    """Cancel tasking requests (cancellation fees may apply); return ``{id: {"success": bool, ...}}``.

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param tasking_request_ids: ids as a list, one id, or a JSON list (templated, e.g. from XCom).
    :param fail_on_error: fail the task when any id failed (default ``True``).

    Example::

        CancelTaskingRequestsOperator(task_id="cancel", tasking_request_ids="{{ ti.xcom_pull('task') }}")
    """

    kind = TASKING
    template_fields = ("capella_conn_id", "tasking_request_ids")

    def __init__(self, *, tasking_request_ids: list[str] | str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasking_request_ids = tasking_request_ids


class UpdateTaskingRequestsOperator(UpdateRequestsOperator):
    """Set the same fields on several tasking requests; return a result per id (as the cancel does).

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param tasking_request_ids: ids as a list, one id, or a JSON list (templated).
    :param name: the new name.
    :param description: the new description (it drops the tag ``CreateTaskingRequestOperator`` added).
    :param custom_attribute_1: the new first tracking value.
    :param custom_attribute_2: the new second tracking value.
    :param product_types: new product types (list or JSON list).
    :param fail_on_error: fail the task when any id failed (default ``True``).

    Example::

        UpdateTaskingRequestsOperator(task_id="tag", tasking_request_ids=ids, custom_attribute_1="{{ ds }}")
    """

    kind = TASKING
    template_fields = ("capella_conn_id", "tasking_request_ids", *UpdateRequestsOperator.fields)

    def __init__(self, *, tasking_request_ids: list[str] | str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasking_request_ids = tasking_request_ids


__all__ = ["CancelTaskingRequestsOperator", "CreateTaskingRequestOperator", "UpdateTaskingRequestsOperator"]
