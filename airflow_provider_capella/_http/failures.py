"""How a transport failure failed, whichever HTTP library raised it: never sent, lost, or fatal.

A library is only consulted when it is already imported (an error can't come from a module that was
never loaded), so importing this module stays cheap.
"""

from __future__ import annotations

import enum
import http.client
import ssl
import sys
from typing import Any


class Failure(enum.Enum):
    """How a request without a usable response failed.

    ``NOT_SENT``: the connection could not be opened (safe to send again, even a billable create);
    ``LOST``: it was (or may have been) sent but the answer never arrived whole; ``FATAL``: another
    attempt cannot help (TLS verification, a malformed URL or header).
    """

    NOT_SENT = "not sent"
    LOST = "lost"
    FATAL = "fatal"


_TRANSPORT_RULES = {
    # base class of a library's transport errors: (its never-sent classes, its lost classes); others: FATAL.
    "requests.exceptions.RequestException": (
        "ConnectTimeout",
        "ConnectionError Timeout ChunkedEncodingError",
    ),
    "httpx.TransportError": (
        "ConnectError ConnectTimeout PoolTimeout",
        "TimeoutException NetworkError RemoteProtocolError",
    ),
    "urllib3.exceptions.HTTPError": (
        "NewConnectionError ConnectTimeoutError",
        "ProtocolError ReadTimeoutError TimeoutError IncompleteRead",
    ),
}


def classify_failure(error: BaseException) -> Failure:
    """Return how ``error`` (raised by ``requests``, ``urllib3``, ``httpx`` or a socket) failed."""
    if _is_tls(error):
        return Failure.FATAL
    for base, (not_sent, lost) in _TRANSPORT_RULES.items():
        module_name, base_name = base.rsplit(".", 1)
        module = sys.modules.get(module_name)
        if module is None or not isinstance(error, getattr(module, base_name)):
            continue
        for class_names, failure in ((not_sent, Failure.NOT_SENT), (lost, Failure.LOST)):
            if isinstance(error, tuple(getattr(module, name) for name in class_names.split())):
                cause: Any = error.args[0] if error.args else None
                reason = getattr(cause, "reason", cause)  # requests wraps urllib3's connect failure
                if failure is Failure.LOST and isinstance(reason, BaseException) and reason is not error:
                    return Failure.NOT_SENT if classify_failure(reason) is Failure.NOT_SENT else failure
                return failure
        return Failure.FATAL
    if isinstance(error, ConnectionRefusedError):
        return Failure.NOT_SENT
    if isinstance(error, (ConnectionError, TimeoutError, http.client.HTTPException)):
        return Failure.LOST
    return Failure.FATAL


def describe_failure(error: BaseException | None) -> str:
    """Return a short, secret-free description of a transport failure (never a URL)."""
    if error is None:
        return "unknown error"
    name = type(error).__name__
    failure = classify_failure(error)
    if failure is Failure.FATAL:
        return "TLS error (check the connection's `verify` extra)" if _is_tls(error) else name
    for marker, text in (("ConnectTimeout", "connection timed out"), ("PoolTimeout", "no free connection")):
        if marker in name:
            return text
    if failure is Failure.NOT_SENT:
        return "could not connect"
    if "Timeout" in name or isinstance(error, TimeoutError):
        return "no response before the read timeout"
    if "Chunked" in name or "IncompleteRead" in name:
        return "connection dropped while reading the response"
    return "connection dropped"


def _is_tls(error: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, (ssl.SSLError, ssl.CertificateError)) or type(cause).__name__ == "SSLError":
            return True
        cause = cause.__cause__ or cause.__context__
    return False
