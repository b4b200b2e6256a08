"""Tasking request operators in real Airflow runs: retry-safe create, console link, cancel and update."""

from __future__ import annotations

import time
import uuid
from typing import Any

from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.tasking_status import latest_status
from tests.operators.conftest import posts_to

POINT = {"type": "Point", "coordinates": [4.05, 51.95]}

CRASH_AND_RETRY = """
import json, os, urllib.request
from datetime import timedelta
from airflow.sdk import DAG
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator


def network_back(context):
    request = urllib.request.Request(
        os.environ["CAPELLA_EMULATOR_URL"] + "/_emulator/faults",
        data=json.dumps({"fault_drop_rate": 0.0}).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()


AOI = {"type": "Point", "coordinates": [4.05, 51.95]}

with DAG("tasking_crash_retry", schedule=None, params={"aoi": AOI}) as dag:
    CreateTaskingRequestOperator(
        task_id="create",
        geometry="{{ params.aoi | tojson }}",
        name="rotterdam {{ ds }}",
        description="port watch",
        window_open="{{ logical_date | ts }}",
        retries=1,
        retry_delay=timedelta(0),
        on_retry_callback=network_back,
    )
"""


def test_a_retry_after_a_lost_response_reuses_the_request_instead_of_creating_another(
    airflow_run: Any, capella_emulator: Any
) -> None:
    # every API response is cut off mid-body: the first try's POST /task is processed, its answer lost
    capella_emulator.set_faults(fault_drop_rate=1.0, scope="api")

    run = airflow_run("tasking_crash_retry", CRASH_AND_RETRY)

    assert run.states == {"create": "success"}
    assert len(posts_to(capella_emulator, "/task")) == 1, (
        "the retry found the first try's request instead of sending another"
    )
    requests_made = CapellaHook().search_tasking_requests()
    assert len(requests_made) == 1
    created = requests_made[0]["properties"]
    assert run.xcom("create") == created["taskingrequestId"]
    assert created["taskingrequestName"] == "rotterdam 2024-03-01"
    assert created["taskingrequestDescription"].startswith("port watch [airflow:")
    assert created["windowOpen"].startswith("2024-03-01T00:00:00")
    assert run.xcom("create", key="_link_CapellaTaskingRequestLink") == (
        f"https://console.capellaspace.com/tasking/{created['taskingrequestId']}"
    )


CANCEL_AND_UPDATE = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.tasking import (
    CancelTaskingRequestsOperator, UpdateTaskingRequestsOperator,
)

with DAG("tasking_cancel_update", schedule=None) as dag:
    CancelTaskingRequestsOperator(task_id="cancel", tasking_request_ids="{{ var.json.cancel_ids | tojson }}")
    CancelTaskingRequestsOperator(task_id="cancel_lenient", tasking_request_ids="{{ var.value.unknown }}",
                                  fail_on_error=False)
    UpdateTaskingRequestsOperator(task_id="update", tasking_request_ids="{{ var.json.update_ids }}",
                                  name="renamed {{ ds }}", custom_attribute_1="campaign-7")
"""


def test_cancel_and_update_process_every_id_then_fail_on_errors_unless_told_not_to(
    airflow_run: Any, capella_emulator: Any, monkeypatch: Any
) -> None:
    hook = CapellaHook()
    first, second, third = (_create(hook, f"r{index}") for index in range(3))
    for task_id in (first, third):
        _wait_until_cancellable(hook, task_id)
    hook.cancel_tasking_requests(third)  # already canceled: cancelling again counts as done
    unknown = str(uuid.uuid4())
    monkeypatch.setenv("AIRFLOW_VAR_CANCEL_IDS", f'["{first}", "{unknown}", "{third}"]')
    monkeypatch.setenv("AIRFLOW_VAR_UNKNOWN", unknown)
    monkeypatch.setenv("AIRFLOW_VAR_UPDATE_IDS", f'["{second}", "{unknown}"]')

    run = airflow_run("tasking_cancel_update", CANCEL_AND_UPDATE)

    assert run.states == {"cancel": "failed", "cancel_lenient": "success", "update": "failed"}
    assert _latest_status(hook, first) == "canceled", "the failing id did not stop the others"
    assert _latest_status(hook, second) != "canceled"
    lenient = run.xcom("cancel_lenient")
    assert lenient[unknown]["success"] is False
    assert lenient[unknown]["error"]["status"] == 404
    renamed = hook.get_task(second)["properties"]
    assert renamed["taskingrequestName"] == "renamed 2024-03-01"
    assert renamed["customAttribute1"] == "campaign-7"
    patched = {entry["path"] for entry in capella_emulator.requests(method="PATCH")}
    assert f"/task/{first}/status" in patched
    assert f"/task/{unknown}/status" not in patched, "an unknown id is looked up (404), never sent a cancel"
    assert {f"/task/{second}", f"/task/{unknown}"} <= patched


ALREADY_CANCELED = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.tasking import CancelTaskingRequestsOperator

with DAG("tasking_cancel_twice", schedule=None) as dag:
    CancelTaskingRequestsOperator(task_id="cancel", tasking_request_ids="{{ var.value.task_id }}")
"""


def test_cancelling_an_already_canceled_request_succeeds(airflow_run: Any, monkeypatch: Any) -> None:
    hook = CapellaHook()
    task_id = _create(hook, "twice")
    _wait_until_cancellable(hook, task_id)
    assert hook.cancel_tasking_requests(task_id) == {task_id: {"success": True}}
    monkeypatch.setenv("AIRFLOW_VAR_TASK_ID", task_id)

    run = airflow_run("tasking_cancel_twice", ALREADY_CANCELED)

    assert run.states == {"cancel": "success"}
    assert run.xcom("cancel") == {task_id: {"success": True, "already_canceled": True}}


def _create(hook: CapellaHook, name: str) -> str:
    task = hook.create_tasking_request(
        geometry=POINT, name=name, window_open="2030-01-01T00:00:00Z", pre_approval=True
    )
    return task["properties"]["taskingrequestId"]


def _wait_until_cancellable(hook: CapellaHook, task_id: str) -> None:
    """Until the request is accepted or active: Capella cancels nothing earlier."""
    deadline = time.monotonic() + 15
    while _latest_status(hook, task_id) not in ("accepted", "active"):
        assert time.monotonic() < deadline, f"{task_id} is still {_latest_status(hook, task_id)}"
        time.sleep(0.02)


def _latest_status(hook: CapellaHook, task_id: str) -> str:
    return hook.get_task(task_id)["properties"]["statusHistory"][0]["code"]


UNBOUNDED = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator

with DAG("tasking_unbounded", schedule=None) as dag:
    CreateTaskingRequestOperator(task_id="create", name="left in review",
                                 geometry={"type": "Point", "coordinates": [4.05, 51.95]})
"""


def test_a_request_created_without_a_limit_waits_in_review_and_the_log_says_how_to_move_it_on(
    airflow_run: Any, capfd: Any
) -> None:
    capfd.readouterr()

    run = airflow_run("tasking_unbounded", UNBOUNDED)

    assert run.states == {"create": "success"}
    task_id = run.xcom("create")
    hook = CapellaHook()
    time.sleep(1)  # several emulator steps: strict review never moves it on by itself
    assert latest_status(hook.get_task(task_id)) == "review"
    out, err = capfd.readouterr()
    assert f"Tasking request {task_id} waits in review until someone approves its cost" in out + err
    assert "give max_cost to approve a quote within it, or pre_approval=True" in out + err
