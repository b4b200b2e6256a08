"""The engine's public entry points: download products, download one asset, size an asset."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from airflow_provider_capella.transfer import source
from airflow_provider_capella.transfer.batch import Batch, FileEntry
from airflow_provider_capella.transfer.digests import LazyDigests
from airflow_provider_capella.transfer.errors import Attempts
from airflow_provider_capella.transfer.planner import plan_jobs
from airflow_provider_capella.transfer.settings import TransferSettings
from airflow_provider_capella.transfer.sinks import SinkFactory
from airflow_provider_capella.transfer.targets import filename_from_url, target_for_file

log = logging.getLogger("airflow_provider_capella.transfer")

SINGLE_ASSET_REF = ("", "asset")


class DownloadResult(dict[str, dict[str, str]]):
    """``{stac_id: {asset_key: location}}``; ``verification``: ``{location: (verified, how or why not)}``.

    A file checked against its product's digest is ``(True, "sha256 listed by the product's digest")``;
    one whose product's digest could not be read is ``(False, <reason>)``; other files are not listed.
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

    Every file shares one pool of connections; large files are fetched as parallel ranged GETs, into S3
    as a streamed, checksummed multipart upload. The number of connections adapts (it grows while more
    connections add throughput, up to 32, and backs off on 429/503) unless ``concurrency`` fixes it.
    ``include``/``exclude`` select asset keys (``raster`` = ``HH``/``VV``; exclude wins; ``license`` is
    never downloaded). With ``separate_dirs`` each product gets its own ``<stac_id>/`` folder. A complete
    file already present (same size) is skipped unless ``override``; an interrupted file resumes when
    ``enable_resume`` (on disk from its ``.part`` file, in S3 from the multipart upload the earlier try
    left open). When a product lists a data-integrity digest, its files are checked against it (one that
    cannot be read is reported, not fatal). After a 403, ``refresh_items`` is called once for fresh
    presigned URLs.

    Returns ``{stac_id: {asset_key: local path or s3:// URI}}`` (a :class:`DownloadResult`).

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
        entries = [
            FileEntry(
                (job.stac_id, job.asset_key),
                make_sink(job.target, job.media_type),
                job.filename,
                digests.fetcher(job.stac_id, job.filename),
            )
            for job in jobs
        ]
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

    Returns the local path or ``s3://`` URI written (or found complete already).

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
    """Return the size in bytes of a presigned asset, from a ``Range: bytes=0-0`` GET.

    A presigned S3 URL is signed for GET only (it refuses HEAD), so one byte is asked for; the GET is
    retried as the engine's downloads are (429, 5xx, drops and timeouts).

    :param url: the presigned asset URL.
    :param timeout: seconds to wait for the connection and for each read.
    :param max_attempts: attempts of the ranged GET, the first included.

    Example::

        size = asset_bytesize(item["assets"]["HH"]["href"])
    """
    attempts = Attempts(source.path_for_log(url), max_attempts)
    with contextlib.closing(
        source.Fetcher(source.PresignedUrls({SINGLE_ASSET_REF: url}), timeout)
    ) as fetcher:
        return fetcher.probe(SINGLE_ASSET_REF, attempts)[0]
