"""The ``dag_runner`` fixture runs a DAG in real Airflow on every supported version."""

from __future__ import annotations

SOURCE = """
from datetime import datetime
from airflow.sdk import DAG, task

with DAG("runner_smoke", schedule=None, start_date=datetime(2024, 1, 1)) as dag:
    @task
    def answer():
        return 42

    @task
    def check(value):
        assert value == 42

    check(answer())
"""


def test_a_dag_file_runs_to_success(dag_runner) -> None:
    dag_runner.write("runner_smoke", SOURCE)
    run = dag_runner.run("runner_smoke")
    assert str(run.state) == "success"
    assert dag_runner.task_states(run) == {"answer": "success", "check": "success"}
