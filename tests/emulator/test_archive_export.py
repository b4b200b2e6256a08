"""Archive exports over real HTTP: the listing, presigned URLs, real GeoPackage and zipped shapefile files."""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import sqlite3
import struct
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulator.around_tasking_helpers import FAST_STEP, Client, error_of

GPKG_APPLICATION_ID = 0x47504B47


@pytest.fixture
def api(capella_emulator: Any) -> Client:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Client(capella_emulator)


def presign(api: Client, **body: Any) -> list[dict[str, Any]]:
    response = api.post("/catalog/archive-export/presigned", body)
    assert response.status_code == 200, response.text
    return response.json()


def download(url: str) -> bytes:
    response = requests.get(url, timeout=60)  # no API key: the signature is the credential
    assert response.status_code == 200, response.text
    return response.content


def open_gpkg(data: bytes, tmp_path: Path, name: str = "export.gpkg") -> sqlite3.Connection:
    path = tmp_path / name
    path.write_bytes(data)
    return sqlite3.connect(path)


def decode_geometry(blob: bytes) -> tuple[int, list[float], list[list[float]]]:
    """``(srs_id, envelope, ring)`` of a GeoPackage-binary polygon, decoded by hand from the spec."""
    assert blob[:2] == b"GP" and blob[2] == 0
    flags = blob[3]
    assert flags & 1 == 1 and (flags >> 1) & 0b111 == 1  # little-endian, [minx, maxx, miny, maxy]
    (srs_id,) = struct.unpack_from("<i", blob, 4)
    envelope = list(struct.unpack_from("<4d", blob, 8))
    order, kind, rings, points = struct.unpack_from("<BIII", blob, 40)
    assert (order, kind, rings) == (1, 3, 1)
    ring = [list(struct.unpack_from("<2d", blob, 53 + 16 * index)) for index in range(points)]
    return srs_id, envelope, ring


