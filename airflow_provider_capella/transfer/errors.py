"""Errors of the download engine; messages never carry a presigned URL's query string."""

from __future__ import annotations

from airflow_provider_capella.exceptions import CapellaDownloadError, CapellaOrderExpiredError


class SourceChangedError(CapellaDownloadError):
    """The remote object changed (size or ETag) while it was being downloaded."""


class IntegrityError(CapellaDownloadError):
    """The bytes written do not match their checksum or the product's digest; what was written is removed."""


class TransferCancelled(Exception):
    """Internal: another asset failed (or the task was stopped), so this transfer stops early."""


def expired_urls_error(path: str, *, refreshed: bool) -> CapellaOrderExpiredError:
    """Build the error for a presigned URL answered with 403, before or after refreshing the URLs once."""
    text = (
        f"the presigned URL for {path} was refused (HTTP 403) even after fetching fresh URLs from the "
        "order: the order has expired (or access was revoked); submit a new order and download again"
        if refreshed
        else f"the presigned URL for {path} was refused (HTTP 403): its signature or the order has expired; "
        "get fresh presigned URLs from the order (or submit a new order) and download again"
    )
    return CapellaOrderExpiredError(text, status=403, code="ORDER_EXPIRED")


def worth_resuming(error: BaseException) -> bool:
    """Tell whether a next try can continue what this one wrote (else it is removed: failed for good)."""
    if isinstance(error, (SourceChangedError, IntegrityError, CapellaOrderExpiredError)):
        return False
    status = getattr(error, "status", None)
    return not (isinstance(status, int) and 400 <= status < 500 and status not in (408, 429))
