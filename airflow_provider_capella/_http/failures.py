"""The one transient-error predicate: what a transport failure means, whichever HTTP library raised it.

A request that got no usable response failed in one of three ways (:class:`Failure`):

* ``NOT_SENT``: the connection could not be opened (refused, connect timeout, no pool slot), so the
  request provably never reached the server; retrying is safe even for a billable create;
* ``LOST``: the request was (or may have been) sent, but the answer never arrived whole (read timeout,
  dropped connection, cut body); retrying is safe only for requests that create nothing;
* ``FATAL``: another attempt cannot help (TLS verification, a malformed URL or header).

``requests`` (with ``urllib3``), ``httpx`` and the standard library's socket errors are all classified
here. A library is only consulted when it is already imported, since an error can't come from a module
that was never loaded: importing this module stays cheap.
"""

from __future__ import annotations

import enum
import http.client
import ssl
import sys
from typing import Any


class Failure(enum.Enum):
    """How a request without a usable response failed; see the module docstring.

    Example::

        classify_failure(error) is Failure.NOT_SENT  # safe to send again, even a billable create
    """

    NOT_SENT = "not sent"
    LOST = "lost"
    FATAL = "fatal"


def classify_failure(error: BaseException) -> Failure:
    """Return how ``error`` (raised while sending a request or reading its answer) failed.

    :param error: an exception from ``requests``, ``urllib3``, ``httpx`` or the socket layer.

    Example::

        classify_failure(requests.exceptions.ConnectTimeout())  # Failure.NOT_SENT
    """
    if _is_tls(error):
        return Failure.FATAL
    for module_name, base_name, rules in _RULES:
        module = sys.modules.get(module_name)
        if module is None or not isinstance(error, getattr(module, base_name)):
            continue
        for class_names, failure in rules:
            if isinstance(error, tuple(getattr(module, name) for name in class_names)):
                if failure is Failure.LOST and _wrapped_connect_failure(error):
                    return Failure.NOT_SENT
                return failure
        return Failure.FATAL  # InvalidURL, MissingSchema, UnsupportedProtocol, LocalProtocolError, ...
    if isinstance(error, ConnectionRefusedError):
        return Failure.NOT_SENT
    if isinstance(error, (ConnectionError, TimeoutError, http.client.HTTPException)):
        return Failure.LOST
    return Failure.FATAL


def is_transient_transport_error(error: BaseException) -> bool:
    """Tell whether another attempt may succeed: connection errors, drops and timeouts, not TLS failures.

    :param error: the exception a request raised.

    Example::

        if is_transient_transport_error(error) and policy.decide(attempt, failure=...).retry: ...
    """
    return classify_failure(error) is not Failure.FATAL


def never_reached_server(error: BaseException) -> bool:
    """Tell whether the request provably was not received (the connection could not be opened).

    :param error: the exception a request raised.
    """
    return classify_failure(error) is Failure.NOT_SENT


def describe_failure(error: BaseException | None) -> str:
    """Return a short, secret-free description of a transport failure (never a URL or query string).

    :param error: the exception a request raised, or None.

    Example::

        describe_failure(requests.exceptions.ReadTimeout())  # 'no response before the read timeout'
    """
    if error is None:
        return "unknown error"
    name = type(error).__name__
    failure = classify_failure(error)
    if failure is Failure.FATAL:
        return "TLS error (check the connection's `verify` extra)" if _is_tls(error) else name
    if "ConnectTimeout" in name:
        return "connection timed out"
    if "PoolTimeout" in name:
        return "no free connection before the timeout"
    if failure is Failure.NOT_SENT:
        return "could not connect"
    if "Timeout" in name or isinstance(error, TimeoutError):
        return "no response before the read timeout"
    if "Chunked" in name or "IncompleteRead" in name:
        return "connection dropped while reading the response"
    return "connection dropped"


_RULES: tuple[tuple[str, str, tuple[tuple[tuple[str, ...], Failure], ...]], ...] = (
    # (module, base class of its transport errors, first matching classes decide; else FATAL)
    (
        "requests.exceptions",
        "RequestException",
        (
            (("ConnectTimeout",), Failure.NOT_SENT),
            (("ConnectionError", "Timeout", "ChunkedEncodingError"), Failure.LOST),
        ),
    ),
    (
        "httpx",
        "TransportError",
        (
            (("ConnectError", "ConnectTimeout", "PoolTimeout"), Failure.NOT_SENT),
            (("TimeoutException", "NetworkError", "RemoteProtocolError"), Failure.LOST),
        ),
    ),
    (
        "urllib3.exceptions",
        "HTTPError",
        (
            (("NewConnectionError", "ConnectTimeoutError"), Failure.NOT_SENT),
            (("ProtocolError", "ReadTimeoutError", "TimeoutError", "IncompleteRead"), Failure.LOST),
        ),
    ),
)
"""Transport errors of each HTTP library, by class; a library is consulted only when already loaded."""


def _wrapped_connect_failure(error: BaseException) -> bool:
    """Whether a ``requests`` connection error wraps urllib3's failure to open the connection."""
    cause: Any = error.args[0] if error.args else None
    reason = getattr(cause, "reason", cause)
    return (
        isinstance(reason, BaseException)
        and reason is not error
        and classify_failure(reason) is Failure.NOT_SENT
    )


def _is_tls(error: BaseException) -> bool:
    """Whether ``error`` or anything in its cause chain is a TLS failure."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, (ssl.SSLError, ssl.CertificateError)) or type(cause).__name__ == "SSLError":
            return True
        cause = cause.__cause__ or cause.__context__
    return False
