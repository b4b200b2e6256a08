"""Repeat request operators in real Airflow runs: retry-safe create, console link, cancel and update."""

from __future__ import annotations

import time
import uuid
from typing import Any

from airflow_provider_capella.hooks.capella import CapellaHook
from tests.operators.conftest import posts_to

POINT = {"type": "Point", "coordinates": [4.05, 51.95]}

CRASH_AND_RETRY = """
import json, os, urllib.request
from datetime import timedelta
from airflow.sdk import DAG
from airflow_provider_capella.operators.repeat import CreateRepeatRequestOperator


def network_back(context):
    request = urllib.request.Request(
        os.environ["CAPELLA_EMULATOR_URL"] + "/_emulator/faults",
        data=json.dumps({"fault_drop_rate": 0.0}).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()


with DAG("repeat_crash_retry", schedule=None, params={"weeks": 3}) as dag:
    CreateRepeatRequestOperator(
        task_id="create",
        geometry={"type": "Point", "coordinates": [4.05, 51.95]},
        name="weekly {{ ds }}",
        repeat_start="{{ logical_date | ts }}",
        repetition_interval=7,
        repetition_count="{{ params.weeks }}",
        request_options='{"look_angle_tolerance": 5}',
        retries=1,
        retry_delay=timedelta(0),
        on_retry_callback=network_back,
    )
"""


def test_a_retried_repeat_request_create_reuses_the_first_tries_request(
    airflow_run: Any, capella_emulator: Any, capella_connection: Any
) -> None:
    capella_connection(console_url="https://console.example.test/")
    capella_emulator.set_faults(fault_drop_rate=1.0, scope="api")

    run = airflow_run("repeat_crash_retry", CRASH_AND_RETRY)

    assert run.states == {"create": "success"}
    assert len(posts_to(capella_emulator, "/repeat-requests")) == 1
    repeats = CapellaHook().search_repeat_requests()
    assert len(repeats) == 1
    created = repeats[0]["properties"]
    assert run.xcom("create") == created["repeatrequestId"]
    assert created["repeatrequestDescription"].startswith("[airflow:")
    assert created["repetitionProperties"]["repetitionCount"] == 3
    assert created["repetitionProperties"]["repeatStart"].startswith("2024-03-01T00:00:00")
    assert created["repetitionProperties"]["lookAngleTolerance"] == 5
    assert run.xcom("create", key="_link_CapellaRepeatRequestLink") == (
        f"https://console.example.test/repeat-requests/{created['repeatrequestId']}"
    )


CANCEL_AND_UPDATE = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.repeat import (
    CancelRepeatRequestsOperator, UpdateRepeatRequestsOperator,
)

with DAG("repeat_cancel_update", schedule=None) as dag:
    update = UpdateRepeatRequestsOperator(
        task_id="update", repeat_request_ids="{{ var.json.ids }}", description="monthly {{ ds }}",
        fail_on_error=False,
    )
    cancel = CancelRepeatRequestsOperator(task_id="cancel", repeat_request_ids="{{ var.json.ids }}")
    update >> cancel
"""


def test_repeat_requests_are_updated_and_canceled_per_id(airflow_run: Any, monkeypatch: Any) -> None:
    hook = CapellaHook()
    repeat = hook.create_repeat_request(geometry=POINT, name="r", repetition_count=500)
    repeat_id = repeat["properties"]["repeatrequestId"]
    deadline = time.monotonic() + 15
    while hook.get_repeat_request(repeat_id)["properties"]["statusHistory"][0]["code"] != "review":
        assert time.monotonic() < deadline, "the repeat request never reached review"
        time.sleep(0.02)
    hook.approve_repeat_request(repeat_id)
    while hook.get_repeat_request(repeat_id)["properties"]["statusHistory"][0]["code"] != "active":
        assert time.monotonic() < deadline, "the repeat request never became active (cancellable)"
        time.sleep(0.02)
    unknown = str(uuid.uuid4())
    monkeypatch.setenv("AIRFLOW_VAR_IDS", f'["{repeat_id}", "{unknown}"]')

    run = airflow_run("repeat_cancel_update", CANCEL_AND_UPDATE)

    assert run.states == {"update": "success", "cancel": "failed"}
    assert run.xcom("update")[repeat_id] == {"success": True}
    assert run.xcom("update")[unknown]["success"] is False
    repeat = hook.get_repeat_request(repeat_id)["properties"]
    assert repeat["repeatrequestDescription"] == "monthly 2024-03-01"
    assert repeat["statusHistory"][0]["code"] == "canceled"
