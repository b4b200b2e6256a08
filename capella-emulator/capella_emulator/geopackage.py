"""A minimal OGC GeoPackage writer (stdlib ``sqlite3``): one polygon feature table in EPSG:4326.

A GeoPackage is an SQLite database with ``application_id`` ``GPKG`` and the three required metadata
tables: ``gpkg_spatial_ref_sys`` (the spec's three mandatory rows), ``gpkg_contents`` (one ``features``
row with the layer's extent) and ``gpkg_geometry_columns``. Geometries are GeoPackage binary: the ``GP``
header (version 0, little-endian, an ``[minx, maxx, miny, maxy]`` envelope, the srs id) followed by
little-endian WKB. GDAL, QGIS and GeoPandas open such a file as a vector layer.

Example::

    data = geopackage_bytes("capella_archive", FOOTPRINT_COLUMNS, rows)  # rows: (ring, values...)
    Path("archive.gpkg").write_bytes(data)
"""

from __future__ import annotations

import os
import sqlite3
import struct
import tempfile
from collections.abc import Sequence
from typing import Any

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10400  # GeoPackage 1.4
WGS84_DEFINITION = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
    'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],'
    'UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]'
)
SPATIAL_REF_SYS = (
    (
        "WGS 84 geodetic",
        4326,
        "EPSG",
        4326,
        WGS84_DEFINITION,
        "longitude/latitude coordinates in decimal degrees",
    ),
    (
        "Undefined cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined cartesian coordinate reference system",
    ),
    (
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system",
    ),
)
Ring = Sequence[Sequence[float]]


def polygon_wkb(ring: Ring) -> bytes:
    """Encode one ring as a little-endian WKB Polygon."""
    parts = [struct.pack("<BII", 1, 3, 1), struct.pack("<I", len(ring))]
    parts += [struct.pack("<dd", float(point[0]), float(point[1])) for point in ring]
    return b"".join(parts)


def gpkg_geometry(ring: Ring, srs_id: int = 4326) -> bytes:
    """Encode one ring as GeoPackage binary: ``GP`` header with envelope, then WKB."""
    xs, ys = [float(p[0]) for p in ring], [float(p[1]) for p in ring]
    flags = 0b0000_0011  # envelope kind 1 ([minx, maxx, miny, maxy]) in bits 1-3, little-endian bit 0
    header = b"GP" + struct.pack("<BBi", 0, flags, srs_id)
    envelope = struct.pack("<dddd", min(xs), max(xs), min(ys), max(ys))
    return header + envelope + polygon_wkb(ring)


def geopackage_bytes(
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[tuple[Ring, Sequence[Any]]],
    last_change: str = "2026-01-01T00:00:00.000Z",
    description: str = "",
) -> bytes:
    """Build a GeoPackage holding ``table`` (``geom`` POLYGON plus ``columns``) and return its bytes.

    :param table: the feature table's name (an SQL identifier).
    :param columns: ``(name, SQLite type)`` of each attribute column, in order.
    :param rows: ``(ring, values)`` per feature; ``values`` follow ``columns``.
    :param last_change: ``gpkg_contents.last_change``, fixed so that the same rows give the same bytes.
    :param description: ``gpkg_contents.description`` of the layer.
    """
    handle, path = tempfile.mkstemp(suffix=".gpkg")
    os.close(handle)
    try:
        connection = sqlite3.connect(path)
        try:
            _write(connection, table, columns, rows, last_change, description)
        finally:
            connection.close()
        with open(path, "rb") as stream:
            return stream.read()
    finally:
        os.unlink(path)


def _write(
    connection: sqlite3.Connection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[tuple[Ring, Sequence[Any]]],
    last_change: str,
    description: str,
) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode = OFF")  # a scratch file read back at once: no journal, no fsync
    cursor.execute("PRAGMA synchronous = OFF")
    cursor.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    cursor.execute(f"PRAGMA user_version = {USER_VERSION}")
    cursor.execute(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, "
        "organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, "
        "description TEXT)"
    )
    cursor.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", SPATIAL_REF_SYS)
    cursor.execute(
        "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, "
        "identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT "
        "(strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, "
        "srs_id INTEGER, "
        "CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))"
    )
    cursor.execute(
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
        "geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, "
        "CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), "
        "CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), "
        "CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))"
    )
    attributes = "".join(f', "{name}" {kind}' for name, kind in columns)
    cursor.execute(
        f'CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POLYGON{attributes})'
    )
    xs = [float(p[0]) for ring, _ in rows for p in ring] or [0.0]
    ys = [float(p[1]) for ring, _ in rows for p in ring] or [0.0]
    cursor.execute(
        "INSERT INTO gpkg_contents VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, 4326)",
        (table, table, description, last_change, min(xs), min(ys), max(xs), max(ys)),
    )
    cursor.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POLYGON', 4326, 0, 0)", (table,))
    placeholders = ", ".join("?" for _ in range(len(columns) + 1))
    names = ", ".join(["geom", *(f'"{name}"' for name, _ in columns)])
    cursor.executemany(
        f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})',
        [(gpkg_geometry(ring), *values) for ring, values in rows],
    )
    connection.commit()
