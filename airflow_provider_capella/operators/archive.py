"""``ArchiveExportOperator``: download the archive's footprints export to a folder or S3; return where."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_capella import lineage
from airflow_provider_capella.lineage.describe import describe_files
from airflow_provider_capella.lineage.record import FileFacts
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._base import CapellaBaseOperator

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context


class ArchiveExportOperator(CapellaBaseOperator):
    """Download the archive's footprints export (not billable) to a folder or ``s3://`` prefix.

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param export_type: ``latest`` (newest week, default), ``weekly`` (a file per week) or ``full``.
    :param export_format: ``gpkg`` (default), ``shp.zip`` or ``geoparquet``.
    :param destination: a local folder or ``s3://bucket/prefix`` (templated).
    :param file_names: exact names from ``CapellaHook.list_archive_exports()`` instead of a format.
    :param override: download again even when a complete file is there.
    :param aws_conn_id: AWS connection for an ``s3://`` destination (default: boto3's credential chain).

    Example::

        ArchiveExportOperator(task_id="footprints", export_type="full", destination="s3://bucket/{{ ds }}/")
    """

    template_fields = ("capella_conn_id", "export_type", "export_format", "destination", "file_names")

    def __init__(
        self,
        *,
        export_type: str = "latest",
        export_format: str | None = None,
        destination: str,
        file_names: list[str] | str | None = None,
        override: bool = False,
        aws_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.export_type = export_type
        self.export_format = export_format
        self.destination = destination
        self.file_names = file_names
        self.override = override
        self.aws_conn_id = aws_conn_id

    @lineage.records
    def execute(self, context: Context) -> str | list[str]:
        names = _arguments.string_list("file_names", self.file_names) if self.file_names else None
        written = self.hook.download_archive_export(
            export_type=self.export_type,
            export_format=self.export_format or None,
            local_dir=self.destination,
            file_names=names,
            override=self.override,
            aws_conn_id=self.aws_conn_id,
        )
        self.lineage.files = [FileFacts(location=location) for location in written]
        self.log.info("Archive export written: %s", ", ".join(written))
        return written[0] if len(written) == 1 else written

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_complete(
            self, lambda record, _: describe_files(record.files, self.aws_conn_id or None)
        )
