"""Finding the multipart upload an earlier try left for a key, and deciding what of it can be trusted.

S3 lists a key's open uploads and each upload's parts (size, ETag, checksum), but never the metadata an
upload was created with. So besides that metadata (which the completed object keeps), every upload of
ours carries a *marker part*: part number 10,000, never included in the completed object, whose bytes
are a small JSON manifest of the source version (URL path, size, ETag or Last-Modified, part size and
checksum algorithm). A later try computes the manifest of what it is about to download and recognises
its upload when the marker's checksum (or, where S3 lists no checksum, its MD5 ETag) matches.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_capella.transfer.checksums import Crc, decode, encode
from airflow_provider_capella.transfer.planner import SourceVersion
from airflow_provider_capella.transfer.s3client import s3_client
from airflow_provider_capella.transfer.settings import S3_MAX_PARTS

log = logging.getLogger(__name__)

MARKER_PART = S3_MAX_PARTS
MANIFEST_VERSION = 1
METADATA_PREFIX = "capella-"


def manifest(source: SourceVersion, part_size: int, crc: Crc) -> bytes:
    """Build the marker part's bytes for ``source`` copied in ``part_size`` parts checksummed with ``crc``."""
    record = {
        "capella-transfer": MANIFEST_VERSION,
        "source": source.path,
        "size": source.size,
        "validator": source.validator,
        "part_size": part_size,
        "checksum": crc.name,
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


def upload_metadata(source: SourceVersion, part_size: int) -> dict[str, str]:
    """Build the object metadata recording the source version (ASCII only, as S3 metadata must be)."""
    values = {"source": source.path, "size": source.size, "validator": (source.validator or "").strip('"')}
    values["part-size"] = part_size
    return {
        f"{METADATA_PREFIX}{name}": str(value).encode("ascii", "replace").decode()
        for name, value in values.items()
    }


@dataclass
class ListedPart:
    """One uploaded part as ``ListParts`` reports it."""

    number: int
    size: int
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass
class OpenUpload:
    """A multipart upload of ours still open on S3, and its parts (the marker part apart)."""

    bucket: str
    key: str
    upload_id: str
    marker: ListedPart
    parts: dict[int, ListedPart]

    def matches(self, expected: bytes, crc: Crc) -> bool:
        """Tell whether this upload's marker holds exactly ``expected`` (the current source's manifest)."""
        listed = self.marker.checksums.get(crc.name)
        if listed is not None:
            return listed == encode(crc.of(expected))
        md5 = hashlib.md5(expected, usedforsecurity=False).hexdigest()
        return self.marker.etag.strip('"') == md5


def list_parts(client: Any, bucket: str, key: str, upload_id: str) -> dict[int, ListedPart]:
    """List every part of an upload (ListParts pages through 1,000 at a time)."""
    parts: dict[int, ListedPart] = {}
    marker = 0
    while True:
        page = client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker)
        for entry in page.get("Parts", []):
            checksums = {
                name[len("Checksum") :]: value
                for name, value in entry.items()
                if name.startswith("Checksum") and name != "ChecksumType" and isinstance(value, str)
            }
            number = int(entry["PartNumber"])
            parts[number] = ListedPart(number, int(entry["Size"]), str(entry.get("ETag", "")), checksums)
        if not page.get("IsTruncated"):
            return parts
        marker = int(page["NextPartNumberMarker"])


def open_uploads_of(
    client: Any, bucket: str, prefix: str = "", *, exact_key: bool = False
) -> list[OpenUpload]:
    """List our open multipart uploads under ``prefix`` (on the key ``prefix`` only, if ``exact_key``)."""
    found: list[OpenUpload] = []
    for entry in list_uploads(client, bucket, prefix):
        key, upload_id = entry["Key"], entry["UploadId"]
        if exact_key and key != prefix:
            continue
        parts = list_parts(client, bucket, key, upload_id)
        marker = parts.pop(MARKER_PART, None)
        if marker is None:
            continue  # not ours (or ours, dead before its marker went up: the lifecycle rule's case)
        found.append(OpenUpload(bucket, key, upload_id, marker, parts))
    return found


def list_uploads(client: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """List every open multipart upload under ``prefix`` (anyone's), page after page."""
    paginator = client.get_paginator("list_multipart_uploads")
    return [
        entry
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
        for entry in page.get("Uploads", [])
    ]


def list_open_uploads(bucket: str, prefix: str = "", *, aws_conn_id: str | None = None) -> list[OpenUpload]:
    """List the multipart uploads this provider left open under ``s3://bucket/prefix``.

    A download into S3 that was interrupted (worker killed, task stopped, retries exhausted) keeps its
    upload open so that the next try resumes it; a completed or definitively failed one leaves none.
    Use this to check a bucket (say, after a cluster test) or to find what a lifecycle rule will reap.

    :param bucket: the bucket name.
    :param prefix: a key prefix; ``""`` lists the whole bucket.
    :param aws_conn_id: the Airflow AWS connection, as for the downloads (None: boto3's default chain).

    Example::

        assert list_open_uploads("my-bucket", "capella/") == []
    """
    return open_uploads_of(s3_client(aws_conn_id, max_pool_connections=2), bucket, prefix)


def trusted_parts(upload: OpenUpload, sizes: dict[int, int], crc: Crc) -> dict[int, int]:
    """Pick ``{part number: crc}`` of the parts whose size is the planned one and whose checksum S3 verified.

    A part listed without a checksum in ``crc``'s algorithm is not trusted: it is fetched again.
    """
    trusted: dict[int, int] = {}
    for number, part in upload.parts.items():
        value = part.checksums.get(crc.name)
        if value is not None and sizes.get(number) == part.size:
            with contextlib.suppress(ValueError):
                trusted[number] = decode(value)
    return trusted


def abort_upload(client: Any, bucket: str, key: str, upload_id: str, *, attempts: int = 3) -> None:
    """Abort one multipart upload, a few times if S3 is flaky; an error is logged if it stays."""
    for attempt in range(1, attempts + 1):
        try:
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            return
        except Exception as error:  # keep trying: an open upload costs the user storage
            response = getattr(error, "response", None) or {}
            if response.get("Error", {}).get("Code") in ("NoSuchUpload", "404"):
                return
            log.warning(
                "aborting multipart upload of s3://%s/%s failed (attempt %d): %s", bucket, key, attempt, error
            )
    log.error(
        "could not abort multipart upload %s of s3://%s/%s; abort it or rely on the bucket's lifecycle rule",
        upload_id,
        bucket,
        key,
    )
