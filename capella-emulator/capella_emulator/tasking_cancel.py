"""The tasking cancellation policy: who may cancel, until when, and what it costs.

Cancel is documented for requests that are ``accepted`` or ``active`` only (a request in ``review`` is
rejected instead, with ``{"status": "rejected"}``). The first scheduled collect sets the deadline: more
than 72 h before it cancelling is free, 12 to 72 h before it costs 25 % of the order value, and under
12 h the request can no longer be cancelled (it is charged in full). The emulator refuses a late or
out-of-state cancellation with a 400 ``CANCELLATION_NOT_ALLOWED`` (the real code is not published).
"""

from __future__ import annotations

from capella_emulator.errors import ApiError

CANCELLABLE = ("accepted", "active")
NOT_CANCELLABLE_SECONDS = 12 * 3600
FREE_CANCELLATION_SECONDS = 72 * 3600
LATE_FEE_PERCENT = 25
CANCEL_REFUSED = "CANCELLATION_NOT_ALLOWED"


def cancellation_refusal(status: str, first_collect: float | None, now: float) -> ApiError | None:
    """``None`` when a request in ``status`` may be canceled at ``now``, else the error to answer."""
    if status not in CANCELLABLE:
        hint = ' (reject it with {"status": "rejected"} instead)' if status == "review" else ""
        return ApiError(
            400,
            CANCEL_REFUSED,
            f"only an accepted or active tasking request can be canceled; this one is {status}{hint}",
        )
    if first_collect is not None and first_collect - now < NOT_CANCELLABLE_SECONDS:
        hours = max(0.0, first_collect - now) / 3600
        return ApiError(
            400,
            CANCEL_REFUSED,
            f"the first collect is scheduled in {hours:.1f} hours: a request cannot be canceled within "
            "12 hours of its first collect (it is charged in full)",
        )
    return None


def cancellation_fee(first_collect: float | None, now: float) -> str:
    """Return the status message of a cancellation, naming the fee the policy charges."""
    if first_collect is None or first_collect - now > FREE_CANCELLATION_SECONDS:
        return (
            "Request canceled by the user. No cancellation fee (more than 72 hours before the first collect)."
        )
    return (
        f"Request canceled by the user. Cancellation fee: {LATE_FEE_PERCENT}% of the order value "
        "(12 to 72 hours before the first collect)."
    )
