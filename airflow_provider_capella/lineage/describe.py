"""Facts looked up after the fact: catalog facts of products, size and checksum of written files, costs."""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from airflow_provider_capella.lineage.record import FileFacts, LineageRecord, product_from_item
from airflow_provider_capella.lineage.record import tasking_request_ids_of_order as order_requests

if TYPE_CHECKING:
    from airflow_provider_capella.hooks.capella import CapellaHook

log = logging.getLogger(__name__)

MAX_IDS_PER_SEARCH = 10_000
HEAD_CONCURRENCY = 8
READ_CHUNK = 1 << 20
S3_CHECKSUMS = ("SHA256", "CRC64NVME", "CRC32C", "CRC32", "SHA1")  # ``Checksum<name>`` fields, by preference


def describe_products(record: LineageRecord, hook: CapellaHook) -> None:
    """Add the catalog facts of the products ``record`` names only by id."""
    stac_ids = record.undescribed_ids()
    for start in range(0, len(stac_ids), MAX_IDS_PER_SEARCH):
        chunk = stac_ids[start : start + MAX_IDS_PER_SEARCH]
        items = hook.search(ids=chunk, limit=len(chunk))
        record.add_products([product_from_item(item, record.tasking_request_id) for item in items])


def describe_download(record: LineageRecord, hook: CapellaHook, aws_conn_id: str | None) -> None:
    """Describe the products downloaded, the tasking request of each (from the order), and the files."""
    describe_products(record, hook)
    if record.order_id and any(not record.product(i).tasking_request_id for i in record.product_ids):
        for order in hook.list_orders(record.order_id):
            record.add_tasking_request_ids(order_requests(order))
    describe_files(record.files, aws_conn_id)


def describe_request_cost(record: LineageRecord, hook: CapellaHook) -> None:
    """Record the quoted cost: a tasking request's order total, a repeat request's per-image estimate."""
    if record.tasking_request_id:
        task = hook.get_task(tasking_request_id=record.tasking_request_id).get("properties") or {}
        record.set_cost(((task.get("order") or {}).get("summary") or {}).get("total"), "quoted")
    if record.repeat_request_id:
        repeat = hook.get_repeat_request(repeat_request_id=record.repeat_request_id).get("properties") or {}
        record.set_cost(repeat.get("costPerImageEstimate"), "estimated per image")


def describe_files(files: list[FileFacts], aws_conn_id: str | None = None) -> None:
    """Fill in size and checksum of every file in place: a local file read back, an S3 object's ``HEAD``."""
    for file in files:
        if not file.is_s3 and file.size is None:
            _describe_local(file)
    if remote := [file for file in files if file.is_s3 and file.size is None]:
        _describe_s3(remote, aws_conn_id)


def _describe_local(file: FileFacts) -> None:
    try:
        digest = hashlib.sha256()
        with open(file.location, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            while chunk := stream.read(READ_CHUNK):
                digest.update(chunk)
    except OSError as error:
        log.warning("Lineage: cannot read %s back for its checksum: %s", file.location, error)
        return
    file.size = size
    file.checksum_algorithm, file.checksum = "sha256", digest.hexdigest()


def _describe_s3(files: list[FileFacts], aws_conn_id: str | None) -> None:
    from airflow_provider_capella.transfer.s3client import s3_client  # lazy: boto3 only for S3 files
    from airflow_provider_capella.transfer.targets import split_s3_uri  # lazy: with the S3 client

    client = s3_client(aws_conn_id, max_pool_connections=HEAD_CONCURRENCY)

    def head(file: FileFacts) -> None:
        bucket, key = split_s3_uri(file.location)
        try:
            answer = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        except Exception as error:  # lineage must never fail the transfer it describes
            log.warning("Lineage: cannot HEAD %s for its size and checksum: %s", file.location, error)
            return
        length = answer.get("ContentLength")
        file.size = int(length) if isinstance(length, int) else None
        etag = str(answer.get("ETag") or "").strip('"')
        named = {name: answer.get(f"Checksum{name}") for name in S3_CHECKSUMS}
        stored = [(f"s3:{name.lower()}", str(value)) for name, value in named.items() if value]
        if stored or etag:  # S3's full-object checksum, in S3_CHECKSUMS' preference, else the ETag
            file.checksum_algorithm, file.checksum = (stored or [("s3:etag", etag)])[0]

    with ThreadPoolExecutor(max_workers=min(HEAD_CONCURRENCY, len(files))) as pool:
        list(pool.map(head, files))
