"""Each operator kind meeting an API failure in a real Airflow run, as a user sees it: the task fails,
its error (in the ``dag.test()`` output) names the API's status or code, and nothing billable is sent
twice. The connection retries fast (``FAST_RETRIES``: ``max_retries=2``)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from airflow_provider_capella.hooks.capella import CapellaHook
from tests.operators.conftest import FAST_RETRIES, posts_to

AOI = '{"type": "Point", "coordinates": [4.05, 51.95]}'


def errors(output: str, exception: str) -> list[str]:
    """The messages of the ``exception`` lines in a run's output (``dag.test()`` prints task logs)."""
    pattern = re.compile(rf"\b{exception}: (.*)$")
    return [match.group(1) for line in output.splitlines() if (match := pattern.search(line))]


def output(capfd: pytest.CaptureFixture[str]) -> str:
    out, err = capfd.readouterr()
    return out + err


def logged(emulator: Any) -> list[tuple[str, str, int]]:
    return [(entry["method"], entry["path"], entry["status"]) for entry in emulator.requests()]


WRONG_KEY = f"""
from airflow.sdk import DAG
from airflow_provider_capella.operators.download import DownloadProductsOperator
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.search import CapellaSearchOperator
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator

WRONG = {{"capella_conn_id": "capella_wrong_key"}}

with DAG("wrong_key", schedule=None) as dag:
    CapellaSearchOperator(task_id="search", collections=["capella-geo"], limit=1, **WRONG)
    SubmitOrderOperator(task_id="order", stac_ids="{{{{ var.json.geo | tojson }}}}", **WRONG)
    CreateTaskingRequestOperator(task_id="tasking", name="wrong key", geometry={AOI}, **WRONG)
    DownloadProductsOperator(task_id="download", items="{{{{ var.json.geo | tojson }}}}",
                             destination="{{{{ var.value.destination }}}}", **WRONG)
"""


def test_a_wrong_api_key_fails_each_operator_kind_once_without_paying(
    airflow_run: Any,
    capella_emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capfd: pytest.CaptureFixture[str],
) -> None:
    wrong = json.loads(capella_emulator.airflow_connection(**FAST_RETRIES))
    wrong["password"] = "not-the-key"
    monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_WRONG_KEY", json.dumps(wrong))
    hook = CapellaHook()  # capella_default: the right key
    geo = hook.search(ownership="availableForPurchase", product_type="GEO", limit=1, ids_only=True)
    monkeypatch.setenv("AIRFLOW_VAR_GEO", json.dumps(geo))
    monkeypatch.setenv("AIRFLOW_VAR_DESTINATION", str(tmp_path))
    capella_emulator.clear_requests()
    capfd.readouterr()

    run = airflow_run("wrong_key", WRONG_KEY)

    assert run.states == {"search": "failed", "order": "failed", "tasking": "failed", "download": "failed"}
    failures = errors(output(capfd), "CapellaAuthenticationError")
    assert len(failures) == 4, failures
    assert all(failure.endswith("[401, INVALID_API_KEY]") for failure in failures), failures
    log = logged(capella_emulator)
    # one request per task, each answered 401: no retry of the 401, nothing placed or created
    assert len(log) == 4, log
    assert {status for _, _, status in log} == {401}
    assert not any(method == "POST" and path.startswith("/orders") for method, path, _ in log)
    assert hook.list_orders() == []
    assert hook.search_tasking_requests() == []
    assert list(tmp_path.iterdir()) == [], "nothing downloaded"


UNAVAILABLE = f"""
from airflow.sdk import DAG
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.search import CapellaSearchOperator
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator

with DAG("unavailable", schedule=None) as dag:
    CapellaSearchOperator(task_id="search", collections=["capella-geo"], limit=1)
    # straight to the billable POST: no active-order check, search or review before it
    SubmitOrderOperator(task_id="order", items="{{{{ var.json.items | tojson }}}}",
                        check_active_orders=False, omit_search=True, omit_review=True)
    CreateTaskingRequestOperator(task_id="tasking", name="unavailable", geometry={AOI})
"""


def test_a_5xx_outlasting_the_retries_fails_the_search_and_no_billable_post_is_resent(
    airflow_run: Any,
    capella_emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    hook = CapellaHook()
    items = hook.search(ownership="availableForPurchase", product_type="GEO", limit=1)
    monkeypatch.setenv("AIRFLOW_VAR_ITEMS", json.dumps(items))
    capella_emulator.clear_requests()
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=1000)  # down for the whole run
    capfd.readouterr()

    run = airflow_run("unavailable", UNAVAILABLE)

    capella_emulator.set_faults(fail_next_count=0)
    assert run.states == {"search": "failed", "order": "failed", "tasking": "failed"}
    searches = capella_emulator.requests(path="/catalog/search", method="POST")
    assert len(searches) == FAST_RETRIES["max_retries"] + 1
    assert len(posts_to(capella_emulator, "/orders")) == 1, "a submitted order is never re-sent"
    assert len(posts_to(capella_emulator, "/task")) == 1, "a tasking request is never re-sent"
    assert {entry["status"] for entry in capella_emulator.requests()} == {503}
    text = output(capfd)
    (search_failure,) = errors(text, "CapellaServerError")
    assert "/catalog/search: 503" in search_failure and search_failure.endswith("[503, GENERAL_API_ERROR]")
    # a billable POST without an answer: the error says it may have been created and was not re-sent
    order_failure, tasking_failure = sorted(errors(text, "CapellaAmbiguousCreateError"))
    assert order_failure.startswith("POST ") and "/orders failed ambiguously (HTTP 503)" in order_failure
    assert "/task failed ambiguously (HTTP 503)" in tasking_failure
    assert all("NOT retried" in failure for failure in (order_failure, tasking_failure))


REJECTED = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.sensors.tasking import TaskCompletedSensor

with DAG("rejected", schedule=None) as dag:
    SubmitOrderOperator(task_id="order", stac_ids="{{ var.json.geo | tojson }}",
                        contract_id="reject-orders")
    TaskCompletedSensor(task_id="wait", tasking_request_id="{{ var.value.rejected }}",
                        poke_interval=0.05, timeout=60)
"""


def test_a_rejected_order_and_a_rejected_tasking_request_fail_their_tasks(
    airflow_run: Any,
    capella_emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    hook = CapellaHook()
    geo = hook.search(ownership="availableForPurchase", product_type="GEO", limit=1, ids_only=True)
    monkeypatch.setenv("AIRFLOW_VAR_GEO", json.dumps(geo))
    task = hook.create_tasking_request(geometry=json.loads(AOI), name="refused emulator:rejected")
    monkeypatch.setenv("AIRFLOW_VAR_REJECTED", task["properties"]["taskingrequestId"])
    capfd.readouterr()

    run = airflow_run("rejected", REJECTED)

    assert run.states == {"order": "failed", "wait": "failed"}
    assert len(posts_to(capella_emulator, "/orders")) == 1
    text = output(capfd)
    (order_failure,) = errors(text, "CapellaOrderRejectedError")
    assert order_failure.endswith("was rejected [ORDER_REJECTED]"), order_failure
    request_id = task["properties"]["taskingrequestId"]
    history = hook.get_task(request_id)["properties"]["statusHistory"]
    message = next(event["message"] for event in history if event["code"] == "rejected")
    failures = errors(text, "AirflowFailException")  # neither is retried: a rejection will not change
    assert f"Tasking request {request_id} is rejected: {message}" in failures
    assert any(
        failure.endswith("(not retried: a CapellaOrderRejectedError is not transient)")
        for failure in failures
    )
