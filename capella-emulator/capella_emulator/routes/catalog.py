"""Catalog routes: ``POST /catalog/search`` (STAC item search) and ``GET /catalog/collections``.

Search semantics live in :mod:`..search`; this module only reads the request and writes the response.
Responses are serialised directly (``JSONResponse``) to skip FastAPI's slow generic encoder.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from capella_emulator.catalog import ARCHIVE_START
from capella_emulator.errors import not_found
from capella_emulator.request_body import json_body
from capella_emulator.search import (
    RestrictedCollection,
    parse_search,
    run_search,
    search_response,
)
from capella_emulator.signing import presign_url
from capella_emulator.stac_items import COLLECTIONS, RESTRICTED_COLLECTIONS
from capella_emulator.stac_properties import format_timestamp

router = APIRouter()

COLLECTION_TITLES = {
    "capella-geo": "Capella geocoded ellipsoid corrected (GEO) images",
    "capella-gec": "Capella geocoded terrain corrected (GEC) images",
    "capella-slc": "Capella single look complex (SLC) images",
    "capella-sicd": "Capella SICD complex images",
    "capella-archive": "Capella archive: SIDD, CPHD, CSI, CSIDD and analytics products",
    "capella-open-data": "Capella open data: publicly available products of every type",
}


@router.post("/catalog/search")
async def search_catalog(request: Request) -> JSONResponse:
    body = await json_body(request, empty={})
    try:
        search = parse_search(body, request.query_params.get("page"))
    except RestrictedCollection as denied:
        return _collection_denied(str(denied))
    state = request.app.state.emulator
    page = run_search(state.catalog.items, search, int(state.config.max_items_per_query))
    base_url = str(request.base_url).rstrip("/")
    next_base_url = _gateway_base(state.config.next_link_host) or base_url
    expires = int(state.now() + float(state.config.presign_ttl_seconds))

    def presign(path: str) -> str:
        return presign_url(base_url, path, expires, state.signing_secret)

    return JSONResponse(search_response(page, body, base_url, next_base_url, presign))


def _collection_denied(collection: str) -> JSONResponse:
    """Answer a collection the organization may not access: ``error`` is a plain string, not an object."""
    message = f"Organization does not have access to collection {collection}"
    return JSONResponse({"error": message}, status_code=403)


@router.get("/catalog/collections")
async def list_collections(request: Request) -> JSONResponse:
    base_url = str(request.base_url).rstrip("/")
    return JSONResponse(
        {"collections": [_collection(name, base_url) for name in COLLECTIONS], "links": []},
    )


@router.get("/catalog/collections/{collection_id}")
async def get_collection(request: Request, collection_id: str) -> JSONResponse:
    if collection_id in RESTRICTED_COLLECTIONS:
        return _collection_denied(collection_id)
    if collection_id not in COLLECTIONS:
        raise not_found("collection", collection_id)
    return JSONResponse(_collection(collection_id, str(request.base_url).rstrip("/")))


def _gateway_base(next_link_host: str | None) -> str | None:
    """Return the base URL ``next`` links name when a gateway host is configured (a bare host means https)."""
    if not next_link_host:
        return None
    host = next_link_host.strip().rstrip("/")
    return host if "://" in host else f"https://{host}"


def _collection(name: str, base_url: str) -> dict[str, Any]:
    return {
        "type": "Collection",
        "stac_version": "1.0.0",
        "id": name,
        "title": COLLECTION_TITLES.get(name, name),
        "description": COLLECTION_TITLES.get(name, name),
        "license": "proprietary",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [[format_timestamp(ARCHIVE_START), None]]},
        },
        "links": [
            {"rel": "self", "href": f"{base_url}/catalog/collections/{name}", "type": "application/json"}
        ],
    }
