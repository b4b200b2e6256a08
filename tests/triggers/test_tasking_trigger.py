"""TaskCompletedTrigger run directly in an event loop against the emulator over real HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from airflow_provider_capella.tasking_status import tasking_outcome
from airflow_provider_capella.triggers.tasking import TaskCompletedTrigger
from tests.triggers.support import Tasking, use_connection


async def first_event(trigger: TaskCompletedTrigger) -> dict[str, Any]:
    """What the triggerer would hand to the task: the payload of the first event."""
    events = trigger.run()
    event = await anext(events)
    await events.aclose()
    return event.payload


def trigger_for(task_id: str, *, within: float = 30.0, **kwargs: Any) -> TaskCompletedTrigger:
    return TaskCompletedTrigger(task_id, poll_interval=0.05, end_time=time.time() + within, **kwargs)


async def test_fires_success_when_the_request_completes_one_get_per_poll(tasking: Tasking) -> None:
    task_id = tasking.create(held=True)  # waits in review until approved
    waiting = asyncio.ensure_future(first_event(trigger_for(task_id)))
    while len(tasking.polls(task_id)) < 3:
        assert not waiting.done(), waiting.result()
        await asyncio.sleep(0.02)
    tasking.approve(task_id)

    payload = await waiting

    assert payload["status"] == "success"
    assert payload["task_status"] == "completed"
    assert payload["tasking_request_id"] == task_id
    assert "Tasking request has been completed." in payload["message"]
    assert payload["polls"] > 3
    polls = tasking.polls(task_id)
    assert len(polls) == payload["polls"]
    assert all(entry["status"] == 200 for entry in polls)


async def test_completed_earlier_counts_even_when_the_newest_status_is_accepted_again(
    tasking: Tasking, capella_emulator: Any
) -> None:
    capella_emulator.settings(tasking_step_seconds=1.0)
    task_id = tasking.create("emulator:recompleted")
    deadline = time.monotonic() + 15
    while tasking.codes(task_id)[:2] != ["accepted", "completed"]:  # reprocessing: completed -> accepted
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)

    payload = await first_event(trigger_for(task_id))

    assert payload["status"] == "success"
    assert payload["polls"] == 1


def test_status_history_is_read_the_sdk_way() -> None:
    def history(*codes: str) -> dict[str, Any]:
        return {"properties": {"statusHistory": [{"code": c, "message": f"{c}!"} for c in codes]}}

    assert tasking_outcome(history("completed", "accepted", "completed")).state == "completed"
    assert tasking_outcome(history("accepted", "completed", "active")).state == "completed"
    assert tasking_outcome(history("active", "accepted", "submitted")).state == "pending"
    rejected = tasking_outcome(history("rejected", "review", "received"))
    assert (rejected.state, rejected.status, rejected.message) == ("failed", "rejected", "rejected!")
    assert tasking_outcome({"properties": {"statusHistory": []}}).state == "pending"


@pytest.mark.parametrize(
    ("marker", "status", "api_message"),
    [
        ("emulator:rejected", "rejected", "Request rejected during review."),
        ("emulator:failed", "failed", "Collection failed."),
        ("emulator:anomaly", "anomaly", "An anomaly prevented the full completion of the request."),
        ("emulator:error", "error", "An error occurred while processing the request."),
        ("emulator:expired", "expired", "The validity window closed before the request could be satisfied."),
    ],
)
async def test_fires_failed_with_the_api_message_on_a_terminal_status(
    tasking: Tasking, marker: str, status: str, api_message: str
) -> None:
    task_id = tasking.create(marker)

    payload = await first_event(trigger_for(task_id, anomaly_grace_period=0))  # no wait for a retry

    assert payload["status"] == "failed"
    assert payload["task_status"] == status
    assert payload["message"] == f"Tasking request {task_id} is {status}: {api_message}"


async def test_fires_failed_when_the_request_is_canceled(tasking: Tasking) -> None:
    task_id = tasking.create_later()  # its first collect days away: cancellable once active
    tasking.wait_for(task_id, "active")
    tasking.cancel(task_id)

    payload = await first_event(trigger_for(task_id))

    assert (payload["status"], payload["task_status"], payload["polls"]) == ("failed", "canceled", 1)


async def test_survives_transient_5xx_with_backoff(tasking: Tasking, capella_emulator: Any) -> None:
    task_id = tasking.create()
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=2)

    payload = await first_event(trigger_for(task_id))

    assert payload["status"] == "success"
    statuses = [entry["status"] for entry in tasking.polls(task_id)]
    assert statuses[:3] == [503, 503, 200]


async def test_keeps_polling_when_errors_outlast_the_connection_retries(
    tasking: Tasking, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_connection(monkeypatch, capella_emulator, max_retries=1)
    task_id = tasking.create()
    capella_emulator.set_faults(fail_next_status=502, fail_next_count=6)  # three polls' worth

    payload = await first_event(trigger_for(task_id))

    assert payload["status"] == "success"
    assert [entry["status"] for entry in tasking.polls(task_id)][:6] == [502] * 6


async def test_honours_retry_after_on_429(tasking: Tasking, capella_emulator: Any) -> None:
    task_id = tasking.create()
    capella_emulator.set_faults(fail_next_status=429, fail_next_count=1, retry_after=1)

    started = time.monotonic()
    payload = await first_event(trigger_for(task_id))

    assert payload["status"] == "success"
    first, second = tasking.polls(task_id)[:2]
    assert first["status"] == 429
    assert second["time"] - first["time"] >= 0.9
    assert time.monotonic() - started >= 0.9


async def test_ends_with_timeout_at_the_sensor_deadline(tasking: Tasking) -> None:
    task_id = tasking.create(held=True)  # waits in review forever

    started = time.monotonic()
    payload = await first_event(trigger_for(task_id, within=0.5))

    assert payload["status"] == "timeout"
    assert payload["task_status"] is None
    assert "sensor's timeout" in payload["message"]
    assert 0.4 < time.monotonic() - started < 2.0


async def test_ends_with_execution_timeout_at_the_execution_deadline(tasking: Tasking) -> None:
    task_id = tasking.create(held=True)
    trigger = trigger_for(task_id, within=60, execution_deadline=time.time() + 0.3)

    payload = await first_event(trigger)

    assert payload["status"] == "execution_timeout"
    assert "execution_timeout" in payload["message"]


async def test_deadline_ends_a_wait_stuck_on_a_slow_api(tasking: Tasking, capella_emulator: Any) -> None:
    task_id = tasking.create(held=True)
    capella_emulator.set_faults(latency_ms=3000)

    started = time.monotonic()
    payload = await first_event(trigger_for(task_id, within=0.5))

    assert payload["status"] == "timeout"
    assert time.monotonic() - started < 2.0


async def test_a_deadline_already_past_fires_timeout_without_polling(tasking: Tasking) -> None:
    task_id = tasking.create()

    payload = await first_event(trigger_for(task_id, within=-1))

    assert (payload["status"], payload["polls"]) == ("timeout", 0)
    assert tasking.polls(task_id) == []


async def test_unknown_request_fires_failed_at_once(tasking: Tasking) -> None:
    missing = "00000000-0000-4000-8000-000000000000"

    payload = await first_event(trigger_for(missing))

    assert payload["status"] == "failed"  # not retryable: the sensor fails without its retries
    assert payload["polls"] == 1
    assert "404" in payload["message"]


async def test_refused_api_key_fires_failed_without_leaking_it(
    tasking: Tasking, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = tasking.create()
    connection = {"conn_type": "capella", "host": capella_emulator.url, "password": "wrong-secret-key"}
    monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_WRONG", __import__("json").dumps(connection))

    payload = await first_event(trigger_for(task_id, capella_conn_id="capella_wrong"))

    assert payload["status"] == "failed"
    assert "401" in payload["message"]
    assert "wrong-secret-key" not in str(payload)


async def test_missing_connection_fires_error() -> None:
    payload = await first_event(trigger_for("00000000-0000-4000-8000-000000000000", capella_conn_id="nope"))

    assert payload["status"] == "error"
    assert "nope" in payload["message"]


async def test_serialize_round_trips_and_the_rebuilt_trigger_runs(tasking: Tasking) -> None:
    from airflow.models.trigger import Trigger

    task_id = tasking.create()
    original = TaskCompletedTrigger(
        task_id, "capella_default", poll_interval=0.05, end_time=time.time() + 30, execution_deadline=None
    )

    classpath, kwargs = original.serialize()
    stored = Trigger.from_object(original)  # the row the triggerer reads: classpath + encrypted kwargs
    module_name, _, class_name = stored.classpath.rpartition(".")
    rebuilt_class = getattr(__import__(module_name, fromlist=[class_name]), class_name)
    rebuilt = rebuilt_class(**stored.kwargs)

    assert rebuilt_class is TaskCompletedTrigger
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs == {
        "tasking_request_id": task_id,
        "capella_conn_id": "capella_default",
        "poll_interval": 0.05,
        "end_time": original.end_time,
        "execution_deadline": None,
        "anomaly_grace_period": 6 * 3600.0,
    }
    assert (await first_event(rebuilt))["status"] == "success"


async def test_never_blocks_the_event_loop(tasking: Tasking, capella_emulator: Any) -> None:
    """Slow responses (300 ms each) and a 429 asking for a 1 s wait: a blocking HTTP call or sleep
    anywhere in the trigger would stall a 10 ms ticker sharing its loop for that long."""
    task_ids = [tasking.create() for _ in range(5)]
    capella_emulator.set_faults(latency_ms=300, fail_next_status=429, fail_next_count=1, retry_after=1)
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    ticking = asyncio.ensure_future(ticker())
    payloads = await asyncio.gather(*(first_event(trigger_for(task_id)) for task_id in task_ids))
    done.set()
    await ticking

    assert [payload["status"] for payload in payloads] == ["success"] * 5
    assert sum(len(tasking.polls(task_id)) for task_id in task_ids) >= 6  # incl. the retried 429
    assert len(lags) > 50
    assert max(lags) < 0.1, f"the loop stalled for {max(lags):.3f}s"


async def test_triggers_share_one_capped_connection_pool_and_close_it(
    tasking: Tasking, capella_emulator: Any
) -> None:
    import psutil

    from airflow_provider_capella.hooks.capella_async import MAX_CONNECTIONS

    port = int(capella_emulator.url.rsplit(":", 1)[-1])
    process = psutil.Process()

    def open_connections() -> int:
        return sum(
            1
            for connection in process.net_connections("tcp")
            if connection.raddr and connection.raddr.port == port and connection.status == "ESTABLISHED"
        )

    task_ids = [tasking.create() for _ in range(3 * MAX_CONNECTIONS)]
    baseline = open_connections()  # the test's own keep-alive session to the emulator
    waiting = asyncio.ensure_future(asyncio.gather(*(first_event(trigger_for(t)) for t in task_ids)))
    peak = 0
    while not waiting.done():
        peak = max(peak, open_connections() - baseline)
        await asyncio.sleep(0.005)

    assert [payload["status"] for payload in waiting.result()] == ["success"] * len(task_ids)
    assert 1 <= peak <= MAX_CONNECTIONS
    await asyncio.sleep(0.1)
    assert open_connections() - baseline <= 0  # the last trigger out closed the pool
