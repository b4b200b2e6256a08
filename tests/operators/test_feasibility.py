"""CheckFeasibilityOperator in real Airflow runs against the emulator: the summary, deferral, and what
happens to downstream tasks when the target cannot be imaged (fail, skip or carry on)."""

from __future__ import annotations

from typing import Any

FEASIBILITY = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow_provider_capella.operators.feasibility import CheckFeasibilityOperator

ROTTERDAM = {"type": "Point", "coordinates": [4.05, 51.95]}
WINDOW = {
    "window_open": "{{ macros.datetime.utcnow().isoformat() }}Z",
    "window_close": "{{ (macros.datetime.utcnow() + macros.timedelta(days=3)).isoformat() }}Z",
}
FAST = {"poll_interval": 0.05, "timeout": 60, "geometry": "{{ params.aoi | tojson }}", **WINDOW}
# the 45 degree plane never reaches 52 degrees North
OUT_OF_REACH = {"orbital_planes": [45]}

with DAG("feasibility", schedule=None, params={"aoi": ROTTERDAM}) as dag:
    feasible = CheckFeasibilityOperator(task_id="feasible", constraints={"off_nadir_max": 45}, **FAST)
    deferred = CheckFeasibilityOperator(task_id="deferred", deferrable=True, **FAST)
    skip = CheckFeasibilityOperator(task_id="skip", constraints=OUT_OF_REACH, skip_if_infeasible=True,
                                    deferrable=True, **FAST)
    fail = CheckFeasibilityOperator(task_id="fail", constraints='{"orbital_planes": [45]}', **FAST)
    carry_on = CheckFeasibilityOperator(task_id="carry_on", constraints=OUT_OF_REACH,
                                        on_infeasible="succeed", **FAST)
    backwards = CheckFeasibilityOperator(task_id="backwards", window_open="2031-01-02T00:00:00Z",
                                         window_close="2031-01-01T00:00:00Z", geometry=ROTTERDAM)
    feasible >> EmptyOperator(task_id="after_feasible")
    skip >> EmptyOperator(task_id="after_skip")
    fail >> EmptyOperator(task_id="after_fail")
    carry_on >> EmptyOperator(task_id="after_carry_on")
"""


def test_summary_deferral_and_each_choice_when_infeasible(airflow_run: Any, capella_emulator: Any) -> None:
    # access requests are processed two steps after creation: long enough that a deferrable task defers
    capella_emulator.settings(tasking_step_seconds=0.5)

    run = airflow_run("feasibility", FEASIBILITY)

    assert run.states == {
        "feasible": "success",
        "after_feasible": "success",
        "deferred": "success",
        "skip": "skipped",
        "after_skip": "skipped",
        "fail": "failed",
        "after_fail": "upstream_failed",
        "carry_on": "success",
        "after_carry_on": "success",
        "backwards": "failed",
    }
    summary = run.xcom("feasible")
    assert summary["feasible"] is True
    assert summary["count"] > 0
    assert summary["first_window"]["open"] <= summary["last_window"]["open"]
    low, high = summary["off_nadir_range"]
    assert 0 <= low <= high <= 45
    assert set(summary["orbital_planes"]) <= {53, 97}
    assert summary["access_request_id"] == run.xcom("feasible", key="capella_access_request_id")
    assert run.xcom("deferred")["count"] > 0
    assert run.xcom("carry_on")["count"] == 0
    assert run.xcom("carry_on")["accessibility_status"] == "inaccessible"

    deferred_id = run.xcom("deferred", key="capella_access_request_id")
    polls = capella_emulator.requests(path=f"/ma/accessrequests/{deferred_id}", method="GET")
    assert any("(triggerer)" in entry["headers"].get("user-agent", "") for entry in polls), "not deferred"
    creates = [
        entry for entry in capella_emulator.requests(method="POST") if entry["path"] == "/ma/accessrequests"
    ]
    assert len(creates) == 5, "the backwards window was refused before anything was sent"
