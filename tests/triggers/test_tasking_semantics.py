"""What waiting means in Capella's terms, as TaskCompletedTrigger applies it against the emulator:
``retrying`` is progress, an ``anomaly`` waits out a grace period for a retry, a request in ``review``
is never waited on silently, and ``active`` / ``accepted`` are reported as what they mean."""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.triggers.support import Tasking
from tests.triggers.test_tasking_trigger import first_event, trigger_for


async def watch(tasking: Tasking, task_id: str, polls: int = 2) -> None:
    """Run a trigger on ``task_id`` until it has polled ``polls`` times, then stop it (still waiting)."""
    waiting = asyncio.ensure_future(first_event(trigger_for(task_id, within=120.0)))
    while len(tasking.polls(task_id, by_trigger=True)) < polls:
        assert not waiting.done(), waiting.result()
        await asyncio.sleep(0.02)
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting


ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def log_lines(capfd: pytest.CaptureFixture[str], level: str = "") -> list[str]:
    """The trigger's log lines (Airflow's structured logger writes them to the console, coloured or not)."""
    captured = capfd.readouterr()
    lines = ANSI_COLOUR.sub("", captured.out + captured.err).splitlines()
    return [line for line in lines if f"[{level}" in line] if level else lines


async def test_an_anomaly_followed_by_retrying_ends_in_success(tasking: Tasking) -> None:
    task_id = tasking.create("emulator:retrying")  # ... anomaly -> retrying -> completed

    payload = await first_event(trigger_for(task_id))

    assert payload["status"] == "success"
    assert {"anomaly", "retrying", "completed"} <= set(tasking.codes(task_id))


async def test_an_anomaly_fails_only_after_its_grace_period_with_the_api_message(tasking: Tasking) -> None:
    task_id = tasking.create("emulator:anomaly")  # no retry ever comes
    tasking.wait_for(task_id, "anomaly")

    payload = await first_event(trigger_for(task_id, anomaly_grace_period=0.5))

    assert payload["status"] == "failed" and payload["task_status"] == "anomaly"
    assert payload["message"].startswith(
        f"Tasking request {task_id} is anomaly: An anomaly prevented the full completion of the request."
    )
    assert "no retry came within the anomaly grace period" in payload["message"]


async def test_within_the_grace_period_an_anomaly_is_still_waited_on(tasking: Tasking) -> None:
    task_id = tasking.create("emulator:anomaly")
    tasking.wait_for(task_id, "anomaly")

    payload = await first_event(trigger_for(task_id, within=1.0))  # default grace: six hours

    assert payload["status"] == "timeout", "an anomaly must not fail while a retry may still come"
    assert payload["polls"] >= 1


async def test_every_poll_of_a_request_in_review_says_it_waits_for_approval_and_how(
    tasking: Tasking, capfd: pytest.CaptureFixture[str]
) -> None:
    task_id = tasking.create(held=True)
    tasking.wait_for(task_id, "review")
    waiting = asyncio.ensure_future(first_event(trigger_for(task_id)))
    while len(tasking.polls(task_id, by_trigger=True)) < 3:
        assert not waiting.done(), waiting.result()
        await asyncio.sleep(0.02)
    tasking.approve(task_id)

    payload = await waiting

    assert payload["status"] == "success"
    warnings = [text for text in log_lines(capfd, "warning") if "waits for cost approval" in text]
    assert len(warnings) >= 3, "one warning per poll while in review"
    assert all(f"approve_tasking_request('{task_id}')" in text for text in warnings)
    assert all("Capella console" in text for text in warnings)


async def test_active_is_reported_as_being_scheduled_not_guaranteed(
    tasking: Tasking, capfd: pytest.CaptureFixture[str]
) -> None:
    task_id = tasking.create_later(opens_in_days=3)  # the window closes beyond the 7-day horizon
    tasking.wait_for(task_id, "active")

    await watch(tasking, task_id)

    lines = [text for text in log_lines(capfd) if task_id in text]
    assert any("is active (being scheduled" in text and "not guaranteed" in text for text in lines)


async def test_accepted_is_reported_as_guaranteed(
    tasking: Tasking, capfd: pytest.CaptureFixture[str]
) -> None:
    opens = datetime.now(timezone.utc) + timedelta(days=1)
    task_id = tasking.create(
        collectionTier="urgent",
        windowOpen=opens.isoformat().replace("+00:00", "Z"),
        windowClose=(opens + timedelta(days=2)).isoformat().replace("+00:00", "Z"),
    )
    tasking.wait_for(task_id, "accepted")

    await watch(tasking, task_id)

    lines = [text for text in log_lines(capfd) if task_id in text]
    assert any("is accepted (accepted: full collection is guaranteed" in text for text in lines)
