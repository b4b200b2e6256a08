"""Operator tests: DAG files run with ``dag.test()`` in real Airflow against the emulator (and moto S3).

``capella_connection`` points ``capella_default`` at the emulator; ``airflow_run`` writes a DAG file,
runs it and offers what a user would look at afterwards: task states, XCom values, asset events.
The S3 fixtures (``moto_server``, ``s3``) are the download engine tests' own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.transfer.conftest import moto_server, s3  # noqa: F401  (fixtures shared with the engine tests)

FAST_RETRIES = {"retry_base_seconds": 0.01, "retry_cap_seconds": 0.05, "max_retries": 2}
LOGICAL_DATE = datetime(2024, 3, 1, tzinfo=timezone.utc)


@pytest.fixture
def capella_connection(capella_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``capella_default`` on the emulator (fast tasking clock); call it again to change extras."""

    def connect(**extra: Any) -> None:
        connection = capella_emulator.airflow_connection(**{**FAST_RETRIES, **extra})
        monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_DEFAULT", connection)

    capella_emulator.settings(tasking_step_seconds=0.05)
    monkeypatch.setenv("CAPELLA_EMULATOR_URL", capella_emulator.url)
    connect()
    return connect


def posts_to(emulator: Any, path: str) -> list[dict[str, Any]]:
    """The logged ``POST``s to exactly ``path`` (``requests(path=...)`` matches prefixes)."""
    return [entry for entry in emulator.requests(method="POST") if entry["path"] == path]


@dataclass
class FinishedRun:
    """A finished DAG run and what it left in the metadata database."""

    dag_run: Any
    states: dict[str, str]

    @property
    def state(self) -> str:
        return str(self.dag_run.state)

    def xcom(self, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            row = session.scalars(
                select(XComModel).where(
                    XComModel.dag_id == self.dag_run.dag_id,
                    XComModel.run_id == self.dag_run.run_id,
                    XComModel.task_id == task_id,
                    XComModel.key == key,
                    XComModel.map_index == map_index,
                )
            ).one_or_none()
            return None if row is None else XComModel.deserialize_value(row)

    def asset_events(self) -> list[dict[str, Any]]:
        """``[{"uri", "extra", "map_index", "aliases"}]`` emitted by this run."""
        from airflow.models.asset import AssetEvent
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            events = session.scalars(
                select(AssetEvent).where(
                    AssetEvent.source_dag_id == self.dag_run.dag_id,
                    AssetEvent.source_run_id == self.dag_run.run_id,
                )
            ).all()
            return [
                {
                    "uri": event.asset.uri,
                    "extra": dict(event.extra or {}),
                    "map_index": event.source_map_index,
                    "aliases": sorted(alias.name for alias in event.source_aliases),
                }
                for event in events
            ]


@pytest.fixture
def airflow_run(dag_runner: Any, capella_connection: Callable[..., None]) -> Callable[..., FinishedRun]:
    """``airflow_run(dag_id, source, logical_date=...)``: write the DAG file, ``dag.test()`` it."""

    def run(dag_id: str, source: str, logical_date: datetime = LOGICAL_DATE, **kwargs: Any) -> FinishedRun:
        dag_runner.write(dag_id, source)
        dag_run = dag_runner.run(dag_id, logical_date=logical_date, **kwargs)
        return FinishedRun(dag_run, dag_runner.task_states(dag_run))

    return run
