"""The provider's exceptions: one tree under :class:`CapellaError`, each carrying status, code and message.

API errors are mapped from every body shape the API sends; a mistake caught before any request has no status.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

GENERAL_API_ERROR = "GENERAL_API_ERROR"
INVALID_ARGUMENT = "INVALID_ARGUMENT"


class CapellaError(Exception):
    """Base of every error the provider raises; ``status`` is None when no response was involved.

    Example::

        try:
            hook.get_task(task_id)
        except CapellaNotFoundError:
            ...
        except CapellaError as error:
            print(error.status, error.code, error.message)
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: Any = None,
        data: Any = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.code, self.detail = message, status, code, detail
        self.data, self.method, self.url = data, method, url

    def __str__(self) -> str:
        label = ", ".join(str(part) for part in (self.status, self.code) if part)
        detail = _clip(json.dumps(self.detail, default=str)) if self.detail else ""
        parts = (self.message, f"[{label}]" if label else "", f"detail: {detail}" if detail else "")
        return " ".join(part for part in parts if part)

    def __reduce__(self) -> Any:
        return (CapellaError.__new__, (type(self), self.message), self.__dict__)  # any subclass's __init__

    @property
    def retryable(self) -> bool:
        """Whether trying again may help; not for :data:`NOT_RETRYABLE` (operators then fail at once)."""
        return not isinstance(self, NOT_RETRYABLE)


class CapellaValidationError(CapellaError, ValueError):
    """A request the API (400/422) or the provider (before any request; ``argument`` set) rejected."""

    argument: str | None = None

    @classmethod
    def argument_error(cls, argument: str, problem: str) -> CapellaValidationError:
        error = cls(f"invalid argument `{argument}`: {problem}", code=INVALID_ARGUMENT)
        error.argument = argument
        return error


class CapellaAuthenticationError(CapellaError):
    """The API key or token was missing or refused (401, ``INVALID_API_KEY`` / ``INVALID_TOKEN``)."""


class CapellaAuthorizationError(CapellaError):
    """Authenticated, but not allowed (403, ``NOT_AUTHORIZED`` / ``COLLECTION_ACCESS_DENIED``)."""


class CapellaNotFoundError(CapellaError, LookupError):
    """The id (task, repeat request, order, contract) does not exist (404, ``CONTRACT_NOT_FOUND``)."""


class CapellaOrderExpiredError(CapellaError):
    """The order's download window has passed (``ORDER_EXPIRED``): submit a new order."""


class CapellaReorderNotAllowedError(CapellaOrderExpiredError):
    """An expired order was not placed again (it would cost, or was refused); ``data`` holds its quote."""


class CapellaInsufficientFundsError(CapellaError):
    """The order review was denied for lack of funds (``AUTHORIZATION_INSUFFICIENT_FUNDS``)."""


class CapellaOrderRejectedError(CapellaError):
    """The API rejected the order (``orderStatus: rejected``)."""


class CapellaFinalizedError(CapellaError):
    """The request is finalized and can no longer change (``UNABLE_TO_UPDATE_FINALIZED_TRANSACTION``)."""


class CapellaRateLimitError(CapellaError):
    """429 still returned after every retry; ``retry_after`` is the server's last requested wait."""

    retry_after: float | None = None


class CapellaServerError(CapellaError):
    """The API failed (5xx, or an unreadable body) and retries did not help."""


class CapellaConnectionError(CapellaError):
    """No usable response: connection refused, dropped or timed out on every attempt."""


class CapellaAmbiguousCreateError(CapellaError):
    """A billable create failed in a way that may have created it; not re-sent (check before creating again).

    Example::

        try:
            hook.create_tasking_request(geometry=point, name="x", custom_attribute_1=run_id)
        except CapellaAmbiguousCreateError:
            ...  # look for a request carrying run_id before creating another
    """

    @classmethod
    def for_request(
        cls, method: str, safe_url: str, *, reason: str, status: int | None = None
    ) -> CapellaAmbiguousCreateError:
        path = urlsplit(safe_url).path  # POST /orders/task/{id} is an order too: look with list_orders
        resource = "orders" if "/orders/" in path else path.rstrip("/").rsplit("/", 1)[-1]
        how_to_check = _HOW_TO_CHECK.get(resource, "check the Capella console")
        text = (
            f"{method} {safe_url} failed ambiguously ({reason}): the request may have reached Capella and "
            f"been created. It was NOT retried automatically to avoid paying twice; {how_to_check} "
            "before creating it again."
        )
        return cls(text, status=status, code="AMBIGUOUS_CREATE", method=method, url=safe_url)


class CapellaTaskNotCompleteError(CapellaError):
    """The tasking request has not completed, so it has no collects to list or download yet."""


class CapellaNoProductsError(CapellaError, LookupError):
    """A collect, tasking request or order has no products (yet) to download (the SDK exited instead)."""


_HOW_TO_CHECK = {
    "task": "check with CapellaHook.search_tasking_requests(...) (e.g. filter by your custom attributes)",
    "repeat-requests": "check with CapellaHook.search_repeat_requests(...)",
    "orders": "check with CapellaHook.list_orders(is_active=True)",
}

