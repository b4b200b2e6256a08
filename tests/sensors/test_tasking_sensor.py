"""TaskCompletedSensor in real Airflow (``dag.test()``) against the emulator: poke, reschedule and
deferrable modes, terminal failures, timeouts and transient API errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_support import DagRunner
from tests.triggers.support import Tasking, use_connection

DAG_SOURCE = """
import json
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, task

from airflow_provider_capella.sensors.tasking import TaskCompletedSensor


with DAG("{dag_id}", schedule=None, start_date=datetime(2024, 1, 1)) as dag:
    wait = TaskCompletedSensor(
        task_id="wait",
        tasking_request_id="{{{{ dag_run.conf['tasking_request_id'] }}}}",
        poke_interval=0.1,
        timeout={timeout},
        retries=2,
        retry_delay=timedelta(seconds=0),
        {sensor_args}
    )

    @task
    def record(collect_ids, dag_run=None):
        Path(dag_run.conf["out"]).write_text(json.dumps(collect_ids))

    record(wait.output)
"""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class SensorRun:
    """One DAG run of the sensor: its states, what it returned, how it failed and how often it ran."""

    def __init__(
        self,
        dag_runner: DagRunner,
        capfd: pytest.CaptureFixture[str],
        tmp_path: Path,
        dag_id: str,
        source: str,
    ) -> None:
        self.dag_runner, self.capfd, self.dag_id = dag_runner, capfd, dag_id
        self.out = tmp_path / f"{dag_id}.json"
        dag_runner.write(dag_id, source)

    def run(self, tasking_request_id: str) -> dict[str, str]:
        conf = {"tasking_request_id": tasking_request_id, "out": str(self.out)}
        self.capfd.readouterr()
        self.dag_run = self.dag_runner.run(self.dag_id, run_conf=conf)
        captured = self.capfd.readouterr()
        self.log = _ANSI.sub("", captured.out + captured.err)
        return self.dag_runner.task_states(self.dag_run)

    @property
    def collect_ids(self) -> list[str]:
        return json.loads(self.out.read_text())

    def failed_with(self, exception: str, message: str) -> bool:
        """Whether the task log shows the task failing with ``exception: message``."""
        return re.search(rf"\b{exception}: {re.escape(message)}", self.log) is not None

    def sensor_instance(self) -> Any:
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session

        with create_session() as session:
            ti = session.query(TaskInstance).filter_by(run_id=self.dag_run.run_id, task_id="wait").one()
            session.expunge(ti)
            return ti

    def reschedules(self) -> int:
        from airflow.models.taskreschedule import TaskReschedule
        from airflow.utils.session import create_session

        ti_id = self.sensor_instance().id
        with create_session() as session:
            return session.query(TaskReschedule).filter(TaskReschedule.ti_id == ti_id).count()


@pytest.fixture
def sensor_run(
    dag_runner: DagRunner, capfd: pytest.CaptureFixture[str], tmp_path: Path, request: pytest.FixtureRequest
) -> Any:
    def make(sensor_args: str = "", timeout: float = 60) -> SensorRun:
        """A DAG of the sensor (``sensor_args`` added to its arguments) and a task recording its result."""
        dag_id = re.sub(r"\W", "_", f"sensor_{request.node.name}")
        source = DAG_SOURCE.format(dag_id=dag_id, sensor_args=sensor_args, timeout=timeout)
        return SensorRun(dag_runner, capfd, tmp_path, dag_id, source)

    return make


def test_poke_mode_returns_the_collect_ids(sensor_run: Any, tasking: Tasking) -> None:
    task_id = tasking.create("emulator:collects=2")
    run = sensor_run('mode="poke", deferrable=False,')

    assert run.run(task_id) == {"wait": "success", "record": "success"}

    assert run.collect_ids == tasking.collect_ids(task_id)
    assert len(run.collect_ids) == 2
    assert tasking.polls(task_id, by_trigger=True) == []


def test_reschedule_mode_frees_the_worker_between_pokes(sensor_run: Any, tasking: Tasking) -> None:
    task_id = tasking.create(held=True)
    tasking.after_polls(task_id, 3, tasking.approve)
    run = sensor_run('mode="reschedule", deferrable=False,')

    assert run.run(task_id) == {"wait": "success", "record": "success"}

    assert run.collect_ids == tasking.collect_ids(task_id)
    assert run.reschedules() >= 1  # released its worker slot and came back
    assert len(tasking.polls(task_id)) >= 4  # three pokes before the approval, one after


def test_deferrable_checks_then_waits_in_the_trigger(sensor_run: Any, tasking: Tasking) -> None:
    task_id = tasking.create(held=True)
    tasking.after_polls(task_id, 2, tasking.approve, by_trigger=True)
    run = sensor_run("deferrable=True,")

    assert run.run(task_id) == {"wait": "success", "record": "success"}

    assert run.collect_ids == tasking.collect_ids(task_id)
    worker_checks = tasking.polls(task_id, by_trigger=False)
    trigger_polls = tasking.polls(task_id, by_trigger=True)
    assert worker_checks[0]["time"] < trigger_polls[0]["time"]  # checked once before deferring
    assert len(trigger_polls) >= 3
    assert len(worker_checks) == 2  # that check, then the collects lookup after resuming


def test_deferrable_does_not_defer_when_already_completed(sensor_run: Any, tasking: Tasking) -> None:
    task_id = tasking.create()
    tasking.wait_for(task_id, "completed")
    run = sensor_run("deferrable=True,")

    assert run.run(task_id) == {"wait": "success", "record": "success"}

    assert run.collect_ids == tasking.collect_ids(task_id)
    assert tasking.polls(task_id, by_trigger=True) == []


@pytest.mark.parametrize(
    "mode_args", ['mode="poke", deferrable=False,', "deferrable=True,"], ids=["poke", "deferrable"]
)
def test_fails_at_once_with_the_api_message_when_rejected(
    sensor_run: Any, tasking: Tasking, mode_args: str
) -> None:
    task_id = tasking.create("emulator:rejected")
    tasking.wait_for(task_id, "rejected")
    run = sensor_run(mode_args)

    assert run.run(task_id) == {"wait": "failed", "record": "upstream_failed"}

    assert run.failed_with(
        "AirflowFailException", f"Tasking request {task_id} is rejected: Request rejected during review."
    )
    assert run.sensor_instance().try_number == 1  # retries=2, but a rejected request will not change
    assert tasking.polls(task_id, by_trigger=True) == []


def test_deferred_wait_fails_at_once_when_the_collection_fails(sensor_run: Any, tasking: Tasking) -> None:
    task_id = tasking.create(held=True)
    tasking.after_polls(task_id, 2, tasking.fail_collection, by_trigger=True)
    run = sensor_run("deferrable=True,")

    assert run.run(task_id) == {"wait": "failed", "record": "upstream_failed"}

    assert run.failed_with("AirflowFailException", f"Tasking request {task_id} is failed: Collection failed.")
    assert run.sensor_instance().try_number == 1
    assert tasking.polls(task_id, by_trigger=True)


def test_deferred_wait_ends_at_the_sensor_timeout(sensor_run: Any, tasking: Tasking) -> None:
    task_id = tasking.create(held=True)  # never leaves review on its own
    run = sensor_run("deferrable=True,", timeout=1)

    assert run.run(task_id) == {"wait": "failed", "record": "upstream_failed"}

    assert run.failed_with(
        "AirflowSensorTimeout", f"Tasking request {task_id} did not finish before the sensor's timeout"
    )
    assert run.sensor_instance().try_number == 1  # a sensor timeout is not retried


def test_poke_mode_keeps_waiting_through_errors_that_outlast_the_retries(
    sensor_run: Any, tasking: Tasking, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_connection(monkeypatch, capella_emulator, max_retries=1)
    task_id = tasking.create()
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=4)  # two pokes' worth
    run = sensor_run('mode="poke", deferrable=False,')

    assert run.run(task_id) == {"wait": "success", "record": "success"}

    assert run.sensor_instance().try_number == 1
    assert [entry["status"] for entry in tasking.polls(task_id)][:4] == [503] * 4


def test_deferrable_defaults_to_the_operators_default_deferrable_setting() -> None:
    probe = textwrap.dedent(
        """
        from airflow_provider_capella.sensors.tasking import TaskCompletedSensor
        print(TaskCompletedSensor(task_id="t", tasking_request_id="x").deferrable)
        """
    )

    def deferrable_with(setting: str) -> str:
        env = {**os.environ, "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": setting}
        done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    assert deferrable_with("True") == "True"
    assert deferrable_with("False") == "False"
