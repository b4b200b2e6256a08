"""The source side: presigned asset URLs fetched with ``requests``, never with an ``Authorization`` header."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_capella._http import is_retryable, user_agent
from airflow_provider_capella.transfer import errors
from airflow_provider_capella.transfer.errors import log

if TYPE_CHECKING:
    import requests

AssetRef = tuple[str, str]
"""``(stac_id, asset_key)``: which asset a URL belongs to."""

CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
UNSATISFIABLE_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)
_QUERY_IN_TEXT = re.compile(r"\?[^\s'\"<>)]*")


def path_for_log(url: str) -> str:
    """Return just the URL's path: what log lines about a presigned asset show."""
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "<unparseable url>"


def redact(text: str) -> str:
    """Return ``text`` with every query string removed (exception messages from requests quote whole URLs)."""
    return _QUERY_IN_TEXT.sub("?<redacted>", text)


def urls_of(items: list[dict[str, Any]]) -> dict[AssetRef, str]:
    """Collect every asset href of presigned STAC items, keyed by ``(stac_id, asset_key)``."""
    return {
        (str(item.get("id")), key): asset["href"]
        for item in items
        for key, asset in (item.get("assets") or {}).items()
        if isinstance(asset, dict) and asset.get("href")
    }


class PresignedUrls:
    """Current URL per asset, with a generation number so a 403 triggers one refresh, not one per part."""

    def __init__(
        self, urls: dict[AssetRef, str], refresh_items: Callable[[], list[dict[str, Any]]] | None = None
    ) -> None:
        self._urls, self._refresh_items = dict(urls), refresh_items
        self._generation, self._refresh_attempted = 0, False
        self._lock = threading.Lock()

    def get(self, ref: AssetRef) -> tuple[str, int]:
        with self._lock:
            return self._urls[ref], self._generation

    def renew(self, ref: AssetRef, used_generation: int) -> None:
        """Get a fresh URL for ``ref`` after a 403 on the URL of ``used_generation``; raise when expired."""
        with self._lock:
            if self._generation > used_generation:
                return
            path = path_for_log(self._urls[ref])
            if self._refresh_items is None or self._refresh_attempted:
                raise errors.expired_urls_error(path, refreshed=self._refresh_attempted)
            self._refresh_attempted = True
            log.warning("presigned URL for %s refused (HTTP 403); fetching fresh URLs from the order", path)
            fresh = urls_of(self._refresh_items())
            self._generation += 1
            self._urls.update(fresh)
            if ref not in fresh:
                raise errors.expired_urls_error(path, refreshed=True)


class Fetcher:
    """Streamed GETs of presigned URLs over one pooled session; ``throttled()`` is called on 429 and 503."""

    def __init__(
        self,
        urls: PresignedUrls,
        timeout: float | tuple[float, float],
        pool_size: int = 1,
        throttled: Callable[[], None] | None = None,
    ) -> None:
        import requests  # lazy: importing requests costs ~0.1 s, paid only when something is downloaded
        from requests.adapters import HTTPAdapter  # lazy: as requests

        self.urls, self.timeout, self.throttled = urls, timeout, throttled
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.auth = _no_authorization
        self.session.headers.update({"Accept-Encoding": "identity", "User-Agent": user_agent()})

    def close(self) -> None:
        self.session.close()

    def get(self, ref: AssetRef, headers: dict[str, str], attempts: errors.Attempts) -> requests.Response:
        """Send a streamed GET until answered 200, 206 or 416 (412: :class:`.errors.SourceChangedError`)."""
        while True:
            if attempts.cancelled.is_set():
                raise errors.TransferCancelled()
            url, generation = self.urls.get(ref)
            try:
                response = self.session.get(url, headers=headers, stream=True, timeout=self.timeout)
            except Exception as error:
                attempts.failed(error, type(error).__name__ if is_retryable(error) else redact(str(error)))
                continue
            status = response.status_code
            if status in (200, 206, 416):
                return response
            response.close()
            if status == 403:
                self.urls.renew(ref, generation)
                continue
            if status == 412:
                raise errors.SourceChangedError(attempts.label, "HTTP 412 to If-Match")
            if status in (429, 503) and self.throttled is not None:
                self.throttled()
            refused = errors.CapellaDownloadError(f"HTTP {status}", status=status)
            attempts.failed(refused, f"HTTP {status}", response.headers.get("Retry-After"))

    def probe(self, ref: AssetRef, attempts: errors.Attempts) -> tuple[int, str | None]:
        """Ask for the size and validator with a one-byte ranged GET (presigned URLs may refuse HEAD)."""
        with self.get(ref, {"Range": "bytes=0-0"}, attempts) as response:
            size = total_size_of(response)
            validator = validator_of(response) if response.status_code != 416 else None
        if size is None:
            raise errors.CapellaDownloadError(f"{attempts.label}: the server reported no size")
        return size, validator


