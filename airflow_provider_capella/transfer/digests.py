"""Fetching the digest document of every item that has one, before its files are downloaded."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer.errors import CapellaDownloadError, IntegrityError
from airflow_provider_capella.transfer.integrity import FileDigest, digest_asset_key, parse_digest
from airflow_provider_capella.transfer.naming import path_for_log, redact

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

MAX_DIGEST_BYTES = 16 * 1024 * 1024
ATTEMPTS = 4


def item_digests(session: requests.Session, items: list[dict[str, Any]]) -> dict[str, dict[str, FileDigest]]:
    """``{stac_id: {file name: FileDigest}}`` for every item with a data-integrity digest asset.

    A digest that cannot be fetched or read fails the call before any file is written: checking against
    it was possible, so skipping the check silently would hide exactly the problem it exists for.
    """
    digests: dict[str, dict[str, FileDigest]] = {}
    for item in items:
        key = digest_asset_key(item)
        if key is None:
            continue
        url = str(item["assets"][key]["href"])
        try:
            digests[str(item.get("id"))] = parse_digest(_fetch(session, url))
        except ValueError as error:
            raise IntegrityError(
                f"{path_for_log(url)}: the product's digest cannot be read: {error}"
            ) from None
        log.info("%s: files will be checked against the product's digest", item.get("id"))
    return digests


def _fetch(session: requests.Session, url: str) -> bytes:
    from airflow_provider_capella._http import RETRYABLE_STATUSES, backoff_seconds

    for attempt in range(1, ATTEMPTS + 1):
        try:
            with session.get(url, timeout=(10, 60)) as response:
                if response.status_code == 200:
                    body = response.content
                    if len(body) > MAX_DIGEST_BYTES:
                        raise ValueError(f"larger than {MAX_DIGEST_BYTES} bytes")
                    return body
                status = response.status_code
        except (OSError, ValueError) as error:  # requests' errors are OSErrors
            if isinstance(error, ValueError) or attempt == ATTEMPTS:
                raise CapellaDownloadError(f"{path_for_log(url)}: {redact(str(error))}") from None
            time.sleep(backoff_seconds(attempt))
            continue
        if status not in RETRYABLE_STATUSES or attempt == ATTEMPTS:
            raise CapellaDownloadError(f"{path_for_log(url)}: HTTP {status}", status=status)
        time.sleep(backoff_seconds(attempt))
    raise AssertionError("unreachable")
