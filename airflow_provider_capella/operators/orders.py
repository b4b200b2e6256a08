"""``SubmitOrderOperator``: order STAC products (reusing an active order that holds them); return its id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_capella import lineage
from airflow_provider_capella._compat import AirflowFailException, AirflowSkipException
from airflow_provider_capella._payloads.costs import optional_cost_limit
from airflow_provider_capella.exceptions import CapellaCostLimitError
from airflow_provider_capella.lineage.record import LineageRecord, product_from_item
from airflow_provider_capella.links import ORDER_ID_KEY, CapellaOrderLink
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._base import CapellaBaseOperator

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context, XComArg


class SubmitOrderOperator(CapellaBaseOperator):
    """Order STAC products; return the order id.

    An active order already holding every product is reused (``check_active_orders``), so a retry never
    pays twice. With nothing to order (an empty search upstream) the task is skipped.

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param stac_ids: STAC ids: a list (e.g. ``CapellaSearchOperator``'s output), one id, or a JSON list.
    :param items: STAC items (dicts) instead of ids, e.g. from ``return_items=True``.
    :param check_active_orders: reuse an active order holding all of them (default ``True``).
    :param omit_search: trust ``items`` without looking them up again.
    :param omit_review: skip the cost review.
    :param contract_id: the contract to charge.
    :param max_cost: the most the order may cost (quote's currency); above it the task fails, unordered.

    Example::

        SubmitOrderOperator(task_id="order", stac_ids=search.output, max_cost=2000)
    """

    template_fields = ("capella_conn_id", "stac_ids", "items", "contract_id", "max_cost")
    operator_extra_links = (CapellaOrderLink(),)

    def __init__(
        self,
        *,
        stac_ids: list[str] | str | XComArg | None = None,
        items: list[dict[str, Any]] | str | XComArg | None = None,
        check_active_orders: bool = True,
        omit_search: bool = False,
        omit_review: bool = False,
        contract_id: str | None = None,
        max_cost: float | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.stac_ids = stac_ids
        self.items = items
        self.check_active_orders = check_active_orders
        self.omit_search = omit_search
        self.omit_review = omit_review
        self.contract_id = contract_id
        self.max_cost = max_cost

    @lineage.records
    def execute(self, context: Context) -> str:
        max_cost = optional_cost_limit("max_cost", self.max_cost)
        self.lineage = self.products_named()
        if not self.lineage.product_ids:
            raise AirflowSkipException("Nothing to order: no STAC ids or items were given (empty search?)")
        try:
            order_id = self.hook.submit_order(
                stac_ids=_arguments.string_list("stac_ids", self.stac_ids) or None,
                items=_arguments.stac_items("items", self.items) or None,
                check_active_orders=self.check_active_orders,
                omit_search=self.omit_search,
                omit_review=self.omit_review,
                contract_id=self.contract_id or None,
                max_cost=max_cost,
            )
        except CapellaCostLimitError as error:
            raise AirflowFailException(f"{error}; nothing was ordered") from error
        placement = self.hook.last_order_placement  # paid: a placed order's reviewed total; a reused one, 0
        if placement is not None:
            self.lineage.order_reused = bool(placement.reused)
            if not placement.reused:
                self.lineage.set_cost(placement.cost, "paid")
        self.push(context, ORDER_ID_KEY, order_id)
        return order_id

    def products_named(self) -> LineageRecord:
        """Return a record of the products to order (described already when given as items)."""
        record = LineageRecord()
        record.add_product_ids(_arguments.string_list("stac_ids", self.stac_ids))
        record.add_products([product_from_item(item) for item in _arguments.stac_items("items", self.items)])
        return record

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        return lineage.facets_on_start(self, self.products_named)
