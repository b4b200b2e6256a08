"""One ASGI layer in front of every route: request log, clock advance, faults, and API-key auth.

The request log keeps each API request's JSON body (``body``; ``None`` when it had none or it was not
JSON), so a test can pin what a client put on the wire.

It is pure ASGI (not ``BaseHTTPMiddleware``) so asset bodies stream through unbuffered, which the
bandwidth cap and the mid-body connection drop both need.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from capella_emulator.state import EmulatorState

CONTROL_PREFIX = "/_emulator"
ASSET_PREFIX = "/assets/"
ACCEPTED_AUTH_PREFIXES = ("apikey ", "bearer ")
PACING_SLICE = 64 * 1024  # bandwidth-capped bodies go out in pieces this big, each when it is due


class DroppedConnection(Exception):
    """Raised inside the ASGI send path so uvicorn closes the socket mid-body, as a flaky network does."""


def path_kind(path: str) -> str:
    """``control``, ``asset`` or ``api``: what a path is, for auth and fault scoping."""
    if path.startswith(CONTROL_PREFIX):
        return "control"
    if path.startswith(ASSET_PREFIX):
        return "asset"
    return "api"


def redacted_headers(raw_headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers for the log, the Authorization value replaced by its scheme and ``***``."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw_headers:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} ***".strip()
        headers[name] = value
    return headers


def auth_problem(raw_headers: list[tuple[bytes, bytes]], api_key: str) -> str | None:
    """``None`` when the credential is right, else ``bearer`` (a bad JWT) or ``key`` (anything else)."""
    for raw_name, raw_value in raw_headers:
        if raw_name.lower() != b"authorization":
            continue
        value = raw_value.decode("latin-1").strip()
        lowered = value.lower()
        for prefix in ACCEPTED_AUTH_PREFIXES:
            if lowered.startswith(prefix):
                if value[len(prefix) :].strip() == api_key:
                    return None
                return "bearer" if prefix == "bearer " else "key"
    return "key"


def is_authorized(raw_headers: list[tuple[bytes, bytes]], api_key: str) -> bool:
    return auth_problem(raw_headers, api_key) is None


class EmulatorMiddleware:
    """Wraps the app with the emulator's cross-cutting behaviour.

    Example::

        app.add_middleware(EmulatorMiddleware, state=state)
    """

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = path_kind(scope["path"])
        if kind == "control":
            await self.app(scope, receive, send)
            return
        entry = self._log(scope)
        send = self._recording_status(send, entry)
        if kind == "api":
            receive = _recording_body(receive, entry)
            self.state.advance()
        faults = self.state.config.faults
        if faults.scope in ("all", kind):
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            if await self._injected_error(send):
                return
            send = self._faulty_send(send)
        problem = auth_problem(scope["headers"], self.state.config.api_key) if kind == "api" else None
        if problem == "bearer":
            await _send_json(send, 401, {"error": {"message": "Invalid token.", "code": "INVALID_TOKEN"}})
            return
        if problem is not None:
            await _send_json(send, 401, {"message": "Unauthorized"})
            return
        await self.app(scope, receive, send)

    def _log(self, scope: Scope) -> dict[str, Any]:
        entry = {
            "time": time.time(),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "headers": redacted_headers(scope["headers"]),
            "status": None,
            "body": None,
        }
        self.state.request_log.append(entry)
        return entry

    @staticmethod
    def _recording_status(send: Send, entry: dict[str, Any]) -> Send:
        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        return recording_send

    async def _injected_error(self, send: Send) -> bool:
        faults = self.state.config.faults
        rng = self.state.fault_rng
        if faults.fail_next_count > 0 and faults.fail_next_after > 0:
            faults.fail_next_after -= 1
        elif faults.fail_next_count > 0:
            faults.fail_next_count -= 1
            status = faults.fail_next_status
            if status == 429:
                await _send_rate_limited(send, faults.retry_after)
            else:
                await _send_gateway_error(send, status)
            return True
        if faults.fault_429_rate and rng.random() < faults.fault_429_rate:
            await _send_rate_limited(send, faults.retry_after)
            return True
        if faults.fault_5xx_rate and rng.random() < faults.fault_5xx_rate:
            await _send_gateway_error(send, rng.choice((500, 502, 503, 504)))
            return True
        return False

    def _faulty_send(self, send: Send) -> Send:
        """Apply the per-connection bandwidth cap and, at the drawn rate, drop the connection mid-body."""
        faults = self.state.config.faults
        rng = self.state.fault_rng
        drop = bool(faults.fault_drop_rate) and rng.random() < faults.fault_drop_rate
        if not drop and not faults.bandwidth:
            return send
        progress = _BodyProgress(
            drop_fraction=rng.uniform(0.1, 0.9) if drop else None, bandwidth=faults.bandwidth
        )

        async def send_with_faults(message: Message) -> None:
            if message["type"] == "http.response.start":
                progress.read_length(message.get("headers", []))
            elif message["type"] == "http.response.body":
                await send_body(message)
                return
            await send(message)

        async def send_body(message: Message) -> None:
            body: bytes = message.get("body", b"")
            keep = progress.bytes_before_drop(len(body))
            if keep is not None:
                await send({"type": "http.response.body", "body": body[:keep], "more_body": True})
                raise DroppedConnection("emulated connection drop")
            if not progress.bandwidth:
                await send(message)
                return
            more_body = message.get("more_body", False)
            view = memoryview(body)
            for start in range(0, max(len(body), 1), PACING_SLICE):
                piece = bytes(view[start : start + PACING_SLICE])
                await progress.wait_until_transmitted(len(piece))
                last = start + PACING_SLICE >= len(body)
                await send({"type": "http.response.body", "body": piece, "more_body": more_body or not last})

        return send_with_faults


@dataclass
class _BodyProgress:
    """How much of one response body went out, for the bandwidth cap and the drop point."""

    drop_fraction: float | None
    bandwidth: int | None
    sent: int = 0
    length: int | None = None
    started: float = field(default_factory=time.monotonic)

    def read_length(self, headers: list[tuple[bytes, bytes]]) -> None:
        for name, value in headers:
            if name.lower() == b"content-length":
                self.length = int(value)

    def bytes_before_drop(self, chunk_size: int) -> int | None:
        """How many bytes of the next chunk to send before dropping, or ``None`` to send it whole."""
        if self.drop_fraction is None:
            return None
        total = self.length or max(2, chunk_size * 2)
        cut = max(1, int(total * self.drop_fraction))
        if self.sent + chunk_size < cut:
            return None
        return max(0, cut - self.sent)

    async def wait_until_transmitted(self, piece_size: int) -> None:
        """Hold a piece until a link of ``bandwidth`` bytes/s would have carried it, then count it sent."""
        assert self.bandwidth
        self.sent += piece_size
        delay = self.started + self.sent / self.bandwidth - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class QuietDropFilter(logging.Filter):
    """Keep uvicorn from logging a traceback for each connection dropped on purpose.

    Also for each client that hangs up before its request body arrived (a client-side timeout, as tests
    provoke).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from starlette.requests import ClientDisconnect

        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, (DroppedConnection, ClientDisconnect)):
                return False
            exc = exc.__cause__ or exc.__context__
        return True


def install_quiet_drop_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, QuietDropFilter) for existing in logger.filters):
        logger.addFilter(QuietDropFilter())


async def _send_json(send: Send, status: int, payload: Any, extra_headers: list | None = None) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})


def _recording_body(receive: Receive, entry: dict[str, Any]) -> Receive:
    """Wrap ``receive`` to keep the request's JSON body in its log ``entry`` once it has been read."""
    chunks: list[bytes] = []

    async def recording_receive() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                try:
                    entry["body"] = json.loads(b"".join(chunks)) if any(chunks) else None
                except ValueError:
                    entry["body"] = None
        return message

    return recording_receive


async def _send_rate_limited(send: Send, retry_after: float) -> None:
    await _send_json(
        send,
        429,
        {"message": "Too Many Requests"},
        [(b"retry-after", str(max(0, round(retry_after))).encode())],
    )


async def _send_gateway_error(send: Send, status: int) -> None:
    body = f"<html><body><h1>{status} Gateway Error</h1></body></html>".encode()
    headers = [(b"content-type", b"text/html"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
