"""Product facts from STAC items: product type, collect, tasking request, acquisition time, footprint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_capella.lineage.record import ProductFacts

if TYPE_CHECKING:
    from airflow_provider_capella.hooks.capella import CapellaHook

MAX_IDS_PER_SEARCH = 10_000


def product_from_item(item: dict[str, Any], tasking_request_id: str | None = None) -> ProductFacts:
    """Return the lineage facts of one STAC item (a catalog search answer or a presigned order item).

    Example::

        facts = product_from_item(hook.search(ids=[stac_id])[0])
        facts.product_type, facts.collect_id
    """
    properties = item.get("properties") or {}
    geometry = item.get("geometry")
    return ProductFacts(
        stac_id=str(item["id"]),
        collection=_text(item.get("collection")),
        product_type=_text(properties.get("sar:product_type")),
        collect_id=_text(properties.get("capella:collect_id")),
        tasking_request_id=tasking_request_id
        or _text(properties.get("capella:tasking_request_id") or properties.get("taskingRequestId")),
        acquisition_time=_text(properties.get("datetime")),
        acquisition_start=_text(properties.get("start_datetime")),
        acquisition_end=_text(properties.get("end_datetime")),
        footprint=geometry if isinstance(geometry, dict) else None,
    )


def describe_products(
    hook: CapellaHook, stac_ids: list[str], tasking_request_id: str | None = None
) -> list[ProductFacts]:
    """Catalog facts of ``stac_ids`` with one search per 10,000 ids; ids the catalog lacks are left out.

    Example::

        products = describe_products(hook, ["CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010"])
    """
    found: list[ProductFacts] = []
    for start in range(0, len(stac_ids), MAX_IDS_PER_SEARCH):
        chunk = stac_ids[start : start + MAX_IDS_PER_SEARCH]
        items = hook.search(ids=chunk, limit=len(chunk))
        found.extend(product_from_item(item, tasking_request_id) for item in items)
    return found


def tasking_request_ids_of_order(order: dict[str, Any]) -> dict[str, str]:
    """``{stac_id: tasking request id}`` from an order's items (the API names it per ordered item)."""
    found = {}
    for line in order.get("items") or []:
        granule, request = line.get("granuleId"), line.get("taskingRequestId")
        if granule and request:
            found[str(granule)] = str(request)
    return found


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
