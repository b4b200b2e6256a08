"""Shared by the trigger and sensor tests: a ``capella_default`` connection to the emulator and tasking
requests created over plain HTTP, with outcomes forced by the emulator's markers. Requests are
pre-approved unless ``held=True`` (then they wait in review until :meth:`Tasking.approve`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}
FAST_RETRIES = {"retry_base_seconds": 0.01, "retry_cap_seconds": 0.05}
STEP = 0.05
"""Seconds per tasking status step: a request completes about 5 steps after it is created."""

TRIGGER_AGENT = "(triggerer)"


def use_connection(monkeypatch: pytest.MonkeyPatch, emulator: Any, **extra: Any) -> None:
    """Point ``capella_default`` at the emulator (fast retries unless ``extra`` says otherwise)."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_CAPELLA_DEFAULT", emulator.airflow_connection(**{**FAST_RETRIES, **extra})
    )


class Tasking:
    """Tasking requests as a client creates and inspects them, over plain HTTP.

    Example::

        task_id = tasking.create("emulator:rejected")
        tasking.wait_for(task_id, "rejected")
    """

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.session.headers.update(emulator.auth_headers)

    def create(self, marker: str | None = None, *, held: bool = False, **properties: Any) -> str:
        """A new tasking request (the marker goes into ``customAttribute2``); returns its id.

        :param held: create it without pre-approval: it waits in ``review`` until approved.
        """
        properties.setdefault("taskingrequestName", "sensor test")
        properties.setdefault("preApproval", not held)
        if marker:
            properties["customAttribute2"] = marker
        body = {"type": "Feature", "geometry": POINT, "properties": properties}
        response = self.session.post(f"{self.emulator.url}/task", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return str(response.json()["properties"]["taskingrequestId"])

    def create_later(self, marker: str | None = None, *, opens_in_days: float = 3) -> str:
        """A request whose window opens in ``opens_in_days`` and lasts a week (``active`` until then)."""
        opens = datetime.now(timezone.utc) + timedelta(days=opens_in_days)
        return self.create(
            marker,
            windowOpen=opens.isoformat().replace("+00:00", "Z"),
            windowClose=(opens + timedelta(days=7)).isoformat().replace("+00:00", "Z"),
        )

    def get(self, task_id: str) -> dict[str, Any]:
        response = self.session.get(f"{self.emulator.url}/task/{task_id}", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def codes(self, task_id: str) -> list[str]:
        """Status codes, newest first."""
        return [entry["code"] for entry in self.get(task_id)["properties"]["statusHistory"]]

    def collect_ids(self, task_id: str) -> list[str]:
        response = self.session.get(f"{self.emulator.url}/collects/list/{task_id}", timeout=30)
        assert response.status_code == 200, response.text
        return [collect["collectId"] for collect in response.json()]

    def cancel(self, task_id: str) -> None:
        self._set_status(task_id, "canceled")

    def approve(self, task_id: str) -> None:
        """Let a held request out of review (it then completes)."""
        self._set_status(task_id, "approved")

    def after_polls(
        self, task_id: str, polls: int, action: Callable[[str], None], *, by_trigger: bool | None = None
    ) -> threading.Thread:
        """Run ``action(task_id)`` in a background thread once the request has been polled ``polls``
        times (``by_trigger`` as in :meth:`polls`), so a wait provably waited before the change."""

        def act_when_polled() -> None:
            deadline = time.monotonic() + 60
            while len(self.polls(task_id, by_trigger=by_trigger)) < polls and time.monotonic() < deadline:
                time.sleep(0.02)
            action(task_id)

        thread = threading.Thread(target=act_when_polled, name=f"after-polls-{task_id}", daemon=True)
        thread.start()
        return thread

    def fail_collection(self, task_id: str) -> None:
        """Approve a held request, re-planned to end ``failed`` instead of completed."""
        self.force(task_id, "failed")
        self.approve(task_id)

    def _set_status(self, task_id: str, status: str) -> None:
        response = self.session.patch(
            f"{self.emulator.url}/task/{task_id}/status", json={"status": status}, timeout=30
        )
        assert response.status_code < 300, response.text

    def force(self, task_id: str, outcome: str) -> None:
        response = self.session.post(
            f"{self.emulator.url}/_emulator/tasks/{task_id}/outcome", json={"outcome": outcome}, timeout=30
        )
        assert response.status_code < 300, response.text

    def wait_for(self, task_id: str, status: str, timeout: float = 10.0) -> None:
        """Until the newest status is ``status``."""
        deadline = time.monotonic() + timeout
        while self.codes(task_id)[0] != status:
            assert time.monotonic() < deadline, f"{task_id} is still {self.codes(task_id)}"
            time.sleep(0.01)

    def polls(self, task_id: str, *, by_trigger: bool | None = None) -> list[dict[str, Any]]:
        """Logged ``GET /task/{id}`` requests; ``by_trigger`` keeps only the triggerer's (or only others)."""
        entries = self.emulator.requests(path=f"/task/{task_id}", method="GET")
        if by_trigger is None:
            return entries
        return [
            entry
            for entry in entries
            if (TRIGGER_AGENT in entry["headers"].get("user-agent", "")) == by_trigger
        ]


def create_repeat(emulator: Any, *, held: bool = False, count: int = 3) -> str:
    """A repeat request of ``count`` daily collects: pre-approved, or ``held`` in review until decided."""
    properties: dict[str, Any] = {
        "repeatrequestName": "derived sensor test",
        "repetitionProperties": {"repetitionInterval": 1, "repetitionCount": count},
    }
    if not held:
        properties["preApproval"] = True
    body = {"type": "Feature", "geometry": POINT, "properties": properties}
    answer = requests.post(
        f"{emulator.url}/repeat-requests", json=body, headers=emulator.auth_headers, timeout=30
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["properties"]["repeatrequestId"])


def derived_ids(emulator: Any, repeat_id: str) -> set[str]:
    """The tasking requests the emulator derived from ``repeat_id`` (asked over plain HTTP)."""
    answer = requests.post(
        f"{emulator.url}/tasks/search",
        json={"query": {"includeRepeatingTasks": True}},
        headers=emulator.auth_headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return {
        feature["properties"]["taskingrequestId"]
        for feature in answer.json()["results"]
        if feature["properties"].get("repeatrequestId") == repeat_id
    }


def repeat_in_review(emulator: Any, repeat_id: str, timeout: float = 10.0) -> None:
    """Wait until a held repeat request waits in ``review``."""
    url, headers = f"{emulator.url}/repeat-requests/{repeat_id}", emulator.auth_headers
    deadline = time.monotonic() + timeout
    while requests.get(url, headers=headers, timeout=30).json()["properties"]["statusHistory"][0]["code"] != (
        "review"
    ):
        assert time.monotonic() < deadline, f"repeat request {repeat_id} never reached review"
        time.sleep(0.02)


def reject_repeat(emulator: Any, repeat_id: str) -> None:
    """Reject a held repeat request once it waits in ``review``."""
    repeat_in_review(emulator, repeat_id)
    answer = requests.patch(
        f"{emulator.url}/repeat-requests/{repeat_id}/status",
        json={"code": "rejected"},
        headers=emulator.auth_headers,
        timeout=30,
    )
    assert answer.status_code < 300, answer.text
