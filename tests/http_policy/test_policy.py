"""The pure retry policy: what is retried, how long it waits, what a billable create may never repeat.

No HTTP here: these are the decisions every client asks for (tests/hook/test_http_policy.py shows the
three clients following them over real HTTP).
"""

from __future__ import annotations

import socket
from email.utils import formatdate
from time import time

import httpx
import pytest
import requests
import tenacity

from airflow_provider_capella._http import (
    Failure,
    RetryableStatus,
    RetryPolicy,
    check_status,
    classify_failure,
    describe_failure,
    is_billable_create,
    is_retryable,
    parse_retry_after,
    retry_arguments,
)
from airflow_provider_capella.exceptions import error_from_response

POLICY = RetryPolicy(max_attempts=4, base_seconds=0.5, cap_seconds=4.0, retry_after_cap_seconds=10.0)


@pytest.mark.parametrize("attempt", range(1, 12))
def test_backoff_is_jittered_within_the_capped_exponential_ceiling(attempt: int) -> None:
    ceiling = min(4.0, 0.5 * 2 ** (attempt - 1))
    waits = [POLICY.backoff(attempt) for _ in range(300)]
    assert all(0.0 <= wait <= ceiling for wait in waits)
    assert len(set(waits)) > 250, "jittered, not a fixed wait"
    assert max(waits) > ceiling / 2, "the jitter spans the whole range"


def test_backoff_never_overflows_on_absurd_attempt_numbers() -> None:
    assert 0.0 <= POLICY.backoff(10_000) <= 4.0


def answer(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    """A real ``requests`` response with ``status`` and ``headers`` (what the hook's session returns)."""
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return response


def test_retry_after_wins_over_the_backoff_and_is_capped() -> None:
    def waited(response: object) -> float:
        return POLICY.wait(1, RetryableStatus(response))

    assert waited(answer(429, {"Retry-After": "7"})) == 7.0
    assert waited(answer(503, {"Retry-After": "3"})) == 3.0
    assert waited(answer(429, {"Retry-After": "3600"})) == 10.0
    assert waited(answer(429, {"Retry-After": "soon"})) <= 0.5
    assert waited(answer(429, {"retry-after": "2"})) == 2.0
    assert waited(httpx.Response(429, headers={"retry-after": "2"})) == 2.0


@pytest.mark.parametrize(
    ("value", "expected"), [("3", 3.0), ("0", 0.0), ("-5", 0.0), ("99999", 60.0), ("nan", None), ("", None)]
)
def test_retry_after_values(value: str, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_as_an_http_date() -> None:
    assert 8.0 <= (parse_retry_after(formatdate(time() + 10, usegmt=True)) or 0) <= 10.0
    assert parse_retry_after(formatdate(time() - 100, usegmt=True)) == 0.0


def test_at_least_one_attempt_is_always_made() -> None:
    attempts = []
    retrying = tenacity.Retrying(
        **retry_arguments(RetryPolicy(max_attempts=0), "GET", "http://x", billable=False)
    )
    with pytest.raises(RetryableStatus):
        for attempt in retrying:
            with attempt:
                attempts.append(1)
                check_status(answer(503))
    assert attempts == [1]


@pytest.mark.parametrize(
    ("method", "path", "billable"),
    [
        ("POST", "/task", True),
        ("post", "/repeat-requests/", True),
        ("POST", "/orders", True),
        ("POST", "/orders/review", False),
        ("GET", "/orders", False),
        ("PATCH", "/task/x/status", False),
        ("POST", "/catalog/search", False),
    ],
)
def test_billable_creates(method: str, path: str, billable: bool) -> None:
    assert is_billable_create(method, path) is billable


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_one_predicate_classifies_both_libraries_real_errors() -> None:
    """A refused connection, raised for real by requests and by httpx, is NOT_SENT in both."""
    url = f"http://127.0.0.1:{closed_port()}/"
    with pytest.raises(requests.ConnectionError) as by_requests:
        requests.get(url, timeout=5)
    with pytest.raises(httpx.ConnectError) as by_httpx:
        httpx.get(url, timeout=5)
    for error in (by_requests.value, by_httpx.value):
        assert classify_failure(error) is Failure.NOT_SENT
        assert is_retryable(error)
        assert describe_failure(error) == "could not connect"


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (requests.exceptions.ConnectTimeout(), Failure.NOT_SENT),
        (requests.exceptions.ReadTimeout(), Failure.LOST),
        (requests.exceptions.ChunkedEncodingError(), Failure.LOST),
        (requests.exceptions.ConnectionError("Connection aborted."), Failure.LOST),
        (requests.exceptions.SSLError(), Failure.FATAL),
        (requests.exceptions.InvalidURL(), Failure.FATAL),
        (httpx.ConnectTimeout("t"), Failure.NOT_SENT),
        (httpx.PoolTimeout("t"), Failure.NOT_SENT),
        (httpx.ReadTimeout("t"), Failure.LOST),
        (httpx.RemoteProtocolError("t"), Failure.LOST),
        (httpx.ReadError("t"), Failure.LOST),
        (httpx.UnsupportedProtocol("t"), Failure.FATAL),
        (ConnectionRefusedError(), Failure.NOT_SENT),
        (ConnectionResetError(), Failure.LOST),
        (TimeoutError(), Failure.LOST),
        (ValueError("not a transport error"), Failure.FATAL),
    ],
)
def test_failure_classes(error: BaseException, failure: Failure) -> None:
    assert classify_failure(error) is failure
    assert is_retryable(error) is (failure is not Failure.FATAL)


