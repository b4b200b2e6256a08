"""Failures a long download meets: drops, 5xx, expired signatures, crashes; and what is left behind."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaOrderExpiredError
from airflow_provider_capella.transfer import CapellaDownloadError, TransferSettings, download_products
from tests.transfer.conftest import MiB, data_requests, expected_sha256, sha256_file, start_driver

PART = 5 * MiB
SETTINGS = TransferSettings(part_size=PART, concurrency=4)


def raster_path(root: Path, item: dict[str, Any]) -> Path:
    return root / item["id"] / f"{item['id']}.tif"


def requested_bytes(entries: list[dict[str, Any]], size: int) -> int:
    """Bytes the logged GETs asked for (a GET without Range asks for the whole file)."""
    total = 0
    for entry in entries:
        spec = entry["headers"].get("range", f"bytes=0-{size - 1}").split("=", 1)[1]
        first, last = spec.split("-")
        total += (int(last) if last else size - 1) - int(first) + 1
    return total


def test_drops_and_5xx_mid_transfer_are_retried_from_the_last_byte(capella_emulator, order, tmp_path, caplog):
    placed = order(count=2, asset_size=3 * PART + 99)
    capella_emulator.set_faults(fault_drop_rate=0.4, fail_next_status=503, fail_next_count=2, scope="asset")
    caplog.set_level("INFO", logger="airflow_provider_capella")

    result = download_products(placed.items, str(tmp_path), settings=SETTINGS)

    for item in placed.items:
        for key, path in result[item["id"]].items():
            assert sha256_file(path) == expected_sha256(capella_emulator, item, key)
    statuses = [entry["status"] for entry in capella_emulator.requests(path="/assets/")]
    assert statuses.count(503) == 2  # on whichever asset came first: the checksums or a data file
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert any("connection dropped" in line for line in retries)
    part_starts = {f"bytes={index * PART}-" for index in range(4)}
    resumed = [
        entry["headers"]["range"]
        for entry in data_requests(capella_emulator)
        if not any(entry["headers"].get("range", "").startswith(start) for start in part_starts)
        and entry["headers"].get("range") != "bytes=0-0"
    ]
    assert resumed, "a dropped part continues where the bytes stopped, not from the part's start"
    assert all("If-Match" not in line for line in retries)
    assert "Signature" not in caplog.text


def test_expired_urls_are_refreshed_once_from_the_order(capella_emulator, order, tmp_path):
    capella_emulator.settings(presign_ttl_seconds=0)
    placed = order(count=3)
    calls: list[int] = []

    def refresh() -> list[dict[str, Any]]:
        calls.append(1)
        capella_emulator.settings(presign_ttl_seconds=3600)
        return placed.refresh_items()

    result = download_products(placed.items, str(tmp_path), refresh_items=refresh, settings=SETTINGS)

    assert len(calls) == 1, "twelve files, one refresh"
    for item in placed.items:
        for key, path in result[item["id"]].items():
            assert sha256_file(path) == expected_sha256(capella_emulator, item, key)


def test_urls_still_refused_after_the_refresh_fail_saying_the_order_expired(
    capella_emulator, order, tmp_path
):
    capella_emulator.settings(presign_ttl_seconds=0)
    placed = order()

    with pytest.raises(CapellaOrderExpiredError) as caught:
        download_products(placed.items, str(tmp_path), refresh_items=placed.refresh_items, settings=SETTINGS)

    assert placed.refreshes == 1
    message = str(caught.value)
    assert "order has expired" in message and "403" in message
    assert "Signature" not in message and "Expires" not in message
    assert list(tmp_path.rglob("*.tif")) == [] and list(tmp_path.rglob("*.json")) == []


def test_without_a_refresh_an_expired_url_fails_at_once(capella_emulator, order, tmp_path):
    capella_emulator.settings(presign_ttl_seconds=0)
    placed = order()

    with pytest.raises(CapellaOrderExpiredError, match="get fresh presigned URLs from the order"):
        download_products(placed.items, str(tmp_path), settings=SETTINGS)

    assert len(data_requests(capella_emulator)) <= 4, "no retry loop on 403"


def start_in_thread(target: Any) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def wait_until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_failure_leaves_no_file_at_the_final_name_and_the_next_run_resumes(
    capella_emulator, order, tmp_path
):
    size = 4 * PART
    placed = order(asset_size=size)
    item = placed.items[0]
    target = raster_path(tmp_path, item)
    # the first two part requests pass, every later one fails: a failure after some parts landed
    capella_emulator.set_faults(
        fail_next_after=2, fail_next_status=500, fail_next_count=10_000, scope="asset"
    )
    settings = TransferSettings(part_size=PART, concurrency=2, max_attempts=2)

    worker, errors = start_in_thread(
        lambda: download_products(placed.items, str(tmp_path), include=["HH"], settings=settings)
    )
    state_file = Path(f"{target}.part.json")
    worker.join(60)

    assert len(errors) == 1 and isinstance(errors[0], CapellaDownloadError)
    assert not target.exists(), "no partial file at the final name"
    assert Path(f"{target}.part").stat().st_size == size
    done_before = json.loads(state_file.read_text())["done"]
    assert done_before

    capella_emulator.set_faults(fail_next_count=0)
    capella_emulator.clear_requests()
    download_products(placed.items, str(tmp_path), include=["HH"], settings=settings)

    assert sha256_file(str(target)) == expected_sha256(capella_emulator, item, "HH")
    fetched = requested_bytes(data_requests(capella_emulator, "GET"), size)
    assert fetched <= size - len(done_before) * PART
    assert not state_file.exists() and not Path(f"{target}.part").exists()


def settle(emulator: Any, quiet: float = 0.5) -> None:
    """Wait until requests the killed child had already sent stop reaching the emulator's log."""
    seen = -1
    while (count := len(data_requests(emulator))) != seen:
        seen = count
        time.sleep(quiet)


