"""Fetching the digest document of each item with files to write, before they are written.

The documents are small, but they are presigned assets like any other: they are fetched by the engine
itself (same retries, drops resumed, expired URLs refreshed once) into memory instead of a file. A
product whose files are all complete already (a re-run) has its document never fetched.
"""

from __future__ import annotations

import logging
import threading
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


class LazyDigests:
    """The digest of each file, its item's document fetched once, and only if a file of the item is written.

    :meth:`prefetch` fetches, in one batch before any file is written, the documents of the items with a
    file not at its destination yet; an item whose files are all there (a re-run) has its document fetched
    only if one of them turns out to need writing again. A document that cannot be fetched or read fails
    the files of its item before a byte of them is written: checking was possible, so skipping the check
    silently would hide what it exists for.

    Example::

        digests = LazyDigests(items, urls, settings)
        digests.prefetch({"CAPELLA_X"})
        source = digests.source("CAPELLA_X", "CAPELLA_X.tif")  # None when the item has no digest
        digest = source() if source else None
    """

    def __init__(self, items: list[dict[str, Any]], urls: PresignedUrls, settings: TransferSettings) -> None:
        self._items = {str(item.get("id")): item for item in items if digest_asset_key(item) is not None}
        self._urls = urls
        self._settings = settings
        self._locks = {stac_id: threading.Lock() for stac_id in self._items}
        self._fetched: dict[str, dict[str, FileDigest] | BaseException] = {}

    def covers(self, stac_id: str) -> bool:
        """Tell whether the item ``stac_id`` lists a digest document."""
        return stac_id in self._items

    def prefetch(self, stac_ids: set[str]) -> None:
        """Fetch the documents of ``stac_ids`` (those with one) now, in one batch; raise if one fails."""
        wanted = [self._items[stac_id] for stac_id in sorted(stac_ids) if stac_id in self._items]
        if not wanted:
            return
        from airflow_provider_capella.transfer.source import new_session

        with new_session(4) as session:
            fetched = item_digests(session, self._urls, wanted, self._settings)
        for stac_id, digests in fetched.items():
            with self._locks[stac_id]:
                self._fetched[stac_id] = digests

    def source(self, stac_id: str, filename: str) -> Callable[[], FileDigest | None] | None:
        """Give a function returning ``filename``'s digest (the document fetched once); None without one."""
        if stac_id not in self._items:
            return None
        return lambda: self._of_item(stac_id).get(filename)

    def _of_item(self, stac_id: str) -> dict[str, FileDigest]:
        with self._locks[stac_id]:
            if stac_id not in self._fetched:
                from airflow_provider_capella.transfer.source import new_session

                try:
                    with new_session(1) as session:
                        digests = item_digests(session, self._urls, [self._items[stac_id]], self._settings)
                    self._fetched[stac_id] = digests[stac_id]
                except Exception as error:
                    self._fetched[stac_id] = error
            found = self._fetched[stac_id]
        if isinstance(found, BaseException):
            raise found
        return found


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
