"""Presigned asset URLs in the S3 query-string style, signed with the emulator's secret (HMAC-SHA256).

A URL looks like ``<base>/assets/<collection>/<id>/<filename>?AWSAccessKeyId=EMULATOR&Expires=<epoch s>
&Signature=<urlsafe base64, unpadded>``; the signature covers the path and the expiry, not the method, so
the same URL answers ``GET`` and ``HEAD``. The API key never appears in it.

Example::

    url = presign_url("http://127.0.0.1:8765", "/assets/capella-geo/ID/ID.tif", expires=1_900_000_000,
                      secret=state.signing_secret)
    check_presigned("/assets/capella-geo/ID/ID.tif", parse_qs(urlsplit(url).query), state.signing_secret, now)
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

ACCESS_KEY_ID = "EMULATOR"
ASSET_PATH_PREFIX = "/assets/"

ONE_AUTH_MECHANISM = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
    "parameter or the Authorization header should be specified"
)
MISSING_QUERY_AUTH = (
    "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
)
UNKNOWN_ACCESS_KEY = "The AWS Access Key Id you provided does not exist in our records."
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)


def sign(path: str, expires: int, secret: bytes) -> str:
    """Return the signature of ``path`` valid until epoch second ``expires``."""
    mac = hmac.new(secret, f"{path}\n{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def presign_url(base_url: str, path: str, expires: int, secret: bytes) -> str:
    """Return an absolute presigned URL for the emulator-relative asset ``path``."""
    query = urlencode(
        {"AWSAccessKeyId": ACCESS_KEY_ID, "Expires": expires, "Signature": sign(path, expires, secret)}
    )
    return f"{base_url.rstrip('/')}{path}?{query}"


def presign_item(item: dict[str, Any], base_url: str, expires: int, secret: bytes) -> dict[str, Any]:
    """Return a copy of a catalog item whose emulator-served asset hrefs are presigned absolute URLs.

    Hrefs that are already absolute (the license) are left as they are.
    """
    presigned = copy.deepcopy(item)
    for asset in presigned.get("assets", {}).values():
        href = asset.get("href", "")
        if href.startswith(ASSET_PATH_PREFIX):
            asset["href"] = presign_url(base_url, href, expires, secret)
    return presigned


@dataclass(frozen=True)
class SignatureProblem:
    """Why a presigned request is refused, in S3's words: HTTP status, error code and message.

    Example::

        SignatureProblem(403, "AccessDenied", "Request has expired")
    """

    status: int
    code: str
    message: str


def check_presigned(
    path: str, params: Mapping[str, str], secret: bytes, now: float, has_authorization: bool = False
) -> SignatureProblem | None:
    """``None`` when the request may be served, else the problem S3 would report for it.

    ``params`` are the request's query parameters (single values). Checked in S3's order: a second auth
    mechanism, missing parameters, the access key, the expiry format, the signature, then the expiry.
    """
    has_query_auth = any(name in params for name in ("Signature", "Expires", "AWSAccessKeyId"))
    if has_authorization:
        if has_query_auth:
            return SignatureProblem(400, "InvalidArgument", ONE_AUTH_MECHANISM)
        return SignatureProblem(400, "InvalidArgument", "Unsupported Authorization Type")
    if not has_query_auth:
        return SignatureProblem(403, "AccessDenied", "Access Denied")
    if not all(params.get(name) for name in ("Signature", "Expires", "AWSAccessKeyId")):
        return SignatureProblem(403, "AccessDenied", MISSING_QUERY_AUTH)
    if params["AWSAccessKeyId"] != ACCESS_KEY_ID:
        return SignatureProblem(403, "InvalidAccessKeyId", UNKNOWN_ACCESS_KEY)
    expires_text = params["Expires"]
    if not expires_text.isdigit():
        return SignatureProblem(
            403, "AccessDenied", f"Invalid date (should be seconds since epoch): {expires_text}"
        )
    expires = int(expires_text)
    if not hmac.compare_digest(sign(path, expires, secret), params["Signature"]):
        return SignatureProblem(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH)
    if now > expires:
        return SignatureProblem(403, "AccessDenied", "Request has expired")
    return None
