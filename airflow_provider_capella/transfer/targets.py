"""Where a file goes: a local path or an S3 object, from the user's destination and safe file names."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

S3_SCHEME = "s3://"
MAX_NAME_BYTES = 200
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._\-+=@,]")


@dataclass(frozen=True)
class S3Target:
    """An object in S3."""

    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}"


Target = str | S3Target  # a local file's absolute path, or an S3 object


def sanitize_name(raw: str, *, fallback: str) -> str:
    """Make one safe path segment (``../../etc/passwd`` is ``passwd``): no separator, no hidden name."""
    segment = re.split(r"[\\/]", raw)[-1]
    cleaned = _UNSAFE_CHARS.sub("_", segment).lstrip(".")
    cleaned = cleaned.encode()[:MAX_NAME_BYTES].decode(errors="ignore")
    if not cleaned.strip("._-"):
        return sanitize_name(fallback, fallback="asset") if fallback != raw else "asset"
    return cleaned


def filename_from_url(url: str, *, fallback: str) -> str:
    """Return the sanitized last segment of the URL's path (percent-decoded), or ``fallback``."""
    return sanitize_name(unquote(urlsplit(url).path), fallback=fallback)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key/prefix`` into ``("bucket", "key/prefix")``; a bucket is required."""
    bucket, _, key = uri[len(S3_SCHEME) :].partition("/")
    if not bucket:
        raise ValueError(f"invalid S3 destination {uri!r}: expected s3://bucket/prefix")
    return bucket, key


def target_in(destination: str, *segments: str) -> Target:
    """Return the target for sanitized ``segments`` under ``destination``, never outside it (symlinks too)."""
    if destination.lower().startswith(S3_SCHEME):
        bucket, prefix = split_s3_uri(destination)
        return S3Target(bucket, "/".join(part for part in (prefix.strip("/"), *segments) if part))
    candidate = os.path.join(destination, *segments)
    root = os.path.realpath(destination)
    resolved = os.path.realpath(candidate)
    if os.path.commonpath([root, resolved]) != root or resolved == root:
        raise ValueError(f"unsafe file name rejected: {os.path.join(*segments)!r} escapes {destination!r}")
    return os.path.abspath(candidate)


def target_for_file(destination: str, filename: str) -> Target:
    """Return ``destination`` (a file or key), or ``filename`` in it if a directory, ``.../`` or a bucket."""
    if destination.lower().startswith(S3_SCHEME):
        bucket, key = split_s3_uri(destination)
        return S3Target(bucket, f"{key}{filename}" if not key or key.endswith("/") else key)
    if os.path.isdir(destination) or destination.endswith((os.sep, "/")):
        return target_in(destination, filename)
    return os.path.abspath(destination)