_BY_CODE: dict[str, type[CapellaError]] = {
    "INVALID_TOKEN": CapellaAuthenticationError,
    "INVALID_API_KEY": CapellaAuthenticationError,
    "ORDER_EXPIRED": CapellaOrderExpiredError,
    "COLLECTION_ACCESS_DENIED": CapellaAuthorizationError,
    "NOT_AUTHORIZED": CapellaAuthorizationError,
    "ORDER_VALIDATION_ERROR": CapellaValidationError,
    "CONTRACT_NOT_FOUND": CapellaNotFoundError,
    "NOT_FOUND": CapellaNotFoundError,
    "VALIDATION_ERROR": CapellaValidationError,
    "AUTHORIZATION_INSUFFICIENT_FUNDS": CapellaInsufficientFundsError,
    "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION": CapellaFinalizedError,
    "ORDER_REJECTED": CapellaOrderRejectedError,
}

_BY_MESSAGE_SNIPPET = {
    "order expired": "ORDER_EXPIRED",
    "not permitted to access any of the collection": "COLLECTION_ACCESS_DENIED",
    "does not have access to collection": "COLLECTION_ACCESS_DENIED",
    "not authorized to perform": "NOT_AUTHORIZED",
    "insufficient funds": "AUTHORIZATION_INSUFFICIENT_FUNDS",
}

_BY_STATUS: dict[int, type[CapellaError]] = {
    400: CapellaValidationError,
    401: CapellaAuthenticationError,
    403: CapellaAuthorizationError,
    404: CapellaNotFoundError,
    422: CapellaValidationError,
    429: CapellaRateLimitError,
}

_MAX_MESSAGE = 300


def parse_error_body(body: bytes | str | None) -> tuple[str | None, str | None, Any, Any]:
    """``(message, code, detail, data)`` from any error body the API sends; never raises."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        payload = json.loads(text) if text.strip() else None
    except ValueError:
        return _plain_text(text), None, None, None
    if isinstance(payload, dict):
        inner = payload.get("error", payload)
        if isinstance(inner, str):
            return inner, None, None, None
        if isinstance(inner, dict):
            message, code = inner.get("message", inner.get("Message")), inner.get("code")
            return _text(message), _text(code), inner.get("detail"), inner.get("data")
    return (None if payload is None else _plain_text(json.dumps(payload))), None, None, None


def error_from_response(
    status: int,
    body: bytes | str | None,
    *,
    method: str | None = None,
    url: str | None = None,
    retry_after: float | None = None,
) -> CapellaError:
    """Return the typed exception for an HTTP error response (``url`` must already be sanitized)."""
    message, code, detail, data = parse_error_body(body)
    lowered = (message or "").lower()
    code = code or next((value for snippet, value in _BY_MESSAGE_SNIPPET.items() if snippet in lowered), None)
    code = code or ("INVALID_API_KEY" if status == 401 else GENERAL_API_ERROR)
    cls = _BY_CODE.get(code) or _BY_STATUS.get(status, CapellaServerError if status >= 500 else CapellaError)
    where = f"{method} {url}: " if method and url else ""
    hint = " (check the API key / token of the Capella connection)"
    hint = hint if cls is CapellaAuthenticationError else ""
    text = f"{where}{message or f'HTTP {status}'}{hint}"
    error = cls(text, status=status, code=code, detail=detail, data=data, method=method, url=url)
    if isinstance(error, CapellaRateLimitError):
        error.retry_after = retry_after
    return error


def _plain_text(text: str) -> str:
    """Return a non-JSON body (e.g. an HTML gateway page) squeezed to one short line."""
    return _clip(" ".join(re.sub(r"<[^>]+>", " ", text).split()))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _clip(text: str) -> str:
    return text[:_MAX_MESSAGE] + ("..." if len(text) > _MAX_MESSAGE else "")


class CapellaDownloadError(CapellaError):
    """An asset could not be downloaded (after retries), or its bytes did not add up; a re-run resumes."""


class CapellaCostLimitError(CapellaError):
    """A quote above the caller's ``limit`` (or unreadable: ``quoted`` None); nothing was ordered or approved.

    Example::

        try:
            hook.submit_order(stac_ids=ids, max_cost=500)
        except CapellaCostLimitError as error:
            print(f"quoted {error.quote}, limit {error.limit}")
    """

    quoted: float | None = None
    quote: str | None = None
    limit: float | None = None
    argument: str | None = None

    @classmethod
    def over_limit(
        cls, what: str, *, quote: str | None, quoted: float | None, limit: float, argument: str
    ) -> CapellaCostLimitError:
        """Build the error for ``what`` (e.g. ``"order of 3 STAC item(s)"``) quoted above ``limit``."""
        if quoted is None:
            problem = f"{what}: the quote could not be read ({quote!r}), so it cannot be checked"
        else:
            problem = f"{what} is quoted at {quote or quoted}, above {argument}={limit:g}"
        error = cls(problem, code="COST_LIMIT_EXCEEDED")
        error.quoted, error.quote, error.limit, error.argument = quoted, quote, limit, argument
        return error


class CapellaAccessRequestPendingError(CapellaError):
    """The access request (feasibility) has not finished processing, so its passes are not known yet."""


NOT_RETRYABLE: tuple[type[CapellaError], ...] = (
    CapellaValidationError,
    CapellaAuthenticationError,
    CapellaAuthorizationError,
    CapellaNotFoundError,
    CapellaOrderExpiredError,
    CapellaInsufficientFundsError,
    CapellaOrderRejectedError,
    CapellaFinalizedError,
    CapellaCostLimitError,
)
"""The errors no retry can fix (``retryable`` is False): an operator fails at once on them."""