def _no_authorization(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """Remove any Authorization header (as session auth, it also stops requests reading ``~/.netrc``)."""
    request.headers.pop("Authorization", None)
    return request


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """Read ``(start, end, total)`` of ``bytes start-end/total`` (end inclusive; total None for ``*``)."""
    match = CONTENT_RANGE.match(value or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), None if match.group(3) == "*" else int(match.group(3))


def validator_of(response: requests.Response) -> str | None:
    """Return what pins this object's version: its strong ETag (quoted), else its ``Last-Modified``."""
    etag = (response.headers.get("ETag") or "").strip()
    if etag and not etag.startswith("W/"):
        return etag if etag.startswith('"') else f'"{etag}"'
    return (response.headers.get("Last-Modified") or "").strip() or None


def pinned(validator: str | None) -> dict[str, str]:
    """Give the header that makes a GET fail with 412 unless the object is still ``validator``'s version."""
    if not validator:
        return {}
    return {"If-Match" if validator.startswith('"') else "If-Unmodified-Since": validator}


def total_size_of(response: requests.Response) -> int | None:
    """Return the full object size a 200, 206 or 416 response implies."""
    if response.status_code == 416:  # Content-Range: bytes */size
        match = UNSATISFIABLE_RANGE.match(response.headers.get("Content-Range") or "")
        return int(match.group(1)) if match else None
    if response.status_code == 206:
        content_range = parse_content_range(response.headers.get("Content-Range"))
        return content_range[2] if content_range else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


class BodyDropped(ConnectionError):
    """The body stopped early (reset, timeout, short read): retry from the last byte received."""


_scratch = threading.local()


class BodyReader:
    """Reads a body in chunks (``readinto`` a reused buffer if not encoded), raising :class:`BodyDropped`."""

    def __init__(self, response: requests.Response) -> None:
        from urllib3.exceptions import HTTPError  # lazy: urllib3 is loaded by requests, which is lazy

        self._errors = (HTTPError, http.client.HTTPException, OSError, ValueError)
        self._raw: Any = response.raw
        encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
        fp = getattr(self._raw, "_fp", None)
        self._direct: Any = fp if encoding == "identity" and hasattr(fp, "readinto") else None
        self.direct = self._direct is not None  # read_into can receive straight into a caller's buffer

    def read_into(self, view: memoryview) -> int:
        """Receive up to ``len(view)`` bytes into ``view`` (only when :attr:`direct`); the count read."""
        count = int(self._guarded(self._direct.readinto, view))
        if self._direct.isclosed():
            self._raw.release_conn()  # the whole body was read: the connection can serve the next part
        return count

    def read(self, amount: int) -> memoryview | bytes:
        if self._direct is None:
            return self._guarded(self._raw.read, amount)
        buffer: bytearray | None = getattr(_scratch, "buffer", None)
        if buffer is None or len(buffer) < amount:
            buffer = _scratch.buffer = bytearray(amount)
        view = memoryview(buffer)[:amount]
        return view[: self.read_into(view)]

    def _guarded(self, read: Callable[[Any], Any], into: Any) -> Any:
        try:
            got = read(into)
        except self._errors as error:
            raise BodyDropped(type(error).__name__) from None
        if not got:
            raise BodyDropped("body ended early")
        return got
