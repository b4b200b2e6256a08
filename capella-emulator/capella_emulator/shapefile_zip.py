"""A minimal ESRI Shapefile writer: polygons and text attributes, zipped as ``<name>.shp.zip``.

The zip holds ``<name>.shp`` (polygon records, outer rings clockwise as the format wants), ``.shx`` (the
record index), ``.dbf`` (dBASE III text columns, names of at most 10 characters), ``.prj`` (WGS 84) and
``.cpg`` (UTF-8). Entries carry a fixed timestamp, so the same rows always give the same bytes.

Example::

    data = shapefile_zip_bytes("capella_archive", [("id", 80), ("datetime", 32)], rows)
    zipfile.ZipFile(io.BytesIO(data)).namelist()  # ['capella_archive.shp', '.shx', '.dbf', ...]
"""

from __future__ import annotations

import io
import itertools
import struct
import zipfile
from collections.abc import Sequence
from typing import Any

from capella_emulator.geopackage import WGS84_DEFINITION, Ring

POLYGON = 5
FILE_CODE = 9994
VERSION = 1000
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def shapefile_zip_bytes(
    name: str, fields: Sequence[tuple[str, int]], rows: Sequence[tuple[Ring, Sequence[Any]]]
) -> bytes:
    """Build the zipped shapefile of ``rows`` (``(ring, values)``; ``fields`` are ``(name, width)``)."""
    contents = [_polygon_record(_clockwise(ring)) for ring, _ in rows]
    box = _box([point for ring, _ in rows for point in ring])
    shp, shx = _shp_and_shx(contents, box)
    files = {
        f"{name}.shp": shp,
        f"{name}.shx": shx,
        f"{name}.dbf": _dbf(fields, [values for _, values in rows]),
        f"{name}.prj": WGS84_DEFINITION.encode(),
        f"{name}.cpg": b"UTF-8",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for filename, data in files.items():
            archive.writestr(zipfile.ZipInfo(filename, date_time=ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _clockwise(ring: Ring) -> list[tuple[float, float]]:
    points = [(float(p[0]), float(p[1])) for p in ring]
    twice_area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(points))
    return points if twice_area <= 0 else points[::-1]


def _box(points: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    if not points:
        return (0.0, 0.0, 0.0, 0.0)
    xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _polygon_record(ring: list[tuple[float, float]]) -> bytes:
    head = struct.pack("<i4dii", POLYGON, *_box(ring), 1, len(ring)) + struct.pack("<i", 0)
    return head + b"".join(struct.pack("<2d", x, y) for x, y in ring)


def _header(length_bytes: int, box: tuple[float, float, float, float]) -> bytes:
    return (
        struct.pack(">i5ii", FILE_CODE, 0, 0, 0, 0, 0, length_bytes // 2)
        + struct.pack("<ii", VERSION, POLYGON)
        + struct.pack("<4d", *box)
        + struct.pack("<4d", 0.0, 0.0, 0.0, 0.0)
    )


def _shp_and_shx(contents: list[bytes], box: tuple[float, float, float, float]) -> tuple[bytes, bytes]:
    records, index = [], []
    offset = 100
    for number, content in enumerate(contents, start=1):
        records.append(struct.pack(">ii", number, len(content) // 2) + content)
        index.append(struct.pack(">ii", offset // 2, len(content) // 2))
        offset += 8 + len(content)
    shp = _header(offset, box) + b"".join(records)
    shx = _header(100 + 8 * len(index), box) + b"".join(index)
    return shp, shx


def _dbf(fields: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]]) -> bytes:
    record_length = 1 + sum(width for _, width in fields)
    header_length = 32 + 32 * len(fields) + 1
    header = struct.pack("<B3BIHH20x", 3, 126, 1, 1, len(rows), header_length, record_length)
    descriptors = b"".join(
        struct.pack("<11sc4xBB14x", name.encode()[:10], b"C", width, 0) for name, width in fields
    )
    body = bytearray()
    for values in rows:
        body += b" "
        for (_, width), value in zip(fields, values, strict=True):
            text = "" if value is None else str(value)
            body += text.encode()[:width].ljust(width, b" ")
    return header + descriptors + b"\r" + bytes(body) + b"\x1a"
