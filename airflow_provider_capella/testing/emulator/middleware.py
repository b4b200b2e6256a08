"""One ASGI layer in front of every route: request log, clock advance, faults, and API-key auth.

It is pure ASGI (not ``BaseHTTPMiddleware``) so asset bodies stream through unbuffered, which the
bandwidth cap and the mid-body connection drop both need.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from airflow_provider_capella.testing.emulator.state import EmulatorState

CONTROL_PREFIX = "/_emulator"
ASSET_PREFIX = "/assets/"
ACCEPTED_AUTH_PREFIXES = ("apikey ", "bearer ")


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


def is_authorized(raw_headers: list[tuple[bytes, bytes]], api_key: str) -> bool:
    for raw_name, raw_value in raw_headers:
        if raw_name.lower() != b"authorization":
            continue
        value = raw_value.decode("latin-1").strip()
        lowered = value.lower()
        for prefix in ACCEPTED_AUTH_PREFIXES:
            if lowered.startswith(prefix):
                return value[len(prefix) :].strip() == api_key
    return False


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
            self.state.advance()
        faults = self.state.config.faults
        if faults.scope in ("all", kind):
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            if await self._injected_error(send):
                return
            send = self._faulty_send(send)
        if kind == "api" and not is_authorized(scope["headers"], self.state.config.api_key):
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
        if faults.fail_next_count > 0:
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
        drop_fraction = rng.uniform(0.1, 0.9)
        bandwidth = faults.bandwidth
        if not drop and not bandwidth:
            return send
        progress = {"sent": 0, "started": time.monotonic(), "length": None}

        async def send_with_faults(message: Message) -> None:
            if message["type"] == "http.response.start":
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-length":
                        progress["length"] = int(value)
                await send(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            if drop:
                total = progress["length"] or len(body) * 2 or 2
                cut = max(1, int(total * drop_fraction))
                if progress["sent"] + len(body) >= cut:
                    keep = max(0, cut - progress["sent"])
                    await send({"type": "http.response.body", "body": body[:keep], "more_body": True})
                    raise DroppedConnection("emulated connection drop")
            await send(message)
            progress["sent"] += len(body)
            if bandwidth:
                due = progress["started"] + progress["sent"] / bandwidth
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)

        return send_with_faults


async def _send_json(send: Send, status: int, payload: Any, extra_headers: list | None = None) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})


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
