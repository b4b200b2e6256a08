"""Approve or reject a tasking request in review, and read its quote: the pieces of a human approval.

With one of Airflow's human-in-the-loop operators (standard provider, Airflow 3.1+) between them, a
person approves the quote before Capella is told (see ``capella_tasking_with_approval.py``).

Example::

    from airflow_provider_capella.operators.approval import (
        ApproveTaskingRequestOperator, TaskingQuoteOperator,
    )

    quote = TaskingQuoteOperator(task_id="quote", tasking_request_id=create.output, deferrable=True)
    approve = ApproveTaskingRequestOperator(task_id="approve", tasking_request_id=create.output)
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._compat import conf
from airflow_provider_capella.operators._base import CapellaBaseOperator
from airflow_provider_capella.operators._review_guard import ReviewGuard, Verdict

if TYPE_CHECKING:
    from airflow.sdk import Context, XComArg


class TaskingQuoteOperator(ReviewGuard, CapellaBaseOperator):
    """Wait until a tasking request has its quote; return it without approving anything.

    Returns ``{"tasking_request_id", "status", "quote", "amount"}``: ``status`` is where the request
    stands (``review`` when it waits for a decision), ``quote`` the API's text of
    ``order.summary.total`` (e.g. ``"$3,000.00"``) and ``amount`` the number in it.

    With ``max_cost`` (a hard ceiling), a quote above it (or one that cannot be read) rejects the
    request at Capella and fails the task, so no one is asked to approve it.

    :param tasking_request_id: the tasking request, created without pre-approval (templated).
    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param max_cost: the ceiling, in the quote's currency (``None``: none).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between checks (default 30).
    :param review_timeout: the most seconds (or a timedelta) to wait for the quote (default 1 hour).
    :return: the quote as above.

    Example::

        TaskingQuoteOperator(task_id="quote", tasking_request_id=create.output, deferrable=True)
    """

    template_fields = ("capella_conn_id", "tasking_request_id", "max_cost")
    review_kind = "tasking"

    def __init__(
        self,
        *,
        tasking_request_id: str | XComArg,
        max_cost: float | str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 30.0,
        review_timeout: float | timedelta = 3600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tasking_request_id: str = tasking_request_id  # type: ignore[assignment]
        self.max_cost = max_cost
        self.init_review(deferrable, poll_interval, review_timeout)

    def execute(self, context: Context) -> dict[str, Any]:
        """Wait for the quote (deferring when asked); return it."""
        from airflow_provider_capella._payloads import checks
        from airflow_provider_capella._payloads.costs import optional_cost_limit

        optional_cost_limit("max_cost", self.max_cost)
        request_id = checks.uuid_text("tasking_request_id", self.tasking_request_id)
        return dict(self.await_review(context, request_id))

    def read_request(self, request_id: str) -> dict[str, Any]:
        return self.hook.get_task(request_id)

    def verdict(self, request: dict[str, Any]) -> Verdict:
        from airflow_provider_capella._payloads.costs import optional_cost_limit
        from airflow_provider_capella.hooks._quotes import tasking_quote

        limit = optional_cost_limit("max_cost", self.max_cost)
        quote = tasking_quote(request)
        if limit is None or quote.within(limit):
            return Verdict(quote.text, None)
        return Verdict(quote.text, self.limit_error("tasking request", quote, limit, "max_cost"))

    def settle(self, request_id: str) -> dict[str, Any]:
        """Return the quote and where the request stands; approve nothing (reject above ``max_cost``)."""
        from airflow_provider_capella.hooks._quotes import tasking_quote
        from airflow_provider_capella.tasking_status import latest_status

        request = self.read_request(request_id)
        quote = tasking_quote(request)
        status = latest_status(request)
        verdict = self.verdict(request)
        if verdict.error is not None:
            if status == "review":
                self.hook.reject_tasking_request(request_id)
            self._fail(f"{verdict.error}; tasking request {request_id} is {status}", verdict.error)
        self.log.info("Tasking request %s is %s, quoted at %s", request_id, status, quote.text)
        return {
            "tasking_request_id": request_id,
            "status": status,
            "quote": quote.text,
            "amount": quote.amount,
        }


class ApproveTaskingRequestOperator(CapellaBaseOperator):
    """Approve a tasking request in review at its quote (billable from here on); return its id.

    The request is fetched first: one that is no longer in review fails the task before anything is
    sent, unless it is already approved (``submitted`` or later), which counts as done, so a retry
    never approves twice.

    :param tasking_request_id: the tasking request in review (templated).
    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :return: the tasking request id.

    Example::

        ApproveTaskingRequestOperator(task_id="approve", tasking_request_id=create.output)
    """

    template_fields = ("capella_conn_id", "tasking_request_id")

    def __init__(self, *, tasking_request_id: str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasking_request_id: str = tasking_request_id  # type: ignore[assignment]

    def execute(self, context: Context) -> str:
        """Approve the request unless an earlier try already did."""
        return _decide(self, "approve")


class RejectTaskingRequestOperator(CapellaBaseOperator):
    """Reject a tasking request in review (it ends ``rejected``; nothing is charged); return its id.

    A request already rejected counts as done; one past review (approved) fails the task.

    :param tasking_request_id: the tasking request in review (templated).
    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :return: the tasking request id.

    Example::

        RejectTaskingRequestOperator(
            task_id="reject", tasking_request_id=create.output, trigger_rule="all_skipped"
        )
    """

    template_fields = ("capella_conn_id", "tasking_request_id")

    def __init__(self, *, tasking_request_id: str | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasking_request_id: str = tasking_request_id  # type: ignore[assignment]

    def execute(self, context: Context) -> str:
        """Reject the request unless an earlier try already did."""
        return _decide(self, "reject")


APPROVED_ALREADY = frozenset({"submitted", "accepted", "active", "completed", "retrying", "anomaly"})


def _decide(operator: ApproveTaskingRequestOperator | RejectTaskingRequestOperator, action: str) -> str:
    from airflow_provider_capella._compat import AirflowFailException
    from airflow_provider_capella._payloads import checks
    from airflow_provider_capella.tasking_status import latest_status

    request_id = checks.uuid_text("tasking_request_id", operator.tasking_request_id)
    status = latest_status(operator.hook.get_task(request_id))
    done = APPROVED_ALREADY if action == "approve" else frozenset({"rejected"})
    if status in done:
        operator.log.info("Tasking request %s is already %s; nothing to %s", request_id, status, action)
        return request_id
    if status != "review":
        raise AirflowFailException(
            f"Tasking request {request_id} is {status}, not in review: cannot {action} it"
        )
    if action == "approve":
        operator.hook.approve_tasking_request(request_id)
    else:
        operator.hook.reject_tasking_request(request_id)
    return request_id
