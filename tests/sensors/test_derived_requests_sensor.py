"""DerivedRequestsSensor in real Airflow (``dag.test()``) against the emulator: poke, reschedule and
deferrable modes, a series that ends short of the count, and an unknown id failing without retries.

Repeat requests are created pre-approved (``preApproval``) unless review is the subject; then they
wait in review and are decided explicitly."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sensors.test_tasking_sensor import DAG_SOURCE as TASKING_DAG_SOURCE
from tests.sensors.test_tasking_sensor import SensorRun
from tests.triggers.support import Tasking, create_repeat, derived_ids, reject_repeat

DAG_SOURCE = (
    TASKING_DAG_SOURCE.replace("tasking import TaskCompletedSensor", "repeat import DerivedRequestsSensor")
    .replace("TaskCompletedSensor(", 'DerivedRequestsSensor(count="{{{{ 1 + 1 }}}}",')  # templated
    .replace("tasking_request_id=", "repeat_request_id=")
)
"""The tasking sensor's test DAG, waiting for two derived requests instead; it records the result."""


@pytest.fixture
def derived_run(
    dag_runner: Any, capfd: pytest.CaptureFixture[str], tmp_path: Any, request: pytest.FixtureRequest
) -> Any:
    def make(sensor_args: str = "") -> SensorRun:
        dag_id = "derived_" + request.node.name.replace("[", "_").replace("]", "")
        source = DAG_SOURCE.format(dag_id=dag_id, sensor_args=sensor_args, timeout=60)
        return SensorRun(dag_runner, capfd, tmp_path, dag_id, source)

    return make


@pytest.mark.parametrize(
    "mode_args",
    ['mode="poke", deferrable=False,', 'mode="reschedule", deferrable=False,', "deferrable=True,"],
    ids=["poke", "reschedule", "deferrable"],
)
def test_returns_the_derived_requests_once_there_are_enough(
    derived_run: Any, tasking: Tasking, capella_emulator: Any, mode_args: str
) -> None:
    repeat_id = create_repeat(capella_emulator)
    run = derived_run(mode_args)

    assert run.run(repeat_id) == {"wait": "success", "record": "success"}

    derived = run.collect_ids  # the recorded result: {tasking request id: latest status}
    assert len(derived) >= 2
    assert set(derived) <= derived_ids(capella_emulator, repeat_id)
    assert run.sensor_instance().try_number == 1


def test_a_series_rejected_in_review_fails_at_once(
    derived_run: Any, tasking: Tasking, capella_emulator: Any
) -> None:
    repeat_id = create_repeat(capella_emulator, held=True)
    reject_repeat(capella_emulator, repeat_id)
    run = derived_run('mode="poke", deferrable=False,')

    assert run.run(repeat_id) == {"wait": "failed", "record": "upstream_failed"}

    assert run.failed_with(
        "AirflowFailException",
        f"Repeat request {repeat_id} is rejected after deriving 0 of 2 tasking request(s)",
    )
    assert run.sensor_instance().try_number == 1  # retries=2, but a rejected series will not change


@pytest.mark.parametrize(
    "mode_args", ['mode="poke", deferrable=False,', "deferrable=True,"], ids=["poke", "deferrable"]
)
def test_an_unknown_repeat_request_fails_without_retries(
    derived_run: Any, tasking: Tasking, mode_args: str
) -> None:
    run = derived_run(mode_args)

    assert run.run("00000000-0000-4000-8000-000000000000") == {"wait": "failed", "record": "upstream_failed"}

    assert "404" in run.log and "AirflowFailException" in run.log
    assert run.sensor_instance().try_number == 1


def test_soft_fail_skips_instead_of_failing_on_an_unknown_repeat_request(
    derived_run: Any, tasking: Tasking
) -> None:
    run = derived_run('mode="poke", deferrable=False, soft_fail=True,')

    assert run.run("00000000-0000-4000-8000-000000000000") == {"wait": "skipped", "record": "skipped"}
