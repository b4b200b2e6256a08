"""S3 parts: filled in memory with their CRC, uploaded beside the downloads, found again by a later try."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer.errors import IntegrityError, log
from airflow_provider_capella.transfer.s3client import s3_client
from airflow_provider_capella.transfer.settings import S3_MAX_PARTS

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.planner import ByteRange, SourceVersion
    from airflow_provider_capella.transfer.sinks import S3MultipartSink


_CRC32_POLY = 0xEDB88320  # reflected polynomials
_CRC32C_POLY = 0x82F63B78
_TOP = 1 << 31


@dataclass(frozen=True)
class Crc:
    """One CRC algorithm as S3 names it, its running update and its combination of two CRCs."""

    name: str
    update: Callable[[bytes | bytearray | memoryview, int], int]
    poly: int

    @property
    def parameter(self) -> str:
        """Name the boto3 parameter and response field carrying this checksum (``ChecksumCRC32``)."""
        return f"Checksum{self.name}"

    def combine(self, first: int, second: int, second_length: int) -> int:
        """Return the CRC of ``A + B`` from ``crc(A)``, ``crc(B)`` and ``len(B)``."""
        if second_length <= 0:
            return first
        shift, k, powers = _TOP, 3, _powers(self.poly)  # x^(8 * len(B)): crc(A) past len(B) zero bytes
        while second_length:
            if second_length & 1:
                shift = _multiply(powers[k], shift, self.poly)
            second_length >>= 1
            k += 1
        return _multiply(shift, first, self.poly) ^ second

    def of(self, data: bytes | bytearray | memoryview) -> int:
        return self.update(data, 0)


def encode(value: int) -> str:
    """Write a CRC as S3 does: the four big-endian bytes, base64 (``0xCBF43926`` is ``y/Q5Jg==``)."""
    return base64.b64encode(value.to_bytes(4, "big")).decode("ascii")


CRC32 = Crc("CRC32", zlib.crc32, _CRC32_POLY)


@cache
def default_crc() -> Crc:
    """Pick CRC32C when ``awscrt`` is installed (hardware accelerated), else CRC32."""
    try:
        from awscrt import checksums  # lazy: optional (boto3[crt]), and heavy
    except ImportError:
        return CRC32
    return Crc("CRC32C", lambda data, value: int(checksums.crc32c(data, value)), _CRC32C_POLY)


def crc_named(name: str) -> Crc | None:
    """Return the algorithm S3 calls ``name``, when this process can compute it."""
    return next((crc for crc in (default_crc(), CRC32) if crc.name == name.upper()), None)


def _multiply(a: int, b: int, poly: int) -> int:
    """Multiply ``a * b`` modulo the polynomial, both in reflected bit order."""
    product = 0
    mask = _TOP
    while mask:
        if a & mask:
            product ^= b
        mask >>= 1
        b = (b >> 1) ^ poly if b & 1 else b >> 1
    return product


@cache
def _powers(poly: int) -> tuple[int, ...]:
    """Tabulate ``x^(2^k)`` modulo the polynomial, for k = 0..63."""
    powers = [_TOP >> 1]  # x^1
    for _ in range(63):
        powers.append(_multiply(powers[-1], powers[-1], poly))
    return tuple(powers)


CHECKSUM_REFUSALS = ("BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "InvalidChecksum")
SEND_ATTEMPTS = 3


def upload_part(sink: S3MultipartSink, upload_id: str, number: int, body: bytearray, crc: int) -> str:
    """Send one part with its CRC (again, if S3 finds it damaged in transit); return its ETag."""
    from botocore.exceptions import ClientError  # lazy: botocore is loaded only for S3 destinations

    request = dict(Bucket=sink.bucket, Key=sink.key, UploadId=upload_id, PartNumber=number, Body=body)
    request[sink.crc.parameter] = encode(crc)
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return str(sink.client.upload_part(**request)["ETag"])
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code not in CHECKSUM_REFUSALS:
                raise
            if attempt < SEND_ATTEMPTS:
                what = f"part {number}: its bytes did not match their {sink.crc.name} ({code})"
                log.warning("%s: S3 refused %s; sending it again (try %d)", sink.location, what, attempt + 1)
    raise IntegrityError(f"{sink.location}: S3 refused part {number} {SEND_ATTEMPTS} times: bytes damaged")


class PartWriter:
    """Fills one part buffer at a time, CRC included, uploading it when full; a range may span parts."""

    def __init__(self, sink: S3MultipartSink, parts: list[ByteRange]) -> None:
        self._sink, self._parts = sink, parts
        self._buffer: bytearray | None = None
        self._current = self._filled = self._crc = self.written = 0

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            target = self.buffer_for(len(view))
            if target is None:
                raise ValueError(f"{self._sink.location}: more bytes than the range holds")
            count = len(target)
            target[:] = view[:count]
            self.received(count)
            view = view[count:]

    def buffer_for(self, amount: int) -> memoryview | None:
        """Where the next ``amount`` bytes can be received in place (no copy), when they fit one part."""
        if self._current >= len(self._parts):
            return None
        part = self._parts[self._current]
        if self._buffer is None:
            self._buffer = self._sink.new_buffer(part.length)
            self._filled = self._crc = 0
        return memoryview(self._buffer)[self._filled : self._filled + min(part.length - self._filled, amount)]

    def received(self, count: int) -> None:
        """Take in the ``count`` bytes received into :meth:`buffer_for`'s view."""
        assert self._buffer is not None
        part = self._parts[self._current]
        piece = memoryview(self._buffer)[self._filled : self._filled + count]
        self._crc = self._sink.crc.update(piece, self._crc)
        self._filled += count
        self.written += count
        if self._filled == part.length:
            self._flush(part)

    def close(self) -> None:
        if self._current < len(self._parts) and self._parts[self._current].length == 0:
            self._flush(self._parts[self._current])

    def discard(self) -> None:
        self._buffer = None

    def _flush(self, part: ByteRange) -> None:
        body, self._buffer = self._buffer if self._buffer is not None else bytearray(), None
        self._sink.store_part(part, body, self._crc)
        self._current += 1


