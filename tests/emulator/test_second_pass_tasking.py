"""The tasking facts of CAPELLA_API.md's "Second pass", over real HTTP: lifecycle, rules, cancellation."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.emulator.tasking_helpers import (
    FAST_STEP,
    POINT,
    SQUARE,
    Api,
    codes,
    collect_codes,
    error_of,
    iso_in,
    zod,
)

# Review is not the subject here: requests are approved one step after review, as before.
pytestmark = pytest.mark.capella_emulator(auto_approve_review=True)

HOUR = 3600
DAY = 24 * HOUR


@pytest.fixture
def api(capella_emulator: Any) -> Api:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Api(capella_emulator)


def _task_id(feature: dict[str, Any]) -> str:
    return feature["properties"]["taskingrequestId"]


def _message(feature: dict[str, Any], code: str) -> str:
    return next(entry["message"] for entry in feature["properties"]["statusHistory"] if entry["code"] == code)


# --- lifecycle ----------------------------------------------------------------------------------


def test_a_window_beyond_the_one_week_horizon_goes_active_before_accepted(api: Api) -> None:
    task_id = _task_id(api.create_task(windowClose=iso_in(10 * DAY)))

    task = api.wait_for_task(task_id, "completed")

    assert codes(task) == ["completed", "accepted", "active", "submitted", "review", "received"]
    assert "not guaranteed" in _message(task, "active")


def test_a_short_window_goes_from_submitted_straight_to_accepted(api: Api) -> None:
    task_id = _task_id(api.create_task(collectionTier="urgent", windowClose=iso_in(2 * DAY)))

    task = api.wait_for_task(task_id, "completed")

    assert codes(task) == ["completed", "accepted", "submitted", "review", "received"]


@pytest.mark.capella_emulator(auto_approve_review=False)  # held in review until approved
def test_a_request_in_review_can_be_rejected_by_the_user(api: Api) -> None:
    task_id = _task_id(api.create_task())
    api.wait_for_task(task_id, "review")

    response = api.patch(f"/task/{task_id}/status", {"status": "rejected"})
    again = api.patch(f"/task/{task_id}/status", {"status": "approved"})

    assert response.status_code == 200, response.text
    assert codes(response.json()) == ["rejected", "review", "received"]
    assert "by the user" in _message(response.json(), "rejected")
    assert response.json()["properties"]["transactionStatus"] == "rejected"
    assert error_of(again)["code"] == "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"
    assert api.collects(task_id) == []


def test_rejecting_outside_review_is_refused(api: Api) -> None:
    task_id = _task_id(api.create_task(windowOpen=iso_in(2 * DAY)))
    api.wait_for_task(task_id, "active")

    response = api.patch(f"/task/{task_id}/status", {"status": "rejected"})

    assert response.status_code == 400 and error_of(response)["code"] == "VALIDATION_ERROR"


def test_an_anomaly_can_be_followed_by_retrying_and_completion(api: Api) -> None:
    task_id = _task_id(api.create_task(customAttribute2="emulator:retrying"))

    task = api.wait_for_task(task_id, "completed")

    history = codes(task)
    assert history[:3] == ["completed", "retrying", "anomaly"]
    assert "re-attempting" in _message(task, "retrying")
    [collect] = api.collects(task_id)
    assert collect_codes(collect)[0] == "delivered" and "anomaly" in collect_codes(collect)


def test_a_request_in_anomaly_with_a_retry_to_come_is_not_finalized(api: Api, capella_emulator: Any) -> None:
    capella_emulator.settings(tasking_step_seconds=0.5)
    task_id = _task_id(api.create_task(customAttribute2="emulator:retrying"))

    task = api.wait_for_task(task_id, "anomaly", "retrying", "completed", timeout=20)

    if codes(task)[0] == "anomaly":
        assert task["properties"]["transactionStatus"] == "in-progress"
    assert codes(api.wait_for_task(task_id, "completed", timeout=20))[0] == "completed"


def test_active_carries_the_conflicting_tasks_of_the_organization(api: Api) -> None:
    other = _task_id(api.create_task(windowOpen=iso_in(2 * DAY)))
    task_id = _task_id(api.create_task(customAttribute1="emulator:conflicting"))

    task = api.wait_for_task(task_id, "completed")

    message = _message(task, "active")
    assert message.startswith(
        "Collection will be attempted but conflicting tasks may prevent task completion"
    )
    assert other in message
    assert codes(task)[:3] == ["completed", "accepted", "active"]


def test_rejected_can_carry_the_conflict_with_accepted_tasks(api: Api) -> None:
    task_id = _task_id(api.create_task(customAttribute1="emulator:conflicting emulator:rejected"))

    task = api.wait_for_task(task_id, "rejected")

    assert codes(task) == ["rejected", "submitted", "review", "received"]
    assert "conflicts with accepted tasks" in _message(task, "rejected")


# --- rules the real API enforces ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "too_short", "long_enough"),
    [
        ("urgent", 23 * HOUR, 24 * HOUR),
        ("priority", 71 * HOUR, 72 * HOUR),
        ("standard", 6 * DAY, 7 * DAY),
    ],
)
def test_each_tier_refuses_a_window_shorter_than_its_minimum(
    api: Api, tier: str, too_short: float, long_enough: float
) -> None:
    window_open = "2030-01-01T00:00:00Z"
    start = 1893456000  # 2030-01-01T00:00:00Z

    def body(seconds: float) -> dict[str, Any]:
        close = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + seconds))
        properties = {"collectionTier": tier, "windowOpen": window_open, "windowClose": close}
        return {"type": "Feature", "geometry": POINT, "properties": properties}

    refused = api.post("/task", body(too_short))
    accepted = api.post("/task", body(long_enough))

    assert refused.status_code == 400
    error = error_of(refused)
    assert (error["code"], error["message"]) == ("VALIDATION_ERROR", "Validation Error")
    [problem] = error["detail"]
    assert problem["path"] == ["properties", "windowClose"] and problem["code"] == "too_small"
    assert tier in problem["message"] and "at least" in problem["message"]
    assert accepted.status_code == 201, accepted.text


def test_flexible_has_no_minimum_window(api: Api) -> None:
    response = api.post(
        "/task",
        {
            "type": "Feature",
            "geometry": POINT,
            "properties": {"collectionTier": "flexible", "windowClose": iso_in(HOUR)},
        },
    )

    assert response.status_code == 201, response.text


def test_geo_is_always_produced(api: Api) -> None:
    task_id = _task_id(api.create_task(processingConfig={"productTypes": ["SLC"]}))
    api.wait_for_task(task_id, "completed")

    [collect] = api.collects(task_id)
    found = api.post("/catalog/search", {"query": {"capella:collect_id": {"eq": collect["collectId"]}}})

    assert sorted(item["properties"]["sar:product_type"] for item in found.json()["features"]) == [
        "GEO",
        "SLC",
    ]


def _ring(count: int) -> list[list[float]]:
    """A convex ring of ``count`` distinct vertices (closed) around Rotterdam."""
    import math

    points = [
        [4.05 + 0.05 * math.cos(2 * math.pi * i / count), 51.95 + 0.05 * math.sin(2 * math.pi * i / count)]
        for i in range(count)
    ]
    return [*points, points[0]]


@pytest.mark.parametrize(
    ("geometry", "path", "words"),
    [
        (
            {"type": "Polygon", "coordinates": [SQUARE["coordinates"][0], _ring(5)]},
            "geometry.coordinates",
            "holes",
        ),
        ({"type": "Polygon", "coordinates": [_ring(250)]}, "geometry.coordinates.0", "fewer than 250"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[4.0, 51.9], [4.1, 52.0], [4.1, 51.9], [4.0, 52.0], [4.0, 51.9]]],
            },
            "geometry.coordinates.0",
            "intersects itself",
        ),
        ({"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}, "geometry.type", "MultiPolygon"),
    ],
)
def test_area_polygons_are_limited(api: Api, geometry: dict[str, Any], path: str, words: str) -> None:
    response = api.post("/task", {"type": "Feature", "geometry": geometry, "properties": {}})

    assert response.status_code == 400, response.text
    problem = error_of(response)["detail"][0]
    assert problem["path"] == zod(path) and words in problem["message"]


def test_a_polygon_of_249_vertices_is_accepted(api: Api) -> None:
    response = api.post(
        "/task", {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [_ring(249)]}}
    )

    assert response.status_code == 201, response.text


def test_repeat_requests_take_a_point_only(api: Api) -> None:
    response = api.post("/repeat-requests", {"type": "Feature", "geometry": SQUARE, "properties": {}})

    assert response.status_code == 400
    problem = error_of(response)["detail"][0]
    assert problem["path"] == ["geometry", "type"] and "Point" in problem["message"]


# --- cancellation -------------------------------------------------------------------------------


@pytest.mark.capella_emulator(auto_approve_review=False)  # held in review until approved
def test_a_request_in_review_cannot_be_canceled(api: Api) -> None:
    task_id = _task_id(api.create_task())
    api.wait_for_task(task_id, "review")

    response = api.patch(f"/task/{task_id}/status", {"status": "canceled"})

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "CANCELLATION_NOT_ALLOWED" and "rejected" in error["message"]
    assert codes(api.task(task_id))[0] == "review"


def test_a_request_within_12_hours_of_its_first_collect_cannot_be_canceled(api: Api) -> None:
    task_id = _task_id(api.create_task(windowOpen=iso_in(6 * HOUR)))
    api.wait_for_task(task_id, "active")  # its collect is planned for the window's opening, 6 hours away

    response = api.patch(f"/task/{task_id}/status", {"status": "canceled"})

    assert response.status_code == 400
    assert error_of(response)["code"] == "CANCELLATION_NOT_ALLOWED"
    assert "12 hours" in error_of(response)["message"]


def test_cancelling_more_than_72_hours_before_the_first_collect_is_free(api: Api) -> None:
    task_id = _task_id(api.create_task(windowOpen=iso_in(4 * DAY)))
    api.wait_for_task(task_id, "active")

    response = api.patch(f"/task/{task_id}/status", {"status": "canceled"})

    assert response.status_code == 200, response.text
    assert "No cancellation fee" in _message(response.json(), "canceled")


# --- repeat requests: approval, rejection, cancellation -----------------------------------------


def _repeat(api: Api, **properties: Any) -> str:
    response = api.post("/repeat-requests", {"type": "Feature", "geometry": POINT, "properties": properties})
    assert response.status_code == 201, response.text
    return response.json()["properties"]["repeatrequestId"]


def _repeat_codes(api: Api, repeat_id: str) -> list[str]:
    return codes(api.get(f"/repeat-requests/{repeat_id}").json())


@pytest.mark.capella_emulator(auto_approve_review=False)  # held in review until approved
def test_a_repeat_request_in_review_is_approved_with_code_submitted(api: Api) -> None:
    repeat_id = _repeat(api, repeatrequestName="held")
    time.sleep(4 * FAST_STEP)
    assert _repeat_codes(api, repeat_id) == ["review", "received"]

    response = api.patch(f"/repeat-requests/{repeat_id}/status", {"code": "submitted"})
    time.sleep(4 * FAST_STEP)

    assert response.status_code == 200, response.text
    assert _repeat_codes(api, repeat_id) == ["active", "submitted", "review", "received"]


@pytest.mark.capella_emulator(auto_approve_review=False)  # held in review until approved
def test_a_repeat_request_in_review_can_be_rejected_but_not_canceled(api: Api) -> None:
    repeat_id = _repeat(api, repeatrequestName="held")
    time.sleep(3 * FAST_STEP)

    canceled = api.patch(f"/repeat-requests/{repeat_id}/status", {"code": "canceled"})
    rejected = api.patch(f"/repeat-requests/{repeat_id}/status", {"code": "rejected"})

    assert canceled.status_code == 400 and error_of(canceled)["code"] == "CANCELLATION_NOT_ALLOWED"
    assert rejected.status_code == 200 and codes(rejected.json())[0] == "rejected"


@pytest.mark.parametrize("body", [{"code": "canceled"}, {"status": "canceled"}])
def test_an_active_repeat_request_is_canceled_with_code_or_status(api: Api, body: dict[str, str]) -> None:
    repeat_id = _repeat(api)
    time.sleep(4 * FAST_STEP)

    response = api.patch(f"/repeat-requests/{repeat_id}/status", body)

    assert response.status_code == 200, response.text
    assert codes(response.json())[:2] == ["canceled", "active"]
