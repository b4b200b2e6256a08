"""The one HTTP policy, seen from the emulator: what is retried, how long it waits, what is never re-sent."""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella._http import USER_AGENT_PREFIX, user_agent
from airflow_provider_capella.exceptions import (
    CapellaAmbiguousCreateError,
    CapellaConnectionError,
    CapellaNotFoundError,
    CapellaRateLimitError,
    CapellaServerError,
    CapellaValidationError,
)
from airflow_provider_capella.hooks.capella import REVIEW_ORDER, TASKING, CapellaHook
from airflow_provider_capella.hooks.capella_async import CapellaAsyncHook
from airflow_provider_capella.transfer import TransferSettings, download_asset

POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}
UNKNOWN_ID = "0b8f3f8e-7d1c-4c7e-9d7a-3b7f1b2a9c10"


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def settle(capella_emulator: Any, latency: float) -> None:
    """Let requests the client gave up on get past the emulator's injected ``latency``.

    A request whose client timed out is still sleeping in the emulator; waking up after the next test
    set its faults, it would consume that test's injected failure. (A POST whose client hung up never
    gets a status in the log, so this waits out the latency by the server's arrival times.)
    """
    for entry in capella_emulator.requests():
        if entry["status"] is None:
            time.sleep(max(0.0, entry["time"] + latency + 0.5 - time.time()))


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
        hook._call(REVIEW_ORDER, json={"items": "nope"})
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
    settle(capella_emulator, 0.8)


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
    settle(capella_emulator, 0.6)


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


# --- the same policy in all three clients: the hook (requests), the trigger's client (httpx), and the
# --- download engine's ranged GETs on presigned URLs ---------------------------------------------------