def test_a_tls_verification_failure_under_httpx_is_fatal() -> None:
    import ssl

    try:
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed")
        except ssl.SSLError as cause:
            raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]") from cause
    except httpx.ConnectError as error:
        assert classify_failure(error) is Failure.FATAL
        assert "TLS" in describe_failure(error)


# --- the one predicate, is_retryable, as the hooks' tenacity loops ask it ----------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_the_predicate_retries_5xx_but_never_for_a_billable_post(status: int) -> None:
    answer = RetryableStatus(httpx.Response(status))
    assert is_retryable(answer)
    assert not is_retryable(answer, billable=True), "a billable create may exist after a 5xx"


def test_the_predicate_retries_429_even_for_a_billable_post_and_waits_for_retry_after() -> None:
    answer = RetryableStatus(httpx.Response(429, headers={"Retry-After": "7"}))
    assert is_retryable(answer) and is_retryable(answer, billable=True), "a 429 was never processed"
    assert POLICY.wait(1, answer) == 7.0
    assert POLICY.wait(1, RetryableStatus(httpx.Response(429, headers={"Retry-After": "3600"}))) == 10.0
    assert 0.0 <= POLICY.wait(1, RetryableStatus(httpx.Response(503))) <= 0.5, "no Retry-After: backoff"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 416, 422, 501])
def test_the_predicate_never_retries_another_status(status: int) -> None:
    assert not is_retryable(error_from_response(status, b"{}"))
    assert not is_retryable(error_from_response(status, b"{}"), billable=True)


def test_the_predicate_on_transport_failures() -> None:
    never_sent, lost = requests.exceptions.ConnectTimeout(), requests.exceptions.ReadTimeout()
    assert is_retryable(never_sent) and is_retryable(never_sent, billable=True), "provably not received"
    assert is_retryable(lost) and not is_retryable(lost, billable=True), "it may have been created"
    assert is_retryable(httpx.RemoteProtocolError("dropped")) and not is_retryable(ValueError("a bug"))
    assert not is_retryable(requests.exceptions.SSLError(), billable=False)


def test_tenacity_follows_the_predicate_and_stops_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3, base_seconds=0.0, cap_seconds=0.0)
    sent: list[int] = []

    def attempt(status: int, billable: bool) -> None:
        for attempt in tenacity.Retrying(**retry_arguments(policy, "POST", "http://h/x", billable=billable)):
            with attempt:
                sent.append(status)
                check_status(httpx.Response(status))

    with pytest.raises(RetryableStatus):
        attempt(503, billable=False)
    assert len(sent) == 3, "retried until the attempts ran out"
    sent.clear()
    with pytest.raises(RetryableStatus):
        attempt(503, billable=True)
    assert len(sent) == 1, "a billable POST is never re-sent after a 5xx"
    sent.clear()
    with pytest.raises(RetryableStatus):
        attempt(429, billable=True)
    assert len(sent) == 3, "a 429 is retried even for a billable POST"
