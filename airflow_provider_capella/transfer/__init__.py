"""The download engine: presigned asset URLs to local files or S3, in parallel, resumable, verified.

Example: ``download_products(items, "s3://my-bucket/capella", include=["raster"])`` (docs/downloads.md).
"""

from __future__ import annotations

from airflow_provider_capella.transfer.api import asset_bytesize, download_asset, download_products
from airflow_provider_capella.transfer.errors import CapellaDownloadError
from airflow_provider_capella.transfer.s3_parts import list_open_uploads
from airflow_provider_capella.transfer.settings import TransferSettings

__all__ = [
    "CapellaDownloadError",
    "TransferSettings",
    "asset_bytesize",
    "download_asset",
    "download_products",
    "list_open_uploads",
]
