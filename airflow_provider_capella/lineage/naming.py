"""Dataset namespaces and names, following the OpenLineage naming spec.

- a Capella catalog item: namespace ``capella://<API host>`` (``capella://api.capellaspace.com``),
  name the STAC id;
- an S3 object: namespace ``s3://<bucket>``, name the key;
- a local file: namespace ``file://<host name>``, name the absolute path.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

DEFAULT_API_HOST = "api.capellaspace.com"
CAPELLA_SCHEME = "capella"


def capella_namespace(base_url: str | None) -> str:
    """``capella://<host[:port]>`` of the API base URL the connection points at.

    Example::

        capella_namespace("https://api.capellaspace.com")  # 'capella://api.capellaspace.com'
    """
    host = urlsplit(base_url).netloc if base_url and "://" in base_url else (base_url or "")
    return f"{CAPELLA_SCHEME}://{host.strip('/') or DEFAULT_API_HOST}"


def file_namespace_and_name(location: str) -> tuple[str, str]:
    """``(namespace, name)`` of a written file: ``s3://bucket`` + key, or ``file://<host>`` + path.

    Example::

        file_namespace_and_name("s3://bucket/capella/X.tif")  # ('s3://bucket', 'capella/X.tif')
    """
    if location.lower().startswith("s3://"):
        bucket, _, key = location[len("s3://") :].partition("/")
        return f"s3://{bucket}", key
    return f"file://{local_host()}", location


def local_host() -> str:
    """Return this machine's host name, the namespace of its files."""
    return socket.gethostname() or "localhost"
