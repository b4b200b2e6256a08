"""Archive exports: ``GET /catalog/archive-export/available``, ``POST /catalog/archive-export/presigned``.

The presigned URLs point at ``GET``/``HEAD /assets/archive-export/{basename}`` here: S3-style, no API key
(the query-string signature of :mod:`..signing` is the credential), ``Range`` answered with ``206``, S3's
XML errors for a missing, wrong or expired signature and for an unknown file. Shapes are those of
:mod:`..archive_export`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from capella_emulator.archive_export import (
    URL_PREFIX,
    ArchiveExports,
    etag,
    media_type,
)
from capella_emulator.request_body import json_body
from capella_emulator.routes.assets import (
    RangeNotSatisfiable,
    presigned_rejection,
    requested_range,
    s3_error,
)

router = APIRouter()
LAST_MODIFIED = "Thu, 01 Jan 2026 00:00:00 GMT"


def _exports(request: Request) -> ArchiveExports:
    return request.app.state.emulator.archive_exports


@router.get("/catalog/archive-export/available")
async def available_exports(request: Request) -> dict[str, Any]:
    return _exports(request).available()


@router.post("/catalog/archive-export/presigned")
async def presigned_exports(request: Request) -> list[dict[str, Any]]:
    body = await json_body(request)
    return _exports(request).presigned(body, str(request.base_url).rstrip("/"))


@router.api_route(URL_PREFIX + "{basename}", methods=["GET", "HEAD"])
async def get_export_file(request: Request, basename: str) -> Response:
    path = request.url.path
    rejection = presigned_rejection(request)
    if rejection is not None:
        return rejection
    export = _exports(request).by_basename(basename)
    if export is None:
        return s3_error(404, "NoSuchKey", "The specified key does not exist.", path, Key=path.lstrip("/"))
    content = _exports(request).content(export)
    headers = {"ETag": etag(content), "Last-Modified": LAST_MODIFIED, "Accept-Ranges": "bytes"}
    try:
        wanted = requested_range(request.headers.get("range"), len(content))
    except RangeNotSatisfiable:
        headers["Content-Range"] = f"bytes */{len(content)}"
        response = s3_error(416, "InvalidRange", "The requested range is not satisfiable", path)
        response.headers.update(headers)
        return response
    start, end = wanted or (0, len(content))
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(content)}"
    body = b"" if request.method == "HEAD" else content[start:end]
    headers["Content-Length"] = str(end - start)
    status = 200 if wanted is None else 206
    return Response(body, status_code=status, headers=headers, media_type=media_type(export))
