"""Repeat request operators: create (safe under retries), cancel and update."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.hooks._quotes import TASKING_COST_SETTING, cost_cap
from airflow_provider_capella.links import CapellaRepeatRequestLink
from airflow_provider_capella.operators._bulk import BulkRequestOperator, UpdateRequestsOperator
from airflow_provider_capella.operators._kinds import REPEAT
from airflow_provider_capella.operators._requests import CreateRequestOperator
from airflow_provider_capella.operators._review import Limits

if TYPE_CHECKING:
    from airflow.sdk import XComArg


class CreateRepeatRequestOperator(CreateRequestOperator):
    """Create a Capella repeat request (a series of collections, billable), once; return its id.

    Within its cost limits it approves the quote, else rejects it and fails (docs/cost-safety.md).

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param geometry: GeoJSON Point or Polygon: a dict or a JSON string.
    :param name: request name.
    :param description: free text (the idempotency tag is appended).
    :param repeat_start: first day of the series (datetime or ISO 8601; default: now).
    :param repeat_end: last day; mutually exclusive with ``repetition_count``.
    :param repetition_interval: days between collections (default 7).
    :param repetition_count: how many collections in all.
    :param collection_type: ``spotlight`` (default), ...
    :param collection_tier: ``routine`` (default), ``flexible``, ...
    :param product_types: products to make.
    :param local_time: ``day``, ``night``, ``anytime`` or ``[[start, end], ...]`` seconds of the day.
    :param custom_attribute_1: free text echoed by the API.
    :param custom_attribute_2: a second free text echoed by the API.
    :param contract_id: the contract to charge.
    :param request_options: other ``CapellaHook.create_repeat_request`` arguments (dict or JSON object).
    :param idempotency_key: overrides the derived key.
    :param idempotency_lookback: how far back a retry searches (30 days).
    :param max_cost_per_image: the most one collection may cost (quote's currency; ``None``: no limit).
    :param max_cost: the most the whole series may cost (``None``: no limit).
    :param deferrable: wait for the quote in the triggerer (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between checks for the quote (default 30).
    :param timeout: the most seconds (or a timedelta) to wait for the quote (default 1 hour).

    Example::

        CreateRepeatRequestOperator(task_id="repeat", geometry=aoi, repetition_interval=7, repetition_count=4,
                                    max_cost_per_image=3000, max_cost=12000)
    """

    kind = REPEAT
    specific = ("repeat_start", "repeat_end", "repetition_interval", "repetition_count")
    template_fields = (*CreateRequestOperator.common_fields, *specific, "max_cost_per_image", "max_cost")
    operator_extra_links = (CapellaRepeatRequestLink(),)

    def __init__(
        self,
        *,
        repeat_start: datetime | str | None = None,
        repeat_end: datetime | str | None = None,
        repetition_interval: int | str | None = None,
        repetition_count: int | str | None = None,
        max_cost_per_image: float | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.repeat_start = repeat_start
        self.repeat_end = repeat_end
        self.repetition_interval = repetition_interval
        self.repetition_count = repetition_count
        self.max_cost_per_image = max_cost_per_image

    def cost_limits(self) -> Limits:
        return (
            cost_cap(TASKING_COST_SETTING, "max_cost_per_image", self.max_cost_per_image, self.log),
            cost_cap(None, "max_cost", self.max_cost),
        )


class CancelRepeatRequestsOperator(BulkRequestOperator):
    """Cancel repeat requests and their unfinished collections; return ``{id: {"success": bool, ...}}``.

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param repeat_request_ids: ids as a list, one id, or a JSON list (templated, e.g. from XCom).
    :param fail_on_error: fail the task when any id failed (default ``True``).

    Example::

        CancelRepeatRequestsOperator(task_id="stop", repeat_request_ids=["..."])
    """

    kind = REPEAT
    template_fields = ("capella_conn_id", "repeat_request_ids")

    def __init__(self, *, repeat_request_ids: list[str] | str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repeat_request_ids = repeat_request_ids


class UpdateRepeatRequestsOperator(UpdateRequestsOperator):
    """Set the same fields on several series; return a result per id.

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param repeat_request_ids: ids as a list, one id, or a JSON list (templated).
    :param name: the new name of each series.
    :param description: the new description (it drops the tag ``CreateRepeatRequestOperator`` added).
    :param custom_attribute_1: the new first tracking value.
    :param custom_attribute_2: the new second tracking value.
    :param product_types: the new product types of the series (list or JSON list).
    :param fail_on_error: fail the task when any id failed (default ``True``).

    Example::

        UpdateRepeatRequestsOperator(task_id="describe", repeat_request_ids=["..."], name="port watch")
    """

    kind = REPEAT
    template_fields = ("capella_conn_id", "repeat_request_ids", *UpdateRequestsOperator.fields)

    def __init__(self, *, repeat_request_ids: list[str] | str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repeat_request_ids = repeat_request_ids
