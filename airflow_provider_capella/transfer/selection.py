"""Which assets of a STAC item are downloaded: include/exclude as the official SDK defines them.

- ``raster`` stands for the polarization keys ``HH`` and ``VV``;
- with a non-empty ``include``, only the listed keys are downloaded; ``exclude`` removes keys, and an explicit
  exclude beats an explicit include;
- ``license`` (a link to the license text) is never downloaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

RASTER_ALIAS = "raster"
RASTER_KEYS = ("HH", "VV")
NEVER_DOWNLOADED = frozenset({"license"})


def expand_asset_keys(keys: Iterable[str] | str | None) -> frozenset[str] | None:
    """Expand the asset keys a user's include/exclude list stands for, ``raster`` expanded; None stays None.

    Example::

        expand_asset_keys(["raster", "metadata"])  # frozenset({'HH', 'VV', 'metadata'})
    """
    if keys is None:
        return None
    if isinstance(keys, str):
        keys = [keys]
    expanded: set[str] = set()
    for key in keys:
        expanded.update(RASTER_KEYS if key == RASTER_ALIAS else (key,))
    return frozenset(expanded)


def selected_assets(
    assets: dict[str, Any], include: Iterable[str] | str | None, exclude: Iterable[str] | str | None
) -> dict[str, dict[str, Any]]:
    """Select the ``{key: asset}`` entries of an item's assets that the include/exclude lists select.

    Example::

        selected_assets(item["assets"], include=["raster"], exclude=None)  # {'HH': {...}}
    """
    allowed = expand_asset_keys(include)
    denied = expand_asset_keys(exclude) or frozenset()
    chosen: dict[str, dict[str, Any]] = {}
    for key, asset in assets.items():
        if key in NEVER_DOWNLOADED or key in denied:
            continue
        if allowed and key not in allowed:
            continue
        if isinstance(asset, dict) and asset.get("href"):
            chosen[key] = asset
    return chosen
