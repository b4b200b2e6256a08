"""An HTTP proxy in front of the S3 server that damages chosen ``UploadPart`` bodies on the wire.

It stands for a bit flipped between the worker and S3: the part leaves the engine intact (its CRC
computed over the right bytes) and arrives altered, which S3 must refuse. Every request is logged as
``(method, part number or None, status)``.

Example::

    with CorruptingProxy(moto_url, corrupt_part=2, times=1) as proxy:
        os.environ["AWS_ENDPOINT_URL"] = proxy.url
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "upgrade"}


class CorruptingProxy:
    """Forwards to ``upstream``; flips one byte of the first ``times`` bodies of part ``corrupt_part``."""

    def __init__(self, upstream: str, *, corrupt_part: int, times: int) -> None:
        self.upstream = urlsplit(upstream)
        self.corrupt_part = corrupt_part
        self.remaining = times
        self.log: list[tuple[str, int | None, int]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def refused_parts(self) -> list[int]:
        """Part numbers whose upload the server answered with a 4xx."""
        return [part for method, part, status in self.log if part is not None and 400 <= status < 500]

    def __enter__(self) -> CorruptingProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _should_corrupt(self, part: int | None) -> bool:
        with self._lock:
            if part == self.corrupt_part and self.remaining > 0:
                self.remaining -= 1
                return True
            return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return None

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = bytearray(self.rfile.read(length)) if length else bytearray()
                query = parse_qs(urlsplit(self.path).query)
                part = int(query["partNumber"][0]) if "partNumber" in query and "uploadId" in query else None
                if body and self.command == "PUT" and proxy._should_corrupt(part):
                    body[len(body) // 2] ^= 0xFF
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=60
                )
                try:
                    upstream.request(self.command, self.path, body=bytes(body), headers=headers)
                    answer = upstream.getresponse()
                    payload = answer.read()
                finally:
                    upstream.close()
                with proxy._lock:
                    proxy.log.append((self.command, part, answer.status))
                self.send_response(answer.status)
                skipped = HOP_BY_HOP if self.command == "HEAD" else HOP_BY_HOP | {"content-length"}
                for name, value in answer.getheaders():
                    if name.lower() not in skipped:
                        self.send_header(name, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        return Handler
