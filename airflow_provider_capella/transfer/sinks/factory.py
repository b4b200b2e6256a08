"""Builds the sink for each target of a download call, sharing one S3 client and one upload pool."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer.settings import TransferSettings
from airflow_provider_capella.transfer.sinks.base import Sink
from airflow_provider_capella.transfer.targets import LocalTarget, S3Target, Target

if TYPE_CHECKING:
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

    def __call__(self, target: Target, media_type: str | None, digest: FileDigest | None = None) -> Sink:
        """Make the sink for ``target``, checked against ``digest`` when the product lists one."""
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
        if any(isinstance(target, S3Target) for target in targets):
            self._s3()

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
