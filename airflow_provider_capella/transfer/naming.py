"""Safe names: file names from hrefs and ids, and URLs/messages fit for logs (no signatures)."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

MAX_NAME_BYTES = 200
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._\-+=@,]")
_QUERY_IN_TEXT = re.compile(r"\?[^\s'\"<>)]*")


def sanitize_name(raw: str, *, fallback: str) -> str:
    """Make one safe path segment: no separators, no ``..``, no hidden or control characters, bounded length.

    Example::

        sanitize_name("../../etc/passwd", fallback="HH")  # 'passwd'
        sanitize_name("..", fallback="HH")                # 'HH'
    """
    segment = re.split(r"[\\/]", raw)[-1]
    cleaned = _UNSAFE_CHARS.sub("_", segment).lstrip(".")
    cleaned = cleaned.encode()[:MAX_NAME_BYTES].decode(errors="ignore")
    if not cleaned.strip("._-"):
        return sanitize_name(fallback, fallback="asset") if fallback != raw else "asset"
    return cleaned


def filename_from_url(url: str, *, fallback: str) -> str:
    """Return the sanitized last segment of the URL's path (percent-decoded), or ``fallback``.

    Example::

        filename_from_url("https://b.s3.amazonaws.com/x/CAPELLA_C13.tif?Signature=..", fallback="HH")
    """
    return sanitize_name(unquote(urlsplit(url).path), fallback=fallback)


def join_inside(directory: str, *segments: str) -> str:
    """Join ``directory/segments...``, checking the result cannot escape ``directory`` (symlinks too)."""
    candidate = os.path.join(directory, *segments)
    root = os.path.realpath(directory)
    resolved = os.path.realpath(candidate)
    if os.path.commonpath([root, resolved]) != root or resolved == root:
        raise ValueError(f"unsafe file name rejected: {os.path.join(*segments)!r} escapes {directory!r}")
    return candidate


def url_for_log(url: str) -> str:
    """Return the URL without its query string (presigned signatures) and user info."""
    from airflow_provider_capella._http import sanitize_url

    return sanitize_url(url)


def path_for_log(url: str) -> str:
    """Return just the URL's path: what log lines about a presigned asset show."""
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "<unparseable url>"


def redact(text: str) -> str:
    """Return ``text`` with every query string removed (exception messages from requests quote whole URLs)."""
    return _QUERY_IN_TEXT.sub("?<redacted>", text)
