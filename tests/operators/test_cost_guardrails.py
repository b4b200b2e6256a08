"""Cost guardrails in real Airflow runs against the emulator: tasking and repeat requests approved only
within the limit (rejected otherwise), orders placed only within the limit, bad limits refused before
anything is sent, and a retry that never approves twice.

Requests are created without pre-approval, so they wait in ``review`` as the real API's do. The
emulator quotes $3,000.00 per spotlight image (standard or routine tier) and $500 per GEO product.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.tasking_status import latest_status
from tests.operators.conftest import posts_to

COST_GUARD = """
from datetime import timedelta
from airflow.sdk import DAG
from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.repeat import CreateRepeatRequestOperator
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator

AOI = {"type": "Point", "coordinates": [4.05, 51.95]}
FAST = {"poll_interval": 0.05, "timeout": 60, "geometry": AOI}


class CrashingHook(CapellaHook):
    # the worker dies right after the approval reached Capella, on the first try only
    def approve_tasking_request(self, tasking_request_id):
        import os

        super().approve_tasking_request(tasking_request_id=tasking_request_id)
        marker = os.path.join(os.environ["AIRFLOW_HOME"], "crashed-" + tasking_request_id)
        if not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("worker lost right after approving")


class CrashAfterApproving(CreateTaskingRequestOperator):
    def new_hook(self):
        return CrashingHook(capella_conn_id=self.capella_conn_id)


with DAG("cost_guard", schedule=None) as dag:
    CreateTaskingRequestOperator(task_id="within", name="within", max_cost=3000, **FAST)
    CreateTaskingRequestOperator(task_id="above", name="above", max_cost="2999.99", **FAST)
    CreateTaskingRequestOperator(task_id="deferred", name="deferred", max_cost=5000, deferrable=True, **FAST)
    CrashAfterApproving(task_id="retried", name="retried", max_cost=3000, retries=1,
                        retry_delay=timedelta(0), **FAST)
    CreateTaskingRequestOperator(task_id="pre_approved", name="pre", max_cost=10, pre_approval=True, **FAST)
    CreateTaskingRequestOperator(task_id="negative", name="negative", max_cost="-5", **FAST)
    CreateRepeatRequestOperator(task_id="series_within", name="series within", repetition_count=3,
                                max_cost_per_image=3000, max_cost=9000, **FAST)
    CreateRepeatRequestOperator(task_id="series_above", name="series above", repetition_count=3,
                                max_cost=8999, **FAST)
    CreateRepeatRequestOperator(task_id="open_ended", name="open", max_cost=9000, **FAST)
    CreateRepeatRequestOperator(task_id="open_per_image", name="open per image",
                                max_cost_per_image=3000, **FAST)
    SubmitOrderOperator(task_id="order_within", stac_ids="{{ var.json.two_geo | tojson }}", max_cost=1000)
    SubmitOrderOperator(task_id="order_above", stac_ids="{{ var.json.three_geo | tojson }}", max_cost="999")
    SubmitOrderOperator(task_id="order_bad_limit", stac_ids="{{ var.json.two_geo | tojson }}",
                        max_cost="plenty")
"""


def by_name(features: list[dict[str, Any]], field: str) -> dict[str, dict[str, Any]]:
    return {feature["properties"][field]: feature for feature in features}


def status_patches(emulator: Any, path: str) -> list[dict[str, Any]]:
    return [entry for entry in emulator.requests(method="PATCH") if entry["path"] == f"{path}/status"]


def test_requests_and_orders_are_approved_or_placed_only_within_their_limits(
    airflow_run: Any, capella_emulator: Any, monkeypatch: Any
) -> None:
    hook = CapellaHook()
    geo = hook.search(ownership="availableForPurchase", product_type="GEO", limit=5, ids_only=True)
    monkeypatch.setenv("AIRFLOW_VAR_TWO_GEO", f'["{geo[0]}", "{geo[1]}"]')
    monkeypatch.setenv("AIRFLOW_VAR_THREE_GEO", f'["{geo[2]}", "{geo[3]}", "{geo[4]}"]')
    # a second before each quote: long enough that the deferrable task surely defers
    capella_emulator.settings(tasking_step_seconds=1.0)

    run = airflow_run("cost_guard", COST_GUARD)

    assert run.states == {
        "within": "success",
        "above": "failed",
        "deferred": "success",
        "retried": "success",
        "pre_approved": "failed",
        "negative": "failed",
        "series_within": "success",
        "series_above": "failed",
        "open_ended": "failed",
        "open_per_image": "success",
        "order_within": "success",
        "order_above": "failed",
        "order_bad_limit": "failed",
    }
    tasks = by_name(hook.search_tasking_requests(), "taskingrequestName")
    assert set(tasks) == {"within", "above", "deferred", "retried"}, "bad limits sent nothing"
    for name in ("within", "deferred", "retried"):
        task = hook.get_task(tasks[name]["properties"]["taskingrequestId"])
        assert latest_status(task) not in ("review", "rejected"), name
        assert run.xcom(name) == task["properties"]["taskingrequestId"]
    retried = tasks["retried"]["properties"]["taskingrequestId"]
    assert (Path(os.environ["AIRFLOW_HOME"]) / f"crashed-{retried}").exists(), "the first try crashed"
    deferred = tasks["deferred"]["properties"]["taskingrequestId"]
    polls = capella_emulator.requests(path=f"/task/{deferred}", method="GET")
    assert any("(triggerer)" in entry["headers"].get("user-agent", "") for entry in polls), "not deferred"
    above = tasks["above"]["properties"]["taskingrequestId"]
    assert latest_status(hook.get_task(above)) == "rejected"
    for name in ("within", "above", "deferred", "retried"):
        task_id = tasks[name]["properties"]["taskingrequestId"]
        assert len(status_patches(capella_emulator, f"/task/{task_id}")) == 1, f"{name}: one decision only"

    repeats = by_name(hook.search_repeat_requests(), "repeatrequestName")
    assert set(repeats) == {"series within", "series above", "open per image"}
    series_within = hook.get_repeat_request(repeats["series within"]["properties"]["repeatrequestId"])
    assert latest_status(series_within) not in ("review", "rejected")
    series_above = hook.get_repeat_request(repeats["series above"]["properties"]["repeatrequestId"])
    assert latest_status(series_above) == "rejected"

    assert len(posts_to(capella_emulator, "/orders")) == 1, "only the order within its limit was placed"
    assert run.xcom("order_within")


# The emulator option approves the request one step after review by itself, like a person approving
# it in the console before the task looked.
@pytest.mark.capella_emulator(auto_approve_review=True)
def test_a_quote_approved_elsewhere_above_the_limit_fails_without_approving_again(
    airflow_run: Any, capella_emulator: Any
) -> None:
    source = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator

with DAG("cost_guard_auto", schedule=None) as dag:
    CreateTaskingRequestOperator(task_id="late", name="late", max_cost=100, poll_interval=1.0,
                                 geometry={"type": "Point", "coordinates": [4.05, 51.95]})
"""
    capella_emulator.settings(tasking_step_seconds=0.001)  # out of review 2 ms after creation

    run = airflow_run("cost_guard_auto", source)

    assert run.states == {"late": "failed"}
    assert capella_emulator.requests(method="PATCH") == []
