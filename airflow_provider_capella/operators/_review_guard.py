"""The cost guard of the create operators: wait for the quote, then approve within the limit or reject.

A request created without pre-approval waits in ``review`` with its quote. The guard waits until
the request has left ``received`` (polling, or in the triggerer when ``deferrable``), reads the
request afresh and decides from its status, so a retry never approves twice:

- in ``review``, within the limit: approve it; above it (or an unreadable quote): reject it and
  fail with the quote;
- already past review (an earlier try, or a person, approved it): approve nothing; fail only when
  the quote is above the limit (the request is left as it is: cancel it yourself if unwanted);
- rejected, expired, canceled, ...: fail, saying so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from airflow_provider_capella.exceptions import CapellaCostLimitError
from airflow_provider_capella.tasking_status import TERMINAL_FAILURES, latest_status

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_capella.hooks.capella import CapellaHook

REVIEW = "review"
WAITING = frozenset({"received"})


@dataclass(frozen=True)
class Verdict:
    """What the quote means against the limits: ``error`` is ``None`` when within them.

    Example::

        Verdict(quote="$3,000.00", error=None)
    """

    quote: str | None
    error: CapellaCostLimitError | None


class ReviewGuard:
    """Mixin for ``CreateRequestOperator`` subclasses: settle the review of the request they created.

    Subclasses set ``review_kind`` (``tasking`` or ``repeat``) and implement ``read_request``,
    ``verdict``, ``approve_request`` and ``reject_request``; the operator provides ``hook``, ``log``,
    ``deferrable``, ``poll_interval``, ``review_timeout``, ``capella_conn_id`` and ``defer``.

    Example::

        class CreateThingOperator(ReviewGuard, CreateRequestOperator):
            review_kind = "tasking"
    """

    review_kind: ClassVar[str] = "tasking"
    hook: CapellaHook
    log: Any
    deferrable: bool
    poll_interval: float
    review_timeout: float
    capella_conn_id: str

    def init_review(self, deferrable: bool, poll_interval: float, review_timeout: float | timedelta) -> None:
        """Set and check the waiting options (called from the operator's ``__init__``)."""
        from airflow_provider_capella._payloads import checks

        self.deferrable = checks.boolean("deferrable", deferrable)
        self.poll_interval = float(checks.number("poll_interval", poll_interval, positive=True))
        if isinstance(review_timeout, timedelta):
            review_timeout = review_timeout.total_seconds()
        self.review_timeout = float(checks.number("review_timeout", review_timeout, positive=True))

    def limit_error(self, what: str, quote: Any, limit: float, argument: str) -> CapellaCostLimitError:
        """Build the error for a ``Quote`` above ``limit`` (or unreadable)."""
        return CapellaCostLimitError.over_limit(
            what, quote=quote.text, quoted=quote.amount, limit=limit, argument=argument
        )

    # --- what subclasses provide ------------------------------------------------------------------

    def read_request(self, request_id: str) -> dict[str, Any]:
        """Fetch the request afresh."""
        raise NotImplementedError

    def verdict(self, request: dict[str, Any]) -> Verdict:
        """Judge the request's quote against the limits."""
        raise NotImplementedError

    def approve_request(self, request_id: str) -> None:
        """Approve the request at Capella."""
        raise NotImplementedError

    def reject_request(self, request_id: str) -> None:
        """Reject the request at Capella."""
        raise NotImplementedError

    # --- the flow ---------------------------------------------------------------------------------

    def await_review(self, context: Context, request_id: str) -> Any:
        """Wait until the request has its quote (deferring when asked), then settle it."""
        deadline = time.monotonic() + self.review_timeout
        while latest_status(self.read_request(request_id)) in WAITING:
            if self.deferrable:
                self._defer_review(request_id)
            if time.monotonic() >= deadline:
                self._fail(f"{self._subject(request_id)} had no quote after {self.review_timeout:g} s")
            time.sleep(min(self.poll_interval, max(0.0, deadline - time.monotonic())))
        return self.settle(request_id)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """Resume after the review trigger fired: settle the request, or fail with the trigger's message."""
        request_id = str(event.get("request_id") or "")
        if event.get("status") != "success" or not request_id:
            self._fail(f"Waiting for the quote failed: {event.get('message') or event}")
        self.log.info("%s after %s poll(s) in the triggerer", event.get("message"), event.get("polls"))
        return self.settle(request_id)

    def settle(self, request_id: str) -> Any:
        """Approve, reject or leave the request as its status and quote say; return its id."""
        request = self.read_request(request_id)
        status = latest_status(request)
        verdict = self.verdict(request)
        subject = self._subject(request_id)
        if status == REVIEW:
            if verdict.error is None:
                self.approve_request(request_id)
                self.log.info("Approved %s at its quote %s (within the limit)", subject, verdict.quote)
                return request_id
            self.reject_request(request_id)
            self._fail(f"{verdict.error}; {subject} was rejected, nothing is charged", verdict.error)
        if status in TERMINAL_FAILURES or status is None:
            reason = f" ({verdict.error})" if verdict.error else ""
            self._fail(f"{subject} is {status or 'without a status'}{reason}", verdict.error)
        if verdict.error is not None:
            self._fail(
                f"{verdict.error}; {subject} was already approved outside this task (it is {status}) and "
                "is left as it is: cancel it if it is unwanted",
                verdict.error,
            )
        self.log.info(
            "%s is already %s (approved by an earlier try or a person); quote %s is within the limit, "
            "nothing approved again",
            subject,
            status,
            verdict.quote,
        )
        return request_id

    def _defer_review(self, request_id: str) -> None:
        from airflow_provider_capella.triggers.review import RequestReviewTrigger

        self.defer(  # type: ignore[attr-defined]
            trigger=RequestReviewTrigger(
                request_id,
                self.review_kind,
                self.capella_conn_id,
                poll_interval=self.poll_interval,
                end_time=time.time() + self.review_timeout,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.review_timeout + 60),
        )

    def _subject(self, request_id: str) -> str:
        return f"{self.review_kind} request {request_id}"

    def _fail(self, message: str, cause: BaseException | None = None) -> NoReturn:
        from airflow_provider_capella._compat import AirflowFailException

        raise AirflowFailException(message) from cause
