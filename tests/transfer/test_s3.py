"""Downloads into S3 (a moto server over HTTP): streamed multipart parts, skipping, cleanup on failure."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from airflow_provider_capella.transfer import (
    CapellaDownloadError,
    TransferSettings,
    download_asset,
    download_products,
)
from tests.transfer.conftest import MiB, data_requests, expected_sha256, run_driver, start_driver

PART = 5 * MiB
BIG = 3 * PART + 777
SETTINGS = TransferSettings(part_size=PART, concurrency=4)


def test_products_stream_into_s3_byte_exact(capella_emulator, order, s3, tmp_path):
    placed = order(count=2, asset_size=BIG)

    result = download_products(placed.items, s3.uri("capella/"), settings=SETTINGS)

    for item in placed.items:
        for key, uri in result[item["id"]].items():
            assert uri == f"s3://{s3.name}/capella/{item['id']}/{uri.rsplit('/', 1)[1]}"
            s3_key = uri.split("/", 3)[3]
            assert s3.sha256(s3_key) == expected_sha256(capella_emulator, item, key), key
        raster_key = result[item["id"]]["HH"].split("/", 3)[3]
        head = s3.client.head_object(Bucket=s3.name, Key=raster_key)
        assert head["ETag"].strip('"').endswith("-4"), "a large file is one multipart upload of 4 parts"
        assert head["ContentType"] == item["assets"]["HH"]["type"]
    assert s3.open_uploads() == []
    assert list(tmp_path.iterdir()) == [], "nothing is staged on local disk"


def test_an_object_of_the_same_size_is_skipped_unless_override(capella_emulator, order, s3):
    placed = order(asset_size=BIG)
    download_products(placed.items, s3.uri("p"), settings=SETTINGS)
    raster_key = f"p/{placed.items[0]['id']}/{placed.items[0]['id']}.tif"
    stored = s3.client.head_object(Bucket=s3.name, Key=raster_key)["LastModified"]
    capella_emulator.clear_requests()
    time.sleep(1.1)  # S3 timestamps have one-second resolution

    download_products(placed.items, s3.uri("p"), settings=SETTINGS)

    assert s3.client.head_object(Bucket=s3.name, Key=raster_key)["LastModified"] == stored
    ranges = {entry["headers"].get("range") for entry in data_requests(capella_emulator, "GET")}
    assert ranges == {"bytes=0-0"}

    download_products(placed.items, s3.uri("p"), override=True, settings=SETTINGS)
    assert s3.client.head_object(Bucket=s3.name, Key=raster_key)["LastModified"] > stored


def test_download_asset_into_a_prefix_or_an_exact_key(capella_emulator, order, s3):
    placed = order(asset_size=BIG)
    item = placed.items[0]
    url = item["assets"]["HH"]["href"]

    into_prefix = download_asset(url, s3.uri("rasters/"))
    exact = download_asset(url, s3.uri("exact/name.tif"))

    assert into_prefix == f"s3://{s3.name}/rasters/{item['id']}.tif"
    assert exact == f"s3://{s3.name}/exact/name.tif"
    expected = expected_sha256(capella_emulator, item, "HH")
    assert s3.sha256(f"rasters/{item['id']}.tif") == s3.sha256("exact/name.tif") == expected


def wait_for_asset_gets(emulator: Any, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(data_requests(emulator, "GET")) < count:
        assert time.monotonic() < deadline, "the download never got going"
        time.sleep(0.05)


def test_a_failure_mid_upload_keeps_the_upload_for_the_next_try_which_completes_it(
    capella_emulator, order, s3
):
    placed = order(asset_size=4 * PART)
    capella_emulator.set_faults(bandwidth=4_000_000, scope="asset")
    capella_emulator.clear_requests()
    errors: list[BaseException] = []
    settings = TransferSettings(part_size=PART, concurrency=2, max_attempts=2, adaptive=False)

    def run() -> None:
        try:
            download_products(placed.items, s3.uri("x"), include=["HH"], settings=settings)
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    wait_for_asset_gets(capella_emulator, 2)  # the lead planned the upload and queued the other parts
    assert len(s3.open_uploads()) == 1
    capella_emulator.set_faults(fail_next_status=500, fail_next_count=10_000)
    worker.join(60)

    assert len(errors) == 1 and isinstance(errors[0], CapellaDownloadError)
    assert "HTTP 500" in str(errors[0])
    assert "Signature" not in str(errors[0])
    assert len(s3.open_uploads()) == 1, "a failure a retry can fix keeps the upload for that retry"
    assert s3.keys() == [], "no object at the final key"

    capella_emulator.set_faults(fail_next_count=0, bandwidth=None)
    download_products(placed.items, s3.uri("x"), include=["HH"], settings=settings)

    (key,) = s3.keys()
    assert s3.sha256(key) == expected_sha256(capella_emulator, placed.items[0], "HH")
    assert s3.open_uploads() == [], "the completed object leaves no upload open"


def test_without_resume_a_task_stopped_mid_upload_aborts_its_multipart_upload(capella_emulator, order, s3):
    placed = order(asset_size=6 * PART)
    capella_emulator.set_faults(bandwidth=3_000_000, scope="asset")
    capella_emulator.clear_requests()
    request = {"items": placed.items, "destination": s3.uri(), "part_size": PART, "concurrency": 2}
    child = start_driver({**request, "include": ["HH"], "enable_resume": False})
    try:
        wait_for_asset_gets(capella_emulator, 2)
        deadline = time.monotonic() + 30
        while not s3.open_uploads():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(60)

    assert child.returncode == 143
    assert s3.open_uploads() == [], "stopping the task aborted the upload"
    assert s3.keys() == []


def test_a_large_file_never_sits_in_memory(order, s3):
    """Parts stream from the response into upload_part: the process stays far below the file's size."""
    placed = order(asset_size=160 * MiB)
    request = {"items": placed.items, "destination": s3.uri(), "part_size": PART, "concurrency": 2}
    request["include"] = ["HH"]

    report = run_driver(request)

    assert report["peak_rss_bytes"] < 120 * MiB, "160 MiB went through S3, 2 parts of 5 MiB at a time"
