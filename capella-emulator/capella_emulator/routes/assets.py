"""``GET``/``HEAD /assets/{collection}/{item_id}/{filename}``: presigned asset downloads, S3 style.

No API key here: the query-string signature is the credential (see :mod:`..signing`). Failures are S3's
XML errors: ``400 InvalidArgument`` for a request that also carries an ``Authorization`` header,
``403 AccessDenied`` / ``SignatureDoesNotMatch`` / ``InvalidAccessKeyId`` for a missing, wrong or
expired signature, ``404 NoSuchKey`` for an unknown item or file, ``416 InvalidRange``.

Single ranges (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``) get ``206``; a multi-range or malformed
``Range`` is ignored (``200`` with the whole body), as S3 does. ``If-Range`` with a non-matching ETag or
date also gets the whole body; ``If-Match`` without the current ETag gets ``412 PreconditionFailed``.
Bodies stream in chunks of at most 256 KiB, never held whole in memory; at ``download_rate`` bytes/s
per response when that strict mode is on. ``change_assets_after`` replaces every generated asset (new
bytes and ETag) once that many ranged GETs were served: an object changing mid-download.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from capella_emulator.asset_content import AssetPayload, asset_payload
from capella_emulator.signing import check_presigned

router = APIRouter()


class RangeNotSatisfiable(Exception):
    """The ``Range`` starts at or beyond the end of the asset.

    Example::

        requested_range("bytes=500-", size=100)  # raises RangeNotSatisfiable
    """


def requested_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end_exclusive)`` of a single byte range, ``None`` to serve the whole asset.

    Raises :class:`RangeNotSatisfiable` when the range lies outside the asset.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if unit.strip().lower() != "bytes" or "," in spec or not dash:
        return None
    if not first:
        if not last.isdigit():
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - suffix), size
    if not first.isdigit() or (last and not last.isdigit()):
        return None
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    stop = min(int(last), size - 1) if last else size - 1
    return start, stop + 1


def if_range_holds(value: str | None, payload: AssetPayload) -> bool:
    """Whether a ``Range`` may be honoured given the request's ``If-Range`` (absent: yes)."""
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        return value == payload.etag
    return value == payload.last_modified_header


def s3_error(status: int, code: str, message: str, resource: str, **extra: Any) -> Response:
    """Return an S3-style XML error document."""
    fields = {"Code": code, "Message": message, **extra, "Resource": resource, "RequestId": _request_id()}
    inner = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in fields.items())
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{inner}</Error>'
    return Response(body, status_code=status, media_type="application/xml")


def presigned_rejection(request: Request) -> Response | None:
    """Return the S3 error for a request whose presigned URL does not check out, else ``None``."""
    state = request.app.state.emulator
    path = request.url.path
    problem = check_presigned(
        path,
        dict(request.query_params),
        state.signing_secret,
        state.now(),
        has_authorization="authorization" in request.headers,
    )
    return None if problem is None else s3_error(problem.status, problem.code, problem.message, path)


def _request_id() -> str:
    return uuid.uuid4().hex[:16].upper()


def _asset_key(item: dict[str, Any] | None, collection: str, path: str) -> str | None:
    if item is None or item.get("collection") != collection:
        return None
    for key, asset in item.get("assets", {}).items():
        href = str(asset.get("href", ""))
        if href.startswith("/") and urlsplit(href).path == path:
            return key
    return None


async def _stream(chunks: Iterator[bytes], rate: int | None) -> AsyncIterator[bytes]:
    """Yield ``chunks``; with a ``rate``, in pieces of a tenth of a second, each when it is due."""
    started, sent = time.monotonic(), 0
    step = max(1024, (rate or 0) // 10) if rate else None
    for chunk in chunks:
        for start in range(0, len(chunk), step or len(chunk) or 1):
            piece = chunk[start : start + step] if step else chunk
            yield piece
            sent += len(piece)
            # let concurrent downloads and API calls take turns; wait for the piece's time at a rate
            await asyncio.sleep(max(0.0, sent / rate - (time.monotonic() - started)) if rate else 0)


@router.api_route("/assets/{collection}/{item_id}/{filename}", methods=["GET", "HEAD"])
async def get_asset(request: Request, collection: str, item_id: str, filename: str) -> Response:
    state = request.app.state.emulator
    path = request.url.path
    rejection = presigned_rejection(request)
    if rejection is not None:
        return rejection
    item = state.catalog.get(item_id)
    key = _asset_key(item, collection, path)
    if item is None or key is None:
        return s3_error(404, "NoSuchKey", "The specified key does not exist.", path, Key=path.lstrip("/"))
    config = state.config
    payload = asset_payload(item, key, int(config.asset_size), config.asset_revision, config.digest_format)
    if config.change_assets_after and request.method == "GET" and "range" in request.headers:
        config.change_assets_after -= 1
        config.asset_revision += 0 if config.change_assets_after else 1
    if request.headers.get("if-match", "*").strip() not in ("*", payload.etag):
        return s3_error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            path,
            Condition="If-Match",
        )
    return _asset_response(request, payload, path, config.download_rate)


def _asset_response(request: Request, payload: AssetPayload, path: str, rate: int | None) -> Response:
    headers = {
        "ETag": payload.etag,
        "Last-Modified": payload.last_modified_header,
        "Accept-Ranges": "bytes",
    }
    range_header = request.headers.get("range")
    try:
        wanted = requested_range(range_header, payload.size)
    except RangeNotSatisfiable:
        wanted = None
        if if_range_holds(request.headers.get("if-range"), payload):
            headers["Content-Range"] = f"bytes */{payload.size}"
            return _range_not_satisfiable(range_header or "", payload, path, headers)
    if wanted is not None and not if_range_holds(request.headers.get("if-range"), payload):
        wanted = None
    status = 200 if wanted is None else 206
    start, end = wanted or (0, payload.size)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{payload.size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=payload.media_type)
    body = _stream(payload.chunks(start, end), rate)
    return StreamingResponse(body, status_code=status, headers=headers, media_type=payload.media_type)


def _range_not_satisfiable(range_header: str, payload: AssetPayload, path: str, headers: dict) -> Response:
    response = s3_error(
        416,
        "InvalidRange",
        "The requested range is not satisfiable",
        path,
        RangeRequested=range_header,
        ActualObjectSize=payload.size,
    )
    response.headers.update(headers)
    return response
