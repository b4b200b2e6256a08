"""S3 uploads that survive a dying worker, and parts S3 checks: resume, changed sources, corruption."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

import pytest

from airflow_provider_capella.transfer import CapellaDownloadError, TransferSettings, download_products
from airflow_provider_capella.transfer.errors import IntegrityError
from airflow_provider_capella.transfer.s3_parts import MARKER_PART, list_open_uploads
from tests.transfer.conftest import MiB, data_requests, expected_sha256, run_driver, start_driver
from tests.transfer.corrupting_proxy import CorruptingProxy

PART = 5 * MiB
PARTS = 8
SETTINGS = TransferSettings(part_size=PART, concurrency=2)


def part_ranges(entries: list[dict[str, Any]]) -> set[int]:
    """The part indexes the logged asset GETs asked for (the one-byte probe left out)."""
    starts = set()
    for entry in entries:
        spec = entry["headers"].get("range", "bytes=0-")
        if spec == "bytes=0-0":
            continue
        start = int(spec.split("=", 1)[1].split("-", 1)[0])
        assert start % PART == 0, f"a resumed download asks for whole parts, got {spec}"
        starts.add(start // PART)
    return starts


def uploaded_parts(s3: Any, key_suffix: str = ".tif") -> tuple[str, str, set[int]]:
    """The one open upload on the raster: its key, id and the data parts (marker left out) S3 holds."""
    (upload,) = [entry for entry in s3.open_uploads() if entry["Key"].endswith(key_suffix)]
    listed = s3.client.list_parts(Bucket=s3.name, Key=upload["Key"], UploadId=upload["UploadId"])
    numbers = {part["PartNumber"] for part in listed.get("Parts", [])}
    assert MARKER_PART in numbers, "every upload of ours carries its source manifest"
    return upload["Key"], upload["UploadId"], {number - 1 for number in numbers if number != MARKER_PART}


def kill_mid_upload(emulator: Any, s3: Any, items: list[dict[str, Any]], parts_before_kill: int) -> None:
    """Run the download in a child process and SIGKILL it once S3 holds ``parts_before_kill`` parts."""
    emulator.set_faults(bandwidth=2_500_000, scope="asset")
    request = {"items": items, "destination": s3.uri(), "part_size": PART, "concurrency": 2}
    child = start_driver({**request, "include": ["HH"]})
    try:
        deadline = time.monotonic() + 90
        while True:
            assert child.poll() is None, child.stderr.read() if child.stderr else "the driver exited"
            uploads = [entry for entry in s3.open_uploads() if entry["Key"].endswith(".tif")]
            if uploads and len(uploaded_parts(s3)[2]) >= parts_before_kill:
                break
            assert time.monotonic() < deadline, "the upload never got going"
            time.sleep(0.1)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    emulator.set_faults(bandwidth=None)
    time.sleep(0.5)  # a part whose bytes had all reached the server may still be stored


def test_a_killed_worker_s_upload_is_resumed_by_another_process_fetching_only_missing_parts(
    capella_emulator, order, s3
):
    placed = order(asset_size=PARTS * PART + 1234)
    item = placed.items[0]
    kill_mid_upload(capella_emulator, s3, placed.items, parts_before_kill=2)
    key, upload_id, kept = uploaded_parts(s3)
    assert 2 <= len(kept) < PARTS + 1
    capella_emulator.clear_requests()

    run_driver(
        {
            "items": placed.items,
            "destination": s3.uri(),
            "part_size": PART,
            "concurrency": 2,
            "include": ["HH"],
        }
    )

    fetched = part_ranges(data_requests(capella_emulator, "GET"))
    assert fetched, "the missing parts were fetched"
    assert not fetched & kept, f"parts {sorted(fetched & kept)} were already in S3 and fetched again"
    assert fetched | kept == set(range(PARTS + 1)), "every part is in the object"
    assert s3.sha256(key) == expected_sha256(capella_emulator, item, "HH"), "byte-exact"
    head = s3.client.head_object(Bucket=s3.name, Key=key, ChecksumMode="ENABLED")
    assert head.get("ChecksumType") == "FULL_OBJECT" and head.get("ChecksumCRC32")
    assert head["Metadata"]["capella-source"].endswith(".tif")
    assert s3.open_uploads() == [], f"upload {upload_id} was completed, nothing is left open"


def test_an_upload_left_for_another_version_of_the_source_is_aborted_not_completed(
    capella_emulator, order, s3
):
    placed = order(asset_size=PARTS * PART)
    kill_mid_upload(capella_emulator, s3, placed.items, parts_before_kill=1)
    key, stale_upload, _ = uploaded_parts(s3)
    capella_emulator.settings(asset_size=PARTS * PART + 4321)  # same URL, new size and ETag
    capella_emulator.clear_requests()

    download_products(placed.items, s3.uri(), include=["HH"], settings=SETTINGS)

    fetched = part_ranges(data_requests(capella_emulator, "GET"))
    assert fetched == set(range(PARTS + 1)), "nothing of the old version was reused"
    assert s3.sha256(key) == expected_sha256(capella_emulator, placed.items[0], "HH")
    assert s3.open_uploads() == [], f"the stale upload {stale_upload} was aborted"


def test_a_part_damaged_on_the_wire_is_refused_by_its_checksum_and_sent_again(
    capella_emulator, order, s3, moto_server, monkeypatch
):
    placed = order(asset_size=3 * PART + 5)
    with CorruptingProxy(moto_server, corrupt_part=2, times=1) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        result = download_products(placed.items, s3.uri(), include=["HH"], settings=SETTINGS)

    assert proxy.refused_parts() == [2], "S3 refused the damaged copy of part 2"
    key = result[placed.items[0]["id"]]["HH"].split("/", 3)[3]
    assert s3.sha256(key) == expected_sha256(capella_emulator, placed.items[0], "HH")
    assert s3.open_uploads() == []


def test_a_part_damaged_every_time_fails_the_file_and_leaves_nothing(
    capella_emulator, order, s3, moto_server, monkeypatch
):
    placed = order(asset_size=3 * PART + 5)
    with CorruptingProxy(moto_server, corrupt_part=2, times=100) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        with pytest.raises(CapellaDownloadError, match="refused part 2") as failure:
            download_products(placed.items, s3.uri(), include=["HH"], settings=SETTINGS)

    assert isinstance(failure.value.__cause__, IntegrityError)
    assert proxy.refused_parts() == [2, 2, 2]
    assert s3.keys() == [], "no object at the final key"
    assert s3.open_uploads() == [], "a failure no retry can fix aborts the upload"


def test_list_open_uploads_shows_the_uploads_a_killed_worker_left(capella_emulator, order, s3):
    placed = order(asset_size=PARTS * PART)
    kill_mid_upload(capella_emulator, s3, placed.items, parts_before_kill=1)
    key, upload_id, _ = uploaded_parts(s3)
    s3.client.create_multipart_upload(Bucket=s3.name, Key="someone-else/file.bin")

    leftovers = list_open_uploads(s3.name)

    assert [(upload.key, upload.upload_id) for upload in leftovers] == [(key, upload_id)], "only ours"
    assert list_open_uploads(s3.name, "elsewhere/") == []


def test_aws_conn_id_without_the_amazon_provider_fails_before_any_download(capella_emulator, order, tmp_path):
    placed = order(asset_size=PART)
    capella_emulator.clear_requests()
    script = (
        "import sys, json\n"
        "sys.modules['airflow.providers.amazon'] = None\n"
        "from airflow_provider_capella.transfer import download_products\n"
        "try:\n"
        "    download_products(json.load(sys.stdin), 's3://bucket/x', aws_conn_id='my_aws')\n"
        "except ValueError as error:\n"
        "    print(error)\n"
    )
    import json
    import sys

    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(placed.items),
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
        check=True,
    )

    assert "aws_conn_id='my_aws'" in done.stdout and "pip install" in done.stdout, done.stderr[-2000:]
    assert data_requests(capella_emulator) == [], "nothing was downloaded"
