"""Orders and downloads: STAC ids/items → order bodies; download arguments checked before any request."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import vocabulary as vocab

STAC_ID_PATTERN = re.compile(r"CAPELLA_C\d{2,3}_[A-Z]{2}_[A-Z]+_[A-Z]{2}_\d{14}_\d{14}")


def stac_ids_of(stac_ids: Iterable[Any] | None, items: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """Return the ids an order is about: ``stac_ids`` if given, else those of ``items`` (the SDK's rule)."""
    if stac_ids:
        values = checks.as_list("stac_ids", stac_ids)
        return checks.unique(checks.text("stac_ids", value, allow_empty=False).strip() for value in values)
    if items:
        return checks.unique(item_id(item) for item in stac_items("items", items))
    checks.fail("stac_ids", "provide stac_ids or items (STAC items returned by search)")


def stac_items(argument: str, items: Iterable[Any]) -> list[dict[str, Any]]:
    """STAC item dicts, each with a string ``id`` and ``collection``."""
    checked = []
    for item in checks.as_list(argument, items):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            checks.fail(
                argument, f"each item must be a STAC item dict with an 'id', got {type(item).__name__}"
            )
        if not isinstance(item.get("collection"), str):
            checks.fail(argument, f"STAC item {item['id']!r} has no 'collection'")
        checked.append(dict(item))
    return checked


def item_id(item: Mapping[str, Any]) -> str:
    return str(item["id"])


def order_body(items: Iterable[Mapping[str, Any]], contract_id: str | None) -> dict[str, Any]:
    """``{"items": [{"collectionId", "granuleId"}], "contractId"?}``, grouped by collection like the SDK."""
    by_collection: dict[str, list[str]] = {}
    for item in items:
        by_collection.setdefault(str(item["collection"]), [])
        if item["id"] not in by_collection[str(item["collection"])]:
            by_collection[str(item["collection"])].append(str(item["id"]))
    body: dict[str, Any] = {
        "items": [
            {"collectionId": collection, "granuleId": granule}
            for collection, granules in by_collection.items()
            for granule in granules
        ]
    }
    if contract_id:
        body["contractId"] = checks.text("contract_id", contract_id, allow_empty=False)
    return body


def asset_filter(argument: str, value: Any) -> list[str] | None:
    """include/exclude: None, one asset type, or a list of them (``raster`` kept, the engine expands it)."""
    if value is None or value == [] or value == "":
        return None
    return [str(item) for item in checks.choices(argument, value, vocab.ASSET_TYPES)]


def product_types(value: Any) -> list[str] | None:
    if value is None or value == [] or value == "":
        return None
    return [str(item) for item in checks.choices("product_types", value, vocab.PRODUCT_TYPES)]


def destination(argument: str, value: Any) -> str:
    """Return a local path or an ``s3://bucket/prefix`` URI, as a string (default: the temp dir)."""
    if value is None:
        return tempfile.gettempdir()
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        checks.fail(argument, f"must be a local path or an s3://bucket/prefix URI, got {value!r}")
    if value.startswith("s3://") and len(value) <= len("s3://"):
        checks.fail(argument, "an S3 destination needs a bucket: s3://bucket/prefix")
    if value.lower().startswith(("http://", "https://")):
        checks.fail(argument, "must be a local path or an s3:// URI, not an http(s) URL")
    return value


def presigned_url(argument: str, value: Any) -> str:
    if not isinstance(value, str) or not value.lower().startswith(("http://", "https://")):
        checks.fail(argument, "must be an http(s) presigned asset URL (see get_presigned_items)")
    return value


def stac_id_from_assets(assets: Mapping[str, Any]) -> str:
    """Return the STAC id named in a product's assets (the raster href, else any href)."""
    hrefs = [
        asset.get("href", "")
        for key, asset in sorted(assets.items(), key=lambda pair: pair[0] not in ("HH", "VV"))
        if isinstance(asset, Mapping)
    ]
    for href in hrefs:
        match = STAC_ID_PATTERN.search(str(href))
        if match:
            return match.group(0)
    checks.fail("assets_presigned", "could not find a Capella STAC id in any asset href")


DATA_ASSETS = ("HH", "VV", "VH", "HV")
"""The data (raster) assets of a product: never presigned in search results, only in order downloads."""


def check_presigned(argument: str, item: Mapping[str, Any]) -> None:
    """Refuse an item whose data asset has no presigned URL (a catalog search result, not an order's).

    Search results carry no usable href for the data asset: download URLs come from
    ``GET /orders/{id}/download`` only (``get_presigned_items``), so such an item could never download.

    :param argument: the argument's name, for the message (``items_presigned``).
    :param item: a STAC item dict with ``assets``.
    :raises CapellaValidationError: when a data asset's href carries no signature.
    """
    raw_assets = item.get("assets")
    assets: Mapping[str, Any] = raw_assets if isinstance(raw_assets, Mapping) else {}
    for key in DATA_ASSETS:
        asset = assets.get(key)
        if isinstance(asset, Mapping) and not _is_signed(str(asset.get("href") or "")):
            checks.fail(
                argument,
                f"STAC item {item.get('id')!r} has no presigned URL for its {key} asset: catalog search "
                "results carry none (download URLs come from an order). Order the items and download "
                "with download_products(order_id=...), or pass get_presigned_items(order_id)",
            )


def _is_signed(href: str) -> bool:
    return any("signature" in name.lower() for name, _ in parse_qsl(urlsplit(href).query))


DOWNLOAD_SOURCES = ("items_presigned", "order_id", "tasking_request_id", "collect_id")
"""Where ``download_products`` takes its products from; exactly one is given."""


def one_source(candidates: Mapping[str, Any], *, note: str = "") -> str:
    """Return the name of the one source given; fail naming every candidate when none or several are.

    The same rule for ``CapellaHook.download_products`` and ``DownloadProductsOperator``: an empty
    value (``None``, ``""``, ``[]``) counts as not given.

    :param candidates: each source argument's name and value, in the order the message lists them.
    :param note: a sentence added to the message (e.g. which arguments may accompany a source).
    :return: the name of the source given.

    Example::

        one_source({"items_presigned": None, "order_id": order_id, "tasking_request_id": None})
        # "order_id"
    """
    given = [name for name, value in candidates.items() if value is not None and value != "" and value != []]
    if len(given) != 1:
        names = list(candidates)
        checks.fail(
            names[0] if not given else given[0],
            f"give exactly one of {', '.join(names)}; got {', '.join(given) or 'none'}"
            + (f" ({note})" if note else ""),
        )
    return given[0]
