"""What each Capella operator records for lineage, as one mixin per operator family.

The operators keep their own logic; each one inherits the matching mixin, decorates ``execute`` with
:func:`~.mixin.records_lineage` and hands it what it found (``record_search``, ``record_order``,
``record_download``, ``record_collects``). The mixins only read the operators' arguments.

Example::

    class SubmitOrderOperator(OrderLineage, CapellaBaseOperator):
        @records_lineage
        def execute(self, context):
            self.record_order(stac_ids, items)
            ...
"""

from __future__ import annotations

from typing import Any

from airflow_provider_capella.lineage.mixin import CapellaLineageMixin, records_lineage
from airflow_provider_capella.lineage.record import FileFacts, LineageRecord

__all__ = [
    "BulkLineage",
    "DownloadLineage",
    "OrderLineage",
    "RequestLineage",
    "SearchLineage",
    "SensorLineage",
    "records_lineage",
]


class SearchLineage(CapellaLineageMixin):
    """``CapellaSearchOperator``: every item matched is an input; an ``output_path`` written, an output.

    Example::

        self.record_search(items)  # in execute, right after the search
    """

    aws_conn_id: str | None

    def record_search(self, items: list[dict[str, Any]]) -> None:
        """Record the matched items, described by the search answer itself (no further call)."""
        from airflow_provider_capella.lineage.products import product_from_item

        self.lineage.matched = len(items)
        self.lineage.add_products([product_from_item(item) for item in items])

    def record_output(self, location: str) -> None:
        """Record the FeatureCollection written, with its size and checksum."""
        from airflow_provider_capella.lineage.files import describe_files

        self.lineage.files = [FileFacts(location=location)]
        describe_files(self.lineage.files, self.aws_conn_id or None)


class OrderLineage(CapellaLineageMixin):
    """``SubmitOrderOperator``: the products ordered are the inputs; the order id and console link the run.

    Example::

        self.record_order(stac_ids, items)  # in execute, before ordering
    """

    stac_ids: Any
    items: Any

    def record_order(self, stac_ids: list[str], items: list[dict[str, Any]]) -> None:
        """Record the products to order (described already when given as items)."""
        from airflow_provider_capella.lineage.products import product_from_item

        self.lineage.add_product_ids(stac_ids)
        self.lineage.add_products([product_from_item(item) for item in items])

    def record_placement(self, placement: Any) -> None:
        """Record what ordering cost: the reviewed total of a placed order; nothing new for a reused one."""
        if placement is None:
            return
        self.lineage.order_reused = bool(placement.reused)
        if not placement.reused:
            self.lineage.set_cost(placement.cost, "paid")

    def lineage_at_start(self) -> LineageRecord:
        from airflow_provider_capella.operators import _arguments
        from airflow_provider_capella.operators.orders import stac_items

        self._lineage = None
        self.record_order(_arguments.string_list("stac_ids", self.stac_ids), stac_items("items", self.items))
        return self.lineage


