"""``CheckFeasibilityOperator``: ask Capella which passes can image a target before tasking it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_capella import lineage
from airflow_provider_capella._compat import (
    AirflowException,
    AirflowFailException,
    AirflowSkipException,
    conf,
)
from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads.feasibility import ACCESS_CONSTRAINTS
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._base import CapellaBaseOperator
from airflow_provider_capella.operators._review import defer_waiting, review_options

if TYPE_CHECKING:
    from airflow.sdk import Context

ACCESS_REQUEST_ID_KEY = "capella_access_request_id"
ON_INFEASIBLE = ("fail", "skip", "succeed")


class CheckFeasibilityOperator(CapellaBaseOperator):
    """Check that a target can be imaged in a window (not billable); summarize the passes.

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param geometry: the target, a GeoJSON Point or Polygon (dict or JSON string).
    :param window_open: when the window opens (datetime or ISO 8601).
    :param window_close: when it closes (after ``window_open``, in the future, within 366 days).
    :param name: a name for the access request.
    :param description: free text.
    :param constraints: ``CapellaHook.create_access_request`` constraints (dict or JSON object).
    :param on_infeasible: when no pass fits: ``fail`` (default; no retry), ``skip`` or ``succeed``.
    :param skip_if_infeasible: ``True`` is the same as ``on_infeasible="skip"``.
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poll_interval: seconds between checks of the access request.
    :param timeout: the most seconds (or a timedelta) to wait for the passes to be planned (default 1 hour).

    Example::

        CheckFeasibilityOperator(task_id="feasible", geometry=aoi, window_open="{{ data_interval_end | ts }}",
                                 window_close="{{ (data_interval_end + macros.timedelta(days=7)) | ts }}")
    """

    template_fields = (
        "capella_conn_id",
        "geometry",
        "window_open",
        "window_close",
        "name",
        "description",
        "constraints",
    )
    template_fields_renderers = {"geometry": "json", "constraints": "json"}
    ui_color = "#e6f4ea"

    def __init__(
        self,
        *,
        geometry: dict[str, Any] | str,
        window_open: datetime | str,
        window_close: datetime | str,
        name: str = "",
        description: str = "",
        constraints: dict[str, Any] | str | None = None,
        on_infeasible: str = "fail",
        skip_if_infeasible: bool | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: float | timedelta = 3600.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.geometry = geometry
        self.window_open = window_open
        self.window_close = window_close
        self.name = name
        self.description = description
        self.constraints = constraints
        self.on_infeasible = str(checks.choice("on_infeasible", on_infeasible, ON_INFEASIBLE))
        if skip_if_infeasible is not None:  # the older spelling: True is on_infeasible="skip"
            skip = checks.boolean("skip_if_infeasible", skip_if_infeasible)
            if self.on_infeasible == ("succeed" if skip else "skip"):
                checks.fail("skip_if_infeasible", f"is {skip}, against on_infeasible={on_infeasible!r}")
            self.on_infeasible = "skip" if skip else self.on_infeasible
        self.deferrable, self.poll_interval, self.timeout = review_options(deferrable, poll_interval, timeout)

    @lineage.records
    def execute(self, context: Context) -> dict[str, Any] | None:
        constraints = _arguments.mapping("constraints", self.constraints)
        checks.reject_unknown(constraints, ACCESS_CONSTRAINTS, "constraints")
        access = self.hook.create_access_request(
            geometry=_arguments.structured("geometry", self.geometry),
            window_open=self.window_open,
            window_close=self.window_close,
            name=self.name or "",
            description=self.description or "",
            **constraints,
        )
        access_request_id = str(access["properties"]["accessrequestId"])
        self.lineage.access_request_id = access_request_id
        self.push(context, ACCESS_REQUEST_ID_KEY, access_request_id)
        if self.deferrable:
            from airflow_provider_capella.triggers.feasibility import AccessRequestTrigger  # lazy: to defer

            defer_waiting(self, AccessRequestTrigger, access_request_id, self.capella_conn_id)
        passes = self.hook.get_accesses(
            access_request_id=access_request_id,
            wait=True,
            timeout=self.timeout,
            poll_interval=self.poll_interval,
        )
        return self.conclude(access_request_id, passes)

    @lineage.records
    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any] | None:
        access_request_id = str(event.get("access_request_id") or "")
        self.lineage.access_request_id = access_request_id or None
        if event.get("status") != "success" or not access_request_id:
            error = AirflowFailException if event.get("status") == "failed" else AirflowException
            raise error(f"Feasibility check failed: {event.get('message') or event}")
        self.log.info("%s after %s poll(s) in the triggerer", event.get("message"), event.get("polls"))
        return self.conclude(access_request_id, self.hook.get_accesses(access_request_id=access_request_id))

    def conclude(self, access_request_id: str, passes: list[dict[str, Any]]) -> dict[str, Any]:
        """Summarize the passes; act on ``on_infeasible`` when there is none."""
        access = self.hook.get_access_request(access_request_id=access_request_id)
        summary = summarize(access_request_id, access, passes)
        message = describe(summary)
        if summary["count"]:
            self.log.info("%s", message)
            return summary
        if self.on_infeasible == "skip":
            raise AirflowSkipException(f"{message}; skipping (on_infeasible='skip')")
        if self.on_infeasible == "fail":
            raise AirflowFailException(
                f"{message}. Widen the window or relax the constraints, or set on_infeasible='skip' "
                "or 'succeed' to carry on"
            )
        self.log.warning("%s; carrying on (on_infeasible='succeed')", message)
        return summary


def summarize(access_request_id: str, access: dict[str, Any], passes: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the JSON-ready summary of an access request's passes (see ``CheckFeasibilityOperator``)."""
    properties = access.get("properties") or {}
    ordered = sorted(passes, key=lambda one: str(one.get("windowOpen") or ""))

    def distinct(key: str) -> list[Any]:
        return sorted({one[key] for one in ordered if one.get(key) is not None})

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
        "spacecraft_ids": distinct("spacecraftId"),
        "orbital_planes": distinct("orbitalPlane"),
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
