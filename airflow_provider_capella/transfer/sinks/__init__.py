"""Where downloaded bytes go: a local file (temporary name, then rename) or an S3 multipart upload."""

from __future__ import annotations

from airflow_provider_capella.transfer.sinks.base import RangeWriter, ResumeState, Sink

__all__ = ["RangeWriter", "ResumeState", "Sink"]
