"""The download engine: presigned asset URLs to local files or S3, in parallel, resumable, verified.

Example: ``download_products(items, "s3://my-bucket/capella", include=["raster"])`` (docs/downloads.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from airflow_provider_capella.transfer import source
from airflow_provider_capella.transfer.batch import Batch, FileEntry
from airflow_provider_capella.transfer.digests import LazyDigests
from airflow_provider_capella.transfer.errors import Attempts, CapellaDownloadError, log
from airflow_provider_capella.transfer.planner import plan_jobs
from airflow_provider_capella.transfer.s3_parts import list_open_uploads
from airflow_provider_capella.transfer.settings import TransferSettings
from airflow_provider_capella.transfer.sinks import SinkFactory
from airflow_provider_capella.transfer.targets import filename_from_url, target_for_file

__all__ = [
    "CapellaDownloadError",
    "TransferSettings",
    "asset_bytesize",
    "download_asset",
    "download_products",
    "list_open_uploads",
]
SINGLE_ASSET_REF = ("", "asset")


class DownloadResult(dict[str, dict[str, str]]):
    """``{stac_id: {asset_key: location}}``; ``verification``: ``{location: (verified, how or why not)}``.

    Example::

        result.verification  # {"/data/x.tif": (True, "sha256 listed by the product's digest")}
    """

    verification: dict[str, tuple[bool, str]]


def download_products(
    items: list[dict[str, Any]],
    destination: str,
    *,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    separate_dirs: bool = True,
    override: bool = False,
    enable_resume: bool = True,
    concurrency: int | None = None,
    aws_conn_id: str | None = None,
    refresh_items: Callable[[], list[dict[str, Any]]] | None = None,
    part_size: int | None = None,
    settings: TransferSettings | None = None,
) -> DownloadResult:
    """Download the selected assets of presigned STAC items to a directory or ``s3://bucket/prefix``.

    Files share one adaptive pool of connections (``concurrency`` fixes its size); large ones are fetched
    as parallel ranged GETs (into S3 as a checksummed multipart upload). ``include``/``exclude`` select
    asset keys (``raster`` = ``HH``/``VV``; exclude wins; never ``license``). With ``separate_dirs`` each
    product gets a ``<stac_id>/`` folder. A complete file is skipped unless ``override``; an interrupted
    one resumes when ``enable_resume``. Files are checked against their product's digest, if listed.
    After a 403, ``refresh_items`` is called once for fresh presigned URLs (see docs/downloads.md).

    Example::

        paths = download_products(items, "s3://my-bucket/capella", include=["raster", "metadata"])
    """
    settings = (settings or TransferSettings()).with_overrides(concurrency=concurrency, part_size=part_size)
    jobs, planned = plan_jobs(
        items, destination, include=include, exclude=exclude, separate_dirs=separate_dirs
    )
    results = DownloadResult(planned)
    results.verification = {}  # filled once the files are downloaded
    if not jobs:
        log.warning("nothing to download: no asset of %d product(s) matches include/exclude", len(results))
        return results
    files = f"{len(jobs)} file(s) of {len(results)} product(s)"
    log.info("downloading %s to %s over up to %d connections", files, destination, settings.connection_cap)
    urls = source.PresignedUrls(source.urls_of(items), refresh_items)
    with contextlib.closing(SinkFactory(settings, aws_conn_id, [job.target for job in jobs])) as make_sink:
        digests = LazyDigests(items, urls, settings)
        entries = []
        for job in jobs:
            sink, digest = make_sink(job.target, job.media_type), digests.fetcher(job.stac_id, job.filename)
            entries.append(FileEntry((job.stac_id, job.asset_key), sink, job.filename, digest))
        batch = Batch(urls, settings, override=override, enable_resume=enable_resume)
        batch.run(entries)
    results.verification = {t.sink.location: t.verification for t in batch.transfers if t.verification}
    return results


def download_asset(
    url: str,
    destination: str,
    *,
    override: bool = False,
    enable_resume: bool = True,
    aws_conn_id: str | None = None,
    concurrency: int | None = None,
    part_size: int | None = None,
    settings: TransferSettings | None = None,
) -> str:
    """Download one presigned URL to a file path, into a directory (name from the URL), or to ``s3://...``.

    Example::

        path = download_asset(item["assets"]["HH"]["href"], "/data/capella/")
    """
    settings = (settings or TransferSettings()).with_overrides(concurrency=concurrency, part_size=part_size)
    filename = filename_from_url(url, fallback="asset")
    target = target_for_file(destination, filename)
    with contextlib.closing(SinkFactory(settings, aws_conn_id, [target])) as make_sink:
        entry = FileEntry(SINGLE_ASSET_REF, make_sink(target), filename)
        urls = source.PresignedUrls({SINGLE_ASSET_REF: url})
        Batch(urls, settings, override=override, enable_resume=enable_resume).run([entry])
    return str(target)


def asset_bytesize(url: str, *, timeout: float = 30.0, max_attempts: int = 5) -> int:
    """Return the size in bytes of a presigned asset, from a retried ``Range: bytes=0-0`` GET (not HEAD).

    :param url: the presigned asset URL.
    :param timeout: seconds to wait for the connection and for each read.
    :param max_attempts: attempts of the ranged GET, the first included.

    Example::

        size = asset_bytesize(item["assets"]["HH"]["href"])
    """
    fetcher = source.Fetcher(source.PresignedUrls({SINGLE_ASSET_REF: url}), timeout)
    with contextlib.closing(fetcher):
        return fetcher.probe(SINGLE_ASSET_REF, Attempts(source.path_for_log(url), max_attempts))[0]
