"""Repeat request operators: create (safe under retries), cancel and update.

Example::

    from airflow_provider_capella.operators.repeat import CreateRepeatRequestOperator

    weekly = CreateRepeatRequestOperator(
        task_id="watch_port",
        geometry="{{ params.aoi | tojson }}",
        name="port watch",
        repeat_start="{{ data_interval_end | ts }}",
        repetition_interval=7,
        repetition_count=12,
        retries=3,
    )
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import REPEAT_ARGUMENTS
from airflow_provider_capella.links import REPEAT_REQUEST_ID_KEY, CapellaRepeatRequestLink
from airflow_provider_capella.operators import _arguments, _bulk
from airflow_provider_capella.operators._create import CreateRequestOperator

if TYPE_CHECKING:
    from airflow.sdk import XComArg


class CreateRepeatRequestOperator(CreateRequestOperator):
    """Create a Capella repeat request (a series of collections, billable); return its id.

    Retry-safe exactly like :class:`~airflow_provider_capella.operators.tasking.CreateTaskingRequestOperator`:
    the description carries a tag derived from the task instance, and a retry reuses the repeat
    request an earlier try created instead of sending another.

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
    :param request_options: any other ``CapellaHook.create_repeat_request`` argument
        (``maintain_scene_framing``, ``look_angle_tolerance``, ``azimuth_angle_tolerance``,
        ``window_duration``, ``insar_orbit``, ``off_nadir_min``, ``polarization``, ...) as a dict or JSON.
    :param idempotency_key: overrides the derived key.
    :param idempotency_lookback: how far back a retry searches (30 days).
    :return: the repeat request id (also pushed as XCom ``capella_repeat_request_id``).

    Example::

        CreateRepeatRequestOperator(
            task_id="repeat",
            geometry={"type": "Point", "coordinates": [-105.27, 40.01]},
            repetition_interval=7,
            repetition_count=4,
        )
    """

    kind = "repeat request"
    accepted_arguments = REPEAT_ARGUMENTS
    id_field = "repeatrequestId"
    description_field = "repeatrequestDescription"
    id_xcom_key = REPEAT_REQUEST_ID_KEY
    template_fields = (
        *CreateRequestOperator.common_template_fields,
        "repeat_start",
        "repeat_end",
        "repetition_interval",
        "repetition_count",
    )
    template_fields_renderers = {"geometry": "json", "request_options": "json"}
    operator_extra_links = (CapellaRepeatRequestLink(),)

    def __init__(
        self,
        *,
        repeat_start: datetime | str | None = None,
        repeat_end: datetime | str | None = None,
        repetition_interval: int | str | None = None,
        repetition_count: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.repeat_start = repeat_start
        self.repeat_end = repeat_end
        self.repetition_interval = repetition_interval
        self.repetition_count = repetition_count

    def specific_arguments(self) -> dict[str, Any]:
        return {
            "repeat_start": self.repeat_start,
            "repeat_end": self.repeat_end,
            "repetition_interval": _arguments.integer("repetition_interval", self.repetition_interval),
            "repetition_count": _arguments.integer("repetition_count", self.repetition_count),
        }

    def create(self, arguments: dict[str, Any]) -> dict[str, Any]:
        return self.hook.create_repeat_request(**arguments)

    def search_recent(self, since: str) -> list[dict[str, Any]]:
        return self.hook.search_repeat_requests(submission_time__gte=since)


# Intended mirror: the Cancel/Update classes below are operators/tasking.py's twins for repeat requests.
# Their behaviour is one implementation (operators/_bulk.py); only the id argument, the hook methods
# (_bulk.REPEAT) and the per-argument docstrings repeat.
class CancelRepeatRequestsOperator(_bulk.CancelRequestsOperator):
    """Cancel repeat requests (and their unfinished collections); return a result per id.

    Every id is attempted; then the task fails when any failed, unless ``fail_on_error=False``. An
    already canceled repeat request counts as success (``"already_canceled": True``).

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param repeat_request_ids: ids as a list, one id, or a JSON list (templated, e.g. from XCom).
    :param fail_on_error: fail the task when any id failed (default ``True``).
    :return: ``{id: {"success": True}}`` or ``{id: {"success": False, "error": {status, code, message}}}``.

    Example::

        CancelRepeatRequestsOperator(task_id="stop", repeat_request_ids=["..."])
    """

    ops = _bulk.REPEAT
    template_fields = ("capella_conn_id", "repeat_request_ids")

    def __init__(self, *, repeat_request_ids: list[str] | str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repeat_request_ids = repeat_request_ids


class UpdateRepeatRequestsOperator(_bulk.UpdateRequestsOperator):
    """Set the same fields on several repeat requests; return a result per id.

    Every id is attempted; then the task fails when any failed, unless ``fail_on_error=False``.

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param repeat_request_ids: ids as a list, one id, or a JSON list (templated).
    :param name: the new name.
    :param description: the new description.
    :param custom_attribute_1: the new first tracking value.
    :param custom_attribute_2: the new second tracking value.
    :param product_types: new product types (list or JSON list).
    :param fail_on_error: fail the task when any id failed (default ``True``).
    :return: ``{id: {"success": True}}`` or ``{id: {"success": False, "error": {...}}}``.

    Example::

        UpdateRepeatRequestsOperator(task_id="describe", repeat_request_ids=["..."], name="port watch")
    """

    ops = _bulk.REPEAT
    template_fields = ("capella_conn_id", "repeat_request_ids", *_bulk.UPDATE_TEMPLATE_FIELDS)

    def __init__(self, *, repeat_request_ids: list[str] | str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repeat_request_ids = repeat_request_ids
