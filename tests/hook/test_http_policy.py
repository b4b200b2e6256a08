"""The one HTTP policy, seen from the emulator: what is retried, how long it waits, what is never re-sent."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_capella.exceptions import (
    CapellaAmbiguousCreateError,
    CapellaConnectionError,
    CapellaNotFoundError,
    CapellaRateLimitError,
    CapellaServerError,
    CapellaValidationError,
)
from airflow_provider_capella.hooks.capella import CapellaHook

POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}
UNKNOWN_ID = "0b8f3f8e-7d1c-4c7e-9d7a-3b7f1b2a9c10"


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_5xx_is_retried_until_success(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=2)
    assert hook.whoami()["id"]
    assert [entry["status"] for entry in capella_emulator.requests(path="/user")] == [503, 503, 200]


def test_persistent_5xx_raises_server_error_with_the_gateway_page(
    hook: CapellaHook, capella_emulator: Any
) -> None:
    capella_emulator.set_faults(fail_next_status=502, fail_next_count=50)
    with pytest.raises(CapellaServerError) as raised:
        hook.whoami()
    assert raised.value.status == 502
    assert "Gateway Error" in raised.value.message  # a non-JSON body, read as text
    assert len(capella_emulator.requests(path="/user")) == 5  # max_retries=4 → 5 attempts


def test_429_honours_retry_after(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.set_faults(fail_next_status=429, fail_next_count=1, retry_after=1)
    started = time.monotonic()
    assert hook.whoami()["id"]
    waited = time.monotonic() - started
    assert waited >= 0.95, "Retry-After: 1 must be honoured even though the backoff base is 10 ms"
    assert [entry["status"] for entry in capella_emulator.requests(path="/user")] == [429, 200]


def test_retry_after_is_capped(connect: Callable[..., CapellaHook], capella_emulator: Any) -> None:
    hook = connect(retry_after_cap_seconds=0.2)
    capella_emulator.set_faults(fail_next_status=429, fail_next_count=1, retry_after=30)
    started = time.monotonic()
    assert hook.whoami()["id"]
    assert time.monotonic() - started < 5


def test_persistent_429_raises_rate_limit_error(
    connect: Callable[..., CapellaHook], capella_emulator: Any
) -> None:
    hook = connect(max_retries=1)
    capella_emulator.set_faults(fail_next_status=429, fail_next_count=10, retry_after=0)
    with pytest.raises(CapellaRateLimitError) as raised:
        hook.whoami()
    assert raised.value.status == 429
    assert raised.value.retry_after == 0


def test_404_is_not_retried(hook: CapellaHook, capella_emulator: Any) -> None:
    with pytest.raises(CapellaNotFoundError) as raised:
        hook.get_task(UNKNOWN_ID)
    assert raised.value.status == 404
    assert UNKNOWN_ID in raised.value.message
    assert len(capella_emulator.requests(path=f"/task/{UNKNOWN_ID}")) == 1


def test_api_400_is_typed_with_detail_and_not_retried(hook: CapellaHook, capella_emulator: Any) -> None:
    with pytest.raises(CapellaValidationError) as raised:
        hook.get_conn().request("POST", "/orders/review", json={"items": "nope"})
    assert raised.value.status == 400
    assert raised.value.code == "VALIDATION_ERROR"
    assert raised.value.detail
    assert len(capella_emulator.requests(path="/orders/review")) == 1


def test_dropped_connections_are_retried(connect: Callable[..., CapellaHook], capella_emulator: Any) -> None:
    hook = connect(max_retries=10)
    capella_emulator.set_faults(fault_drop_rate=0.5, scope="api")
    for _ in range(5):
        assert len(hook.search(product_type="GEO", limit=20)) == 20
    statuses = [entry["status"] for entry in capella_emulator.requests(path="/catalog/search")]
    assert len(statuses) > 5, "some responses were dropped and retried"


def test_read_timeouts_are_retried(connect: Callable[..., CapellaHook], capella_emulator: Any) -> None:
    hook = connect(timeout=[2, 0.3], max_retries=1)
    capella_emulator.set_faults(latency_ms=800)
    with pytest.raises(CapellaConnectionError, match="read timeout"):
        hook.whoami()
    assert len(capella_emulator.requests(path="/user")) == 2


def test_connection_refused_is_retried_then_reported(connect: Callable[..., CapellaHook]) -> None:
    hook = connect(host=closed_port_url(), max_retries=2)
    with pytest.raises(CapellaConnectionError, match="3 attempt"):
        hook.whoami()


def test_billable_create_is_not_resent_after_a_5xx(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=1)
    with pytest.raises(CapellaAmbiguousCreateError) as raised:
        hook.create_tasking_request(geometry=POINT, name="once")
    assert "may have" in str(raised.value) and "search_tasking_requests" in str(raised.value)
    assert len(capella_emulator.requests(path="/task", method="POST")) == 1


def test_billable_create_is_not_resent_after_a_read_timeout(
    connect: Callable[..., CapellaHook], capella_emulator: Any
) -> None:
    hook = connect(timeout=[2, 0.3])
    capella_emulator.set_faults(latency_ms=600)
    with pytest.raises(CapellaAmbiguousCreateError):
        hook.create_tasking_request(geometry=POINT, name="slow")
    assert len(capella_emulator.requests(path="/task", method="POST")) == 1


def test_billable_create_is_retried_after_a_429(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.set_faults(fail_next_status=429, fail_next_count=1, retry_after=0)
    created = hook.create_tasking_request(geometry=POINT, name="after-429")
    assert created["properties"]["taskingrequestName"] == "after-429"
    assert [entry["status"] for entry in capella_emulator.requests(path="/task", method="POST")] == [429, 201]
    assert len(hook.search_tasking_requests()) == 1


def test_billable_create_that_never_connected_is_not_ambiguous(connect: Callable[..., CapellaHook]) -> None:
    hook = connect(host=closed_port_url(), max_retries=1)
    with pytest.raises(CapellaConnectionError) as raised:
        hook.submit_order(stac_ids=["CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010"], omit_review=True)
    assert not isinstance(raised.value, CapellaAmbiguousCreateError)


def test_the_api_key_never_appears_in_logs_or_errors(
    connect: Callable[..., CapellaHook], capella_emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = connect()
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=2)
    good.whoami()
    good.search(limit=5)
    with pytest.raises(CapellaNotFoundError) as not_found:
        good.get_task(UNKNOWN_ID)
    bad = connect(password="wrong-secret-key-123")
    with pytest.raises(Exception) as denied:
        bad.whoami()
    text = caplog.text + str(not_found.value) + str(denied.value)
    assert "retry" in caplog.text  # the retries were logged ...
    assert capella_emulator.api_key not in text  # ... without the key
    assert "wrong-secret-key-123" not in text
