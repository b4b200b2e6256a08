"""Helpers of the tasking and repeat emulator tests: an authenticated client and waits on the fast clock."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import requests

POINT = {"type": "Point", "coordinates": [4.05, 51.95]}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.0, 51.9], [4.01, 51.9], [4.01, 51.91], [4.0, 51.91], [4.0, 51.9]]],
}
WIDE_SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.0, 51.9], [4.2, 51.9], [4.2, 52.1], [4.0, 52.1], [4.0, 51.9]]],
}
FAST_STEP = 0.05


class Api:
    """The emulator as a client sees it: JSON in, ``requests.Response`` out, the API key attached."""

    def __init__(self, emulator: Any) -> None:
        self.url = emulator.url
        self.session = requests.Session()
        self.session.headers.update(emulator.auth_headers)

    def post(self, path: str, body: Any = None, **params: Any) -> requests.Response:
        return self.session.post(f"{self.url}{path}", json=body, params=params or None, timeout=30)

    def get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.url}{path}", timeout=30)

    def patch(self, path: str, body: Any) -> requests.Response:
        return self.session.patch(f"{self.url}{path}", json=body, timeout=30)

    def create_task(self, geometry: dict[str, Any] | None = None, /, **properties: Any) -> dict[str, Any]:
        body = {"type": "Feature", "geometry": geometry or POINT, "properties": properties}
        response = self.post("/task", body)
        assert response.status_code == 201, response.text
        return response.json()

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.get(f"/task/{task_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def collects(self, task_id: str) -> list[dict[str, Any]]:
        response = self.get(f"/collects/list/{task_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for_task(self, task_id: str, *statuses: str, timeout: float = 10.0) -> dict[str, Any]:
        """The request once its latest status is one of ``statuses``."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.task(task_id)
            if codes(task)[0] in statuses:
                return task
            assert time.monotonic() < deadline, f"still {codes(task)} after {timeout}s, wanted {statuses}"
            time.sleep(0.02)


def codes(feature: dict[str, Any]) -> list[str]:
    """Status codes of a request, newest first."""
    return [entry["code"] for entry in feature["properties"]["statusHistory"]]


def collect_codes(collect: dict[str, Any]) -> list[str]:
    return [entry["code"] for entry in collect["collectStatusHistory"]]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso_in(seconds: float) -> str:
    """An API time ``seconds`` from now."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error_of(response: requests.Response) -> dict[str, Any]:
    """The ``error`` object of an API error response."""
    body = response.json()
    assert "error" in body, body
    return body["error"]


def zod(path: str) -> list[str | int]:
    """A dotted test path (``items[1].granuleId``, ``geometry.coordinates.0``) as zod's segment list."""
    segments: list[str | int] = []
    for part in path.replace("[", ".").replace("]", "").split("."):
        if part:
            segments.append(int(part) if part.isdigit() else part)
    return segments
