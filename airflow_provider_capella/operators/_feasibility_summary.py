"""The small summary ``CheckFeasibilityOperator`` returns: how many passes, when, at which angles.

Example::

    summary = summarize(access_request_id, access, passes)
    summary["count"], summary["first_window"], summary["off_nadir_range"]
"""

from __future__ import annotations

from typing import Any


def summarize(access_request_id: str, access: dict[str, Any], passes: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the JSON-ready summary of an access request's passes.

    :param access_request_id: the access request.
    :param access: the access request Feature (for its status and window).
    :param passes: the passes, from ``get_accesses``.
    :return: ``access_request_id``, ``feasible``, ``count``, ``accessibility_status``,
        ``first_window`` and ``last_window`` (``{"open", "close"}`` or ``None``),
        ``off_nadir_range`` (``[min, max]`` degrees or ``None``), ``spacecraft_ids``,
        ``orbital_planes``, ``window_open`` and ``window_close`` (the request's window).
    """
    properties = access.get("properties") or {} if isinstance(access, dict) else {}
    ordered = sorted(passes, key=lambda one: str(one.get("windowOpen") or ""))
    angles = [
        float(value)
        for one in ordered
        for value in ((one.get("accessProperties") or {}).get(key) for key in ("offNadirMin", "offNadirMax"))
        if isinstance(value, int | float)
    ]
    return {
        "access_request_id": access_request_id,
        "feasible": bool(ordered),
        "count": len(ordered),
        "accessibility_status": properties.get("accessibilityStatus"),
        "window_open": properties.get("windowOpen"),
        "window_close": properties.get("windowClose"),
        "first_window": _window(ordered[0]) if ordered else None,
        "last_window": _window(ordered[-1]) if ordered else None,
        "off_nadir_range": [min(angles), max(angles)] if angles else None,
        "spacecraft_ids": sorted(
            {one["spacecraftId"] for one in ordered if one.get("spacecraftId") is not None}
        ),
        "orbital_planes": sorted(
            {one["orbitalPlane"] for one in ordered if one.get("orbitalPlane") is not None}
        ),
    }


def describe(summary: dict[str, Any]) -> str:
    """Say in one sentence what the summary found, for the log and for failure messages."""
    subject = f"Access request {summary['access_request_id']}"
    window = f"{summary.get('window_open')} to {summary.get('window_close')}"
    if not summary["count"]:
        return f"{subject}: no pass can image the target from {window} under the given constraints"
    low, high = summary["off_nadir_range"] or (None, None)
    return (
        f"{subject}: {summary['count']} pass(es) from {summary['first_window']['open']} to "
        f"{summary['last_window']['close']}, off-nadir {low}-{high} degrees"
    )


def _window(one: dict[str, Any]) -> dict[str, Any]:
    return {"open": one.get("windowOpen"), "close": one.get("windowClose")}
