"""Every error body shape the API sends becomes a typed exception carrying status, code and message."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
import requests

from airflow_provider_capella import _http
from airflow_provider_capella.exceptions import (
    CapellaAuthenticationError,
    CapellaAuthorizationError,
    CapellaError,
    CapellaInsufficientFundsError,
    CapellaNotFoundError,
    CapellaOrderExpiredError,
    CapellaServerError,
    CapellaValidationError,
    error_from_response,
)


@pytest.mark.parametrize(
    ("status", "body", "kind", "code", "message"),
    [
        (
            400,
            {"error": {"message": "bad geometry", "code": "VALIDATION_ERROR", "detail": [{"path": "g"}]}},
            CapellaValidationError,
            "VALIDATION_ERROR",
            "bad geometry",
        ),
        (400, {"error": "order expired"}, CapellaOrderExpiredError, "ORDER_EXPIRED", "order expired"),
        (401, {"message": "Unauthorized"}, CapellaAuthenticationError, "INVALID_API_KEY", "Unauthorized"),
        (
            403,
            {"error": {"message": "x", "code": "COLLECTION_ACCESS_DENIED"}},
            CapellaAuthorizationError,
            "COLLECTION_ACCESS_DENIED",
            "x",
        ),
        (
            400,
            {"error": {"message": "no money", "code": "AUTHORIZATION_INSUFFICIENT_FUNDS"}},
            CapellaInsufficientFundsError,
            "AUTHORIZATION_INSUFFICIENT_FUNDS",
            "no money",
        ),
        (
            404,
            {"error": {"message": "contract c not found", "code": "CONTRACT_NOT_FOUND"}},
            CapellaNotFoundError,
            "CONTRACT_NOT_FOUND",
            "contract c",
        ),
        (
            502,
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            CapellaServerError,
            "GENERAL_API_ERROR",
            "502 Bad Gateway",
        ),
        (500, "", CapellaServerError, "GENERAL_API_ERROR", "HTTP 500"),
        (418, ["unexpected", "list"], CapellaError, "GENERAL_API_ERROR", "unexpected"),
    ],
)
def test_error_shapes(status: int, body: Any, kind: type, code: str, message: str) -> None:
    raw = body if isinstance(body, str) else json.dumps(body)
    error = error_from_response(status, raw.encode(), method="GET", url="https://api.example.com/x")
    assert type(error) is kind
    assert error.status == status
    assert error.code == code
    assert message in error.message


def test_errors_survive_pickling_for_airflow() -> None:
    error = error_from_response(404, b'{"error": {"message": "gone", "code": "NOT_FOUND"}}')
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is CapellaNotFoundError
    assert (again.status, again.code, again.message) == (404, "NOT_FOUND", "gone")


def test_sanitize_url_drops_signatures_and_user_info() -> None:
    url = "https://user:pw@bucket.s3.amazonaws.com:443/a/b.tif?AWSAccessKeyId=AK&Signature=SECRET&Expires=1"
    assert _http.sanitize_url(url) == "https://bucket.s3.amazonaws.com:443/a/b.tif"


def test_backoff_is_capped_exponential_with_jitter() -> None:
    samples = [
        _http.backoff_seconds(attempt, base=0.5, cap=4.0) for attempt in range(1, 12) for _ in range(20)
    ]
    assert all(0 <= sample <= 4.0 for sample in samples)
    assert max(_http.backoff_seconds(1, base=0.5) for _ in range(200)) <= 0.5
    assert len(set(samples)) > 10


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), ("0", 0.0), ("-5", 0.0), ("9999", 60.0), ("soon", None), (None, None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    response = requests.Response()
    if header is not None:
        response.headers["Retry-After"] = header
    assert _http.retry_after_seconds(response) == expected


def test_retry_after_http_date() -> None:
    from email.utils import formatdate

    response = requests.Response()
    response.headers["Retry-After"] = formatdate(timeval=__import__("time").time() + 10, usegmt=True)
    assert 8 <= (_http.retry_after_seconds(response) or 0) <= 10


@pytest.mark.parametrize(
    ("api_key", "token", "expected"),
    [
        ("abc", None, "ApiKey abc"),
        ("APIKEY abc", None, "APIKEY abc"),
        (None, "jwt", "Bearer jwt"),
        ("", "bearer jwt", "bearer jwt"),
        ("abc", "jwt", "ApiKey abc"),
    ],
)
def test_authorization_header(api_key: str | None, token: str | None, expected: str) -> None:
    assert _http.authorization_header(api_key=api_key, token=token) == expected