def acquired(text: str) -> datetime:
    """An item's acquisition time; a time without a zone (some catalog items have one) is UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def test_the_listing_names_files_per_export_type_as_capellas_notebook_reads_them(api: Client) -> None:
    listing = api.get("/catalog/archive-export/available").json()

    assert set(listing) >= {"latest", "weekly", "full"}
    assert all(isinstance(name, str) for kind in ("latest", "weekly", "full") for name in listing[kind])
    weekly_gpkg = sorted(name for name in listing["weekly"] if "gpkg" in name)
    assert len(weekly_gpkg) == 12 and len(listing["weekly"]) == 24
    weeks = [datetime.strptime(re.split(r"/|_|\.", name)[-2], "%Y%m%d") for name in weekly_gpkg]
    assert all(week.weekday() == 0 for week in weeks)
    assert [b - a for a, b in itertools.pairwise(weeks)] == [timedelta(days=7)] * 11
    assert {name.rsplit(".", 1)[-1] for name in listing["full"]} == {"gpkg", "zip"}
    assert all(entry["size"] > 0 for entry in listing["files"])


def test_the_full_geopackage_holds_every_catalog_footprint(
    api: Client, capella_emulator: Any, tmp_path: Path
) -> None:
    [entry] = presign(api, exportType="full", exportFormat="gpkg")
    assert entry["fileName"] == "full/capella_archive_full.gpkg" and "Signature=" in entry["url"]

    data = download(entry["url"])

    assert len(data) == entry["size"] and data.startswith(b"SQLite format 3\x00")
    db = open_gpkg(data, tmp_path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == GPKG_APPLICATION_ID
    assert {row[0] for row in db.execute("SELECT srs_id FROM gpkg_spatial_ref_sys")} == {4326, -1, 0}
    assert db.execute("SELECT table_name, data_type, srs_id FROM gpkg_contents").fetchall() == [
        ("capella_archive", "features", 4326)
    ]
    assert db.execute("SELECT * FROM gpkg_geometry_columns").fetchall() == [
        ("capella_archive", "geom", "POLYGON", 4326, 0, 0)
    ]
    rows = db.execute(
        "SELECT id, datetime, product_type, collection, collect_id, geom FROM capella_archive"
    ).fetchall()
    catalog = capella_emulator.state.catalog
    assert len(rows) == len(catalog) and len({row[0] for row in rows}) == len(rows)
    for item_id, moment, product_type, collection, collect_id, blob in rows[::97]:
        item = catalog.get(item_id)
        props = item["properties"]
        assert (moment, product_type, collection, collect_id) == (
            props["datetime"], props["sar:product_type"], item["collection"], props["capella:collect_id"],
        )  # fmt: skip
        srs_id, envelope, ring = decode_geometry(blob)
        assert srs_id == 4326 and ring == item["geometry"]["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        assert envelope == [min(xs), max(xs), min(ys), max(ys)]
    minx, miny, maxx, maxy = db.execute("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents").fetchone()
    assert minx < -74 < maxx and miny < -33 < maxy  # New York and Sydney are in the archive


def test_the_same_catalog_gives_the_same_bytes(api: Client, capella_emulator: Any) -> None:
    first = download(presign(api, exportType="full", exportFormat="gpkg")[0]["url"])
    capella_emulator.reset()
    second = download(presign(api, exportType="full", exportFormat="gpkg")[0]["url"])

    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()


def test_weekly_files_chosen_by_name_hold_that_weeks_acquisitions(
    api: Client, capella_emulator: Any, tmp_path: Path
) -> None:
    listing = api.get("/catalog/archive-export/available").json()
    wanted = sorted(name for name in listing["weekly"] if name.endswith(".gpkg"))[-3:]

    entries = presign(api, exportType="weekly", fileNames=wanted)

    assert [entry["fileName"] for entry in entries] == wanted
    seen: set[str] = set()
    for entry in entries:
        week = datetime.strptime(re.split(r"/|_|\.", entry["fileName"])[-2], "%Y%m%d").replace(
            tzinfo=timezone.utc
        )
        db = open_gpkg(download(entry["url"]), tmp_path, entry["fileName"].replace("/", "_"))
        for item_id, moment in db.execute("SELECT id, datetime FROM capella_archive"):
            assert week <= acquired(moment) < week + timedelta(days=7)
            seen.add(item_id)
    start = datetime.strptime(re.split(r"/|_|\.", wanted[0])[-2], "%Y%m%d").replace(tzinfo=timezone.utc)
    expected = {
        item["id"]
        for item in capella_emulator.state.catalog.items
        if start <= acquired(item["properties"]["datetime"]) < start + timedelta(days=21)
    }
    assert seen == expected and expected


def test_the_latest_export_follows_new_products_of_completed_tasking(api: Client, tmp_path: Path) -> None:
    task_id = api.create_task(processingConfig={"productTypes": ["GEO"]}, preApproval=True)["properties"][
        "taskingrequestId"
    ]
    api.wait_task(task_id, "completed")
    [collect] = api.get(f"/collects/list/{task_id}").json()

    [entry] = presign(api, exportType="latest", exportFormat="gpkg")

    db = open_gpkg(download(entry["url"]), tmp_path)
    collect_ids = {row[0] for row in db.execute("SELECT collect_id FROM capella_archive")}
    assert collect["collectId"] in collect_ids


def test_the_zipped_shapefile_holds_the_same_features(api: Client, capella_emulator: Any) -> None:
    [entry] = presign(api, exportType="full", exportFormat="shp.zip")

    archive = zipfile.ZipFile(io.BytesIO(download(entry["url"])))

    names = sorted(archive.namelist())
    assert names == [f"capella_archive.{ext}" for ext in ("cpg", "dbf", "prj", "shp", "shx")]
    shp, shx, dbf = (archive.read(f"capella_archive.{ext}") for ext in ("shp", "shx", "dbf"))
    count = len(capella_emulator.state.catalog)
    assert struct.unpack(">i", shp[:4])[0] == 9994 and struct.unpack("<ii", shp[28:36]) == (1000, 5)
    assert struct.unpack(">i", shp[24:28])[0] * 2 == len(shp)
    assert (len(shx) - 100) // 8 == count
    assert struct.unpack("<I", dbf[4:8])[0] == count
    header_length, record_length = struct.unpack("<HH", dbf[8:12])
    first_id = dbf[header_length + 1 : header_length + 81].decode().strip()
    offset = struct.unpack(">i", shx[100:104])[0] * 2
    kind, minx, _, _, maxy, parts, points = struct.unpack_from("<i4dii", shp, offset + 8)
    ring = capella_emulator.state.catalog.get(first_id)["geometry"]["coordinates"][0]
    assert (kind, parts, points) == (5, 1, len(ring))
    assert (minx, maxy) == (min(p[0] for p in ring), max(p[1] for p in ring))
    assert record_length == 1 + 80 + 32 + 8 + 24 + 36 + 16 + 20


def test_a_range_request_gets_part_of_the_file(api: Client) -> None:
    [entry] = presign(api, exportType="latest", exportFormat="gpkg")

    response = requests.get(entry["url"], headers={"Range": "bytes=0-15"}, timeout=30)

    assert response.status_code == 206 and response.content == b"SQLite format 3\x00"
    assert response.headers["Content-Range"] == f"bytes 0-15/{entry['size']}"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"exportType": "full", "exportFormat": "geoparquet"}, 404, "NOT_FOUND"),
        ({"exportType": "monthly", "exportFormat": "gpkg"}, 400, "VALIDATION_ERROR"),
        ({"exportType": "full", "exportFormat": "csv"}, 400, "VALIDATION_ERROR"),
        ({"exportType": "full"}, 400, "VALIDATION_ERROR"),
        ({"exportType": "full", "exportFormat": "gpkg", "fileNames": ["x"]}, 400, "VALIDATION_ERROR"),
        ({"exportType": "weekly", "fileNames": ["weekly/nothing_20200101.gpkg"]}, 404, "NOT_FOUND"),
    ],
)
def test_bad_presign_requests(api: Client, body: dict[str, Any], status: int, code: str) -> None:
    response = api.post("/catalog/archive-export/presigned", body)

    assert response.status_code == status, response.text
    error = error_of(response)
    assert error["code"] == code
    if code == "VALIDATION_ERROR":
        assert error["message"] == "Validation Error" and error["detail"][0]["path"]


def test_export_urls_are_refused_when_tampered_with_expired_or_sent_with_the_api_key(
    api: Client, capella_emulator: Any
) -> None:
    url = presign(api, exportType="latest", exportFormat="gpkg")[0]["url"]
    tampered = requests.get(url.replace("latest.gpkg", "full.gpkg"), timeout=30)
    with_key = requests.get(url, headers=capella_emulator.auth_headers, timeout=30)
    capella_emulator.settings(presign_ttl_seconds=-60)
    expired = requests.get(presign(api, exportType="latest", exportFormat="gpkg")[0]["url"], timeout=30)

    assert tampered.status_code == 403 and b"SignatureDoesNotMatch" in tampered.content
    assert with_key.status_code == 400 and b"InvalidArgument" in with_key.content
    assert expired.status_code == 403 and b"Request has expired" in expired.content
