"""Where downloaded bytes go: the interface every sink implements, and the factory picking one per target.

A sink is one destination file or object, written range by range and committed atomically at the end:
a local file (:mod:`.local`: a temporary name, then a rename) or an S3 multipart upload (:mod:`.s3`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_capella.transfer.local import LocalFileSink
from airflow_provider_capella.transfer.planner import ByteRange, ResumeState, SourceVersion
from airflow_provider_capella.transfer.s3 import S3MultipartSink
from airflow_provider_capella.transfer.s3_parts import PartUploads
from airflow_provider_capella.transfer.s3_resume import list_uploads
from airflow_provider_capella.transfer.s3client import s3_client
from airflow_provider_capella.transfer.settings import TransferSettings
from airflow_provider_capella.transfer.targets import LocalTarget, Target

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.digests import FileDigest


class RangeWriter(Protocol):
    """Receives the bytes of one range in order; ``written`` survives a retry, so a retry continues.

    ``close`` persists the completed range (uploads the part, records it as done); ``discard`` releases
    the memory of a range that will not be completed.
    """

    written: int

    def write(self, data: bytes | memoryview) -> None: ...
    def close(self) -> None: ...
    def discard(self) -> None: ...


class Sink(Protocol):
    """One destination file or object, written range by range, committed atomically at the end.

    ``existing_size``: the size of a complete file already at the final location, else None.
    ``resume_state(source)``: a previous run's partial download that can be continued, if any; ``source()``
    asks the server for the current version (one small request) when the sink must compare it.
    ``discard_resume``: forget (delete) any partial download. ``begin``: prepare to receive ``ranges``
    of ``source`` (continuing ``resume`` when given). ``commit``: every range is written; verify and make
    the file appear at its final name. ``abort``: nothing appears there; keep what resuming needs only if
    ``keep_resume``.
    """

    location: str

    def existing_size(self) -> int | None: ...
    def resume_state(self, source: Callable[[], SourceVersion]) -> ResumeState | None: ...
    def discard_resume(self) -> None: ...
    def begin(self, source: SourceVersion, ranges: list[ByteRange], resume: ResumeState | None) -> None: ...
    def writer(self, byte_range: ByteRange) -> RangeWriter: ...
    def commit(self) -> None: ...
    def abort(self, *, keep_resume: bool) -> None: ...


class SinkFactory:
    """``factory(target, media_type)`` gives the sink for a target; S3 resources are made on first use."""

    def __init__(self, settings: TransferSettings, aws_conn_id: str | None) -> None:
        self._settings = settings
        self._aws_conn_id = aws_conn_id
        self._client: Any = None
        self._uploads: PartUploads | None = None
        self._prefixes: dict[str, str] = {}
        self._open_keys: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def __call__(
        self, target: Target, media_type: str | None, digest: Callable[[], FileDigest | None] | None = None
    ) -> Sink:
        """Make the sink for ``target``, checked against ``digest()`` (called before writing) if given."""
        if isinstance(target, LocalTarget):
            return LocalFileSink(target.path, digest)
        client, uploads = self._s3()
        sink = S3MultipartSink(
            client,
            target,
            part_size=self._settings.part_size,
            media_type=media_type,
            uploads=uploads,
            digest=digest,
            open_keys=partial(self._keys_with_open_uploads, target.bucket),
        )
        sink.connection_cap = self._settings.s3_connection_cap()
        return sink

    def _s3(self) -> tuple[Any, PartUploads]:
        if self._client is None or self._uploads is None:
            settings = self._settings
            connections = settings.s3_connection_cap()
            pending = max(1, connections // 2) if settings.adaptive else settings.concurrency
            self._client = s3_client(self._aws_conn_id, max_pool_connections=connections + pending + 2)
            self._uploads = PartUploads(threads=pending, max_pending=pending)
        return self._client, self._uploads

    def prepare(self, targets: list[Target]) -> None:
        """Fail now, before anything is downloaded, if a target needs an S3 client that cannot be made."""
        keys: dict[str, list[str]] = {}
        for target in targets:
            if not isinstance(target, LocalTarget):
                keys.setdefault(target.bucket, []).append(target.key)
        if keys:
            self._s3()
        # an S3 prefix is a plain string prefix: character by character is what is wanted
        self._prefixes = {bucket: os.path.commonprefix(names) for bucket, names in keys.items()}  # noqa: RUF071

    def _keys_with_open_uploads(self, bucket: str) -> set[str]:
        """Keys of the call's bucket with an open multipart upload: one listing per call, not one per file."""
        with self._lock:
            if bucket not in self._open_keys:
                uploads = list_uploads(self._client, bucket, self._prefixes.get(bucket, ""))
                self._open_keys[bucket] = {entry["Key"] for entry in uploads}
            return self._open_keys[bucket]

    def __enter__(self) -> SinkFactory:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Stop the part upload threads."""
        if self._uploads is not None:
            self._uploads.shutdown()
            self._uploads = None
