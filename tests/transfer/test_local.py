"""Downloads to local disk from the emulator: bytes, parts, skipping, selection, logging."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella.transfer import (
    TransferSettings,
    asset_bytesize,
    download_asset,
    download_products,
)
from tests.transfer.conftest import MiB, data_requests, expected_sha256, sha256_file

PART = 5 * MiB
BIG = 3 * PART + 12_345
SETTINGS = TransferSettings(part_size=PART, concurrency=4)


def asset_gets(emulator: Any, item: dict[str, Any], key: str) -> list[dict[str, Any]]:
    path = item["assets"][key]["href"].split("?")[0].split("/", 3)[3]
    return emulator.requests(path="/" + path, method="GET")


def leftovers(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.endswith((".part", ".part.json", ".tmp"))]


def test_products_arrive_byte_exact_in_their_own_folders(capella_emulator, order, tmp_path):
    placed = order(count=2, asset_size=BIG)

    result = download_products(placed.items, str(tmp_path), settings=SETTINGS)

    assert set(result) == {item["id"] for item in placed.items}
    for item in placed.items:
        paths = result[item["id"]]
        assert set(paths) == {"HH", "metadata", "thumbnail", "preview", "checksums"}, (
            "license is never downloaded"
        )
        for key, path in paths.items():
            assert Path(path).parent == tmp_path / item["id"]
            assert sha256_file(path) == expected_sha256(capella_emulator, item, key), key
        assert os.path.getsize(paths["HH"]) == BIG
    assert leftovers(tmp_path) == []


def test_a_large_file_is_fetched_as_parallel_ranges_and_a_small_one_with_one_get(
    capella_emulator, order, tmp_path
):
    placed = order(asset_size=BIG)
    item = placed.items[0]

    download_products(placed.items, str(tmp_path), settings=SETTINGS)

    ranges = sorted(entry["headers"]["range"] for entry in asset_gets(capella_emulator, item, "HH"))
    starts = [0, PART, 2 * PART, 3 * PART]
    ends = [PART - 1, 2 * PART - 1, 3 * PART - 1, BIG - 1]
    assert ranges == sorted(f"bytes={start}-{end}" for start, end in zip(starts, ends, strict=True))
    assert len(asset_gets(capella_emulator, item, "thumbnail")) == 1
    assert all("authorization" not in entry["headers"] for entry in data_requests(capella_emulator))


def test_many_products_share_one_bounded_pool(capella_emulator, order, tmp_path):
    placed = order(count=6, asset_size=PART + 1)
    seen: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            seen.append(sum(t.name.startswith("capella-transfer") for t in threading.enumerate()))
            stop.wait(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        download_products(
            placed.items,
            str(tmp_path),
            settings=TransferSettings(part_size=PART, concurrency=3, adaptive=False),
        )
    finally:
        stop.set()
        sampler.join()

    assert max(seen) == 3, "24 files, but never more workers than `concurrency`"


def test_a_second_run_skips_complete_files_and_override_downloads_again(capella_emulator, order, tmp_path):
    placed = order(asset_size=BIG)
    first = download_products(placed.items, str(tmp_path), settings=SETTINGS)
    raster = Path(first[placed.items[0]["id"]]["HH"])
    written_at = raster.stat().st_mtime_ns
    capella_emulator.clear_requests()

    again = download_products(placed.items, str(tmp_path), settings=SETTINGS)

    assert again == first
    assert raster.stat().st_mtime_ns == written_at
    probes = data_requests(capella_emulator, "GET")
    assert {entry["headers"].get("range") for entry in probes} == {"bytes=0-0"}, "only one-byte size probes"

    capella_emulator.clear_requests()
    download_products(placed.items, str(tmp_path), override=True, settings=SETTINGS)
    assert len(data_requests(capella_emulator, "GET")) == 4 + 3  # 4 parts + 3 small files
    assert sha256_file(str(raster)) == expected_sha256(capella_emulator, placed.items[0], "HH")


def test_a_file_of_another_size_at_the_target_is_replaced(capella_emulator, order, tmp_path):
    placed = order()
    item = placed.items[0]
    target = tmp_path / item["id"] / f"{item['id']}.tif"
    target.parent.mkdir()
    target.write_bytes(b"truncated by an older tool")

    download_products(placed.items, str(tmp_path), include=["HH"], settings=SETTINGS)

    assert sha256_file(str(target)) == expected_sha256(capella_emulator, item, "HH")


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (None, None, {"HH", "metadata", "thumbnail", "preview", "checksums"}),
        (["raster"], None, {"HH"}),
        (None, ["raster"], {"metadata", "thumbnail", "preview", "checksums"}),
        (["raster", "metadata"], ["HH"], {"metadata"}),
        (["license", "thumbnail"], None, {"thumbnail"}),
        (["VV"], None, set()),
    ],
)
def test_include_and_exclude_select_assets_as_the_sdk_does(order, tmp_path, include, exclude, expected):
    placed = order()
    item_id = placed.items[0]["id"]

    result = download_products(
        placed.items, str(tmp_path), include=include, exclude=exclude, settings=SETTINGS
    )

    assert set(result[item_id]) == expected
    on_disk = {path.name for path in (tmp_path / item_id).glob("*")} if expected else set()
    assert on_disk == {Path(path).name for path in result[item_id].values()}


def test_without_separate_dirs_files_land_directly_in_the_destination(order, tmp_path):
    placed = order(count=2)

    result = download_products(placed.items, str(tmp_path), separate_dirs=False, settings=SETTINGS)

    paths = [Path(path) for item_paths in result.values() for path in item_paths.values()]
    assert len(paths) == 10, "5 files (raster, metadata, thumbnail, preview, checksums) of 2 products"
    assert {path.parent for path in paths} == {tmp_path}
    assert all(path.is_file() for path in paths)


def test_download_asset_to_a_directory_or_a_file_path(capella_emulator, order, tmp_path):
    placed = order(asset_size=BIG)
    item = placed.items[0]
    url = item["assets"]["HH"]["href"]

    into_dir = download_asset(url, str(tmp_path))
    as_file = download_asset(url, str(tmp_path / "named" / "raster.tif"))

    assert into_dir == str(tmp_path / f"{item['id']}.tif")
    assert as_file == str(tmp_path / "named" / "raster.tif")
    for path in (into_dir, as_file):
        assert sha256_file(path) == expected_sha256(capella_emulator, item, "HH")


def test_asset_bytesize_reports_the_served_size(order):
    placed = order(asset_size=BIG)
    assets = placed.items[0]["assets"]

    assert asset_bytesize(assets["HH"]["href"]) == BIG
    assert asset_bytesize(assets["thumbnail"]["href"]) > 0


def test_progress_lines_and_a_summary_are_logged(order, tmp_path, caplog):
    placed = order(asset_size=BIG)
    caplog.set_level("INFO", logger="airflow_provider_capella")

    download_products(
        placed.items,
        str(tmp_path),
        settings=TransferSettings(part_size=PART, concurrency=4, progress_interval=0.0),
    )

    progress = [r.getMessage() for r in caplog.records if "ETA" in r.getMessage()]
    assert progress, "a progress line per download"
    assert all("%" in line and "MB/s" in line for line in progress)
    summary = caplog.records[-1].getMessage()
    assert summary.startswith("downloaded 5 files") and "MB/s" in summary


@pytest.fixture
def plain_http_server(tmp_path):
    """A server that knows nothing of Range (Python's http.server): every GET is a 200 of the whole file."""
    import functools
    import http.server

    served = tmp_path / "served"
    served.mkdir()

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

    handler = functools.partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_a_server_that_ignores_range_gets_one_plain_download(plain_http_server, tmp_path, caplog):
    served, url = plain_http_server
    payload = os.urandom(3 * PART + 5)
    (served / "CAPELLA_X.tif").write_bytes(payload)
    caplog.set_level("INFO", logger="airflow_provider_capella")

    path = download_asset(
        f"{url}/CAPELLA_X.tif?Signature=secret", str(tmp_path / "out") + "/", settings=SETTINGS
    )

    assert Path(path).read_bytes() == payload
    assert "ignores Range requests" in caplog.text
    assert "secret" not in caplog.text
