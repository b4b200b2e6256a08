"""The deployment's cost caps in real Airflow runs: operators without any ``max_cost`` are bound by
``[capella] max_order_cost`` / ``max_tasking_cost`` from the environment, an argument above the setting
does not raise it, and one below it wins.

The emulator quotes $500 per purchasable GEO product and $3,000.00 per spotlight tasking request and per
image of a routine repeat series. Tasking and repeat requests wait in ``review`` until the operator
decides, as the real API's do.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.tasking_status import latest_status
from tests.operators.conftest import posts_to

CAPPED = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.download import DownloadProductsOperator
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.repeat import CreateRepeatRequestOperator
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator

FAST = {"poll_interval": 0.05, "timeout": 60, "geometry": {"type": "Point", "coordinates": [4.05, 51.95]}}
DOWNLOAD = {"destination": "{{ var.value.destination }}", "include": ["metadata"]}

with DAG("DAG_ID", schedule=None) as dag:
    SubmitOrderOperator(task_id="order", stac_ids="{{ var.json.geo.order | tojson }}", max_cost=10**6)
    DownloadProductsOperator(task_id="download_items", items="{{ var.json.geo.download | tojson }}",
                             **DOWNLOAD)
    DownloadProductsOperator(task_id="download_collect", collect_id="{{ var.json.geo.collect }}", **DOWNLOAD)
    DownloadProductsOperator(task_id="download_below", items="{{ var.json.geo.below | tojson }}",
                             max_cost=999, **DOWNLOAD)
    CreateTaskingRequestOperator(task_id="task", name="DAG_ID task", **FAST)
    CreateRepeatRequestOperator(task_id="series", name="DAG_ID series", repetition_count=2, **FAST)
"""


@pytest.fixture
def products(capella_connection: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Disjoint purchasable GEO products per task (so no active order is reused across tasks)."""
    hook = CapellaHook()
    items = hook.search(ownership="availableForPurchase", product_type="GEO", sortby="id", limit=8)
    ids = [item["id"] for item in items]
    geo = {
        "order": ids[0:3],  # $1,500
        "download": ids[3:5],  # $1,000
        "collect": items[5]["properties"]["capella:collect_id"],  # $500 and more
        "below": ids[6:8],  # $1,000
    }
    monkeypatch.setenv("AIRFLOW_VAR_GEO", json.dumps(geo))
    monkeypatch.setenv("AIRFLOW_VAR_DESTINATION", str(tmp_path))


def requests_named(hook: CapellaHook, dag_id: str) -> dict[str, str]:
    """``{"task": status, "series": status}`` of the requests this DAG created."""
    found = {
        feature["properties"]["taskingrequestName"]: latest_status(feature)
        for feature in hook.search_tasking_requests()
    }
    found.update(
        (feature["properties"]["repeatrequestName"], latest_status(feature))
        for feature in hook.search_repeat_requests()
    )
    return {name.removeprefix(f"{dag_id} "): status for name, status in found.items()}


def test_settings_below_the_quotes_refuse_every_billable_path(
    airflow_run: Any, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch, products: None
) -> None:
    monkeypatch.setenv("AIRFLOW__CAPELLA__MAX_ORDER_COST", "400")
    monkeypatch.setenv("AIRFLOW__CAPELLA__MAX_TASKING_COST", "2999")

    run = airflow_run("capped_low", CAPPED.replace("DAG_ID", "capped_low"))

    assert set(run.states.values()) == {"failed"}, run.states
    assert posts_to(capella_emulator, "/orders") == [], "no order placed"
    assert posts_to(capella_emulator, "/orders/review"), "quotes were read"
    assert requests_named(CapellaHook(), "capped_low") == {"task": "rejected", "series": "rejected"}
    approvals = [
        entry for entry in capella_emulator.requests(method="PATCH") if "submitted" in json.dumps(entry)
    ]
    assert approvals == [], "nothing approved"


def test_settings_above_the_quotes_let_them_through_and_an_argument_below_still_wins(
    airflow_run: Any, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch, products: None
) -> None:
    monkeypatch.setenv("AIRFLOW__CAPELLA__MAX_ORDER_COST", "100000")
    monkeypatch.setenv("AIRFLOW__CAPELLA__MAX_TASKING_COST", "3000")

    run = airflow_run("capped_high", CAPPED.replace("DAG_ID", "capped_high"))

    assert run.states == {
        "order": "success",
        "download_items": "success",
        "download_collect": "success",
        "download_below": "failed",  # max_cost=999 below the setting: $1,000 refused
        "task": "success",
        "series": "success",
    }
    assert len(posts_to(capella_emulator, "/orders")) == 3
    statuses = requests_named(CapellaHook(), "capped_high")
    assert statuses.keys() == {"task", "series"} and "rejected" not in statuses.values()
    assert "review" not in statuses.values()


def test_pre_approval_is_refused_under_the_tasking_setting_before_anything_is_sent(
    airflow_run: Any, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator

with DAG("capped_pre_approval", schedule=None) as dag:
    CreateTaskingRequestOperator(task_id="pre", name="pre", request_options={"pre_approval": True},
                                 geometry={"type": "Point", "coordinates": [4.05, 51.95]})
"""
    monkeypatch.setenv("AIRFLOW__CAPELLA__MAX_TASKING_COST", "100000")

    run = airflow_run("capped_pre_approval", source)

    assert run.states == {"pre": "failed"}
    assert posts_to(capella_emulator, "/task") == []


def test_an_approval_operator_above_the_tasking_setting_fails_and_leaves_the_request_in_review(
    airflow_run: Any, capella_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = CapellaHook()
    created = hook.create_tasking_request(
        geometry={"type": "Point", "coordinates": [4.05, 51.95]},
        name="approve me",
    )
    task_id = created["properties"]["taskingrequestId"]
    deadline = time.monotonic() + 20
    while latest_status(hook.get_task(task_id)) != "review":
        assert time.monotonic() < deadline, "never reached review"
        time.sleep(0.05)
    monkeypatch.setenv("AIRFLOW_VAR_TASK_ID", task_id)
    monkeypatch.setenv("AIRFLOW__CAPELLA__MAX_TASKING_COST", "2999")
    source = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.approval import ApproveTaskingRequestOperator

with DAG("capped_approval", schedule=None) as dag:
    ApproveTaskingRequestOperator(task_id="approve", tasking_request_id="{{ var.value.task_id }}", retries=2)
"""

    run = airflow_run("capped_approval", source)

    assert run.states == {"approve": "failed"}
    assert capella_emulator.requests(method="PATCH") == []
    assert latest_status(hook.get_task(task_id)) == "review"
