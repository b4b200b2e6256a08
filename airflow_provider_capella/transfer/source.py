"""The source side: presigned asset URLs over HTTP(S) with ``requests``.

Presigned URLs carry their own signature, so these requests never send an ``Authorization`` header
(not even one from ``~/.netrc``), and log lines and errors show the URL's path only.
"""

from __future__ import annotations

import http.client
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
UNSATISFIABLE_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ContentRange:
    """A parsed ``Content-Range: bytes start-end/total`` (``end`` inclusive; ``total`` None when ``*``)."""

    start: int
    end: int
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    """Return the parsed header, or None when absent or malformed.

    Example::

        parse_content_range("bytes 0-99/1000")  # ContentRange(start=0, end=99, total=1000)
    """
    match = CONTENT_RANGE.match(value or "")
    if not match:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return ContentRange(int(match.group(1)), int(match.group(2)), total)


def unsatisfiable_total(value: str | None) -> int | None:
    """Return the size a 416 response reports (``Content-Range: bytes */size``), if any."""
    match = UNSATISFIABLE_RANGE.match(value or "")
    return int(match.group(1)) if match else None


def validator_of(response: requests.Response) -> str | None:
    """Return what ``If-Range`` can carry to pin this object: a strong ETag, else ``Last-Modified``."""
    etag = (response.headers.get("ETag") or "").strip()
    if etag and not etag.startswith("W/"):
        return etag
    return (response.headers.get("Last-Modified") or "").strip() or None


def total_size_of(response: requests.Response) -> int | None:
    """Return the full object size a 200 or 206 response implies."""
    if response.status_code == 206:
        content_range = parse_content_range(response.headers.get("Content-Range"))
        return content_range.total if content_range else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def new_session(pool_size: int) -> requests.Session:
    """Return a pooled session for presigned URLs: ``pool_size`` connections per host, no auth.

    Example::

        session = new_session(8)
    """
    import requests
    from requests.adapters import HTTPAdapter

    from airflow_provider_capella._http import user_agent

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=max(1, pool_size), max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.auth = _NoAuthorization()
    session.headers["Accept-Encoding"] = "identity"
    session.headers["User-Agent"] = user_agent()
    return session


def _no_authorization(request: requests.PreparedRequest) -> requests.PreparedRequest:
    request.headers.pop("Authorization", None)
    return request


class _NoAuthorization:
    """Session auth that removes any Authorization header (and stops requests reading ``~/.netrc``)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return _no_authorization(request)


class BodyDropped(Exception):
    """The body stopped early (reset, timeout, short read): retry from the last byte received."""


_scratch = threading.local()


def _scratch_buffer(size: int) -> memoryview:
    """Return this thread's reusable read buffer of at least ``size`` bytes."""
    buffer: bytearray | None = getattr(_scratch, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = _scratch.buffer = bytearray(size)
    return memoryview(buffer)


class BodyReader:
    """Reads a streamed response body in chunks, turning network failures into :class:`BodyDropped`.

    A body that is not content-encoded is read with ``readinto`` straight from ``http.client`` into a
    per-thread buffer that is reused: ``urllib3``'s ``read(amt)`` would copy every chunk twice more.
    A chunk is only valid until the next :meth:`read`.

    Example::

        reader = BodyReader(response)
        chunk = reader.read(1024 * 1024)
    """

    def __init__(self, response: requests.Response) -> None:
        self._raw: Any = response.raw
        encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
        fp = getattr(self._raw, "_fp", None)
        self._direct = fp if encoding == "identity" and hasattr(fp, "readinto") else None

    @property
    def direct(self) -> bool:
        """Whether :meth:`read_into` can receive straight into a caller's buffer."""
        return self._direct is not None

    def read_into(self, view: memoryview) -> int:
        """Receive up to ``len(view)`` bytes into ``view`` (only when :attr:`direct`); the count read."""
        from urllib3.exceptions import HTTPError as Urllib3Error

        direct = self._direct
        assert direct is not None
        try:
            count = int(direct.readinto(view))
        except (Urllib3Error, http.client.HTTPException, OSError, ValueError) as error:
            raise BodyDropped(type(error).__name__) from None
        if not count:
            raise BodyDropped("body ended early")
        if direct.isclosed():
            self._raw.release_conn()
        return count

    def read(self, amount: int) -> memoryview | bytes:
        from urllib3.exceptions import HTTPError as Urllib3Error

        try:
            if self._direct is not None:
                view = _scratch_buffer(amount)[:amount]
                count = self._direct.readinto(view)
                data: memoryview | bytes = view[:count]
            else:
                data = self._raw.read(amount)
        except (Urllib3Error, http.client.HTTPException, OSError, ValueError) as error:
            raise BodyDropped(type(error).__name__) from None
        if not data:
            raise BodyDropped("body ended early")
        if self._direct is not None and self._direct.isclosed():
            self._raw.release_conn()  # the whole body was read: the connection can serve the next part
        return data
