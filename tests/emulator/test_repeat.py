"""Repeat requests over real HTTP: create, search, get, update, cancel, and the requests they derive."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.emulator.tasking_helpers import FAST_STEP, POINT, Api, codes, error_of, instant, iso_in, zod

# Review is not the subject here: requests are approved one step after review, as before.
pytestmark = pytest.mark.capella_emulator(auto_approve_review=True)


@pytest.fixture
def api(capella_emulator: Any) -> Api:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Api(capella_emulator)


def _create(api: Api, **properties: Any) -> dict[str, Any]:
    response = api.post("/repeat-requests", {"type": "Feature", "geometry": POINT, "properties": properties})
    assert response.status_code == 201, response.text
    return response.json()


def _derived(api: Api, repeat_id: str) -> list[dict[str, Any]]:
    """The tasking requests derived from ``repeat_id``, oldest first."""
    page = api.post("/tasks/search", {"query": {}}, page=1, limit=500).json()
    derived = [r for r in page["results"] if r["properties"]["repeatrequestId"] == repeat_id]
    return sorted(derived, key=lambda r: r["properties"]["windowOpen"])


def _wait_for_derived(api: Api, repeat_id: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while len(derived := _derived(api, repeat_id)) < count:
        assert time.monotonic() < deadline, f"only {len(derived)} derived requests after {timeout}s"
        time.sleep(0.02)
    return derived


def _wait_for_repeat(api: Api, repeat_id: str, status: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while codes(repeat := api.get(f"/repeat-requests/{repeat_id}").json())[0] != status:
        assert time.monotonic() < deadline, f"repeat request still {codes(repeat)} after {timeout}s"
        time.sleep(0.02)
    return repeat


def test_created_repeat_request_echoes_its_properties_with_defaults(api: Api) -> None:
    response = api.post(
        "/repeat-requests",
        {
            "type": "Feature",
            "geometry": POINT,
            "contractId": "contract-9",
            "properties": {
                "repeatrequestName": "weekly port",
                "repetitionProperties": {"repeatStart": iso_in(86400), "lookAngleTolerance": 5},
            },
        },
    )

    assert response.status_code == 201, response.text
    props = response.json()["properties"]
    assert props["repeatrequestName"] == "weekly port" and props["contractId"] == "contract-9"
    assert props["collectionTier"] == "routine" and props["collectionType"] == "spotlight"
    assert props["windowDuration"] == 7 * 86400
    assert props["costPerImageEstimate"].startswith("$")
    assert codes(response.json()) == ["received"]
    repetition = props["repetitionProperties"]
    assert repetition["repetitionInterval"] == 7 and repetition["lookAngleTolerance"] == 5
    assert repetition["repeatEnd"] is None and repetition["repetitionCount"] is None
    assert props["collectConstraints"]["squint"] == "enabled"


@pytest.mark.parametrize(
    ("properties", "path"),
    [
        (
            {"repetitionProperties": {"repeatEnd": "2030-02-01T00:00:00Z", "repetitionCount": 3}},
            "properties.repetitionProperties",
        ),
        (
            {
                "repetitionProperties": {
                    "repeatStart": "2030-02-01T00:00:00Z",
                    "repeatEnd": "2030-01-01T00:00:00Z",
                }
            },
            "properties.repetitionProperties.repeatEnd",
        ),
        (
            {"repetitionProperties": {"repetitionInterval": 0}},
            "properties.repetitionProperties.repetitionInterval",
        ),
        (
            {"repetitionProperties": {"repetitionCount": 2.5}},
            "properties.repetitionProperties.repetitionCount",
        ),
        ({"repetitionProperties": {"repeatStart": "soon"}}, "properties.repetitionProperties.repeatStart"),
        ({"collectionTier": "urgent"}, "properties.collectionTier"),
        ({"collectionTier": "insar"}, "properties.insar"),
        ({"collectionTier": "insar", "insar": {"orbit": "LEO"}}, "properties.insar.orbit"),
        ({"windowDuration": -5}, "properties.windowDuration"),
        ({"collectConstraints": {"lookDirection": "up"}}, "properties.collectConstraints.lookDirection"),
    ],
)
def test_invalid_repeat_request_is_a_validation_error(
    api: Api, properties: dict[str, Any], path: str
) -> None:
    response = api.post("/repeat-requests", {"type": "Feature", "geometry": POINT, "properties": properties})

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert error["detail"][0]["path"] == zod(path)


def test_insar_repeat_request_with_an_orbit_is_accepted(api: Api) -> None:
    props = _create(api, collectionTier="insar", insar={"orbit": "MIO_53_2P95"})["properties"]

    assert props["insar"] == {"orbit": "MIO_53_2P95"}


def test_derived_requests_appear_one_interval_apart_and_stop_at_the_count(api: Api) -> None:
    repeat = _create(
        api,
        repeatrequestName="daily",
        windowDuration=3600,
        repetitionProperties={"repetitionInterval": 2, "repetitionCount": 3},
    )
    repeat_id = repeat["properties"]["repeatrequestId"]
    start = instant(repeat["properties"]["repetitionProperties"]["repeatStart"])

    derived = _wait_for_derived(api, repeat_id, 3)
    time.sleep(10 * FAST_STEP)
    finished = _wait_for_repeat(api, repeat_id, "completed")

    assert len(_derived(api, repeat_id)) == 3
    first = instant(derived[0]["properties"]["windowOpen"])
    assert first >= start  # the series starts once the repeat request is active
    offsets = [(instant(r["properties"]["windowOpen"]) - first).total_seconds() for r in derived]
    assert offsets == pytest.approx([0.0, 2 * FAST_STEP, 4 * FAST_STEP], abs=0.002)
    for request in derived:
        assert request["properties"]["taskingrequestName"] == "daily"
        assert request["properties"]["windowDuration"] == 3600
        assert (
            codes(api.wait_for_task(request["properties"]["taskingrequestId"], "completed"))[0] == "completed"
        )
    assert codes(finished) == ["completed", "active", "submitted", "review", "received"]


def test_repeat_end_bounds_the_series_on_the_compressed_scale(api: Api) -> None:
    repeat = _create(
        api,
        repetitionProperties={
            "repeatStart": iso_in(0),
            "repeatEnd": iso_in(3 * 86400 - 60),
            "repetitionInterval": 1,
        },
    )
    repeat_id = repeat["properties"]["repeatrequestId"]

    _wait_for_derived(api, repeat_id, 3)
    time.sleep(6 * FAST_STEP)

    assert len(_derived(api, repeat_id)) == 3


def test_series_starting_in_the_past_starts_when_submitted(api: Api) -> None:
    repeat = _create(
        api,
        repetitionProperties={"repeatStart": iso_in(-86400), "repetitionInterval": 1, "repetitionCount": 2},
    )
    submitted = instant(repeat["properties"]["submissionTime"])

    derived = _wait_for_derived(api, repeat["properties"]["repeatrequestId"], 2)

    assert [instant(r["properties"]["windowOpen"]) >= submitted for r in derived] == [True, True]


def test_derived_requests_are_left_out_of_searches_excluding_repeating_tasks(api: Api) -> None:
    repeat_id = _create(api, repetitionProperties={"repetitionInterval": 1, "repetitionCount": 1})[
        "properties"
    ]["repeatrequestId"]
    _wait_for_derived(api, repeat_id, 1)
    api.create_task(taskingrequestName="one-off")

    excluded = api.post("/tasks/search", {"query": {"includeRepeatingTasks": {"eq": False}}}).json()
    included = api.post("/tasks/search", {"query": {"includeRepeatingTasks": {"eq": True}}}).json()

    assert [r["properties"]["taskingrequestName"] for r in excluded["results"]] == ["one-off"]
    assert included["totalResults"] == 2


def test_markers_of_the_repeat_request_apply_to_every_derived_request(api: Api) -> None:
    repeat_id = _create(
        api,
        customAttribute2="emulator:failed",
        repetitionProperties={"repetitionInterval": 1, "repetitionCount": 2},
    )["properties"]["repeatrequestId"]

    derived = _wait_for_derived(api, repeat_id, 2)

    for request in derived:
        assert codes(api.wait_for_task(request["properties"]["taskingrequestId"], "failed"))[0] == "failed"


@pytest.mark.capella_emulator(auto_approve_review=False)  # held in review until approved
@pytest.mark.parametrize("body", [{"status": "canceled"}, {"code": "canceled"}, {"status": "cancelled"}])
def test_cancel_stops_the_series_and_cancels_unfinished_derived_requests(
    api: Api, body: dict[str, str], capella_emulator: Any
) -> None:
    # Derived requests are pre-approved: a slower step keeps the first one unfinished at the cancel.
    capella_emulator.settings(tasking_step_seconds=0.5)
    repeat_id = _create(api, repetitionProperties={"repetitionInterval": 1})["properties"]["repeatrequestId"]
    _wait_for_repeat(api, repeat_id, "review")
    assert api.patch(f"/repeat-requests/{repeat_id}/status", {"code": "submitted"}).status_code == 200
    _wait_for_derived(api, repeat_id, 2)

    response = api.patch(f"/repeat-requests/{repeat_id}/status", body)
    derived_at_cancel = len(_derived(api, repeat_id))
    time.sleep(5 * FAST_STEP)
    again = api.patch(f"/repeat-requests/{repeat_id}/status", body)

    assert response.status_code == 200, response.text
    assert codes(response.json())[0] == "canceled"
    derived = _derived(api, repeat_id)
    assert len(derived) == derived_at_cancel
    assert {codes(request)[0] for request in derived} == {"canceled"}
    assert again.status_code == 400
    assert error_of(again)["code"] == "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"


@pytest.mark.parametrize("body", [{"status": "approved"}, {"code": "paused"}, {}, ["canceled"]])
def test_repeat_status_other_than_canceled_is_refused(api: Api, body: Any) -> None:
    repeat_id = _create(api)["properties"]["repeatrequestId"]

    response = api.patch(f"/repeat-requests/{repeat_id}/status", body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "VALIDATION_ERROR"


def test_get_and_update_a_repeat_request(api: Api) -> None:
    repeat_id = _create(api, repeatrequestName="before")["properties"]["repeatrequestId"]

    updated = api.patch(
        f"/repeat-requests/{repeat_id}",
        {
            "properties": {
                "repeatrequestName": "after",
                "repeatrequestDescription": "described",
                "customAttribute1": "ticket-1",
                "customAttribute2": None,
                "processingConfig": {"productTypes": ["GEO"]},
            }
        },
    )
    fetched = api.get(f"/repeat-requests/{repeat_id}")

    assert updated.status_code == 200, updated.text
    props = fetched.json()["properties"]
    assert (props["repeatrequestName"], props["repeatrequestDescription"]) == ("after", "described")
    assert props["customAttribute1"] == "ticket-1"
    assert props["processingConfig"] == {"productTypes": ["GEO"]}


def test_update_of_other_repeat_properties_is_refused(api: Api) -> None:
    repeat_id = _create(api)["properties"]["repeatrequestId"]

    response = api.patch(f"/repeat-requests/{repeat_id}", {"properties": {"repetitionProperties": {}}})

    assert response.status_code == 400
    assert error_of(response)["detail"][0]["path"] == zod("properties.repetitionProperties")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/repeat-requests/5b3a0f8e-0c5e-4e8e-9d4e-1f6c2b7a9e10", 404),
        ("GET", "/repeat-requests/not-a-uuid", 400),
        ("PATCH", "/repeat-requests/5b3a0f8e-0c5e-4e8e-9d4e-1f6c2b7a9e10", 404),
        ("PATCH", "/repeat-requests/5b3a0f8e-0c5e-4e8e-9d4e-1f6c2b7a9e10/status", 404),
    ],
)
def test_unknown_and_malformed_repeat_ids(api: Api, method: str, path: str, status: int) -> None:
    body = {"properties": {"repeatrequestName": "x"}, "status": "canceled"}
    response = api.session.request(method, f"{api.url}{path}", json=body if method == "PATCH" else None)

    assert response.status_code == status
    assert error_of(response)["code"] == ("NOT_FOUND" if status == 404 else "VALIDATION_ERROR")


@pytest.fixture
def two_repeats(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    weekly = _create(api, repeatrequestName="weekly", repetitionProperties={"repeatStart": iso_in(86400)})
    time.sleep(0.01)
    fortnightly = _create(
        api,
        repeatrequestName="fortnightly",
        collectionTier="flexible",
        collectionType="stripmap_50",
        repetitionProperties={
            "repeatStart": iso_in(10 * 86400),
            "repeatEnd": iso_in(60 * 86400),
            "repetitionInterval": 14,
        },
    )
    return weekly["properties"], fortnightly["properties"]


def _search_names(api: Api, body: dict[str, Any], **params: Any) -> list[str]:
    response = api.post("/repeat-requests/search", body, **params)
    assert response.status_code == 200, response.text
    return [result["properties"]["repeatrequestName"] for result in response.json()["results"]]


@pytest.mark.parametrize("key", ["query", "filter"])
def test_search_repeat_requests_by_every_field(
    api: Api, two_repeats: tuple[dict[str, Any], dict[str, Any]], key: str, capella_emulator: Any
) -> None:
    weekly, _ = two_repeats
    config = capella_emulator.state.config

    def names(query: dict[str, Any]) -> set[str]:
        return set(_search_names(api, {key: query}))

    assert names({"repetitionProperties.repetitionInterval": {"eq": 14}}) == {"fortnightly"}
    assert names({"repetitionProperties.repetitionInterval": {"lt": 14}}) == {"weekly"}
    assert names({"repetitionProperties.repeatStart": {"gte": iso_in(5 * 86400)}}) == {"fortnightly"}
    assert names({"repetitionProperties.repeatEnd": {"lte": iso_in(90 * 86400)}}) == {"fortnightly"}
    assert names({"repeatrequestIds": [weekly["repeatrequestId"]]}) == {"weekly"}
    assert names({"collectionTier": {"eq": "flexible"}}) == {"fortnightly"}
    assert names({"collectionType": ["spotlight"]}) == {"weekly"}
    assert names({"type": {"eq": "stripmap"}}) == {"fortnightly"}
    assert names({"lastStatusCode": {"in": ["received", "review", "submitted", "active"]}}) == {
        "weekly",
        "fortnightly",
    }
    assert names({"lastStatusTime": {"gte": weekly["submissionTime"]}}) == {"weekly", "fortnightly"}
    assert names({"submissionTime": {"gt": weekly["submissionTime"]}}) == {"fortnightly"}
    assert names({"organizationIds": [config.organization_id], "userId": config.user_id}) == {
        "weekly",
        "fortnightly",
    }
    assert names({"userId": {"eq": "someone-else"}}) == set()


def test_search_repeat_requests_pages_newest_first(
    api: Api, two_repeats: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    first = api.post("/repeat-requests/search", {"filter": {}}, page=1, limit=1).json()
    second = api.post("/repeat-requests/search", {"filter": {}}, page=2, limit=1).json()

    assert (first["totalPages"], first["totalResults"]) == (2, 2)
    assert [r["properties"]["repeatrequestName"] for r in first["results"] + second["results"]] == [
        "fortnightly",
        "weekly",
    ]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"query": {"repetitionInterval": {"eq": 7}}}, "query.repetitionInterval"),
        ({"filter": {"repetitionProperties.repetitionInterval": {"eq": "weekly"}}}, None),
        ({"query": {}, "filter": {}}, "filter"),
    ],
)
def test_search_repeat_requests_with_a_bad_query_is_a_validation_error(
    api: Api, body: dict[str, Any], path: str | None
) -> None:
    response = api.post("/repeat-requests/search", body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    if path is not None:
        assert error["detail"][0]["path"] == zod(path)