class DownloadLineage(CapellaLineageMixin):
    """``DownloadProductsOperator``: products in, files out (size, checksum), order and tasking ids.

    Example::

        self.record_download(paths)  # in execute, right after the download
    """

    order_id: Any
    items: Any
    tasking_request_id: Any
    collect_id: Any
    aws_conn_id: str | None

    def record_download(self, paths: dict[str, dict[str, str]]) -> None:
        """Record the products downloaded and the files written (described later, when needed)."""
        from airflow_provider_capella.lineage.files import written_files

        record = self.lineage
        record.add_product_ids(list(paths))
        record.files = written_files(paths)
        self._record_source(record)

    def asset_event_extras(self) -> list[tuple[FileFacts, dict[str, Any]]]:
        """Return each file written with the ``extra`` of its Asset event.

        The products are described first (one catalog search), and the files (a read-back checksum or a
        ``HEAD`` each).
        """
        from airflow_provider_capella.lineage.asset_extra import asset_extra

        self._safely("describing the download", lambda: self._describe(self.lineage, self.hook))  # type: ignore[attr-defined]
        return [(file, asset_extra(self.lineage, file)) for file in self.lineage.files]

    def lineage_at_start(self) -> LineageRecord:
        from airflow_provider_capella.operators.download import item_ids

        record = LineageRecord()
        self._record_source(record)
        if self.items is not None:
            record.add_product_ids(item_ids(self.items))
        elif record.order_id:
            hook = self.lineage_hook()
            record.add_product_ids(hook.get_stac_items_of_order(record.order_id, ids_only=True))
        return record

    def lineage_enrich(self, record: LineageRecord) -> None:
        self._describe(record, self.lineage_hook())

    def _record_source(self, record: LineageRecord) -> None:
        from airflow_provider_capella.operators import _arguments

        record.order_id = record.order_id or _arguments.identifier("order_id", self.order_id)
        record.tasking_request_id = record.tasking_request_id or _arguments.identifier(
            "tasking_request_id", self.tasking_request_id
        )
        collect_id = _arguments.identifier("collect_id", self.collect_id)
        if collect_id:
            record.collect_ids = [collect_id]

    def _describe(self, record: LineageRecord, hook: Any) -> None:
        from airflow_provider_capella.lineage.files import describe_files
        from airflow_provider_capella.lineage.products import describe_products

        undescribed = record.undescribed_ids()
        if undescribed:
            record.add_products(describe_products(hook, undescribed, record.tasking_request_id))
        if record.order_id and any(not record.product(i).tasking_request_id for i in record.product_ids):
            from airflow_provider_capella.lineage.products import tasking_request_ids_of_order

            for order in hook.list_orders(record.order_id):
                record.add_tasking_request_ids(tasking_request_ids_of_order(order))
        describe_files(record.files, self.aws_conn_id or None)


class RequestLineage(CapellaLineageMixin):
    """``CreateTaskingRequestOperator``, ``CreateRepeatRequestOperator``: the request id, cost, console link.

    The cost is the one the API quotes: a tasking request's order total, a repeat request's cost per
    image estimate.

    The id is recorded as the operator pushes it; the cost is read from the API only when OpenLineage
    asks for the completed task's facets.

    Example::

        class CreateThingOperator(RequestLineage, CapellaBaseOperator): ...
    """

    def lineage_enrich(self, record: LineageRecord) -> None:
        hook = self.lineage_hook()
        if record.tasking_request_id:
            properties = _properties(hook.get_task(record.tasking_request_id))
            summary = (properties.get("order") or {}).get("summary") or {}
            record.set_cost(summary.get("total"), "quoted")
        if record.repeat_request_id:
            properties = _properties(hook.get_repeat_request(record.repeat_request_id))
            record.set_cost(properties.get("costPerImageEstimate"), "estimated per image")


class BulkLineage(CapellaLineageMixin):
    """Cancel/update operators: the request ids acted on.

    Example::

        self.lineage.request_ids = ids  # in execute
    """

    def request_ids(self) -> list[str]:
        raise NotImplementedError

    def lineage_at_start(self) -> LineageRecord:
        return LineageRecord(request_ids=self.request_ids())

    def lineage_enrich(self, record: LineageRecord) -> None:
        """Nothing to look up: the ids are the facts."""


class SensorLineage(CapellaLineageMixin):
    """``TaskCompletedSensor``: the tasking request waited for and the collects it produced.

    Example::

        self.record_collects(ids)  # when the request completed
    """

    tasking_request_id: Any

    def record_collects(self, collect_ids: list[str]) -> None:
        """Record the collects of the completed request."""
        self.lineage.tasking_request_id = str(self.tasking_request_id)
        self.lineage.collect_ids = list(collect_ids)

    def lineage_at_start(self) -> LineageRecord:
        return LineageRecord(tasking_request_id=str(self.tasking_request_id or "") or None)

    def lineage_enrich(self, record: LineageRecord) -> None:
        record.tasking_request_id = record.tasking_request_id or str(self.tasking_request_id or "") or None


def _properties(answer: Any) -> dict[str, Any]:
    """Return the ``properties`` of a request Feature (or the answer itself when it has none)."""
    if not isinstance(answer, dict):
        return {}
    properties = answer.get("properties")
    return properties if isinstance(properties, dict) else answer
