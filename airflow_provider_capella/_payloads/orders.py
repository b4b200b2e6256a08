"""Orders, downloads and archive exports: user arguments → request bodies, checked before any request."""

from __future__ import annotations

import os
import posixpath
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
        return checks.unique(str(item["id"]) for item in stac_items("items", items))
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


def order_body(items: Iterable[Mapping[str, Any]], contract_id: str | None) -> dict[str, Any]:
    """``{"items": [{"collectionId", "granuleId"}], "contractId"?}``, grouped by collection like the SDK."""
    by_collection: dict[str, dict[str, None]] = {}
    for item in items:
        by_collection.setdefault(str(item["collection"]), {})[str(item["id"])] = None
    pairs = ((collection, granule) for collection, granules in by_collection.items() for granule in granules)
    body: dict[str, Any] = {"items": [{"collectionId": c, "granuleId": g} for c, g in pairs]}
    if contract_id:
        body["contractId"] = checks.text("contract_id", contract_id, allow_empty=False)
    return body


def asset_filter(
    argument: str, value: Any, accepted: tuple[str, ...] = vocab.ASSET_TYPES
) -> list[str] | None:
    """include/exclude: None, one asset type, or a list of them (``raster`` kept, the engine expands it)."""
    if value is None or value == [] or value == "":
        return None
    return [str(item) for item in checks.choices(argument, value, accepted)]


def product_types(value: Any) -> list[str] | None:
    return asset_filter("product_types", value, vocab.PRODUCT_TYPES)


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
    for _key, asset in sorted(assets.items(), key=lambda pair: pair[0] not in ("HH", "VV")):
        match = isinstance(asset, Mapping) and STAC_ID_PATTERN.search(str(asset.get("href", "")))
        if match:
            return match.group(0)
    checks.fail("assets_presigned", "could not find a Capella STAC id in any asset href")


DATA_ASSETS = ("HH", "VV", "VH", "HV")  # never presigned in search results, only in order downloads


def check_presigned(argument: str, item: Mapping[str, Any]) -> None:
    """Refuse an item whose data asset has no presigned URL (a catalog search result, not an order's)."""
    assets = item.get("assets")
    for key in DATA_ASSETS:
        asset = assets.get(key) if isinstance(assets, Mapping) else None
        if isinstance(asset, Mapping) and not _is_signed(str(asset.get("href") or "")):
            checks.fail(
                argument,
                f"STAC item {item.get('id')!r} has no presigned URL for its {key} asset: catalog search "
                "results carry none (download URLs come from an order). Order the items and download "
                "with download_products(order_id=...), or pass get_presigned_items(order_id)",
            )


def _is_signed(href: str) -> bool:
    return any("signature" in name.lower() for name, _ in parse_qsl(urlsplit(href).query))


def one_source(candidates: Mapping[str, Any], *, note: str = "") -> str:
    """Return the name of the one source given (``None``, ``""``, ``[]`` are not); else fail naming all."""
    given = [name for name, value in candidates.items() if value is not None and value != "" and value != []]
    if len(given) != 1:
        names = list(candidates)
        note = f" ({note})" if note else ""
        checks.fail(
            (given or names)[0],
            f"give exactly one of {', '.join(names)}; got {', '.join(given) or 'none'}{note}",
        )
    return given[0]


EXPORT_TYPES = ("latest", "weekly", "full")  # the newest week, one file per recent week, the whole archive
EXPORT_FORMATS = ("gpkg", "shp.zip", "geoparquet")  # geoparquet only where the API lists it
_SUFFIXES = {".shp.zip": "shp.zip", ".gpkg": "gpkg", ".geoparquet": "geoparquet", ".parquet": "geoparquet"}


def export_body(export_type: Any, export_format: Any, file_names: Any) -> dict[str, Any]:
    """Build the presigned-URL request: ``{exportType, exportFormat}`` or ``{exportType, fileNames}``."""
    kind = checks.choice("export_type", export_type, EXPORT_TYPES)
    if file_names is not None:
        if export_format is not None:
            checks.fail("file_names", "give either export_format or file_names, not both")
        names = checks.unique(
            checks.text("file_names", name, allow_empty=False).strip()
            for name in checks.as_list("file_names", file_names)
        )
        return {"exportType": kind, "fileNames": names}
    if isinstance(export_format, str):
        export_format = export_format.strip().lstrip(".")
    fmt = "gpkg" if export_format is None else checks.choice("export_format", export_format, EXPORT_FORMATS)
    return {"exportType": kind, "exportFormat": fmt}


def format_of(file_name: str) -> str | None:
    """Return the export format a file name ends with (``.gpkg`` → ``gpkg``), or ``None`` when unknown."""
    return next((fmt for suffix, fmt in _SUFFIXES.items() if file_name.lower().endswith(suffix)), None)


def listed_files(listing: Any, export_type: str) -> list[str]:
    """Return the file names the listing offers for ``export_type`` (``latest``, ``weekly`` or ``full``)."""
    names = listing.get(export_type) if isinstance(listing, Mapping) else None
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def presigned_files(answer: Any) -> list[dict[str, str]]:
    """Read the presigned answer into ``[{"file_name", "url"}]``, whatever list or mapping shape it has."""
    if isinstance(answer, Mapping):
        answer = answer.get("files") or answer.get("urls") or answer.get("results") or [answer]
    files = []
    for entry in answer if isinstance(answer, list) else []:
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, Mapping):
            continue
        url = entry.get("url") or entry.get("presignedUrl") or entry.get("href")
        if isinstance(url, str) and url:
            name = posixpath.basename(str(entry.get("fileName") or entry.get("name") or url.split("?", 1)[0]))
            files.append({"file_name": name if name.strip(".") else "archive-export", "url": url})
    return files
