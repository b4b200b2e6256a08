"""Made-up but plausible prices for tasking.

The ``order`` block of a tasking request and a repeat's ``costPerImageEstimate``. Nothing here is
Capella's price list.
"""

from __future__ import annotations

import math
from typing import Any

from capella_emulator.stac_geometry import KM_PER_DEGREE
from capella_emulator.stac_items import COLLECTION_TYPE_PROFILES

BASE_PRICE_USD = {
    "spotlight": 3000.0,
    "spotlight_ultra": 4500.0,
    "spotlight_wide": 2500.0,
    "stripmap_20": 1500.0,
    "stripmap_50": 1750.0,
    "stripmap_100": 2000.0,
    "parallel_stripmap_20": 2500.0,
    "parallel_stripmap_50": 3000.0,
    "parallel_stripmap_100": 3500.0,
}
TIER_FACTOR = {
    "urgent": 3.0,
    "priority": 1.5,
    "standard": 1.0,
    "flexible": 0.8,
    "routine": 1.0,
    "insar": 1.2,
    "internal": 0.0,
    "insar-internal": 0.0,
}


def format_usd(amount: float) -> str:
    """``$3,000.00``: how the API writes money."""
    return f"${amount:,.2f}"


def image_price(collection_type: str, tier: str) -> float:
    return BASE_PRICE_USD.get(collection_type, 3000.0) * TIER_FACTOR.get(tier, 1.0)


def scene_area_sqkm(geometry: dict[str, Any], collection_type: str) -> float:
    """Return the billed area: the polygon's area, never less than one scene of the collection type."""
    profile = COLLECTION_TYPE_PROFILES.get(collection_type, COLLECTION_TYPE_PROFILES["spotlight"])
    scene = profile.width_km * profile.length_km
    if geometry["type"] != "Polygon":
        return scene
    ring = geometry["coordinates"][0]
    mean_lat = sum(point[1] for point in ring) / len(ring)
    km_per_lon = KM_PER_DEGREE * max(math.cos(math.radians(mean_lat)), 0.01)
    twice_area = sum(
        x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:] + ring[:1], strict=True)
    )
    return max(scene, abs(twice_area) / 2.0 * km_per_lon * KM_PER_DEGREE)


def task_order(
    task_id: str, geometry: dict[str, Any], properties: dict[str, Any], collects: int
) -> dict[str, Any]:
    """Return the ``order`` block of a tasking request: summary and one line item."""
    total = image_price(properties["collectionType"], properties["collectionTier"]) * collects
    area = round(scene_area_sqkm(geometry, properties["collectionType"]), 2)
    return {
        "summary": {"total": format_usd(total), "subtotal": format_usd(total)},
        "lineItems": [{"taskId": task_id, "accountingSize": {"unit": "sqkm", "value": area}}],
        "archiveHoldback": properties["archiveHoldback"],
        "managedOrganizationIds": ["*"],
    }
