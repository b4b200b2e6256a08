"""DerivedRequestsTrigger against the emulator: it fires once a repeat request derived enough tasking
requests, fails when the series ends short, and survives serialization."""

from __future__ import annotations

import time
from typing import Any

from airflow_provider_capella.triggers.repeat import DerivedRequestsTrigger
from tests.triggers.support import Tasking, create_repeat, derived_ids, reject_repeat


async def first_event(trigger: DerivedRequestsTrigger) -> dict[str, Any]:
    events = trigger.run()
    event = await anext(events)
    await events.aclose()
    return dict(event.payload)


async def test_fires_success_with_the_derived_requests(tasking: Tasking, capella_emulator: Any) -> None:
    repeat_id = create_repeat(capella_emulator)
    classpath, arguments = DerivedRequestsTrigger(
        repeat_id, 2, poll_interval=0.05, end_time=time.time() + 30
    ).serialize()
    assert classpath == "airflow_provider_capella.triggers.repeat.DerivedRequestsTrigger"

    payload = await first_event(DerivedRequestsTrigger(**arguments))

    assert payload["status"] == "success", payload
    assert payload["repeat_request_id"] == repeat_id
    assert len(payload["derived"]) >= 2
    assert set(payload["derived"]) <= derived_ids(capella_emulator, repeat_id)


async def test_fires_failed_when_the_series_is_rejected(tasking: Tasking, capella_emulator: Any) -> None:
    repeat_id = create_repeat(capella_emulator, held=True)
    reject_repeat(capella_emulator, repeat_id)

    payload = await first_event(DerivedRequestsTrigger(repeat_id, 1, poll_interval=0.05))

    assert payload["status"] == "failed"
    assert (
        payload["message"]
        == f"Repeat request {repeat_id} is rejected after deriving 0 of 1 tasking request(s)"
    )


async def test_ends_at_the_sensor_timeout(tasking: Tasking, capella_emulator: Any) -> None:
    repeat_id = create_repeat(capella_emulator, held=True)  # waits in review

    payload = await first_event(
        DerivedRequestsTrigger(repeat_id, 1, poll_interval=0.05, end_time=time.time() + 0.5)
    )

    assert payload["status"] == "timeout"
    assert payload["polls"] >= 2