def async_hook(capella_emulator: Any, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> CapellaAsyncHook:
    """The trigger-side hook, on the emulator, with the same fast retries as the hook's connection."""
    extra = {"retry_base_seconds": 0.01, "retry_cap_seconds": 0.05, "max_retries": 4, **extra}
    monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_DEFAULT", capella_emulator.airflow_connection(**extra))
    return CapellaAsyncHook()


def presigned_asset_url(capella_emulator: Any) -> str:
    """A presigned raster URL of a fresh emulator order (one part of 256 KiB)."""
    from tests.transfer.conftest import order_products

    placed = order_products(capella_emulator)
    capella_emulator.clear_requests()
    return str(placed.items[0]["assets"]["HH"]["href"])


def gaps(entries: list[dict[str, Any]]) -> list[float]:
    """Seconds between consecutive logged requests (server clock: when each request arrived)."""
    times = [entry["time"] for entry in entries]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def fetch_asset(url: str, destination: Path) -> str:
    """The download engine's ranged GETs, for one presigned URL."""
    return download_asset(url, str(destination), settings=TransferSettings(max_attempts=5))


def test_retry_after_is_honoured_by_all_three_clients(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the hook's backoff is at most 50 ms and the engine's at most 0.5 s: only Retry-After waits 1 s
    caplog.set_level(logging.WARNING, logger="airflow_provider_capella")
    url = presigned_asset_url(capella_emulator)

    capella_emulator.set_faults(fail_next_status=429, fail_next_count=1, retry_after=1)
    assert hook.whoami()["id"]
    sync_log = capella_emulator.requests(path="/user")

    async def through_the_trigger_client() -> Any:
        async with CapellaAsyncHook() as async_hook:
            return await async_hook.whoami()

    capella_emulator.clear_requests()
    capella_emulator.set_faults(fail_next_status=429, fail_next_count=1, retry_after=1)
    assert asyncio.run(through_the_trigger_client())["id"]
    async_log = capella_emulator.requests(path="/user")

    capella_emulator.clear_requests()
    capella_emulator.set_faults(fail_next_status=429, fail_next_count=1, retry_after=1, scope="asset")
    assert Path(fetch_asset(url, tmp_path)).stat().st_size > 0
    range_log = capella_emulator.requests(path="/assets/")

    for entries in (sync_log, async_log, range_log):
        assert [entry["status"] for entry in entries] in ([429, 200], [429, 206])
        assert gaps(entries)[0] >= 0.95, "the retry waited for Retry-After: 1"
    waits = [record.getMessage() for record in caplog.records if "429" in record.getMessage()]
    assert len(waits) == 3
    assert sum("retry 1 in 1.00s" in line for line in waits) == 2  # the API clients' shared log line
    assert sum("retrying in 1.0 s" in line for line in waits) == 1  # the engine's


def test_5xx_is_retried_by_all_three_clients(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = presigned_asset_url(capella_emulator)

    capella_emulator.set_faults(fail_next_status=503, fail_next_count=2)
    assert hook.whoami()["id"]

    async def through_the_trigger_client() -> Any:
        async with async_hook(capella_emulator, monkeypatch) as http:
            return await http.whoami()

    capella_emulator.set_faults(fail_next_status=502, fail_next_count=2)
    assert asyncio.run(through_the_trigger_client())["id"]
    capella_emulator.set_faults(fail_next_status=500, fail_next_count=2, scope="asset")
    fetch_asset(url, tmp_path)

    api_statuses = [entry["status"] for entry in capella_emulator.requests(path="/user")]
    assert api_statuses == [503, 503, 200, 502, 502, 200]
    assert [entry["status"] for entry in capella_emulator.requests(path="/assets/")] == [500, 500, 206]


async def test_a_billable_post_is_never_resent_after_a_5xx_by_the_async_client_either(
    capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    capella_emulator.clear_requests()
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=1)
    body = {"type": "Feature", "geometry": POINT, "properties": {"taskingrequestName": "once, async"}}
    async with async_hook(capella_emulator, monkeypatch) as http:
        with pytest.raises(CapellaAmbiguousCreateError) as raised:
            await http._a_call(TASKING.create, json=body)
        assert "search_tasking_requests" in str(raised.value)
        assert len(capella_emulator.requests(path="/task", method="POST")) == 1

        capella_emulator.set_faults(fail_next_status=429, fail_next_count=1, retry_after=0)
        created = await http._a_call(TASKING.create, json=body)  # a 429 was never processed: re-sent
    assert created["properties"]["taskingrequestName"] == "once, async"
    statuses = [entry["status"] for entry in capella_emulator.requests(path="/task", method="POST")]
    assert statuses == [503, 429, 201]


async def test_a_billable_post_is_not_resent_after_a_read_timeout_by_the_async_client(
    capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    capella_emulator.clear_requests()
    capella_emulator.set_faults(latency_ms=600)
    body = {"type": "Feature", "geometry": POINT, "properties": {"taskingrequestName": "slow, async"}}
    async with async_hook(capella_emulator, monkeypatch, timeout=[2.0, 0.3]) as http:
        with pytest.raises(CapellaAmbiguousCreateError):
            await http._a_call(TASKING.create, json=body)
    assert len(capella_emulator.requests(path="/task", method="POST")) == 1
    await asyncio.to_thread(settle, capella_emulator, 0.6)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "../user", ""])
async def test_the_async_get_task_rejects_a_bad_id_before_sending(
    bad_id: str, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_DEFAULT", capella_emulator.airflow_connection())
    capella_emulator.clear_requests()
    async with CapellaAsyncHook() as async_hook:
        with pytest.raises(CapellaValidationError) as raised:
            await async_hook.get_task(bad_id)
    assert raised.value.argument == "tasking_request_id"
    assert capella_emulator.requests() == []


async def test_a_404_is_not_retried_by_the_async_client(
    capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    capella_emulator.clear_requests()
    async with async_hook(capella_emulator, monkeypatch) as http:
        with pytest.raises(CapellaNotFoundError) as raised:
            await http.get_task(UNKNOWN_ID)
    assert raised.value.status == 404 and UNKNOWN_ID in raised.value.message
    assert len(capella_emulator.requests(path=f"/task/{UNKNOWN_ID}")) == 1


def test_one_user_agent_and_no_key_on_presigned_urls(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = presigned_asset_url(capella_emulator)
    hook.whoami()

    async def through_the_trigger_client() -> Any:
        async with async_hook(capella_emulator, monkeypatch) as http:
            return await http.whoami()

    asyncio.run(through_the_trigger_client())
    fetch_asset(url, tmp_path)
    agents = {
        entry["path"].split("/")[1]: entry["headers"]["user-agent"] for entry in capella_emulator.requests()
    }
    assert agents["user"].startswith(USER_AGENT_PREFIX)
    assert agents["assets"] == user_agent()
    assert {entry["headers"]["user-agent"] for entry in capella_emulator.requests(path="/user")} == {
        user_agent(),
        user_agent("triggerer"),
    }
    assert all(
        "authorization" not in entry["headers"] for entry in capella_emulator.requests(path="/assets/")
    )
    assert all(
        entry["headers"]["authorization"] == "ApiKey ***" for entry in capella_emulator.requests(path="/user")
    )


async def test_a_trigger_with_a_bad_id_fails_without_polling(
    capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_capella.triggers.tasking import TaskCompletedTrigger

    monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_DEFAULT", capella_emulator.airflow_connection())
    capella_emulator.clear_requests()
    trigger = TaskCompletedTrigger("../orders", poll_interval=0.05, end_time=time.time() + 30)
    events = trigger.run()
    event = await anext(events)
    await events.aclose()
    assert event.payload["status"] == "failed"  # no retry can fix a bad id
    assert "tasking_request_id" in event.payload["message"]
    assert capella_emulator.requests() == []
