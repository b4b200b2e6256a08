"""The timing and state rules Capella enforces on tasking requests, checked before anything is sent.

- A tasking window must be long enough for its tier: ``urgent`` at least 24 hours, ``priority`` at
  least 72 hours, ``standard`` at least 7 days (``flexible`` and ``internal`` have no minimum).
- Only an ``accepted`` or ``active`` request can be canceled. A request waiting in ``review`` is
  rejected instead (``PATCH /task/{id}/status {"status": "rejected"}``); a request that is ``received``
  or ``submitted`` cannot be canceled until it is accepted or active.
- A tasking request can no longer be canceled under 12 hours before its first collect (it is charged
  in full); 12 to 72 hours before, canceling costs 25 % of the order value; earlier, it is free.

Example::

    from airflow_provider_capella._payloads.tasking_rules import check_window_for_tier

    check_window_for_tier("standard", opens, closes)  # raises for a 2-day standard window
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from airflow_provider_capella._payloads import checks

if TYPE_CHECKING:
    from collections.abc import Mapping

MINIMUM_WINDOW: Mapping[str, timedelta] = {
    "urgent": timedelta(hours=24),
    "priority": timedelta(hours=72),
    "standard": timedelta(days=7),
}
"""The shortest ``window_close - window_open`` each tier accepts (tiers not listed have no minimum)."""

CANCELLABLE = frozenset({"accepted", "active"})
"""The statuses from which a tasking request can be canceled."""

DECLINABLE = frozenset({"review"})
"""The statuses from which a request can be declined (rejected by the user) instead of canceled."""

CANCELLATION_REFUSED = "CANCELLATION_NOT_ALLOWED"
"""The error code of a cancel refused by these rules (Capella publishes no code of its own for it)."""

NOT_CANCELLABLE_BEFORE_COLLECT = timedelta(hours=12)
"""Under this long before its first collect, a tasking request can no longer be canceled."""

FREE_CANCELLATION_BEFORE_COLLECT = timedelta(hours=72)
"""More than this long before its first collect, canceling is free (else 25 % of the order value)."""


def check_window_for_tier(tier: str, opens: datetime, closes: datetime) -> None:
    """Refuse a window shorter than the tier's minimum, naming ``window_close`` and the rule.

    :param tier: the (canonical) collection tier.
    :param opens: the window's start (aware).
    :param closes: the window's end (aware).
    :raises CapellaValidationError: when the window is too short for the tier.
    """
    minimum = MINIMUM_WINDOW.get(tier)
    if minimum is None or closes - opens >= minimum:
        return
    checks.fail(
        "window_close",
        f"a {tier} tasking request needs a window of at least {_duration(minimum)} "
        f"(window_close - window_open), got {_duration(closes - opens)}; Capella refuses shorter "
        f"windows (urgent >= 24 hours, priority >= 72 hours, standard >= 7 days). Move window_close "
        f"to {checks.iso_utc(opens + minimum)} or later, or choose another collection_tier",
    )


def cancellation_problem(label: str, request_id: str, status: str | None) -> str | None:
    """Say why a request in ``status`` cannot be canceled, or ``None`` when it can.

    :param label: ``tasking request`` or ``repeat request``, for the message.
    :param request_id: the request, for the message.
    :param status: its newest status code (lower case), ``None`` when unknown (then the API decides).
    :return: the refusal message, or ``None``.
    """
    if status is None or status in CANCELLABLE:
        return None
    if status in DECLINABLE:
        method = "reject_tasking_request" if label.startswith("tasking") else "reject_repeat_request"
        return (
            f"{label} {request_id} is in review: a request in review cannot be canceled, it is rejected "
            f"instead (CapellaHook.{method}({request_id!r}) or the Capella console); nothing is charged"
        )
    hint = "; wait until it is accepted or active" if status in ("received", "submitted") else ""
    return f"{label} {request_id} is {status}: Capella cancels only accepted or active requests{hint}"


def late_cancellation_problem(request_id: str, first_collect: datetime | None, now: datetime) -> str | None:
    """Say why a request whose first collect is under 12 hours away cannot be canceled, else ``None``.

    :param request_id: the tasking request, for the message.
    :param first_collect: when its first collect is scheduled (aware), ``None`` when none is planned.
    :param now: the current time (aware).
    :return: the refusal message, or ``None``.
    """
    if first_collect is None or first_collect - now >= NOT_CANCELLABLE_BEFORE_COLLECT:
        return None
    hours = max(0.0, (first_collect - now).total_seconds() / 3600)
    return (
        f"tasking request {request_id} has its first collect in {hours:.1f} hours "
        f"({checks.iso_utc(first_collect)}): Capella does not cancel a request within 12 hours of its "
        "first collect (it is charged in full)"
    )


def cancellation_fee_notice(request_id: str, first_collect: datetime | None, now: datetime) -> str | None:
    """Say what canceling now costs when it is not free (12 to 72 hours before the first collect).

    :param request_id: the tasking request, for the message.
    :param first_collect: when its first collect is scheduled (aware), ``None`` when none is planned.
    :param now: the current time (aware).
    :return: the notice, or ``None`` when canceling is free.
    """
    if first_collect is None or first_collect - now > FREE_CANCELLATION_BEFORE_COLLECT:
        return None
    return (
        f"canceling tasking request {request_id} costs 25% of its order value: its first collect is "
        "12 to 72 hours away"
    )


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours >= 168 and float(hours / 24).is_integer():
        return f"{hours / 24:g} days"
    return f"{hours:.4g} hours"