class PartUploads:
    """A bounded pool of upload threads shared by every S3 object of a download call, recycling buffers."""

    def __init__(self, threads: int, max_pending: int) -> None:
        self._slots = threading.BoundedSemaphore(max_pending)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="capella-upload")
        self._free: dict[int, list[bytearray]] = {}
        self._lock = threading.Lock()

    def take_buffer(self, size: int) -> bytearray:
        """Take a part buffer of exactly ``size`` bytes, recycled when one is free."""
        with self._lock:
            free = self._free.get(size)
            if free:
                return free.pop()
        return bytearray(size)

    def give_back(self, buffer: bytearray) -> None:
        with self._lock:
            self._free.setdefault(len(buffer), []).append(buffer)

    def submit(self, upload: Callable[[], None]) -> Future[None]:
        """Queue ``upload``; blocks while ``max_pending`` uploads are already waiting or running."""
        self._slots.acquire()
        future = self._executor.submit(upload)
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


MARKER_PART = S3_MAX_PARTS
MANIFEST_VERSION = 1


def manifest(source: SourceVersion, part_size: int, crc: Crc) -> bytes:
    """Build the marker part's bytes for ``source`` copied in ``part_size`` parts checksummed with ``crc``."""
    record = dict(source=source.path, size=source.size, validator=source.validator, part_size=part_size)
    record.update({"capella-transfer": MANIFEST_VERSION, "checksum": crc.name})
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class ListedPart:
    """One uploaded part as ``ListParts`` reports it."""

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
        return self.marker.etag.strip('"') == hashlib.md5(expected, usedforsecurity=False).hexdigest()

    def trusted_parts(self, sizes: dict[int, int], crc: Crc) -> dict[int, int]:
        """Pick ``{number: crc}`` of the parts of the planned size whose ``crc`` S3 lists (so verified)."""
        trusted: dict[int, int] = {}
        for number, part in self.parts.items():
            value = part.checksums.get(crc.name)
            if value is not None and sizes.get(number) == part.size:
                with contextlib.suppress(ValueError):  # S3's base64 of four big-endian bytes
                    raw = base64.b64decode(value, validate=True)
                    if len(raw) == 4:  # not a composite ``value-N``
                        trusted[number] = int.from_bytes(raw, "big")
        return trusted


def list_parts(client: Any, bucket: str, key: str, upload_id: str) -> dict[int, ListedPart]:
    """List every part of an upload, page after page, with the checksums S3 lists for it."""
    pages = client.get_paginator("list_parts").paginate(Bucket=bucket, Key=key, UploadId=upload_id)
    parts: dict[int, ListedPart] = {}
    for entry in (entry for page in pages for entry in page.get("Parts", [])):
        checksums = {
            name.removeprefix("Checksum"): value
            for name, value in entry.items()
            if name.startswith("Checksum") and name != "ChecksumType" and isinstance(value, str)
        }
        parts[int(entry["PartNumber"])] = ListedPart(int(entry["Size"]), str(entry["ETag"]), checksums)
    return parts


def open_uploads_of(client: Any, bucket: str, prefix: str, *, exact_key: bool = False) -> list[OpenUpload]:
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
    pages = client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix)
    return [entry for page in pages for entry in page.get("Uploads", [])]


def list_open_uploads(bucket: str, prefix: str = "", *, aws_conn_id: str | None = None) -> list[OpenUpload]:
    """List the multipart uploads this provider left open under ``s3://bucket/prefix`` (to resume or reap).

    :param bucket: the bucket name.
    :param prefix: a key prefix; ``""`` lists the whole bucket.
    :param aws_conn_id: the Airflow AWS connection, as for the downloads (None: boto3's default chain).
    """
    return open_uploads_of(s3_client(aws_conn_id, max_pool_connections=2), bucket, prefix)


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
            log.warning("aborting the upload of s3://%s/%s failed (try %d): %s", bucket, key, attempt, error)
    log.error("could not abort upload %s of s3://%s/%s (a lifecycle rule will)", upload_id, bucket, key)
