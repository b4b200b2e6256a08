"""The cost guard: wait for a request's quote, then approve or reject it from its status read afresh."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from airflow_provider_capella._compat import AirflowFailException, conf
from airflow_provider_capella._payloads import checks
from airflow_provider_capella.exceptions import CapellaCostLimitError
from airflow_provider_capella.hooks import _quotes
from airflow_provider_capella.hooks._quotes import Quote
from airflow_provider_capella.operators._base import CapellaBaseOperator
from airflow_provider_capella.operators._kinds import TASKING, RequestKind
from airflow_provider_capella.tasking_status import TERMINAL_FAILURES, latest_status

if TYPE_CHECKING:
    from airflow.triggers.base import BaseTrigger

Limits = tuple[_quotes.Cap | None, _quotes.Cap | None]  # (most per image, most in all); None where unset


def review_options(deferrable: Any, poll_interval: Any, timeout: Any) -> tuple[bool, float, float]:
    """Return the waiting options checked: ``(deferrable, poll_interval, timeout in seconds)``."""
    if isinstance(timeout, timedelta):
        timeout = timeout.total_seconds()
    return (
        checks.boolean("deferrable", deferrable),
        float(checks.number("poll_interval", poll_interval, positive=True)),
        float(checks.number("timeout", timeout, positive=True)),
    )


def defer_waiting(op: Any, trigger_class: Callable[..., BaseTrigger], *args: Any) -> None:
    """Defer ``op`` to ``trigger_class(*args)``, polling every ``op.poll_interval`` for ``op.timeout``."""
    end_time = time.time() + op.timeout
    op.defer(
        trigger=trigger_class(*args, poll_interval=op.poll_interval, end_time=end_time),
        method_name="execute_complete",
        timeout=timedelta(seconds=op.timeout + 60),
    )


class ReviewingOperator(CapellaBaseOperator):
    """Base of the operators that wait for a ``kind`` request's quote and judge it against the limits."""

    kind: ClassVar[RequestKind] = TASKING

    def __init__(
        self,
        *,
        max_cost: float | str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 30.0,
        timeout: float | timedelta = 3600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_cost = max_cost
        self.deferrable, self.poll_interval, self.timeout = review_options(deferrable, poll_interval, timeout)

    def cost_limits(self) -> Limits:
        """Return ``(most per image, most in all)`` checked, within ``[capella] max_tasking_cost``."""
        return None, _quotes.cost_cap(_quotes.TASKING_COST_SETTING, "max_cost", self.max_cost, self.log)

    def wait_for_quote(self, request_id: str) -> None:
        """Wait until the request has left ``received`` (in the triggerer when ``deferrable``)."""
        deadline = time.monotonic() + self.timeout
        while latest_status(self.kind.call_on(self.hook, "get", request_id)) == "received":
            if self.deferrable:
                from airflow_provider_capella.triggers.review import RequestReviewTrigger  # lazy: to defer

                defer_waiting(self, RequestReviewTrigger, request_id, self.kind.name, self.capella_conn_id)
            if time.monotonic() >= deadline:
                fail(f"{self.kind.label} {request_id} had no quote after {self.timeout:g} s")
            time.sleep(min(self.poll_interval, max(0.0, deadline - time.monotonic())))

    def resumed(self, event: dict[str, Any]) -> str:
        """Return the request id of the review trigger's event, or fail with its message."""
        request_id = str(event.get("request_id") or "")
        if event.get("status") != "success" or not request_id:
            fail(f"Waiting for the quote failed: {event.get('message') or event}")
        self.log.info("%s after %s poll(s) in the triggerer", event.get("message"), event.get("polls"))
        return request_id

    def verdict(self, request: dict[str, Any], limits: Limits) -> tuple[Quote, CapellaCostLimitError | None]:
        """Judge the quote (a tasking total; a repeat per-image and series total) against ``limits``."""
        kind, (per_image_cap, total_cap) = self.kind, limits
        if kind is TASKING:
            total = _quotes.tasking_quote(request)
            what = "tasking request"
        else:
            per_image = _quotes.repeat_quote_per_image(request)
            error = per_image_cap.refusal(f"{kind.label} (per image)", per_image) if per_image_cap else None
            if error or total_cap is None:
                return per_image, error
            count = _quotes.repeat_image_count(request)
            total = per_image.times(count) if count is not None else Quote(f"{per_image.text} x ?", None)
            what = f"{kind.label} (whole series)"
        return total, total_cap.refusal(what, total) if total_cap else None

    def settle(self, request_id: str, limits: Limits) -> str:
        """Approve, reject or leave the request as its status and quote say; return its id."""
        kind = self.kind
        request = kind.call_on(self.hook, "get", request_id)
        status = latest_status(request)
        quote, error = self.verdict(request, limits)
        subject = f"{kind.label} {request_id}"
        if status == "review":
            if error is None:
                kind.call_on(self.hook, "approve", request_id)
                self.log.info("Approved %s at its quote %s (within the limit)", subject, quote.text)
                return request_id
            kind.call_on(self.hook, "reject", request_id)
            fail(f"{error}; {subject} was rejected, nothing is charged", error)
        if status in TERMINAL_FAILURES or status is None:
            fail(f"{subject} is {status or 'without a status'}" + (f" ({error})" if error else ""), error)
        if error is not None:
            fail(
                f"{error}; {subject} was already approved outside this task (it is {status}) and is left "
                "as it is: cancel it if it is unwanted",
                error,
            )
        self.log.info(
            "%s is already %s (approved earlier), quoted %s within the limit", subject, status, quote.text
        )
        return request_id


def fail(message: str, cause: BaseException | None = None) -> NoReturn:
    """Fail the task without retries (the decision would not change)."""
    raise AirflowFailException(message) from cause
