"""Errors no retry can fix fail the task at once, without spending its retries; transient ones are retried.

Each DAG gives its tasks ``retries=2``: a refused key, a request the API rejects as invalid, an unknown id
or a cost limit must not be tried again, while a 503 that outlasts the connection's retry policy is.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.operators.conftest import FAST_RETRIES

RETRIES = "retries=2, retry_delay=timedelta(seconds=0)"

REFUSED = f"""
from datetime import timedelta
from airflow.sdk import DAG
from airflow_provider_capella.operators.approval import ApproveRepeatRequestOperator
from airflow_provider_capella.operators.search import CapellaSearchOperator
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator

with DAG("refused", schedule=None) as dag:
    CapellaSearchOperator(task_id="wrong_key", collections=["capella-geo"], limit=1,
                          capella_conn_id="capella_wrong_key", {RETRIES})
    CreateTaskingRequestOperator(task_id="invalid", name="x",
                                 geometry={{"type": "Point", "coordinates": [500, 0]}},
                                 request_options={{"pre_approval": True}}, {RETRIES})
    ApproveRepeatRequestOperator(task_id="unknown", repeat_request_id="00000000-0000-4000-8000-000000000000",
                                 {RETRIES})
"""


def test_a_refused_key_an_invalid_request_and_an_unknown_id_fail_on_the_first_try(
    airflow_run: Any,
    capella_emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    wrong = json.loads(capella_emulator.airflow_connection(**FAST_RETRIES))
    wrong["password"] = "not-the-key"
    monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_WRONG_KEY", json.dumps(wrong))
    capella_emulator.clear_requests()
    capfd.readouterr()

    run = airflow_run("refused", REFUSED)

    assert run.states == {"wrong_key": "failed", "invalid": "failed", "unknown": "failed"}
    out, err = capfd.readouterr()
    failures = re.findall(r"AirflowFailException: (.*)$", out + err, re.MULTILINE)
    assert any("[401, INVALID_API_KEY]" in failure for failure in failures), failures
    assert any("invalid argument `geometry`" in failure or "geometry" in failure for failure in failures), (
        failures
    )
    assert any("[404" in failure for failure in failures), failures
    assert "not-the-key" not in out + err
    # one try each: the 401 search is sent once (no retry policy, no task retry); nothing else reached the API
    assert len(capella_emulator.requests(path="/catalog/search", method="POST")) == 1
    assert len(capella_emulator.requests(path="/repeat-requests/", method="GET")) == 1


TRANSIENT = f"""
from datetime import timedelta
from airflow.sdk import DAG
from airflow_provider_capella.operators.search import CapellaSearchOperator

with DAG("transient", schedule=None) as dag:
    CapellaSearchOperator(task_id="search", collections=["capella-geo"], limit=1, {RETRIES})
"""


def test_a_server_error_that_outlasts_the_retry_policy_is_retried_by_the_task(
    airflow_run: Any, capella_emulator: Any
) -> None:
    attempts_per_try = FAST_RETRIES["max_retries"] + 1
    capella_emulator.clear_requests()
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=attempts_per_try)  # the first try only

    run = airflow_run("transient", TRANSIENT)

    assert run.states == {"search": "success"}
    statuses = [entry["status"] for entry in capella_emulator.requests(path="/catalog/search", method="POST")]
    assert statuses == [503] * attempts_per_try + [200]
    assert len(run.xcom("search")) == 1
