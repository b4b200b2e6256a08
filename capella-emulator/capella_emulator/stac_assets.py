"""The assets of a product's STAC item: raster, metadata, thumbnail, preview, checksums and license.

Every emulator-served href is relative (``/assets/<collection>/<id>/<file>``); search answers and order
downloads make them absolute (and presign them) as the real API does. The ``checksums`` asset
(``<id>_checksums.json``) is the bundle's data-integrity digest: the sha256 and size of each other file.
"""

from __future__ import annotations

from typing import Any

LICENSE_HREF = "https://www.capellaspace.com/legal/data-license"
ANALYTIC_PRODUCT_TYPES = ("VC", "VS", "ACD")
CHECKSUMS_KEY = "checksums"
COG_MEDIA_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"


def item_assets(
    collection: str, item_id: str, product_type: str, polarization: str
) -> dict[str, dict[str, Any]]:
    """Build the assets of one product; hrefs are emulator-relative."""
    base = f"/assets/{collection}/{item_id}"
    key, extension, media_type = _raster_asset(product_type, polarization)
    raster_title = f"{product_type} {'analytic' if product_type in ANALYTIC_PRODUCT_TYPES else 'image'}"
    return {
        key: {
            "href": f"{base}/{item_id}.{extension}",
            "type": media_type,
            "title": raster_title,
            "roles": ["data"],
        },
        "metadata": {
            "href": f"{base}/{item_id}_extended.json",
            "type": "application/json",
            "title": "Extended metadata",
            "roles": ["metadata"],
        },
        "thumbnail": {
            "href": f"{base}/{item_id}_thumb.png",
            "type": "image/png",
            "title": "Thumbnail",
            "roles": ["thumbnail"],
        },
        "preview": {
            "href": f"{base}/{item_id}_preview.tif",
            "type": COG_MEDIA_TYPE,
            "title": "Preview",
            "roles": ["overview"],
        },
        CHECKSUMS_KEY: {
            "href": f"{base}/{item_id}_checksums.json",
            "type": "application/json",
            "title": "Data integrity digest (sha256 of each file of the bundle)",
            "roles": ["metadata", "checksum"],
        },
        "license": {"href": LICENSE_HREF, "type": "text/html", "title": "Data license", "roles": ["license"]},
    }


def _raster_asset(product_type: str, polarization: str) -> tuple[str, str, str]:
    """Name the (asset key, file extension, media type) of a product's main file."""
    if product_type in ("VC", "VS"):
        return "analytic_product", "geojson", "application/geo+json"
    if product_type == "ACD":
        return "changemap", "tif", COG_MEDIA_TYPE
    if product_type in ("SICD", "SIDD"):
        return polarization, "ntf", "application/vnd.nitf"
    if product_type == "CPHD":
        return polarization, "cphd", "application/octet-stream"
    if product_type in ("SLC", "CSI"):
        return polarization, "tif", "image/tiff; application=geotiff"
    return polarization, "tif", COG_MEDIA_TYPE
