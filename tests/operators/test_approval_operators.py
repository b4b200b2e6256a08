"""The approval operators (``TaskingQuoteOperator``, ``ApproveTaskingRequestOperator``,
``RejectTaskingRequestOperator``) run directly in real Airflow runs, no human-in-the-loop operator
between them, so they run on every supported Airflow version.

Requests are created without pre-approval, so they wait in ``review`` as the real API's do; the
emulator quotes $3,000.00 for one spotlight image.
"""

from __future__ import annotations

import time
from typing import Any

from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.tasking_status import latest_status

AOI = {"type": "Point", "coordinates": [4.05, 51.95]}

APPROVAL = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.approval import (
    ApproveTaskingRequestOperator, RejectTaskingRequestOperator, TaskingQuoteOperator,
)

FAST = {"poll_interval": 0.05, "timeout": 60}

with DAG("approval_operators", schedule=None) as dag:
    quote = TaskingQuoteOperator(task_id="quote_approved", tasking_request_id="{{ var.value.to_approve }}",
                                 max_cost=3000, **FAST)
    quote >> ApproveTaskingRequestOperator(task_id="approve", tasking_request_id="{{ var.value.to_approve }}")
    quote = TaskingQuoteOperator(task_id="quote_rejected", tasking_request_id="{{ var.value.to_reject }}",
                                 **FAST)
    quote >> RejectTaskingRequestOperator(task_id="reject", tasking_request_id="{{ var.value.to_reject }}")
    TaskingQuoteOperator(task_id="quote_above", tasking_request_id="{{ var.value.too_dear }}",
                         max_cost="2999.99", **FAST)
    ApproveTaskingRequestOperator(task_id="approve_finished", tasking_request_id="{{ var.value.finished }}")
    ApproveTaskingRequestOperator(task_id="approve_completed", tasking_request_id="{{ var.value.completed }}")
"""


def status_patches(emulator: Any, request_id: str) -> list[dict[str, Any]]:
    path = f"/task/{request_id}/status"
    return [entry for entry in emulator.requests(method="PATCH") if entry["path"] == path]


def create(hook: CapellaHook, name: str, **arguments: Any) -> str:
    task = hook.create_tasking_request(geometry=AOI, name=name, **arguments)
    return task["properties"]["taskingrequestId"]


def wait_until(hook: CapellaHook, request_id: str, status: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while (current := latest_status(hook.get_task(request_id))) != status:
        assert time.monotonic() < deadline, f"{request_id} still {current}, never {status}"
        time.sleep(0.05)


def test_quote_then_approve_or_reject_and_refusals(
    airflow_run: Any, capella_emulator: Any, monkeypatch: Any, capfd: Any
) -> None:
    hook = CapellaHook()
    ids = {
        "to_approve": create(hook, "approve"),
        "to_reject": create(hook, "reject"),
        "too_dear": create(hook, "too dear"),
        "finished": create(hook, "finished emulator:rejected"),
        "completed": create(hook, "completed", pre_approval=True),
    }
    for key, request_id in ids.items():
        monkeypatch.setenv(f"AIRFLOW_VAR_{key.upper()}", request_id)
    wait_until(hook, ids["finished"], "rejected")
    wait_until(hook, ids["completed"], "completed")
    capella_emulator.clear_requests()
    capfd.readouterr()

    run = airflow_run("approval_operators", APPROVAL)
    out, err = capfd.readouterr()

    assert run.states == {
        "quote_approved": "success",
        "approve": "success",
        "quote_rejected": "success",
        "reject": "success",
        "quote_above": "failed",
        "approve_finished": "failed",
        "approve_completed": "success",
    }
    # the quote as a user reads it from XCom
    assert run.xcom("quote_approved") == {
        "tasking_request_id": ids["to_approve"],
        "status": "review",
        "quote": "$3,000.00",
        "amount": 3000.0,
    }
    assert run.xcom("quote_rejected")["tasking_request_id"] == ids["to_reject"]
    assert run.xcom("quote_rejected")["quote"] == "$3,000.00"
    assert run.xcom("approve") == ids["to_approve"]
    assert run.xcom("reject") == ids["to_reject"]

    # approved: out of review, the decision sent exactly once
    assert latest_status(hook.get_task(ids["to_approve"])) not in ("review", "rejected")
    (approval,) = status_patches(capella_emulator, ids["to_approve"])
    assert approval["status"] == 200
    # rejected: ends rejected, nothing ordered or charged for it
    assert latest_status(hook.get_task(ids["to_reject"])) == "rejected"
    assert len(status_patches(capella_emulator, ids["to_reject"])) == 1
    assert hook.list_orders() == []
    # above max_cost: the quote task fails and rejects at Capella, no one is asked to approve
    assert run.xcom("quote_above") is None
    assert latest_status(hook.get_task(ids["too_dear"])) == "rejected"
    assert len(status_patches(capella_emulator, ids["too_dear"])) == 1
    # a finished request is not approved: the task fails, naming its status, without sending a decision
    assert f"Tasking request {ids['finished']} is rejected, not in review: cannot approve it" in out + err
    assert status_patches(capella_emulator, ids["finished"]) == []
    assert latest_status(hook.get_task(ids["finished"])) == "rejected"
    # an already approved (here completed) request counts as done: nothing sent again
    assert status_patches(capella_emulator, ids["completed"]) == []
    assert run.xcom("approve_completed") == ids["completed"]


REPEAT_APPROVAL = """
from datetime import timedelta
from airflow.sdk import DAG
from airflow_provider_capella.operators.approval import (
    ApproveRepeatRequestOperator, RejectRepeatRequestOperator,
)

RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=0)}

with DAG("repeat_approval", schedule=None) as dag:
    ApproveRepeatRequestOperator(task_id="approve", repeat_request_id="{{ var.value.to_approve }}", **RETRIES)
    # mapped, as a DAG rejecting a list of requests would be: the id is a real argument of the class
    RejectRepeatRequestOperator.partial(task_id="reject", **RETRIES).expand(
        repeat_request_id=["{{ var.value.to_reject }}"]
    )
    ApproveRepeatRequestOperator(task_id="approve_rejected", repeat_request_id="{{ var.value.rejected }}",
                                 **RETRIES)
"""


def test_repeat_requests_are_approved_or_rejected_and_a_rejected_one_is_not_approved(
    airflow_run: Any, capella_emulator: Any, monkeypatch: Any, capfd: Any
) -> None:
    from tests.triggers.support import create_repeat, reject_repeat, repeat_in_review

    hook = CapellaHook()
    ids = {key: create_repeat(capella_emulator, held=True) for key in ("to_approve", "to_reject", "rejected")}
    for key, request_id in ids.items():
        monkeypatch.setenv(f"AIRFLOW_VAR_{key.upper()}", request_id)
        repeat_in_review(capella_emulator, request_id)
    reject_repeat(capella_emulator, ids["rejected"])
    capfd.readouterr()

    run = airflow_run("repeat_approval", REPEAT_APPROVAL)
    out, err = capfd.readouterr()

    assert run.states == {"approve": "success", "reject[0]": "success", "approve_rejected": "failed"}
    assert run.xcom("approve") == ids["to_approve"]
    assert latest_status(hook.get_repeat_request(ids["to_approve"])) not in ("review", "rejected")
    assert latest_status(hook.get_repeat_request(ids["to_reject"])) == "rejected"
    rejected = ids["rejected"]
    assert (
        f"AirflowFailException: Repeat request {rejected} is rejected, not in review: cannot approve it"
        in (out + err)
    )
    patches = [entry for entry in capella_emulator.requests(method="PATCH") if rejected in entry["path"]]
    assert len(patches) == 1  # the test's own rejection: the operator sent nothing, and was not retried
