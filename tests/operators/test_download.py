"""DownloadProductsOperator in real Airflow runs: mapped over a search, S3, tasking sources, asset events."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from airflow_provider_capella.hooks.capella import CapellaHook
from tests.operators.conftest import posts_to

MAPPED = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.download import DownloadProductsOperator
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.search import CapellaSearchOperator

with DAG("download_mapped", schedule=None) as dag:
    found = CapellaSearchOperator(task_id="search", collections=["capella-geo"], sortby="id", limit=2)
    order = SubmitOrderOperator(task_id="order", stac_ids=found.output)
    DownloadProductsOperator.partial(
        task_id="download",
        order_id=order.output,
        destination="{{ var.value.dest }}/{{ ds }}",
        include=["raster", "metadata"],
    ).expand(items=found.output)
"""


def test_a_mapped_download_over_search_results_writes_files_and_emits_asset_events(
    airflow_run: Any, capella_emulator: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_DEST", str(tmp_path))

    run = airflow_run("download_mapped", MAPPED)

    assert run.states == {
        "search": "success",
        "order": "success",
        "download[0]": "success",
        "download[1]": "success",
    }
    stac_ids = run.xcom("search")
    written = {}
    for index, stac_id in enumerate(stac_ids):
        paths = run.xcom("download", map_index=index)
        assert list(paths) == [stac_id]
        assert set(paths[stac_id]) == {"HH", "metadata"} or set(paths[stac_id]) == {"VV", "metadata"}
        for key, path in paths[stac_id].items():
            assert Path(path).is_file() and Path(path).parent == tmp_path / "2024-03-01" / stac_id
            written[f"file://{path}"] = {"stac_id": stac_id, "asset_key": key}
    events = run.asset_events()
    assert {event["uri"]: _identity(event["extra"]) for event in events} == written  # tests/lineage: the rest
    assert all(event["aliases"] == ["capella-imagery"] for event in events)
    assert run.xcom("download", key="_link_CapellaOrderLink", map_index=0).endswith(
        f"/orders/{run.xcom('order')}"
    )

    capella_emulator.clear_requests()
    again = airflow_run("download_mapped", MAPPED, logical_date=datetime(2024, 3, 1, 12, tzinfo=timezone.utc))
    assert again.states["download[1]"] == "success"
    data_files = [
        entry
        for entry in capella_emulator.requests(path="/assets/")
        if not entry["path"].endswith("_checksums.json")  # the product's checksums are read each run
    ]
    ranges = {entry["headers"].get("range") for entry in data_files}
    assert ranges == {"bytes=0-0"}, "a re-run only checks sizes: every file is complete, none is fetched"


def _identity(extra: dict[str, Any]) -> dict[str, Any]:
    return {key: extra[key] for key in ("stac_id", "asset_key")}


TO_S3 = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.download import DownloadProductsOperator

with DAG("download_s3", schedule=None) as dag:
    DownloadProductsOperator(
        task_id="download",
        items="{{ var.value.stac_id }}",
        destination="s3://{{ var.value.bucket }}/capella/",
        exclude=["preview", "thumbnail"],
        concurrency=4,
    )
"""


def test_items_are_ordered_then_streamed_into_s3(
    airflow_run: Any, capella_emulator: Any, s3: Any, monkeypatch: Any
) -> None:
    stac_id = CapellaHook().search(collections=["capella-gec"], limit=1, ids_only=True)[0]
    monkeypatch.setenv("AIRFLOW_VAR_STAC_ID", stac_id)
    monkeypatch.setenv("AIRFLOW_VAR_BUCKET", s3.name)

    run = airflow_run("download_s3", TO_S3)

    assert run.states == {"download": "success"}
    paths = run.xcom("download")[stac_id]
    assert set(paths) - {"HH", "VV"} == {"metadata", "checksums"}
    assert s3.keys() == sorted(uri.split("/", 3)[3] for uri in paths.values())
    assert {event["uri"] for event in run.asset_events()} == set(paths.values())
    assert len(posts_to(capella_emulator, "/orders")) == 1


FROM_TASKING = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.download import DownloadProductsOperator

with DAG("download_tasking", schedule=None) as dag:
    DownloadProductsOperator(task_id="by_task", tasking_request_id="{{ var.value.task_id }}",
                             destination="{{ var.value.dest }}/task", product_types=["GEO"],
                             include="metadata", asset_alias=None)
    DownloadProductsOperator(task_id="by_collect", collect_id="{{ var.value.collect_id }}",
                             destination="{{ var.value.dest }}/collect", include=["metadata"],
                             asset_alias="collects")
    DownloadProductsOperator(task_id="two_sources", collect_id="{{ var.value.collect_id }}",
                             tasking_request_id="{{ var.value.task_id }}", destination="/never")
"""


def test_products_of_a_tasking_request_or_a_collect_are_downloaded(
    airflow_run: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    hook = CapellaHook()
    task_id = _completed_tasking_request(hook)
    collect_id = hook.get_collects_for_task(task_id)[0]["collectId"]
    monkeypatch.setenv("AIRFLOW_VAR_TASK_ID", task_id)
    monkeypatch.setenv("AIRFLOW_VAR_COLLECT_ID", collect_id)
    monkeypatch.setenv("AIRFLOW_VAR_DEST", str(tmp_path))

    run = airflow_run("download_tasking", FROM_TASKING)

    assert run.states == {"by_task": "success", "by_collect": "success", "two_sources": "failed"}
    by_task = run.xcom("by_task")
    assert by_task and all(set(assets) == {"metadata"} for assets in by_task.values())
    assert all("_GEO_" in stac_id for stac_id in by_task)
    assert all(Path(path).is_file() for assets in run.xcom("by_collect").values() for path in assets.values())
    events = run.asset_events()
    assert events and all(event["aliases"] == ["collects"] for event in events)
    assert not any("/task/" in event["uri"] for event in events), "asset_alias=None emits no events"


def _completed_tasking_request(hook: CapellaHook) -> str:
    task = hook.create_tasking_request(
        geometry={"type": "Point", "coordinates": [4.05, 51.95]}, name="t", pre_approval=True
    )
    task_id = task["properties"]["taskingrequestId"]
    deadline = time.monotonic() + 20
    while not hook.is_task_completed(hook.get_task(task_id)):
        assert time.monotonic() < deadline, "the emulator's tasking clock did not complete the request"
        time.sleep(0.1)
    return task_id
