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
    for classify in (_requests_failure, _httpx_failure, _urllib3_failure):
        failure = classify(error)
        if failure is not None:
            return failure
    return _socket_failure(error)


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


def _requests_failure(error: BaseException) -> Failure | None:
    requests: Any = sys.modules.get("requests")
    if requests is None or not isinstance(error, requests.exceptions.RequestException):
        return None
    exc = requests.exceptions
    if isinstance(error, exc.SSLError):
        return Failure.FATAL
    if isinstance(error, exc.ConnectTimeout):
        return Failure.NOT_SENT
    if isinstance(error, exc.ConnectionError):
        cause: Any = error.args[0] if error.args else None
        reason = getattr(cause, "reason", cause)
        if isinstance(reason, BaseException) and _urllib3_failure(reason) is Failure.NOT_SENT:
            return Failure.NOT_SENT
        return Failure.LOST
    if isinstance(error, (exc.Timeout, exc.ChunkedEncodingError)):
        return Failure.LOST
    return Failure.FATAL  # InvalidURL, MissingSchema, InvalidHeader, TooManyRedirects, ...


def _httpx_failure(error: BaseException) -> Failure | None:
    httpx: Any = sys.modules.get("httpx")
    if httpx is None or not isinstance(error, httpx.TransportError):
        return None
    if _is_tls(error):
        return Failure.FATAL
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return Failure.NOT_SENT
    if isinstance(error, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)):
        return Failure.LOST
    return Failure.FATAL  # UnsupportedProtocol, LocalProtocolError, ProxyError, ...


def _urllib3_failure(error: BaseException) -> Failure | None:
    urllib3: Any = sys.modules.get("urllib3")
    if urllib3 is None or not isinstance(error, urllib3.exceptions.HTTPError):
        return None
    exc = urllib3.exceptions
    if isinstance(error, exc.SSLError):
        return Failure.FATAL
    if isinstance(error, (exc.NewConnectionError, exc.ConnectTimeoutError)):
        return Failure.NOT_SENT
    if isinstance(error, (exc.ProtocolError, exc.ReadTimeoutError, exc.TimeoutError)):
        return Failure.LOST
    return Failure.LOST if isinstance(error, exc.IncompleteRead) else Failure.FATAL


def _socket_failure(error: BaseException) -> Failure:
    if isinstance(error, ssl.SSLError):
        return Failure.FATAL
    if isinstance(error, ConnectionRefusedError):
        return Failure.NOT_SENT
    if isinstance(error, (ConnectionError, TimeoutError, http.client.HTTPException)):
        return Failure.LOST
    return Failure.FATAL


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
