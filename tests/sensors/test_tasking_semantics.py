"""TaskCompletedSensor waits the way Capella means it, in real Airflow (``dag.test()``) against the
emulator: ``retrying`` is progress, an ``anomaly`` fails only after its grace period with the API's
message, a request in ``review`` is reported on every poke with how to approve it, and ``active`` /
``accepted`` are logged as what they mean."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaValidationError
from airflow_provider_capella.sensors.tasking import TaskCompletedSensor
from tests.triggers.support import Tasking

MODES = pytest.mark.parametrize(
    "mode_args", ['mode="poke", deferrable=False,', "deferrable=True,"], ids=["poke", "deferrable"]
)


@MODES
def test_an_anomaly_followed_by_a_retry_completes(sensor_run: Any, tasking: Tasking, mode_args: str) -> None:
    task_id = tasking.create("emulator:retrying")
    run = sensor_run(mode_args)

    assert run.run(task_id) == {"wait": "success", "record": "success"}

    assert {"anomaly", "retrying", "completed"} <= set(tasking.codes(task_id))
    assert run.collect_ids == tasking.collect_ids(task_id)


@MODES
def test_an_anomaly_without_a_retry_fails_after_the_grace_period_with_the_api_message(
    sensor_run: Any, tasking: Tasking, mode_args: str
) -> None:
    task_id = tasking.create("emulator:anomaly")
    tasking.wait_for(task_id, "anomaly")
    run = sensor_run(mode_args + " anomaly_grace_period=timedelta(seconds=0.3),")

    assert run.run(task_id) == {"wait": "failed", "record": "upstream_failed"}

    assert run.failed_with(
        "AirflowFailException",
        f"Tasking request {task_id} is anomaly: An anomaly prevented the full completion of the request. "
        "(no retry came within the anomaly grace period of 0:00:00.300000)",
    )
    assert run.sensor_instance().try_number == 1


def test_an_anomaly_within_its_grace_period_is_still_waited_on(sensor_run: Any, tasking: Tasking) -> None:
    task_id = tasking.create("emulator:anomaly")
    tasking.wait_for(task_id, "anomaly")
    run = sensor_run('mode="poke", deferrable=False,', timeout=1)  # the default grace: six hours

    assert run.run(task_id) == {"wait": "failed", "record": "upstream_failed"}

    assert "AirflowSensorTimeout" in run.log, "timed out waiting, did not fail on the anomaly"
    assert "waiting for a retry until" in run.log


def test_every_poke_of_a_request_in_review_says_it_waits_for_approval_and_how(
    sensor_run: Any, tasking: Tasking
) -> None:
    task_id = tasking.create(held=True)
    tasking.wait_for(task_id, "review")
    already = len(tasking.polls(task_id, by_trigger=False))
    tasking.after_polls(task_id, already + 3, tasking.approve, by_trigger=False)
    run = sensor_run('mode="poke", deferrable=False,')

    assert run.run(task_id) == {"wait": "success", "record": "success"}

    approvals = [line for line in run.log.splitlines() if "waits for cost approval" in line]
    assert len(approvals) >= 2
    assert all(f"CapellaHook.approve_tasking_request('{task_id}')" in line for line in approvals)
    assert all("Capella console" in line for line in approvals)


def test_active_is_logged_as_being_scheduled_not_guaranteed(sensor_run: Any, tasking: Tasking) -> None:
    task_id = tasking.create_later(opens_in_days=3)
    tasking.wait_for(task_id, "active")
    run = sensor_run('mode="poke", deferrable=False,', timeout=0.5)

    run.run(task_id)

    assert f"Tasking request {task_id} is active (being scheduled" in run.log
    assert "full completion is not guaranteed" in run.log


def test_a_negative_grace_period_is_refused_when_the_dag_is_defined() -> None:
    with pytest.raises(CapellaValidationError, match="anomaly_grace_period"):
        TaskCompletedSensor(task_id="wait", tasking_request_id="x", anomaly_grace_period=timedelta(hours=-1))
