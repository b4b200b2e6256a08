"""Where a file goes: a local path or an S3 object, parsed from the user's destination string."""

from __future__ import annotations

import os
from dataclasses import dataclass

from airflow_provider_capella.transfer.naming import join_inside

S3_SCHEME = "s3://"


@dataclass(frozen=True)
class LocalTarget:
    """A file on the local file system.

    Example::

        LocalTarget("/data/capella/CAPELLA_C13_SP_GEO_HH_20240101000000_20240101000010.tif")
    """

    path: str

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class S3Target:
    """An object in S3.

    Example::

        S3Target(bucket="my-bucket", key="capella/CAPELLA_C13_SP_GEO_HH_20240101000000_20240101000010.tif")
    """

    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}"


Target = LocalTarget | S3Target


def is_s3_uri(destination: str) -> bool:
    return destination.lower().startswith(S3_SCHEME)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``("bucket", "key/prefix")`` from ``s3://bucket/key/prefix``; a bucket is required.

    Example::

        split_s3_uri("s3://bucket/some/prefix/")  # ('bucket', 'some/prefix/')
    """
    rest = uri[len(S3_SCHEME) :]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise ValueError(f"invalid S3 destination {uri!r}: expected s3://bucket/prefix")
    return bucket, key


def target_in(destination: str, *segments: str) -> Target:
    """Return the target for ``segments`` (already sanitized names) under a directory or ``s3://`` prefix.

    Example::

        target_in("s3://bucket/capella", "CAPELLA_X", "CAPELLA_X.tif")  # s3://bucket/capella/CAPELLA_X/CAPELLA_X.tif
    """
    if is_s3_uri(destination):
        bucket, prefix = split_s3_uri(destination)
        prefix = prefix.strip("/")
        key = "/".join(part for part in (prefix, *segments) if part)
        return S3Target(bucket, key)
    return LocalTarget(os.path.abspath(join_inside(destination, *segments)))


def target_for_file(destination: str, filename: str) -> Target:
    """Return the target of :func:`download_asset`: a path or key as given, or ``filename`` in a directory.

    A local destination is a directory when it exists as one or ends with a separator; an S3 one when it
    ends with ``/`` or names only a bucket.
    """
    if is_s3_uri(destination):
        bucket, key = split_s3_uri(destination)
        if not key or key.endswith("/"):
            return S3Target(bucket, f"{key}{filename}")
        return S3Target(bucket, key)
    if os.path.isdir(destination) or destination.endswith((os.sep, "/")):
        return target_in(destination, filename)
    return LocalTarget(os.path.abspath(destination))
