"""Feasibility (access requests) against the emulator: create, wait for processing, read the passes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaAccessRequestPendingError, CapellaValidationError
from airflow_provider_capella.hooks.capella import CapellaHook

ROTTERDAM = {"type": "Point", "coordinates": [4.05, 51.95]}
SOON = datetime.now(timezone.utc) + timedelta(hours=1)
WEEK_LATER = SOON + timedelta(days=7)
UNKNOWN_ID = "0b8f3f8e-7d1c-4c7e-9d7a-3b7f1b2a9c10"


def access_id(access: dict[str, Any]) -> str:
    return str(access["properties"]["accessrequestId"])


def test_a_week_over_rotterdam_has_passes_inside_the_window_and_constraints(hook: CapellaHook) -> None:
    access = hook.create_access_request(
        geometry=ROTTERDAM,
        window_open=SOON,
        window_close=WEEK_LATER,
        name="rotterdam",
        off_nadir_min=25,
        off_nadir_max=40,
        orbital_planes=[53, 97],
        asc_dsc="either",
    )
    constraints = access["properties"]["accessConstraints"]
    assert (constraints["offNadirMin"], constraints["offNadirMax"]) == (25, 40)
    assert constraints["orbitalPlanes"] == [53, 97]

    passes = hook.get_accesses(access_id(access), wait=True, timeout=60, poll_interval=0.1)

    assert passes, "a week over a mid-latitude port should have passes"
    for one in passes:
        assert SOON.isoformat()[:16] <= one["windowOpen"][:16] <= WEEK_LATER.isoformat()[:16]
        assert one["orbitalPlane"] in (53, 97)
        assert 25 <= one["accessProperties"]["offNadirMin"] <= one["accessProperties"]["offNadirMax"] <= 40
    processed = hook.get_access_request(access_id(access))["properties"]
    assert (processed["processingStatus"], processed["accessibilityStatus"]) == ("completed", "accessible")


def test_a_target_no_plane_reaches_is_inaccessible(hook: CapellaHook) -> None:
    # the 45 degree plane reaches about 51 degrees of latitude: Rotterdam is out of its reach
    access = hook.create_access_request(
        geometry=ROTTERDAM, window_open=SOON, window_close=SOON + timedelta(days=2), orbital_planes=[45]
    )

    assert hook.get_accesses(access_id(access), wait=True, timeout=60, poll_interval=0.1) == []
    assert hook.get_access_request(access_id(access))["properties"]["accessibilityStatus"] == "inaccessible"


def test_without_wait_a_request_still_processing_says_so(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.settings(tasking_step_seconds=30)
    access = hook.create_access_request(geometry=ROTTERDAM, window_open=SOON, window_close=WEEK_LATER)

    with pytest.raises(CapellaAccessRequestPendingError, match="wait=True"):
        hook.get_accesses(access_id(access))
    with pytest.raises(CapellaAccessRequestPendingError, match="still"):
        hook.get_accesses(access_id(access), wait=True, timeout=0.3, poll_interval=0.1)


def test_unknown_access_request_is_not_found(hook: CapellaHook) -> None:
    from airflow_provider_capella.exceptions import CapellaNotFoundError

    with pytest.raises(CapellaNotFoundError):
        hook.get_access_request(UNKNOWN_ID)


BAD_ACCESS_REQUESTS: list[tuple[str, dict[str, Any], str]] = [
    ("closes before it opens", {"window_open": WEEK_LATER, "window_close": SOON}, "window_close"),
    ("closes when it opens", {"window_open": SOON, "window_close": SOON}, "window_close"),
    (
        "already past",
        {"window_open": "2020-01-01T00:00:00Z", "window_close": "2020-01-02T00:00:00Z"},
        "past",
    ),
    ("longer than a year", {"window_close": SOON + timedelta(days=400)}, "366 days"),
    ("unparsable open", {"window_open": "next tuesday"}, "window_open"),
    ("min above max", {"off_nadir_min": 45, "off_nadir_max": 30}, "off_nadir_min"),
    ("off-nadir out of range", {"off_nadir_max": 95}, "off_nadir_max"),
    ("off-nadir not a number", {"off_nadir_max": "steep"}, "off_nadir_max"),
    ("plane that does not exist", {"orbital_planes": [60]}, "orbital_planes"),
    ("bad look direction", {"look_direction": "up"}, "look_direction"),
    ("bad pass direction", {"asc_dsc": "sideways"}, "asc_dsc"),
    ("negative image length", {"image_length": -5}, "image_length"),
    ("local time backwards", {"local_time": [[50000, 100]]}, "local_time"),
    ("a line", {"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}, "geometry"),
    ("latitude out of range", {"geometry": {"type": "Point", "coordinates": [4, 95]}}, "latitude"),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [pytest.param(*case[1:], id=case[0]) for case in BAD_ACCESS_REQUESTS]
)
def test_bad_access_request_is_refused_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any, overrides: dict[str, Any], expected: str
) -> None:
    arguments = {"geometry": ROTTERDAM, "window_open": SOON, "window_close": WEEK_LATER, **overrides}

    with pytest.raises(CapellaValidationError) as raised:
        hook.create_access_request(**arguments)

    assert expected.lower() in str(raised.value).lower()
    assert capella_emulator.requests() == []


def test_an_unknown_constraint_is_a_type_error_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any
) -> None:
    with pytest.raises(TypeError, match="off_nadir"):
        hook.create_access_request(  # type: ignore[call-arg]
            geometry=ROTTERDAM, window_open=SOON, window_close=WEEK_LATER, off_nadir=30
        )
    assert capella_emulator.requests() == []


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(lambda hook: hook.get_access_request("not-a-uuid"), "access_request_id", id="get id"),
        pytest.param(lambda hook: hook.get_accesses("42"), "access_request_id", id="accesses id"),
        pytest.param(lambda hook: hook.get_accesses(UNKNOWN_ID, wait="yes"), "wait", id="wait"),
        pytest.param(lambda hook: hook.get_accesses(UNKNOWN_ID, timeout=-1), "timeout", id="timeout"),
        pytest.param(
            lambda hook: hook.get_accesses(UNKNOWN_ID, poll_interval=0), "poll_interval", id="poll_interval"
        ),
    ],
)
def test_bad_access_lookups_are_refused_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any, call: Any, expected: str
) -> None:
    with pytest.raises(CapellaValidationError, match=expected):
        call(hook)
    assert capella_emulator.requests() == []
