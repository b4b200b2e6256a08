"""Archive exports: the whole catalog's footprints as one downloadable file.

``GET /catalog/archive-export/available`` answers, as Capella's own notebook reads it, one list of file
names per export type: ``{"latest": [...], "weekly": [...], "full": [...]}``. Names look like
``weekly/capella_archive_20260914.gpkg`` (the week's Monday); each list holds a ``.gpkg`` and a
``.shp.zip`` per file. The answer also carries ``files`` (an emulator extension: do not rely on it
against the real API): ``[{fileName, exportType, exportFormat, size}]``.

- ``full``: every catalog item; ``latest``: the week holding the newest item; ``weekly``: the
  :data:`WEEKLY_FILES` weeks up to and including it. Items added by completed tasking requests count.
- GeoParquet is not produced (the project has no Parquet writer): asking for it is a 404.

``POST /catalog/archive-export/presigned`` takes ``{exportType, exportFormat}`` (every file of that type in
that format) or ``{exportType, fileNames}`` and answers ``[{fileName, exportType, exportFormat, size, url,
expiresAt}]``; each ``url`` is presigned (see :mod:`.signing`) and served by ``GET /assets/archive-export/
<basename>``. Files are built on first use from the catalog and cached until the catalog changes.

Example::

    exports = ArchiveExports(state)
    exports.available()["full"]  # ['full/capella_archive_full.gpkg', 'full/capella_archive_full.shp.zip']
"""

from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from capella_emulator.errors import ApiError
from capella_emulator.feasibility_validation import Issues
from capella_emulator.geopackage import geopackage_bytes
from capella_emulator.shapefile_zip import shapefile_zip_bytes
from capella_emulator.signing import presign_url
from capella_emulator.tasking_time import iso

if TYPE_CHECKING:
    from capella_emulator.state import EmulatorState

EXPORT_TYPES = ("latest", "weekly", "full")
EXPORT_FORMATS = ("gpkg", "shp.zip", "geoparquet")
SERVED_FORMATS = ("gpkg", "shp.zip")
MEDIA_TYPES = {"gpkg": "application/geopackage+sqlite3", "shp.zip": "application/zip"}
WEEKLY_FILES = 12
TABLE = "capella_archive"
URL_PREFIX = "/assets/archive-export/"
GPKG_COLUMNS = (
    ("id", "TEXT"),
    ("datetime", "TEXT"),
    ("product_type", "TEXT"),
    ("collection", "TEXT"),
    ("collect_id", "TEXT"),
    ("platform", "TEXT"),
    ("instrument_mode", "TEXT"),
)
SHP_FIELDS = (
    ("id", 80),
    ("datetime", 32),
    ("prod_type", 8),
    ("collection", 24),
    ("collect_id", 36),
    ("platform", 16),
    ("mode", 20),
)


@dataclass(frozen=True)
class ExportFile:
    """One export file: its listed name, type, format and the span of acquisition times it holds.

    Example::

        ExportFile("full/capella_archive_full.gpkg", "full", "gpkg", None, None).basename
    """

    file_name: str
    export_type: str
    export_format: str
    start: datetime | None
    end: datetime | None

    @property
    def basename(self) -> str:
        return self.file_name.rsplit("/", 1)[-1]


