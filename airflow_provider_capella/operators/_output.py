"""Write a JSON document to a local file (atomically) or an ``s3://`` object; return where it went."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from airflow_provider_capella._payloads import checks


def write_json(document: Any, location: str, *, aws_conn_id: str | None = None) -> str:
    """Write ``document`` as JSON to ``location`` (a file path or ``s3://bucket/key``); return the location.

    A local file appears whole or not at all (written beside it, then renamed); its folders are created.

    Example::

        write_json({"type": "FeatureCollection", "features": []}, "s3://bucket/searches/2024-01-01.json")
    """
    if not isinstance(location, str) or not location.strip():
        checks.fail("output_path", "must be a file path or an s3://bucket/key URI")
    body = json.dumps(document, separators=(",", ":")).encode()
    if location.lower().startswith("s3://"):
        return _put_s3(body, location.strip(), aws_conn_id)
    return _write_local(body, os.path.abspath(os.path.expanduser(location.strip())))


def _write_local(body: bytes, path: str) -> str:
    if path.endswith(os.sep) or os.path.isdir(path):
        checks.fail("output_path", f"must name a file, not a folder: {path!r}")
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return path


def _put_s3(body: bytes, uri: str, aws_conn_id: str | None) -> str:
    from airflow_provider_capella.transfer.s3client import s3_client
    from airflow_provider_capella.transfer.targets import split_s3_uri

    bucket, key = split_s3_uri(uri)
    if not key or key.endswith("/"):
        checks.fail("output_path", f"must name an object, not a prefix: {uri!r}")
    client = s3_client(aws_conn_id, max_pool_connections=2)
    client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/geo+json")
    return f"s3://{bucket}/{key}"
