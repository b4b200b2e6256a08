"""Fetching the digest document of every item that has one, before its files are downloaded."""

from __future__ import annotations

import logging
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
    """GET the digest document under the provider's one retry policy."""
    from airflow_provider_capella._http import RetryPolicy, send_with_policy
    from airflow_provider_capella.exceptions import CapellaConnectionError

    try:
        response = send_with_policy(
            lambda: session.get(url, timeout=(10, 60), stream=True),
            RetryPolicy(max_attempts=ATTEMPTS),
            method="GET",
            url=url,
        )
    except CapellaConnectionError as error:
        raise CapellaDownloadError(f"{path_for_log(url)}: {redact(error.message)}") from None
    with response:
        if response.status_code != 200:
            raise CapellaDownloadError(
                f"{path_for_log(url)}: HTTP {response.status_code}", status=response.status_code
            )
        body = response.raw.read(MAX_DIGEST_BYTES + 1, decode_content=True)
    if len(body) > MAX_DIGEST_BYTES:
        raise ValueError(f"larger than {MAX_DIGEST_BYTES} bytes")
    return bytes(body)
