"""Tasking and repeat request search with the second pass's grammar, against the emulator: every
operator, datetime intervals, nested fields, the extra fields, sort/order and pages of 1 to 500."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaValidationError
from airflow_provider_capella.hooks.capella import CapellaHook

POINT = {"type": "Point", "coordinates": [4.05, 51.95]}
JAN = datetime(2031, 1, 5, tzinfo=timezone.utc)
JUN = datetime(2031, 6, 5, tzinfo=timezone.utc)


def ids(found: list[dict[str, Any]]) -> list[str]:
    return [request["properties"]["taskingrequestId"] for request in found]


@pytest.fixture
def requests_made(hook: CapellaHook) -> dict[str, str]:
    """Three tasking requests: spotlight in January, stripmap in June, and one conflicting (active)."""

    def create(name: str, opens: datetime, **arguments: Any) -> str:
        task = hook.create_tasking_request(
            geometry=POINT,
            name=name,
            window_open=opens,
            window_close=opens + timedelta(days=8),
            pre_approval=True,
            **arguments,
        )
        return task["properties"]["taskingrequestId"]

    made = {
        "january": create("january", JAN),
        "june": create("june", JUN, collection_type="stripmap_50"),
        "conflict": create("clash emulator:conflicting", JAN),
    }
    deadline = time.monotonic() + 15
    while hook.get_task(made["conflict"])["properties"]["statusHistory"][0]["code"] != "active":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return made


def test_neq_in_and_text_operators(hook: CapellaHook, requests_made: dict[str, str]) -> None:
    stripmap = ids(hook.search_tasking_requests(collection_type__startsWith="stripmap"))
    assert stripmap == [requests_made["june"]]
    not_stripmap = set(ids(hook.search_tasking_requests(collection_type__neq="stripmap_50")))
    assert not_stripmap == {requests_made["january"], requests_made["conflict"]}
    explicit_in = hook.search_tasking_requests(tasking_request_id__in=[requests_made["june"]])
    assert ids(explicit_in) == [requests_made["june"]]
    conflicting = hook.search_tasking_requests(last_status_message__contains="conflicting tasks")
    assert ids(conflicting) == [requests_made["conflict"]]
    ends = hook.search_tasking_requests(collection_type__endswith="_50")  # suffixes: any case
    assert ids(ends) == [requests_made["june"]]


def test_datetime_intervals_and_nested_fields(hook: CapellaHook, requests_made: dict[str, str]) -> None:
    january = hook.search_tasking_requests(window_open="2031-01-01T00:00:00Z/2031-01-31T23:59:59Z")
    assert set(ids(january)) == {requests_made["january"], requests_made["conflict"]}
    open_ended = hook.search_tasking_requests(window_open="2031-03-01T00:00:00Z/..")
    assert ids(open_ended) == [requests_made["june"]]
    strip = hook.search_tasking_requests(collect_mode="stripmap")  # collectConstraints.collectMode
    assert ids(strip) == [requests_made["june"]]
    nested = hook.search_tasking_requests(**{"collectConstraints.collectMode__neq": "stripmap"})
    assert set(ids(nested)) == {requests_made["january"], requests_made["conflict"]}


def test_sort_and_order_and_small_pages(hook: CapellaHook, requests_made: dict[str, str]) -> None:
    ascending = ids(hook.search_tasking_requests(sort="window_open", order="asc", threaded=False))
    assert ascending[-1] == requests_made["june"]
    descending = ids(hook.search_tasking_requests(sort="windowOpen", order="desc", page_size=1))
    assert descending[0] == requests_made["june"]
    assert sorted(descending) == sorted(requests_made.values()), "three pages of one, all found"


def test_repeat_search_takes_the_same_grammar(hook: CapellaHook) -> None:
    repeat = hook.create_repeat_request(geometry=POINT, name="weekly", repeat_start=JAN, repetition_count=3)
    repeat_id = repeat["properties"]["repeatrequestId"]
    found = hook.search_repeat_requests(
        repeat_start="2031-01-01T00:00:00Z/2031-01-31T00:00:00Z", status__neq="canceled", page_size=500
    )
    assert [request["properties"]["repeatrequestId"] for request in found] == [repeat_id]
    assert hook.search_repeat_requests(repetition_interval__gt=7) == []


@pytest.mark.parametrize(
    ("filters", "argument", "problem"),
    [
        ({"page_size": 501}, "page_size", "at most 500"),
        ({"status__like": "x"}, "status__like", "unknown operator"),
        ({"status__gt": "accepted"}, "status__gt", "not ordered"),
        ({"window_open__contains": "2031"}, "window_open__contains", "not text"),
        ({"window_open": "../.."}, "window_open", "open at both ends"),
        ({"window_open": "2031-02-01/2031-01-01"}, "window_open", "ends before it starts"),
        ({"sort": "colour"}, "sort", "cannot sort by"),
        ({"order": "sideways"}, "order", "accepted: asc, desc"),
        (
            {"collectConstraints.offNadirMax__lte": [1, 2]},
            "collectConstraints.offNadirMax__lte",
            "single value",
        ),
        ({"orbit": 3}, "orbit", "unknown tasking request search filter"),
    ],
)
def test_bad_filters_are_refused_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any, filters: dict[str, Any], argument: str, problem: str
) -> None:
    with pytest.raises(CapellaValidationError) as raised:
        hook.search_tasking_requests(**filters)
    assert argument in str(raised.value) and problem in str(raised.value)
    assert capella_emulator.requests() == []
