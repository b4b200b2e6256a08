"""Downloads: resolve the products to fetch, then hand their presigned items to the transfer engine.

The source is items, an order, a tasking request or a collect; the engine moves the bytes and never
sends the API key.

The tasking-request and collect sources **place an order** (billable) unless an active order already
holds the products; the order id and the reviewed cost are logged. An order that has expired (at the
start, or mid-way when its URLs are refused) is replaced under ``reorder_expired`` (see :mod:`._reorder`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella.exceptions import CapellaNoProductsError
from airflow_provider_capella.hooks import _catalog, _orders, _reorder, _requests

if TYPE_CHECKING:
    from airflow_provider_capella.hooks._api import CapellaApi

Items = list[dict[str, Any]]


@dataclass(frozen=True)
class DownloadRequest:
    """Validated ``download_products`` arguments: the source and how to transfer.

    Example::

        request = DownloadRequest.check(order_id=order_id, local_dir="/data", include=["raster"])
    """

    sources: dict[str, Any]
    destination: str
    include: list[str] | None
    exclude: list[str] | None
    product_types: list[str] | None
    override: bool
    separate_dirs: bool
    enable_resume: bool
    concurrency: int | None
    contract_id: str | None
    aws_conn_id: str | None
    stac_ids: list[str] | None
    reorder_expired: str = "if_free"

    @classmethod
    def check(
        cls,
        *,
        sources: dict[str, Any],
        local_dir: Any,
        include: Any,
        exclude: Any,
        product_types: Any,
        flags: dict[str, Any],
        concurrency: int | None,
        contract_id: str | None,
        aws_conn_id: str | None,
        stac_ids: list[str] | None,
        reorder_expired: str = "if_free",
    ) -> DownloadRequest:
        """Check every argument before any request; the source rule: exactly one source."""
        policy = _reorder.reorder_policy(reorder_expired)
        for name, flag in flags.items():
            checks.boolean(name, flag)
        if concurrency is not None:
            checks.number("concurrency", concurrency, minimum=1, maximum=64, integer=True)
        if contract_id is not None:
            checks.text("contract_id", contract_id, allow_empty=False)
        subset = None if stac_ids is None else order_args.stac_ids_of(stac_ids, None)
        if subset is not None and (sources.get("items_presigned") or not sources.get("order_id")):
            checks.fail("stac_ids", "selects products of an order: give it together with order_id")
        source = order_args.one_source(sources)
        if source != "items_presigned":
            checks.uuid_text(source, sources[source])
        return cls(
            sources={source: sources[source]},
            destination=order_args.destination("local_dir", local_dir),
            include=order_args.asset_filter("include", include),
            exclude=order_args.asset_filter("exclude", exclude),
            product_types=order_args.product_types(product_types),
            override=flags["override"],
            separate_dirs=flags["separate_dirs"],
            enable_resume=flags["enable_resume"],
            concurrency=1 if not flags["threaded"] else (int(concurrency) if concurrency else None),
            contract_id=contract_id,
            aws_conn_id=aws_conn_id,
            stac_ids=subset,
            reorder_expired=policy,
        )


def download_products(api: CapellaApi, request: DownloadRequest) -> dict[str, dict[str, str]]:
    """Resolve the source to presigned items, then download them; ``{stac_id: {asset_key: path}}``."""
    items, refresh = resolve_source(api, request)
    wanted_types = request.product_types
    items = filter_product_types(items, wanted_types)
    if not items:
        api.log.warning("Nothing to download: no products match product_types=%s", wanted_types)
        return {}
    api.log.info("Downloading %d product(s) to %s", len(items), request.destination)
    from airflow_provider_capella.transfer import download_products as transfer

    return transfer(
        items,
        request.destination,
        include=request.include,
        exclude=request.exclude,
        separate_dirs=request.separate_dirs,
        override=request.override,
        enable_resume=request.enable_resume,
        concurrency=request.concurrency,
        aws_conn_id=request.aws_conn_id,
        refresh_items=None if refresh is None else (lambda: filter_product_types(refresh(), wanted_types)),
    )


def resolve_source(api: CapellaApi, request: DownloadRequest) -> tuple[Items, Callable[[], Items] | None]:
    """Return the presigned items of the one source, and how to re-fetch them (``None`` for raw items)."""
    ((source, value),) = request.sources.items()
    if source == "items_presigned":
        return presigned_items(value), None
    stac_ids = request.stac_ids
    if source == "order_id":
        order_id = checks.uuid_text("order_id", value)
    else:
        if source == "tasking_request_id":
            collects = _requests.collects_for_task(api, value)
            collect_ids = [str(collect["collectId"]) for collect in collects]
            if not collect_ids:
                raise CapellaNoProductsError(f"tasking request {value} has no collects yet")
        else:
            collect_ids = [checks.uuid_text("collect_id", value)]
        placement, stac_ids = order_collects(api, collect_ids, request.product_types, request.contract_id)
        api.log.info("download_products(%s=%s) %s", source, value, placement.describe())
        order_id = placement.order_id
    source_order = _reorder.OrderSource(
        api,
        order_id,
        stac_ids=stac_ids,
        product_types=request.product_types,
        policy=request.reorder_expired,
        contract_id=request.contract_id,
    )
    items = source_order.presigned()
    missing = sorted(set(request.stac_ids or ()) - {str(item.get("id")) for item in items})
    if missing:
        checks.fail("stac_ids", f"not in order {order_id}: {', '.join(missing[:10])}")
    return items, source_order.presigned


def order_collects(
    api: CapellaApi, collect_ids: list[str], product_types: list[str] | None, contract_id: str | None
) -> tuple[_orders.OrderPlacement, list[str]]:
    """Order (billable) or reuse an active order of every product of the collects; fail clearly if none."""
    filters: dict[str, Any] = {"collect_id__in": collect_ids, "limit": 10_000}
    if product_types:
        filters["product_type__in"] = product_types
    items = _catalog.search(api, filters)
    if not items:
        raise CapellaNoProductsError(
            f"no STAC products found for collect(s) {', '.join(collect_ids)}"
            + (f" with product types {product_types}" if product_types else "")
            + "; they may still be processing"
        )
    stac_ids = [str(item["id"]) for item in items]
    flags = {"check_active_orders": True, "omit_search": True, "omit_review": False}
    return _orders.place_order(api, stac_ids, items, flags, contract_id), stac_ids


def first_product_of_order(api: CapellaApi, order_id: str) -> Items:
    """Return the first presigned product of an order (the deprecated ``download_product``'s source)."""
    presigned = _orders.presigned_items(api, order_id, stac_ids=None, sort_by=None)
    if not presigned:
        raise CapellaNoProductsError(f"order {order_id} has no products")
    if len(presigned) > 1:
        api.log.warning("Order %s holds %d products; downloading the first", order_id, len(presigned))
    return presigned[:1]


def presigned_items(items: Any) -> Items:
    """Check ``items_presigned``: presigned STAC item dicts, each with an ``id`` and ``assets``."""
    checked = []
    for item in checks.as_list("items_presigned", items):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("id"), str)
            or not isinstance(item.get("assets"), dict)
        ):
            checks.fail(
                "items_presigned", "each item must be a presigned STAC item dict with 'id' and 'assets'"
            )
        order_args.check_presigned("items_presigned", item)
        checked.append(item)
    return checked


def filter_product_types(items: Items, product_types: list[str] | None) -> Items:
    """Keep the items whose ``sar:product_type`` is one of ``product_types`` (all when none given)."""
    if not product_types:
        return items
    wanted = set(product_types)
    return [item for item in items if (item.get("properties") or {}).get("sar:product_type") in wanted]
