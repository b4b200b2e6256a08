"""The presigned URLs of a download, refreshed from the order at most once when they expire."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from airflow_provider_capella.transfer.errors import expired_urls_error
from airflow_provider_capella.transfer.naming import path_for_log

log = logging.getLogger(__name__)

AssetRef = tuple[str, str]
"""``(stac_id, asset_key)``: which asset a URL belongs to."""


def urls_of(items: list[dict[str, Any]]) -> dict[AssetRef, str]:
    """Collect every asset href of presigned STAC items, keyed by ``(stac_id, asset_key)``."""
    urls: dict[AssetRef, str] = {}
    for item in items:
        for key, asset in (item.get("assets") or {}).items():
            if isinstance(asset, dict) and asset.get("href"):
                urls[(str(item.get("id")), key)] = asset["href"]
    return urls


class PresignedUrls:
    """Current URL per asset, with a generation number so a 403 triggers one refresh, not one per part.

    A transfer that gets 403 calls :meth:`renew` with the generation it used. If another transfer
    already refreshed, it gets the newer URL; otherwise the URLs are fetched again through
    ``refresh_items`` (once per download call). A 403 on refreshed URLs means the order expired.

    Example::

        urls = PresignedUrls(urls_of(items), refresh_items=lambda: hook.get_presigned_items(order_id))
        url, generation = urls.get(("CAPELLA_...", "HH"))
    """

    def __init__(
        self, urls: dict[AssetRef, str], refresh_items: Callable[[], list[dict[str, Any]]] | None = None
    ) -> None:
        self._urls = dict(urls)
        self._refresh_items = refresh_items
        self._generation = 0
        self._refresh_attempted = False
        self._lock = threading.Lock()

    def get(self, ref: AssetRef) -> tuple[str, int]:
        with self._lock:
            return self._urls[ref], self._generation

    def renew(self, ref: AssetRef, used_generation: int) -> tuple[str, int]:
        """Get a fresh URL for ``ref`` after a 403 on the URL of ``used_generation``; raises when expired."""
        with self._lock:
            if self._generation > used_generation:
                return self._urls[ref], self._generation
            path = path_for_log(self._urls[ref])
            if self._refresh_items is None or self._refresh_attempted:
                raise expired_urls_error(path, refreshed=self._refresh_attempted)
            self._refresh_attempted = True
            log.warning(
                "presigned URL for %s was refused (HTTP 403); fetching fresh URLs from the order", path
            )
            fresh = urls_of(self._refresh_items())
            self._generation += 1
            self._urls.update(fresh)
            if ref not in fresh:
                raise expired_urls_error(path, refreshed=True)
            return self._urls[ref], self._generation
