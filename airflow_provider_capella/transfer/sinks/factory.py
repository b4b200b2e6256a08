"""Builds the sink for each target of a download call, sharing one S3 client and one upload pool."""

from __future__ import annotations

import os
import threading
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer.settings import TransferSettings
from airflow_provider_capella.transfer.sinks.base import Sink
from airflow_provider_capella.transfer.targets import LocalTarget, S3Target, Target

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow_provider_capella.transfer.integrity import FileDigest


class SinkFactory:
    """``factory(target, media_type)`` gives the sink for a target; S3 resources are made on first use.

    Example::

        with SinkFactory(TransferSettings(), aws_conn_id=None) as make_sink:
            sink = make_sink(S3Target("bucket", "key.tif"), "image/tiff")
    """

    def __init__(self, settings: TransferSettings, aws_conn_id: str | None) -> None:
        self._settings = settings
        self._aws_conn_id = aws_conn_id
        self._client: Any = None
        self._uploads: Any = None
        self._prefixes: dict[str, str] = {}
        self._open_keys: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def __call__(
        self, target: Target, media_type: str | None, digest: Callable[[], FileDigest | None] | None = None
    ) -> Sink:
        """Make the sink for ``target``, checked against ``digest()`` (called before writing) if given."""
        if isinstance(target, LocalTarget):
            from airflow_provider_capella.transfer.sinks.local import LocalFileSink

            return LocalFileSink(target.path, digest)
        assert isinstance(target, S3Target)
        from airflow_provider_capella.transfer.sinks.s3 import S3MultipartSink

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

    def _s3(self) -> tuple[Any, Any]:
        if self._client is None:
            from airflow_provider_capella.transfer.s3client import s3_client
            from airflow_provider_capella.transfer.sinks.uploads import PartUploads

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
            if isinstance(target, S3Target):
                keys.setdefault(target.bucket, []).append(target.key)
        if keys:
            self._s3()
        # an S3 prefix is a plain string prefix: character by character is what is wanted
        self._prefixes = {bucket: os.path.commonprefix(names) for bucket, names in keys.items()}  # noqa: RUF071

    def _keys_with_open_uploads(self, bucket: str) -> set[str]:
        """Keys of the call's bucket with an open multipart upload: one listing per call, not one per file."""
        with self._lock:
            if bucket not in self._open_keys:
                paginator = self._client.get_paginator("list_multipart_uploads")
                prefix = self._prefixes.get(bucket, "")
                pages = paginator.paginate(Bucket=bucket, Prefix=prefix)
                self._open_keys[bucket] = {
                    entry["Key"] for page in pages for entry in page.get("Uploads", [])
                }
            return self._open_keys[bucket]

    def close(self) -> None:
        """Stop the part upload threads."""
        if self._uploads is not None:
            self._uploads.shutdown()
            self._uploads = None

    def __enter__(self) -> SinkFactory:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
