"""The rules the real API enforces, checked by the hook before anything is sent (second pass).

Each refusal names the argument and the rule and leaves the emulator's request log empty; each input
just inside a rule is sent and accepted by the emulator, which enforces the same rules server-side.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaValidationError
from airflow_provider_capella.hooks.capella import CapellaHook

POINT = {"type": "Point", "coordinates": [4.05, 51.95]}
SQUARE = [[4.0, 51.9], [4.1, 51.9], [4.1, 52.0], [4.0, 52.0], [4.0, 51.9]]
START = datetime(2031, 3, 1, tzinfo=timezone.utc)


def circle(vertices: int) -> dict[str, Any]:
    """A Polygon with ``vertices`` distinct vertices around Rotterdam (closed ring)."""
    ring = [
        [
            4.05 + 0.05 * math.cos(2 * math.pi * i / vertices),
            51.95 + 0.05 * math.sin(2 * math.pi * i / vertices),
        ]
        for i in range(vertices)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def refused(capella_emulator: Any, call: Any, argument: str, *rule: str) -> str:
    """Run ``call``; assert it raised naming ``argument`` and each ``rule`` text, with nothing sent."""
    with pytest.raises(CapellaValidationError) as raised:
        call()
    message = str(raised.value)
    assert argument in message
    for text in rule:
        assert text in message
    assert capella_emulator.requests() == [], "refused before any request"
    return message


@pytest.mark.parametrize(
    ("tier", "hours", "minimum"),
    [("standard", 48, "7 days"), ("priority", 71, "72 hours"), ("urgent", 12, "24 hours")],
)
def test_a_window_shorter_than_its_tier_minimum_is_refused(
    hook: CapellaHook, capella_emulator: Any, tier: str, hours: int, minimum: str
) -> None:
    message = refused(
        capella_emulator,
        lambda: hook.create_tasking_request(
            geometry=POINT,
            collection_tier=tier,
            window_open=START,
            window_close=START + timedelta(hours=hours),
        ),
        "window_close",
        f"a {tier} tasking request needs a window of at least {minimum}",
    )
    assert "urgent >= 24 hours, priority >= 72 hours, standard >= 7 days" in message


@pytest.mark.parametrize(
    ("tier", "span"),
    [
        ("standard", timedelta(days=7)),
        ("priority", timedelta(hours=72)),
        ("urgent", timedelta(hours=24)),
        ("flexible", timedelta(hours=2)),
    ],
)
def test_a_window_at_its_tier_minimum_is_sent_and_accepted(
    hook: CapellaHook, tier: str, span: timedelta
) -> None:
    task = hook.create_tasking_request(
        geometry=POINT, collection_tier=tier, window_open=START, window_close=START + span
    )
    assert task["properties"]["collectionTier"] == tier


@pytest.mark.parametrize(
    ("geometry", "rule"),
    [
        ({"type": "Polygon", "coordinates": [SQUARE, SQUARE]}, "one ring and no holes"),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE]]}, "a MultiPolygon is not accepted"),
        (circle(250), "fewer than 250 vertices, got 250"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[4.0, 51.9], [4.1, 52.0], [4.1, 51.9], [4.0, 52.0], [4.0, 51.9]]],
            },
            "must not intersect itself",
        ),
        ({"type": "LineString", "coordinates": [[4.0, 51.9], [4.1, 52.0]]}, "not accepted"),
    ],
    ids=["hole", "multipolygon", "250-vertices", "bow-tie", "line"],
)
def test_area_tasks_break_no_polygon_rule(
    hook: CapellaHook, capella_emulator: Any, geometry: Any, rule: str
) -> None:
    refused(capella_emulator, lambda: hook.create_tasking_request(geometry=geometry), "geometry", rule)


def test_a_polygon_inside_every_rule_is_sent_and_accepted(hook: CapellaHook) -> None:
    task = hook.create_tasking_request(geometry=circle(249), name="249 vertices")
    assert task["geometry"]["type"] == "Polygon"
    assert len(task["geometry"]["coordinates"][0]) == 250  # 249 vertices + the closing position


def test_a_repeat_request_takes_a_point_only(hook: CapellaHook, capella_emulator: Any) -> None:
    refused(
        capella_emulator,
        lambda: hook.create_repeat_request(geometry={"type": "Polygon", "coordinates": [SQUARE]}),
        "geometry",
        "a repeat request takes a Point only",
        "no repeat tasking of areas",
    )


def wait_for(hook: CapellaHook, task_id: str, *statuses: str) -> None:
    deadline = time.monotonic() + 15
    while hook.get_task(task_id)["properties"]["statusHistory"][0]["code"] not in statuses:
        assert time.monotonic() < deadline, f"{task_id} never reached {statuses}"
        time.sleep(0.05)


def later_task(hook: CapellaHook, hours_ahead: float, name: str = "later") -> str:
    """A standard request whose window (and so its first collect) opens ``hours_ahead`` from now."""
    opens = datetime.now(timezone.utc) + timedelta(hours=hours_ahead)
    task = hook.create_tasking_request(
        geometry=POINT,
        name=name,
        window_open=opens,
        window_close=opens + timedelta(days=8),
        pre_approval=True,
    )
    return task["properties"]["taskingrequestId"]


def test_a_request_in_review_is_not_canceled_but_rejected(hook: CapellaHook, capella_emulator: Any) -> None:
    task_id = hook.create_tasking_request(geometry=POINT, name="x")["properties"]["taskingrequestId"]
    wait_for(hook, task_id, "review")
    capella_emulator.clear_requests()

    result = hook.cancel_tasking_requests(task_id)[task_id]

    assert result["success"] is False and result["error"]["code"] == "CANCELLATION_NOT_ALLOWED"
    assert "in review cannot be canceled" in result["error"]["message"]
    assert f"reject_tasking_request('{task_id}')" in result["error"]["message"]
    assert capella_emulator.requests(method="PATCH") == []


def test_an_accepted_or_active_request_days_before_its_collect_is_canceled_free(
    hook: CapellaHook, capella_emulator: Any
) -> None:
    task_id = later_task(hook, hours_ahead=96)
    wait_for(hook, task_id, "accepted", "active")

    assert hook.cancel_tasking_requests(task_id) == {task_id: {"success": True}}

    history = hook.get_task(task_id)["properties"]["statusHistory"]
    assert history[0]["code"] == "canceled" and "No cancellation fee" in history[0]["message"]


def test_canceling_12_to_72_hours_before_the_collect_warns_of_the_fee(
    hook: CapellaHook, capella_emulator: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    task_id = later_task(hook, hours_ahead=36)
    wait_for(hook, task_id, "accepted", "active")
    capfd.readouterr()

    assert hook.cancel_tasking_requests(task_id) == {task_id: {"success": True}}

    captured = capfd.readouterr()
    assert "costs 25% of its order value" in captured.out + captured.err


def test_a_request_within_12_hours_of_its_first_collect_is_not_sent_a_cancel(
    hook: CapellaHook, capella_emulator: Any
) -> None:
    task_id = later_task(hook, hours_ahead=6)
    wait_for(hook, task_id, "accepted", "active")
    capella_emulator.clear_requests()

    result = hook.cancel_tasking_requests(task_id)[task_id]

    assert result["success"] is False and result["error"]["code"] == "CANCELLATION_NOT_ALLOWED"
    assert "within 12 hours of its first collect" in result["error"]["message"]
    assert capella_emulator.requests(method="PATCH") == []
