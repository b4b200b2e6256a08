"""ArchiveExportOperator in real Airflow runs: the footprints GeoPackage to disk and to S3 (moto)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import requests

TO_DISK_AND_S3 = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.archive import ArchiveExportOperator

with DAG("archive_export", schedule=None) as dag:
    ArchiveExportOperator(
        task_id="to_disk", export_type="full", export_format="gpkg",
        destination="{{ var.value.dest }}/{{ ds }}",
    )
    ArchiveExportOperator(
        task_id="to_s3", export_type="latest", destination="s3://{{ var.value.bucket }}/footprints/{{ ds }}/"
    )
    ArchiveExportOperator(task_id="two_weeks", export_type="weekly", destination="{{ var.value.dest }}/weeks",
                          file_names='{{ var.value.weeks }}')
"""

BAD = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.archive import ArchiveExportOperator

with DAG("archive_export_bad", schedule=None) as dag:
    ArchiveExportOperator(task_id="bad_type", export_type="monthly", destination="/tmp/never")
    ArchiveExportOperator(
        task_id="bad_format", export_type="full", export_format="kml", destination="/tmp/never"
    )
"""


def feature_ids(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        (table,) = db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'").fetchone()
        return {row[0] for row in db.execute(f"SELECT id FROM {table}")}


def test_the_archive_export_lands_on_disk_and_in_s3(
    airflow_run: Any, capella_emulator: Any, s3: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    listing = requests.get(
        f"{capella_emulator.url}/catalog/archive-export/available",
        headers=capella_emulator.auth_headers,
        timeout=60,
    ).json()
    weeks = [name for name in listing["weekly"] if name.endswith(".gpkg")][-2:]
    monkeypatch.setenv("AIRFLOW_VAR_DEST", str(tmp_path))
    monkeypatch.setenv("AIRFLOW_VAR_BUCKET", s3.name)
    monkeypatch.setenv("AIRFLOW_VAR_WEEKS", json.dumps(weeks))

    run = airflow_run("archive_export", TO_DISK_AND_S3)

    assert run.states == {"to_disk": "success", "to_s3": "success", "two_weeks": "success"}
    path = Path(run.xcom("to_disk"))
    assert path.parent == tmp_path / "2024-03-01" and path.suffix == ".gpkg"
    assert feature_ids(path) == {item["id"] for item in capella_emulator.state.catalog.items}
    uri = run.xcom("to_s3")
    assert uri.startswith(f"s3://{s3.name}/footprints/2024-03-01/") and uri.endswith(".gpkg")
    assert s3.keys() == [uri.split("/", 3)[3]]
    two = run.xcom("two_weeks")
    assert [Path(path).name for path in two] == [name.rsplit("/", 1)[-1] for name in weeks]
    assert all(feature_ids(Path(path)) for path in two)


def test_bad_arguments_fail_the_task_before_anything_is_sent(airflow_run: Any, capella_emulator: Any) -> None:
    capella_emulator.clear_requests()

    run = airflow_run("archive_export_bad", BAD)

    assert run.states == {"bad_type": "failed", "bad_format": "failed"}
    assert capella_emulator.requests() == []
