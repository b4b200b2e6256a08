"""Fetching the digest document of every item that has one, before its files are downloaded.

The documents are small, but they are presigned assets like any other: they are fetched by the engine
itself (same retries, drops resumed, expired URLs refreshed once) into memory instead of a file.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer.errors import IntegrityError
from airflow_provider_capella.transfer.integrity import FileDigest, digest_asset_key, parse_digest
from airflow_provider_capella.transfer.planner import ByteRange
from airflow_provider_capella.transfer.sinks.base import SourceVersion

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from airflow_provider_capella.transfer.settings import TransferSettings
    from airflow_provider_capella.transfer.sinks.base import ResumeState
    from airflow_provider_capella.transfer.urls import PresignedUrls

log = logging.getLogger(__name__)

MAX_DIGEST_BYTES = 16 * 1024 * 1024


def item_digests(
    session: requests.Session, urls: PresignedUrls, items: list[dict[str, Any]], settings: TransferSettings
) -> dict[str, dict[str, FileDigest]]:
    """``{stac_id: {file name: FileDigest}}`` for every item with a data-integrity digest asset.

    A digest that cannot be fetched or read fails the call before any file is written: checking against
    it was possible, so skipping the check silently would hide exactly the problem it exists for.
    """
    from airflow_provider_capella.transfer.batch import Batch, FileEntry

    sinks: dict[str, MemorySink] = {}
    entries = []
    for item in items:
        key = digest_asset_key(item)
        if key is None:
            continue
        stac_id = str(item.get("id"))
        sinks[stac_id] = MemorySink(f"{stac_id}/{key}")
        entries.append(FileEntry((stac_id, key), sinks[stac_id], f"{stac_id} {key}"))
    if not entries:
        return {}
    batch = Batch(session=session, urls=urls, settings=settings, override=True, enable_resume=False)
    batch.run(entries, summary=False)
    digests: dict[str, dict[str, FileDigest]] = {}
    for stac_id, sink in sinks.items():
        try:
            digests[stac_id] = parse_digest(bytes(sink.data))
        except ValueError as error:
            raise IntegrityError(f"{sink.location}: the product's digest cannot be read: {error}") from None
        log.info("%s: files will be checked against the product's digest", stac_id)
    return digests


class MemorySink:
    """A small document received into memory (at most :data:`MAX_DIGEST_BYTES`).

    Example::

        sink = MemorySink("CAPELLA_X/checksums")
    """

    def __init__(self, name: str) -> None:
        self.location = f"{name} (in memory)"
        self.data = bytearray()

    def existing_size(self) -> int | None:
        return None

    def resume_state(self, source: Callable[[], SourceVersion] | None = None) -> ResumeState | None:
        return None

    def discard_resume(self) -> None:
        return None

    def begin(self, source: SourceVersion, ranges: list[ByteRange], resume: ResumeState | None) -> None:
        if source.size > MAX_DIGEST_BYTES:
            raise IntegrityError(f"{self.location}: {source.size} bytes is too large for a digest document")
        self.data = bytearray(source.size)

    def writer(self, byte_range: ByteRange) -> _MemoryWriter:
        return _MemoryWriter(self.data, byte_range)

    def commit(self) -> None:
        return None

    def abort(self, *, keep_resume: bool) -> None:
        self.data = bytearray()


class _MemoryWriter:
    """Writes one range of a :class:`MemorySink` at its offset."""

    def __init__(self, data: bytearray, byte_range: ByteRange) -> None:
        self._data = data
        self._range = byte_range
        self.written = 0

    def write(self, chunk: bytes | memoryview) -> None:
        start = self._range.start + self.written
        self._data[start : start + len(chunk)] = chunk
        self.written += len(chunk)

    def close(self) -> None:
        return None

    def discard(self) -> None:
        return None
