"""Helpers of the feasibility, collect/tile, task-order and archive-export emulator tests."""

from __future__ import annotations

import time
from typing import Any

import requests

FAST_STEP = 0.05
ROTTERDAM = {"type": "Point", "coordinates": [4.05, 51.95]}
FUTURE_DAY = ("2030-03-01T00:00:00Z", "2030-03-02T00:00:00Z")
FUTURE_WEEK = ("2030-03-01T00:00:00Z", "2030-03-08T00:00:00Z")
ACCESS_KEYS = [
    "center",
    "centerEcef",
    "spacecraftId",
    "accessId",
    "accessrequestId",
    "tileId",
    "windowOpen",
    "windowClose",
    "windowOpenLocal",
    "windowCloseLocal",
    "orbitalPlane",
    "accessProperties",
]
ACCESS_PROPERTY_KEYS = [
    "ascdsc",
    "lookDirection",
    "localTime",
    "azimuthOpen",
    "azimuthClose",
    "elevationMin",
    "elevationMax",
    "offNadirMin",
    "offNadirMax",
]


class Client:
    """The emulator as an API client sees it: the API key attached, ``requests.Response`` out."""

    def __init__(self, emulator: Any) -> None:
        self.url = emulator.url
        self.session = requests.Session()
        self.session.headers.update(emulator.auth_headers)

    def post(self, path: str, body: Any = None) -> requests.Response:
        return self.session.post(f"{self.url}{path}", json=body, timeout=60)

    def get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.url}{path}", timeout=60)

    def access_request(
        self,
        geometry: dict[str, Any] | None = None,
        window: tuple[str, str] = FUTURE_DAY,
        **constraints: Any,
    ) -> dict[str, Any]:
        """Create an access request and return its Feature (asserting a 201)."""
        properties: dict[str, Any] = {
            "accessrequestName": "feasibility test",
            "windowOpen": window[0],
            "windowClose": window[1],
        }
        if constraints:
            properties["accessConstraints"] = constraints
        body = {"type": "Feature", "geometry": geometry or ROTTERDAM, "properties": properties}
        response = self.post("/ma/accessrequests", body)
        assert response.status_code == 201, response.text
        return response.json()

    def wait_completed(self, access_request_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(f"/ma/accessrequests/{access_request_id}")
            assert response.status_code == 200, response.text
            feature = response.json()
            if feature["properties"]["processingStatus"] == "completed":
                return feature
            assert time.monotonic() < deadline, f"still {feature['properties']['processingStatus']}"
            time.sleep(0.02)

    def passes(
        self, geometry: dict[str, Any] | None = None, window: tuple[str, str] = FUTURE_DAY, **constraints: Any
    ) -> list[dict[str, Any]]:
        """The accesses of a new, completed access request."""
        created = self.access_request(geometry, window, **constraints)
        access_request_id = created["properties"]["accessrequestId"]
        self.wait_completed(access_request_id)
        response = self.get(f"/ma/accesses/{access_request_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def create_task(self, geometry: dict[str, Any] | None = None, **properties: Any) -> dict[str, Any]:
        body = {"type": "Feature", "geometry": geometry or ROTTERDAM, "properties": properties}
        response = self.post("/task", body)
        assert response.status_code == 201, response.text
        return response.json()

    def wait_task(self, task_id: str, *codes: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(f"/task/{task_id}")
            assert response.status_code == 200, response.text
            task = response.json()
            if task["properties"]["statusHistory"][0]["code"] in codes:
                return task
            assert time.monotonic() < deadline, f"still {task['properties']['statusHistory'][0]['code']}"
            time.sleep(0.02)


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert isinstance(body.get("error"), dict), body
    return body["error"]