def test_a_killed_download_resumes_from_what_was_written(capella_emulator, order, tmp_path):
    size = 6 * PART + 4321
    placed = order(asset_size=size)
    item = placed.items[0]
    target = raster_path(tmp_path, item)
    state_file = Path(f"{target}.part.json")
    capella_emulator.set_faults(bandwidth=3_000_000, scope="asset")
    child = start_driver(
        {
            "items": placed.items,
            "destination": str(tmp_path),
            "part_size": PART,
            "concurrency": 2,
            "include": ["HH"],
        }
    )
    try:
        wait_until(lambda: state_file.exists() and len(json.loads(state_file.read_text())["done"]) >= 2, 60)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    assert not target.exists(), "the killed run left nothing at the final name"
    record = json.loads(state_file.read_text())
    done_bytes = sum(
        end - start for index, (start, end) in enumerate(record["ranges"]) if index in record["done"]
    )

    capella_emulator.set_faults(bandwidth=None)
    settle(capella_emulator)
    capella_emulator.clear_requests()
    download_products(placed.items, str(tmp_path), include=["HH"], settings=SETTINGS)

    assert sha256_file(str(target)) == expected_sha256(capella_emulator, item, "HH")
    gets = data_requests(capella_emulator, "GET")
    assert requested_bytes(gets, size) <= size - done_bytes, "only the missing parts were fetched"
    assert all(entry["headers"].get("if-match") for entry in gets), "resumed ranges are pinned to the ETag"


def test_a_partial_download_of_another_version_starts_over(capella_emulator, order, tmp_path, caplog):
    size = 2 * PART + 1
    placed = order(asset_size=size)
    item = placed.items[0]
    target = raster_path(tmp_path, item)
    target.parent.mkdir()
    Path(f"{target}.part").write_bytes(b"\0" * size)
    stale = {
        "version": 1,
        "size": size,
        "validator": '"older-version"',
        "ranges": [[0, PART], [PART, 2 * PART], [2 * PART, size]],
        "done": [0],
    }
    Path(f"{target}.part.json").write_text(json.dumps(stale))
    caplog.set_level("INFO", logger="airflow_provider_capella")

    download_products(placed.items, str(tmp_path), include=["HH"], settings=SETTINGS)

    assert sha256_file(str(target)) == expected_sha256(capella_emulator, item, "HH")
    assert "starting over" in caplog.text


def test_presigned_requests_carry_no_authorization_even_with_a_netrc(
    capella_emulator, order, tmp_path, monkeypatch
):
    placed = order()
    host = capella_emulator.url.split("//")[1].split(":")[0]
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {host} login someone password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))

    download_products(placed.items, str(tmp_path / "out"), settings=SETTINGS)

    entries = data_requests(capella_emulator)
    assert entries and all("authorization" not in entry["headers"] for entry in entries)
