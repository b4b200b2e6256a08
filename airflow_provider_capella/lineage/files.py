"""Size and checksum of the files a download wrote, from what is cheap to learn after the fact.

The transfer engine reports where each file went, not its digest, so:

- a local file: its size from ``stat`` and its SHA-256, read back once (the file was just written, so
  it is usually still in the page cache; about a second per GB on a current CPU);
- an S3 object: one ``HEAD`` (``ChecksumMode=ENABLED``): its size, and S3's own full-object checksum
  when the upload stored one (SHA-256, CRC64NVME, CRC32C, CRC32, SHA-1, in that preference), else its
  ETag (the MD5 of a single-part upload; ``<md5 of part MD5s>-<parts>`` of a multipart one). Nothing is
  downloaded again.

A file that cannot be described (permissions, a vanished object) keeps only its location: lineage never
fails a download.
"""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow_provider_capella.lineage.record import FileFacts

log = logging.getLogger(__name__)

HEAD_CONCURRENCY = 8
READ_CHUNK = 1 << 20
S3_CHECKSUMS = (
    ("ChecksumSHA256", "s3:sha256"),
    ("ChecksumCRC64NVME", "s3:crc64nvme"),
    ("ChecksumCRC32C", "s3:crc32c"),
    ("ChecksumCRC32", "s3:crc32"),
    ("ChecksumSHA1", "s3:sha1"),
)


def written_files(paths: dict[str, dict[str, str]]) -> list[FileFacts]:
    """One :class:`FileFacts` (location only) per file of ``{stac_id: {asset_key: location}}``."""
    return [
        FileFacts(location=location, stac_id=stac_id, asset_key=asset_key)
        for stac_id, assets in paths.items()
        for asset_key, location in assets.items()
    ]


def describe_files(files: list[FileFacts], aws_conn_id: str | None = None) -> None:
    """Fill in size and checksum of every file in place (see the module docstring for how).

    Example::

        files = written_files(paths)
        describe_files(files, aws_conn_id="aws_default")
    """
    local = [file for file in files if not file.is_s3 and file.size is None]
    remote = [file for file in files if file.is_s3 and file.size is None]
    for file in local:
        _describe_local(file)
    if remote:
        _describe_s3(remote, aws_conn_id)


def describe_body(file: FileFacts, body: bytes) -> None:
    """Size and SHA-256 of a document written from memory (no read back)."""
    file.size = len(body)
    file.checksum_algorithm, file.checksum = "sha256", hashlib.sha256(body).hexdigest()


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
    from airflow_provider_capella.transfer.s3client import s3_client
    from airflow_provider_capella.transfer.targets import split_s3_uri

    client = s3_client(aws_conn_id, max_pool_connections=HEAD_CONCURRENCY)

    def head(file: FileFacts) -> None:
        bucket, key = split_s3_uri(file.location)
        try:
            answer = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        except Exception as error:  # lineage must never fail the transfer it describes
            log.warning("Lineage: cannot HEAD %s for its size and checksum: %s", file.location, error)
            return
        _apply_head(file, answer)

    with ThreadPoolExecutor(max_workers=min(HEAD_CONCURRENCY, len(files))) as pool:
        list(pool.map(head, files))


def _apply_head(file: FileFacts, answer: dict[str, Any]) -> None:
    length = answer.get("ContentLength")
    file.size = int(length) if isinstance(length, int) else None
    for field, algorithm in S3_CHECKSUMS:
        if answer.get(field):
            file.checksum_algorithm, file.checksum = algorithm, str(answer[field])
            return
    etag = str(answer.get("ETag") or "").strip('"')
    if etag:
        file.checksum_algorithm, file.checksum = "s3:etag", etag
