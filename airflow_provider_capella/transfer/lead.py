"""What a file's lead response says: its size and version, whether ranges work, and so its plan of parts.

The lead request is a ranged GET for the first part (or the first missing part of a resumed file). A
206 gives the size in ``Content-Range`` and the file is split into parts; a 200 means the server ignores
``Range``, so that one response streams the whole file; a 416 to ``bytes=0-`` is an empty file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_capella.transfer.errors import CapellaDownloadError
from airflow_provider_capella.transfer.planner import ByteRange, plan_ranges
from airflow_provider_capella.transfer.progress import log
from airflow_provider_capella.transfer.source import (
    parse_content_range,
    total_size_of,
    unsatisfiable_total,
    validator_of,
)

if TYPE_CHECKING:
    import requests

    from airflow_provider_capella.transfer.engine import FileTransfer
    from airflow_provider_capella.transfer.sinks.base import ResumeState


class StaleResume(Exception):
    """The partial download of a previous run belongs to another version of the asset."""


def same_version(response: requests.Response, size: int, resume: ResumeState) -> bool:
    """Tell whether a 206 answer belongs to the object version a resume record was written for."""
    validator = validator_of(response)
    return size == resume.size and (not resume.validator or validator in (None, resume.validator))


def plan_lead(
    transfer: FileTransfer, response: requests.Response, first: ByteRange, resume: ResumeState | None
) -> tuple[list[ByteRange], int, ByteRange]:
    """Learn size and validator from the lead response and begin the sink.

    :return: the ranges still to fetch, the bytes already done (resuming), and the lead's own range.
    :raises StaleResume: the partial download belongs to another version: start over.
    """
    if response.status_code == 206:
        pending, already = _plan_ranges(transfer, response, first, resume)
        return pending, already, first
    if resume is not None:
        response.close()
        raise StaleResume()  # If-Range did not match (or Range was ignored): start afresh
    pending = (
        _plan_whole(transfer, response) if response.status_code == 200 else _plan_empty(transfer, response)
    )
    return pending, 0, pending[0]


def _plan_ranges(
    transfer: FileTransfer, response: requests.Response, first: ByteRange, resume: ResumeState | None
) -> tuple[list[ByteRange], int]:
    """Plan a 206 answer: ranges are honoured; plan them (or take the resume record's), begin the sink."""
    content_range = parse_content_range(response.headers.get("Content-Range"))
    if content_range is None or content_range.total is None or content_range.start != first.start:
        response.close()
        raise CapellaDownloadError(f"{transfer.label}: the server sent an unexpected Content-Range")
    if resume is not None and not same_version(response, content_range.total, resume):
        response.close()
        raise StaleResume()
    transfer.size = content_range.total
    if resume is not None:
        transfer.validator = resume.validator
        transfer.sink.begin(transfer.version(), resume.ranges, resume)
        return resume.missing, resume.bytes_done
    ranges = plan_ranges(transfer.size, transfer.settings.part_size, first_end=content_range.end + 1)
    transfer.validator = validator_of(response)
    transfer.sink.begin(transfer.version(), ranges, None)
    return ranges, 0


def _plan_whole(transfer: FileTransfer, response: requests.Response) -> list[ByteRange]:
    """Plan a 200 answer to a ranged GET: Range is ignored, so this response streams the whole file."""
    total = total_size_of(response)
    if total is None:
        response.close()
        raise CapellaDownloadError(f"{transfer.label}: the server sent no Content-Length")
    log.info("%s: the server ignores Range requests; downloading over one connection", transfer.label)
    transfer.size, transfer.ranges_supported = total, False
    transfer.validator = validator_of(response)
    ranges = [ByteRange(0, 0, total)]
    transfer.sink.begin(transfer.version(), ranges, None)
    return ranges


def _plan_empty(transfer: FileTransfer, response: requests.Response) -> list[ByteRange]:
    """Plan a 416 answer to ``bytes=0-...``: fine only for an empty file (``bytes */0``)."""
    response.close()
    if unsatisfiable_total(response.headers.get("Content-Range")) != 0:
        raise CapellaDownloadError(f"{transfer.label}: the server refused the byte range (HTTP 416)")
    transfer.size, ranges = 0, [ByteRange(0, 0, 0)]
    transfer.sink.begin(transfer.version(), ranges, None)
    return ranges
