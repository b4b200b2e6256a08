"""A human approval's pieces: read a tasking request's quote; approve or reject a tasking or repeat one."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_capella import lineage
from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads.costs import optional_cost_limit
from airflow_provider_capella.lineage.describe import describe_request_cost
from airflow_provider_capella.operators._base import CapellaBaseOperator
from airflow_provider_capella.operators._kinds import REPEAT, TASKING, RequestKind
from airflow_provider_capella.operators._review import ReviewingOperator, fail
from airflow_provider_capella.tasking_status import latest_status

if TYPE_CHECKING:
    from datetime import timedelta

    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context, XComArg

APPROVED_ALREADY = frozenset({"submitted", "accepted", "active", "completed", "retrying", "anomaly"})


class TaskingQuoteOperator(ReviewingOperator):
    """Wait until a tasking request has its quote; return it without approving anything.

    A quote above ``max_cost`` (or unreadable) rejects the request and fails the task, so no one is asked.

    :param tasking_request_id: the tasking request, created without pre-approval (templated).
    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param max_cost: the ceiling, in the quote's currency (``None``: none).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between checks (default 30).
    :param timeout: the most seconds (or a timedelta) to wait for the quote (default 1 hour).

    Example::

        TaskingQuoteOperator(task_id="quote", tasking_request_id=create.output, deferrable=True)
    """

    template_fields = ("capella_conn_id", "tasking_request_id", "max_cost")

    def __init__(self, *, tasking_request_id: str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasking_request_id: str = tasking_request_id  # type: ignore[assignment]

    @lineage.records
    def execute(self, context: Context) -> dict[str, Any]:
        optional_cost_limit("max_cost", self.max_cost)
        request_id = checks.uuid_text("tasking_request_id", self.tasking_request_id)
        self.wait_for_quote(request_id)
        return self.quote(request_id)

    @lineage.records
    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        return self.quote(self.resumed(event))

    def quote(self, request_id: str) -> dict[str, Any]:
        """Return the quote and where the request stands; approve nothing (reject above ``max_cost``)."""
        self.lineage.tasking_request_id = request_id
        request = self.hook.get_task(tasking_request_id=request_id)
        status = latest_status(request)
        quote, error = self.verdict(request, self.cost_limits())
        if error is not None:
            if status == "review":
                self.hook.reject_tasking_request(tasking_request_id=request_id)
            fail(f"{error}; tasking request {request_id} is {status}", error)
        self.lineage.set_cost(quote.text, "quoted")
        self.log.info("Tasking request %s is %s, quoted at %s", request_id, status, quote.text)
        return dict(tasking_request_id=request_id, status=status, quote=quote.text, amount=quote.amount)


class ReviewDecisionOperator(CapellaBaseOperator):
    """Approve or reject (``action``) the ``<kind>_request_id`` request unless an earlier try already did."""

    kind: ClassVar[RequestKind] = TASKING
    action: ClassVar[str] = "approve"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.template_fields = ("capella_conn_id", f"{cls.kind.name}_request_id")

    @lineage.records
    def execute(self, context: Context) -> str:
        kind, argument = self.kind, f"{self.kind.name}_request_id"
        request_id = checks.uuid_text(argument, getattr(self, argument))
        self.push(context, kind.id_xcom_key, request_id)
        status = latest_status(kind.call_on(self.hook, "get", request_id))
        done = APPROVED_ALREADY if self.action == "approve" else frozenset({"rejected"})
        subject = f"{kind.label.capitalize()} {request_id}"
        if status in done:
            self.log.info("%s is already %s; nothing to %s", subject, status, self.action)
            return request_id
        if status != "review":
            fail(f"{subject} is {status}, not in review: cannot {self.action} it")
        kind.call_on(self.hook, self.action, request_id)
        self.log.info("%s: %s", subject, "approved" if self.action == "approve" else "rejected")
        return request_id

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        return lineage.facets_on_complete(self, describe_request_cost)


class ApproveTaskingRequestOperator(ReviewDecisionOperator):
    """Approve a tasking request in review at its quote (billable from here on); return its id.

    Already approved is done; not in review, or above ``[capella] max_tasking_cost``, fails the task.

    :param tasking_request_id: the tasking request in review (templated).
    :param capella_conn_id: the Capella connection (default ``capella_default``).

    Example::

        ApproveTaskingRequestOperator(task_id="approve", tasking_request_id=create.output)
    """

    kind, action = TASKING, "approve"

    def __init__(self, *, tasking_request_id: str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasking_request_id = tasking_request_id


class RejectTaskingRequestOperator(ReviewDecisionOperator):
    """Reject a tasking request in review (it ends ``rejected``; nothing is charged); return its id.

    :param tasking_request_id: the tasking request in review (templated); one already rejected is done.
    :param capella_conn_id: the Capella connection (default ``capella_default``).

    Example::

        RejectTaskingRequestOperator(task_id="reject_at_capella", tasking_request_id=create.output)
    """

    kind, action = TASKING, "reject"

    def __init__(self, *, tasking_request_id: str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasking_request_id = tasking_request_id


class ApproveRepeatRequestOperator(ReviewDecisionOperator):
    """Approve a repeat request in review at its per-image quote (each derived collect is billable).

    :param repeat_request_id: the series in review (templated, e.g. ``create.output``).
    :param capella_conn_id: the Capella connection (default ``capella_default``).

    Example::

        ApproveRepeatRequestOperator(task_id="approve", repeat_request_id="{{ ti.xcom_pull('repeat') }}")
    """

    kind, action = REPEAT, "approve"

    def __init__(self, *, repeat_request_id: str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repeat_request_id = repeat_request_id


class RejectRepeatRequestOperator(ReviewDecisionOperator):
    """Reject a repeat request in review: it ends ``rejected``, nothing is derived or charged.

    :param repeat_request_id: the repeat request in review (templated).
    :param capella_conn_id: the Capella connection (default ``capella_default``).

    Example::

        RejectRepeatRequestOperator(task_id="decline", repeat_request_id=rid, trigger_rule="all_skipped")
    """

    kind, action = REPEAT, "reject"

    def __init__(self, *, repeat_request_id: str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repeat_request_id = repeat_request_id


def hitl_response_timeout(timeout: timedelta) -> dict[str, timedelta]:
    """Return ``{"response_timeout": timeout}``, or ``execution_timeout`` on Airflow 3.1.0's ``HITLOperator``.

    :param timeout: how long a person has to answer.

    Example::

        HITLBranchOperator(task_id="approve", options=["Yes", "No"], subject="Approve?",
                           **hitl_response_timeout(timedelta(hours=23)))
    """
    from airflow.providers.standard.operators.hitl import HITLOperator  # lazy: only DAGs with a person

    if "response_timeout" in inspect.signature(HITLOperator.__init__).parameters:
        return {"response_timeout": timeout}
    return {"execution_timeout": timeout}
