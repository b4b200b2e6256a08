"""A worker lost in the middle of streaming a 256 MiB product into S3: the retry, on the other worker,
completes a byte-exact object by fetching only the bytes whose parts S3 did not have yet, and no
multipart upload is left open (the transfer engine's S3 resume)."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

import pytest
from capella_emulator.asset_content import asset_sha256

from tests.e2e.cluster_checks import running_hostname, task_tries, unordered_stac_ids
from tests.e2e.cluster_world import ClusterWorld
from tests.e2e.conftest import CLUSTER_ASSET_SIZE

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

DAG = "cluster_crash_s3_download"
PRODUCT_SIZE = 256 * 1024 * 1024
PER_CONNECTION_BYTES_PER_SECOND = 2 * 1024 * 1024  # slow enough to kill the worker halfway
MARKER_PART = 10_000  # the resume manifest part, never part of the object
RANGE = re.compile(r"bytes=(\d+)-(\d*)")


def uploaded_parts(cluster: ClusterWorld, prefix: str) -> tuple[str, int]:
    """The key of the open multipart upload under ``prefix`` and the bytes of its data parts in S3."""
    client = cluster.services.s3_client()
    uploads = client.list_multipart_uploads(Bucket=cluster.bucket, Prefix=prefix).get("Uploads", [])
    if not uploads:
        return "", 0
    upload = uploads[0]
    parts = client.list_parts(Bucket=cluster.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    data = [part["Size"] for part in parts.get("Parts", []) if part["PartNumber"] != MARKER_PART]
    return upload["Key"], sum(data)


def bytes_requested(entries: list[dict[str, Any]], size: int) -> int:
    """Bytes the asset GETs asked for (a GET without Range asks for the whole object)."""
    total = 0
    for entry in entries:
        match = RANGE.fullmatch(entry["headers"].get("range", ""))
        if match is None:
            total += size
        else:
            end = int(match[2]) if match[2] else size - 1
            total += min(end, size - 1) - int(match[1]) + 1
    return total


def test_a_worker_killed_mid_upload_resumes_on_the_other_worker_byte_exact(cluster: ClusterWorld) -> None:
    airflow = cluster.airflow
    airflow.wait_for_dags(DAG)
    airflow.set_paused(DAG, False)
    stac_id = unordered_stac_ids(cluster, 1)[0]
    prefix = "resume/"
    cluster.emulator_control("POST", "/settings", {"asset_size": PRODUCT_SIZE})
    cluster.emulator_control(
        "POST", "/faults", {"bandwidth": PER_CONNECTION_BYTES_PER_SECOND, "scope": "asset"}
    )
    try:
        run_id = airflow.trigger(DAG, {"stac_ids": [stac_id], "prefix": "resume"})
        killed = running_hostname(airflow, DAG, run_id, "download")
        deadline = time.monotonic() + 600
        while uploaded_parts(cluster, prefix)[1] < PRODUCT_SIZE // 4:
            assert time.monotonic() < deadline, "no quarter of the product reached S3"
            time.sleep(0.5)
        cluster.kill_worker(killed)
        key, kept = uploaded_parts(cluster, prefix)  # what S3 holds now that nobody writes any more
        assert 0 < kept < PRODUCT_SIZE
        cluster.emulator_control("DELETE", "/requests")
        cluster.emulator_control("POST", "/faults", {"bandwidth": None, "scope": "all"})
        state, seen = airflow.wait_for_run(DAG, run_id, timeout=900)
        assert state == "success", seen
        raster = f"/{stac_id}/{stac_id}.tif"  # not the product's small checksums document
        retry_fetched = bytes_requested(
            [entry for entry in cluster.asset_downloads() if entry["path"].endswith(raster)], PRODUCT_SIZE
        )
    finally:
        cluster.emulator_control("POST", "/faults", {"bandwidth": None, "scope": "all"})
        cluster.emulator_control("POST", "/settings", {"asset_size": CLUSTER_ASSET_SIZE})
        cluster.restart_workers()

    tries = task_tries(airflow, DAG, run_id, "download")
    assert tries[0]["hostname"] == killed and tries[-1]["hostname"] != killed
    assert retry_fetched <= PRODUCT_SIZE - kept, (retry_fetched, kept)  # only what S3 did not have
    client = cluster.services.s3_client()
    assert client.list_multipart_uploads(Bucket=cluster.bucket, Prefix=prefix).get("Uploads", []) == []
    digest = hashlib.sha256()
    for chunk in client.get_object(Bucket=cluster.bucket, Key=key)["Body"].iter_chunks(8 * 1024 * 1024):
        digest.update(chunk)
    assert digest.hexdigest() == asset_sha256(stac_id, stac_id.split("_")[4], PRODUCT_SIZE)
