"""``DownloadProductsOperator``: products of an order, items, a tasking request or a collect → disk or S3."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, AssetAlias

from airflow_provider_capella import lineage
from airflow_provider_capella._compat import AirflowFailException, AirflowSkipException
from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads.costs import optional_cost_limit
from airflow_provider_capella._payloads.orders import one_source
from airflow_provider_capella.exceptions import CapellaCostLimitError
from airflow_provider_capella.lineage.describe import describe_download
from airflow_provider_capella.lineage.record import LineageRecord, asset_extra, written_files
from airflow_provider_capella.links import ORDER_ID_KEY, CapellaOrderLink
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._base import CapellaBaseOperator

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context, XComArg

DEFAULT_ASSET_ALIAS = "capella-imagery"
SOURCES = ("order_id", "tasking_request_id", "collect_id")


class DownloadProductsOperator(CapellaBaseOperator):
    """Download Capella products to a folder or ``s3://bucket/prefix``; return what landed where.

    Exactly one source; what no active order holds is **ordered first (billable)** (docs/operators.md).

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param destination: a local folder or ``s3://bucket/prefix`` (templated).
    :param order_id: an order id.
    :param items: STAC ids or item dicts (a list, one, or a JSON list); ordered unless ``order_id``.
    :param tasking_request_id: a completed tasking request (its products are ordered: billable).
    :param collect_id: a collect (its products are ordered: billable).
    :param include: asset keys to fetch (``raster``, ``HH``, ``metadata``, ``thumbnail``, ...).
    :param exclude: asset keys to leave out (wins over ``include``).
    :param product_types: only these product types (e.g. ``["GEO"]``).
    :param aws_conn_id: AWS connection for an ``s3://`` destination (default: boto3's credential chain).
    :param concurrency: parallel connections (default: the engine's).
    :param reorder_expired: an expired order: ``"if_free"`` (default: if free), ``"always"``, ``"never"``.
    :param max_cost: the most each order placed here may cost; it only lowers ``[capella] max_order_cost``.
    :param override: download again even when complete files are there.
    :param separate_dirs: one folder per product (default ``True``).
    :param contract_id: the contract charged when products have to be ordered.
    :param asset_alias: the asset alias events are emitted through; ``None`` emits none.

    Example::

        DownloadProductsOperator(task_id="download", tasking_request_id=create.output,
                                 destination="s3://my-bucket/capella/", include=["raster", "metadata"])
    """

    template_fields = (
        "capella_conn_id",
        "destination",
        "order_id",
        "items",
        "tasking_request_id",
        "collect_id",
        "include",
        "exclude",
        "product_types",
        "aws_conn_id",
        "contract_id",
        "reorder_expired",
        "max_cost",
    )
    operator_extra_links = (CapellaOrderLink(),)

    def __init__(
        self,
        *,
        destination: str,
        order_id: str | XComArg | None = None,
        items: list[Any] | str | XComArg | None = None,
        tasking_request_id: str | XComArg | None = None,
        collect_id: str | XComArg | None = None,
        include: list[str] | str | None = None,
        exclude: list[str] | str | None = None,
        product_types: list[str] | str | None = None,
        aws_conn_id: str | None = None,
        concurrency: int | None = None,
        override: bool = False,
        separate_dirs: bool = True,
        contract_id: str | None = None,
        asset_alias: str | None = DEFAULT_ASSET_ALIAS,
        reorder_expired: str = "if_free",
        max_cost: float | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.destination = destination
        self.order_id = order_id
        self.items = items
        self.tasking_request_id = tasking_request_id
        self.collect_id = collect_id
        self.include = include
        self.exclude = exclude
        self.product_types = product_types
        self.aws_conn_id = aws_conn_id
        self.concurrency = concurrency
        self.override = override
        self.separate_dirs = separate_dirs
        self.contract_id = contract_id
        self.asset_alias = asset_alias
        self.reorder_expired = reorder_expired
        self.max_cost = max_cost
        if asset_alias and AssetAlias(asset_alias) not in self.outlets:
            self.outlets = [*self.outlets, AssetAlias(asset_alias)]

    @lineage.records
    def execute(self, context: Context) -> dict[str, dict[str, str]]:
        try:
            paths = self.download(context)
        except CapellaCostLimitError as error:
            raise AirflowFailException(f"{error}; nothing was ordered") from error
        self.lineage.add_product_ids(list(paths))
        self.lineage.files = written_files(paths)
        self.record_source(self.lineage)
        files = sum(len(assets) for assets in paths.values())
        self.log.info("%d file(s) of %d product(s) are at %s", files, len(paths), self.destination)
        if self.asset_alias and paths:
            self.emit_asset_events(context, self.asset_alias)
        return paths

    def sources(self) -> dict[str, str | None]:
        return {name: checks.text(name, getattr(self, name) or "").strip() or None for name in SOURCES}

    def download(self, context: Context) -> dict[str, dict[str, str]]:
        """Download from the one source given (here ``items`` may accompany ``order_id``)."""
        options: dict[str, Any] = {
            "local_dir": self.destination,
            "include": _arguments.structured("include", self.include) or None,
            "exclude": _arguments.structured("exclude", self.exclude) or None,
            "product_types": _arguments.structured("product_types", self.product_types) or None,
            "override": self.override,
            "separate_dirs": self.separate_dirs,
            "aws_conn_id": self.aws_conn_id or None,
            "concurrency": _arguments.integer("concurrency", self.concurrency),
            "reorder_expired": self.reorder_expired,
            "max_cost": optional_cost_limit("max_cost", self.max_cost),
        }
        ids = self.sources()
        order_id = ids["order_id"]
        source = one_source(
            {"order_id": order_id, "items": None if order_id else self.items, **ids},
            note="items may accompany order_id to download only those products of the order",
        )
        if self.items is not None:
            stac_ids = _arguments.string_list("items", self.items, items=True)
            if not stac_ids:
                raise AirflowSkipException("Nothing to download: no STAC ids or items given (empty search?)")
            order_id = order_id or self.hook.submit_order(
                stac_ids=stac_ids,
                check_active_orders=True,
                contract_id=self.contract_id or None,
                max_cost=options["max_cost"],
            )
            options["stac_ids"] = stac_ids
        elif source != "order_id":
            given: dict[str, Any] = {source: ids[source]}
            self.log.info("Downloading from %s places an order (billable) unless one is active", given)
            return self.hook.download_products(**given, contract_id=self.contract_id or None, **options)
        self.push(context, ORDER_ID_KEY, order_id)
        return self.hook.download_products(order_id=order_id, **options)

    def emit_asset_events(self, context: Context, alias: str) -> None:
        """Emit one Asset event per file written (products and files described) through ``asset_alias``."""
        try:
            describe_download(self.lineage, self.hook, self.aws_conn_id or None)
        except Exception as error:  # lineage never fails the download it describes
            self.log.warning("Describing the download failed (%s); the events carry what is known", error)
        events = context["outlet_events"][AssetAlias(alias)]
        for file in self.lineage.files:
            uri = file.location if file.is_s3 else "file://" + os.path.abspath(file.location)
            events.add(Asset(uri), extra=asset_extra(self.lineage, file))
        self.log.info("Emitted asset events through the alias %r", alias)

    def record_source(self, record: LineageRecord) -> None:
        """Record the order, tasking request or collect the products come from."""
        ids = self.sources()
        record.order_id = record.order_id or ids["order_id"]
        record.tasking_request_id = record.tasking_request_id or ids["tasking_request_id"]
        if ids["collect_id"]:
            record.collect_ids = [ids["collect_id"]]

    def products_named(self) -> LineageRecord:
        """Return a record of what the arguments name: the source, and the products (an order's, listed)."""
        record = LineageRecord()
        self.record_source(record)
        if self.items is not None:
            record.add_product_ids(_arguments.string_list("items", self.items, items=True))
        elif record.order_id:
            record.add_product_ids(
                self.new_hook().get_stac_items_of_order(order_id=record.order_id, ids_only=True)
            )
        return record

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        return lineage.facets_on_start(self, self.products_named)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_complete(
            self, functools.partial(describe_download, aws_conn_id=self.aws_conn_id or None)
        )
