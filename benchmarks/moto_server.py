"""A moto S3 server that completes multipart uploads by reference, as S3 does, instead of copying the data.

Stock moto 5 assembles a completed multipart object with about five whole-object copies in one Python
thread, and spills every part and object to temporary files; on a 2-core machine that is ~11 s per GiB
inside ``CompleteMultipartUpload``, a cost real S3 does not have (completion is quick and server side).
Left as is it would dominate every S3 measurement, the SDK's and ours alike. Here objects keep the bytes
they were sent (no copy), and a completed object is the list of its parts, joined only when read. moto's
validation, ETag and checksum results are unchanged. Usage::

    python -m benchmarks.moto_server -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from moto.core.compat import HAS_CRT
from moto.s3 import models
from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML
from moto.s3.utils import compute_checksum


class PartsValue:
    """The value of a completed multipart object: its parts, in order, not joined."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.size = sum(len(chunk) for chunk in chunks)

    def __len__(self) -> int:
        return self.size


class ChainedBuffer:
    """The file-like interface moto's ``FakeKey`` uses, over a list of byte chunks (no copies)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = [chunk for chunk in chunks if chunk]
        self._size = sum(len(chunk) for chunk in self._chunks)
        self._position = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._position, 2: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._position + size)
        if self._position == 0 and end == self._size and len(self._chunks) == 1:
            data = self._chunks[0]
        else:
            data = b"".join(self._slices(self._position, end))
        self._position = max(self._position, end)
        return data

    def _slices(self, start: int, end: int) -> Iterator[bytes]:
        offset = 0
        for chunk in self._chunks:
            low, high = max(start, offset), min(end, offset + len(chunk))
            if low < high:
                yield chunk[low - offset : high - offset]
            offset += len(chunk)

    def truncate(self, size: int | None = None) -> int:
        keep = self._position if size is None else size
        data = b"".join(self._slices(0, keep))
        self._chunks, self._size = ([data] if data else []), len(data)
        return self._size

    def write(self, data: bytes) -> int:
        if self._position != self._size:
            self.truncate(self._position)
        self._chunks.append(bytes(data))
        self._size += len(data)
        self._position = self._size
        return len(data)

    def close(self) -> None:
        self._chunks, self._size, self._position = [], 0, 0


def store_value(self: Any, new_value: Any) -> None:
    """``FakeKey.value`` setter that keeps the given bytes (or parts) instead of copying them."""
    if isinstance(new_value, str):
        new_value = new_value.encode("utf-8")
    chunks = new_value.chunks if isinstance(new_value, PartsValue) else [bytes(new_value)]
    self._value_buffer = ChainedBuffer(chunks)
    self.contentsize = len(new_value)


def complete_by_reference(
    self: Any, body: Iterator[tuple[int, str]]
) -> tuple[Any, str, tuple[str, str, int]]:
    """``FakeMultipart.complete`` without copying the data: validate, checksum, ETag, keep the parts."""
    chosen: list[Any] = []
    md5s = bytearray()
    for number, etag in body:
        part = self.parts.get(number)
        if part is None or part.etag.replace('"', "") != etag.replace('"', ""):
            raise InvalidPart()
        if chosen and chosen[-1].contentsize < models.S3_UPLOAD_PART_MIN_SIZE:
            raise EntityTooSmall()
        md5s.extend(bytes.fromhex(part.etag.replace('"', "")))
        chosen.append(part)
    if not chosen:
        raise MalformedXML
    chunks = [part.value for part in chosen]
    builder = models.MultipartChecksumBuilder(
        self.metadata.get("x-amz-checksum-algorithm"), self.metadata.get("x-amz-checksum-type")
    )
    etag_digest = models.md5_hash()
    etag_digest.update(bytes(md5s))
    return PartsValue(chunks), f"{etag_digest.hexdigest()}-{len(chosen)}", _checksum(builder, chunks)


def _checksum(builder: Any, chunks: list[bytes]) -> tuple[str, str, int]:
    if builder.checksum_type == "COMPOSITE":
        for chunk in chunks:
            builder.addPart(chunk)
        result: tuple[str, str, int] = builder.build()
        return result
    if builder.checksum_algorithm == "CRC32" or (builder.checksum_algorithm == "CRC64NVME" and not HAS_CRT):
        crc = 0
        for chunk in chunks:
            crc = binascii.crc32(chunk, crc)
        return builder.checksum_type, base64.b64encode(crc.to_bytes(4, "big")).decode(), 1
    return builder.checksum_type, compute_checksum(b"".join(chunks), builder.checksum_algorithm).decode(), 1


def patch_moto() -> None:
    models.FakeMultipart.complete = complete_by_reference  # type: ignore[method-assign]
    models.FakeKey.value = models.FakeKey.value.setter(store_value)  # type: ignore[attr-defined,method-assign]


def main() -> None:
    from moto.server import main as moto_main

    patch_moto()
    moto_main()


if __name__ == "__main__":
    main()
