"""``CapellaHook``'s archive export methods (attached to the class in :mod:`.capella`).

The whole archive's footprints as one file (GeoPackage, zipped shapefile, or GeoParquet where the API
offers it): the cheap start of a large backfill. The presigned file moves through the transfer engine,
to a local directory or an ``s3://`` prefix, with no API key sent to the file host.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import archive, checks
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella.exceptions import CapellaNotFoundError

if TYPE_CHECKING:
    from airflow_provider_capella.hooks.capella import CapellaHook

AVAILABLE_PATH = "/catalog/archive-export/available"
PRESIGNED_PATH = "/catalog/archive-export/presigned"


def list_archive_exports(self: CapellaHook) -> dict[str, Any]:
    """List the archive export files on offer (``GET /catalog/archive-export/available``).

    :return: ``{"latest": [names], "weekly": [names], "full": [names], ...}``; a name's suffix is its
        format (``.gpkg``, ``.shp.zip``, ...).

    Example::

        weekly = hook.list_archive_exports()["weekly"]
    """
    return dict(self.api.call("GET", AVAILABLE_PATH) or {})


def download_archive_export(
    self: CapellaHook,
    *,
    export_type: str,
    export_format: str | None = None,
    local_dir: str | Path | None = None,
    file_names: list[str] | None = None,
    override: bool = False,
    aws_conn_id: str | None = None,
) -> list[str]:
    """Download archive export files (the footprints of every product); return the paths or URIs written.

    The format must be one the API lists for ``export_type`` (see :meth:`list_archive_exports`);
    otherwise the error names the formats on offer. ``latest`` and ``full`` are one file each,
    ``weekly`` one per recent week (pick some with ``file_names``).

    :param export_type: ``latest`` (the newest week), ``weekly`` or ``full`` (the whole archive).
    :param export_format: ``gpkg`` (default), ``shp.zip`` or ``geoparquet``.
    :param local_dir: a directory or ``s3://bucket/prefix`` (default: the temp directory).
    :param file_names: exact names from the listing instead of ``export_format``.
    :param override: download again even when a complete file is already there.
    :param aws_conn_id: the Airflow AWS connection for an ``s3://`` destination.
    :return: the local paths or ``s3://`` URIs written, one per file.
    :raises CapellaNotFoundError: when the listing offers no such file.

    Example::

        [path] = hook.download_archive_export(export_type="full", export_format="gpkg",
                                              local_dir="s3://bucket/capella/footprints/")
    """
    body = archive.export_body(export_type, export_format, file_names)
    destination = order_args.destination("local_dir", local_dir)
    checks.boolean("override", override)
    kind = body["exportType"]
    offered = archive.listed_files(self.list_archive_exports(), kind)
    _check_offered(body, offered)
    files = archive.presigned_files(self.api.call("POST", PRESIGNED_PATH, json=body))
    if not files:
        raise CapellaNotFoundError(f"the API gave no presigned URL for the {kind} archive export {body}")
    from airflow_provider_capella.transfer import download_asset

    written = []
    for entry in files:
        target = _inside(destination, entry["file_name"])
        self.log.info("Downloading archive export %s to %s", entry["file_name"], target)
        written.append(str(download_asset(entry["url"], target, override=override, aws_conn_id=aws_conn_id)))
    return written


def _check_offered(body: dict[str, Any], offered: list[str]) -> None:
    kind = body["exportType"]
    if "fileNames" in body:
        missing = [name for name in body["fileNames"] if name not in offered]
        if missing:
            raise CapellaNotFoundError(
                f"archive export file(s) {', '.join(missing)} not offered for {kind!r}; "
                f"offered: {', '.join(offered) or 'none'}"
            )
        return
    formats = sorted({fmt for fmt in map(archive.format_of, offered) if fmt})
    if body["exportFormat"] not in formats:
        raise CapellaNotFoundError(
            f"the {kind!r} archive export is not offered as {body['exportFormat']!r}; "
            f"formats on offer: {', '.join(formats) or 'none'} (see list_archive_exports)"
        )


def _inside(destination: str, file_name: str) -> str:
    if destination.lower().startswith("s3://"):
        return f"{destination.rstrip('/')}/{file_name}"
    os.makedirs(destination, exist_ok=True)
    return os.path.join(destination, file_name)
