"""Archive exports: check the arguments, build the presigned-URL request, read the listings.

The body is the one of ``POST /catalog/archive-export/presigned``; the listing is the answer of
``GET /catalog/archive-export/available``.

Pure functions, no I/O; every problem names the argument and what is accepted.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from airflow_provider_capella._payloads import checks

EXPORT_TYPES = ("latest", "weekly", "full")
"""``latest``: the newest week; ``weekly``: one file per recent week; ``full``: the whole archive."""

EXPORT_FORMATS = ("gpkg", "shp.zip", "geoparquet")
"""GeoPackage, zipped shapefile, GeoParquet (offered only where the API lists it)."""

_SUFFIXES = (
    (".shp.zip", "shp.zip"),
    (".gpkg", "gpkg"),
    (".geoparquet", "geoparquet"),
    (".parquet", "geoparquet"),
)


def export_body(export_type: Any, export_format: Any, file_names: Any) -> dict[str, Any]:
    """Build the presigned-URL request: ``{exportType, exportFormat}`` or ``{exportType, fileNames}``.

    :param export_type: ``latest``, ``weekly`` or ``full``.
    :param export_format: ``gpkg``, ``shp.zip`` or ``geoparquet``; ``None`` means ``gpkg`` unless
        ``file_names`` is given.
    :param file_names: exact file names from the listing instead of a format.
    :return: the request body.

    Example::

        export_body("full", "gpkg", None)  # {"exportType": "full", "exportFormat": "gpkg"}
    """
    kind = checks.choice("export_type", export_type, EXPORT_TYPES)
    if file_names is not None:
        if export_format is not None:
            checks.fail("file_names", "give either export_format or file_names, not both")
        names = checks.unique(
            checks.text("file_names", name, allow_empty=False).strip()
            for name in checks.as_list("file_names", file_names)
        )
        return {"exportType": kind, "fileNames": names}
    fmt = (
        "gpkg"
        if export_format is None
        else checks.choice("export_format", _bare(export_format), EXPORT_FORMATS)
    )
    return {"exportType": kind, "exportFormat": fmt}


def format_of(file_name: str) -> str | None:
    """Return the export format a file name ends with (``.gpkg`` → ``gpkg``), or ``None`` when unknown.

    :param file_name: a name from the listing, e.g. ``full/capella_archive_full.gpkg``.
    :return: the format, or ``None``.
    """
    lowered = file_name.lower()
    for suffix, fmt in _SUFFIXES:
        if lowered.endswith(suffix):
            return fmt
    return None


def listed_files(listing: Any, export_type: str) -> list[str]:
    """Return the file names the listing offers for ``export_type`` (its ``latest``/``weekly``/``full`` list).

    :param listing: the ``GET /catalog/archive-export/available`` answer.
    :param export_type: the export type.
    :return: the file names, in the listing's order.
    """
    if not isinstance(listing, Mapping):
        return []
    names = listing.get(export_type) or []
    return [str(name) for name in names if isinstance(name, str)] if isinstance(names, list) else []


def presigned_files(answer: Any) -> list[dict[str, str]]:
    """Read the presigned answer into ``[{"file_name", "url"}]``, whatever list or mapping shape it has.

    :param answer: the ``POST /catalog/archive-export/presigned`` answer.
    :return: one entry per file that carries a URL.
    """
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


def _bare(value: Any) -> Any:
    return value.strip().lstrip(".") if isinstance(value, str) else value