class ArchiveExports:
    """The archive exports of one emulator, built lazily and cached per catalog size.

    Example::

        exports = state.archive_exports
        [entry["url"] for entry in exports.presigned({"exportType": "full", "exportFormat": "gpkg"}, base)]
    """

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._dated: tuple[int, list[tuple[datetime, dict[str, Any]]]] | None = None
        self._content: dict[str, tuple[int, bytes]] = {}

    def dated_items(self) -> list[tuple[datetime, dict[str, Any]]]:
        """Return ``(acquisition time, item)`` of every catalog item, oldest first (cached per size)."""
        size = len(self.state.catalog)
        if self._dated is None or self._dated[0] != size:
            paused = gc.isenabled()
            gc.disable()  # a GC pass over the large shared archive would cost more than the work itself
            try:
                dated = [(_acquired(item), item) for item in self.state.catalog.items]
                dated.sort(key=lambda pair: (pair[0], pair[1]["id"]))
            finally:
                if paused:
                    gc.enable()
            self._dated = (size, dated)
        return self._dated[1]

    def files(self) -> list[ExportFile]:
        """List every export file of the current catalog."""
        dated = self.dated_items()
        return _plan_files(dated[-1][0] if dated else datetime(2026, 1, 1, tzinfo=timezone.utc))

    def available(self) -> dict[str, Any]:
        """Render ``GET /catalog/archive-export/available``."""
        files = self.files()
        listing: dict[str, Any] = {
            kind: [f.file_name for f in files if f.export_type == kind] for kind in EXPORT_TYPES
        }
        listing["files"] = [
            {"fileName": f.file_name, "exportType": f.export_type, "exportFormat": f.export_format,
             "size": len(self.content(f))}
            for f in files
        ]  # fmt: skip
        return listing

    def by_basename(self, basename: str) -> ExportFile | None:
        return next((f for f in self.files() if f.basename == basename), None)

    def content(self, export: ExportFile) -> bytes:
        """Return the bytes of one export file (built on first use, rebuilt when the catalog changes)."""
        size = len(self.state.catalog)
        cached = self._content.get(export.file_name)
        if cached is None or cached[0] != size:
            cached = (size, _build(export, self.dated_items()))
            self._content[export.file_name] = cached
        return cached[1]

    def presigned(self, body: Any, base_url: str) -> list[dict[str, Any]]:
        """Render ``POST /catalog/archive-export/presigned`` for ``body``."""
        export_type, export_format, names = _parse_presigned(body)
        files = [f for f in self.files() if f.export_type == export_type]
        if names is not None:
            known = {f.file_name: f for f in files}
            missing = [name for name in names if name not in known]
            if missing:
                raise ApiError(404, "NOT_FOUND", f"no {export_type} export file named {', '.join(missing)}")
            chosen = [known[name] for name in dict.fromkeys(names)]
        else:
            chosen = [f for f in files if f.export_format == export_format]
            if not chosen:
                raise ApiError(404, "NOT_FOUND", f"no {export_type} export is available as {export_format}")
        now = self.state.now()
        expires = int(now + float(self.state.config.presign_ttl_seconds))
        secret = self.state.signing_secret
        return [
            {
                "fileName": f.file_name,
                "exportType": f.export_type,
                "exportFormat": f.export_format,
                "size": len(self.content(f)),
                "url": presign_url(base_url, URL_PREFIX + f.basename, expires, secret),
                "expiresAt": iso(expires),
            }
            for f in chosen
        ]


def media_type(export: ExportFile) -> str:
    return MEDIA_TYPES.get(export.export_format, "application/octet-stream")


def etag(content: bytes) -> str:
    return '"' + hashlib.md5(content, usedforsecurity=False).hexdigest() + '"'


def _parse_presigned(body: Any) -> tuple[str, str | None, list[str] | None]:
    issues = Issues()
    if not isinstance(body, dict):
        issues.add("invalid_type", "Expected object")
        issues.raise_any()
    export_type = body.get("exportType")
    if export_type not in EXPORT_TYPES:
        issues.add("invalid_enum_value", f"exportType must be one of {list(EXPORT_TYPES)}", "exportType")
    export_format, names = body.get("exportFormat"), body.get("fileNames")
    if (export_format is None) == (names is None):
        issues.add("custom", "give exactly one of exportFormat and fileNames", "exportFormat")
    elif export_format is not None and export_format not in EXPORT_FORMATS:
        issues.add(
            "invalid_enum_value", f"exportFormat must be one of {list(EXPORT_FORMATS)}", "exportFormat"
        )
    elif names is not None and (
        not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names)
    ):
        issues.add("invalid_type", "fileNames must be a non-empty list of file names", "fileNames")
    issues.raise_any()
    return export_type, export_format, names


def _acquired(item: dict[str, Any]) -> datetime:
    text = str(item["properties"]["datetime"]).replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _plan_files(newest: datetime) -> list[ExportFile]:
    monday = (newest - timedelta(days=newest.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    files = []
    for export_format in SERVED_FORMATS:
        files.append(ExportFile(f"full/{TABLE}_full.{export_format}", "full", export_format, None, None))
        files.append(
            ExportFile(
                f"latest/{TABLE}_latest.{export_format}",
                "latest",
                export_format,
                monday,
                monday + timedelta(7),
            )
        )
        for weeks_back in range(WEEKLY_FILES - 1, -1, -1):
            start = monday - timedelta(weeks=weeks_back)
            name = f"weekly/{TABLE}_{start:%Y%m%d}.{export_format}"
            files.append(ExportFile(name, "weekly", export_format, start, start + timedelta(7)))
    return files


def _build(export: ExportFile, dated: list[tuple[datetime, dict[str, Any]]]) -> bytes:
    chosen = [
        item
        for moment, item in dated
        if export.start is None or export.start <= moment < (export.end or export.start)
    ]
    rows = [(item["geometry"]["coordinates"][0], _values(item)) for item in chosen]
    if export.export_format == "gpkg":
        return geopackage_bytes(
            TABLE, GPKG_COLUMNS, rows, description=f"Capella archive ({export.export_type})"
        )
    return shapefile_zip_bytes(TABLE, SHP_FIELDS, rows)


def _values(item: dict[str, Any]) -> tuple[Any, ...]:
    props = item["properties"]
    return (
        item["id"],
        props.get("datetime"),
        props.get("sar:product_type"),
        item.get("collection"),
        props.get("capella:collect_id"),
        props.get("platform"),
        props.get("sar:instrument_mode"),
    )
