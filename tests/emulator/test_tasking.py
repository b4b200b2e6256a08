"""Tasking requests over real HTTP: lifecycle on the fast clock, collects, outcomes, changes, search."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.emulator.tasking_helpers import (
    FAST_STEP,
    POINT,
    SQUARE,
    WIDE_SQUARE,
    Api,
    codes,
    collect_codes,
    error_of,
    instant,
    iso_in,
    zod,
)

# Review is not the subject here: requests are approved one step after review, as before.
pytestmark = pytest.mark.capella_emulator(auto_approve_review=True)

LIFECYCLE = ["completed", "accepted", "submitted", "review", "received"]  # a one-week window: no "active"
TWO_DAYS = 2 * 86400
COLLECT_LIFECYCLE = ["delivered", "qa", "processing", "collected", "tasked", "predicted"]


@pytest.fixture
def api(capella_emulator: Any) -> Api:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Api(capella_emulator)


def test_request_completes_with_a_collect_whose_items_can_be_searched_ordered_and_downloaded(
    api: Api,
) -> None:
    created = api.create_task(
        taskingrequestName="rotterdam", processingConfig={"productTypes": ["GEO", "SLC"]}
    )
    task_id = created["properties"]["taskingrequestId"]
    assert codes(created) == ["received"]

    task = api.wait_for_task(task_id, "completed")

    assert codes(task) == LIFECYCLE
    times = [instant(entry["time"]) for entry in task["properties"]["statusHistory"]]
    assert times == sorted(times, reverse=True)
    [collect] = api.collects(task_id)
    assert collect["taskingrequestId"] == task_id and collect["repeatrequestId"] is None
    assert collect_codes(collect) == COLLECT_LIFECYCLE
    assert instant(collect["windowOpen"]) >= instant(task["properties"]["windowOpen"])
    search = api.post("/catalog/search", {"query": {"capella:collect_id": {"eq": collect["collectId"]}}})
    assert search.status_code == 200, search.text
    items = search.json()["features"]
    assert sorted(item["properties"]["sar:product_type"] for item in items) == ["GEO", "SLC"]
    assert {item["properties"]["platform"] for item in items} == {f"capella-{collect['spacecraftId']}"}
    order = api.post(
        "/orders", {"items": [{"collectionId": i["collection"], "granuleId": i["id"]} for i in items]}
    )
    assert order.status_code == 200 and order.json()["orderStatus"] == "completed", order.text
    download = api.get(f"/orders/{order.json()['orderId']}/download")
    assert sorted(item["id"] for item in download.json()) == sorted(item["id"] for item in items)


def test_created_request_echoes_its_properties_with_defaults_filled(api: Api) -> None:
    body = {
        "type": "Feature",
        "geometry": SQUARE,
        "contractId": "contract-7",
        "properties": {
            "taskingrequestName": "square",
            "pre_approval": True,
            "archiveHoldback": "one_year",
            "collectionTier": "priority",
            "collectionType": "stripmap_20",
            "collectConstraints": {"localTime": "night", "polarization": "VV", "orbitalPlanes": [53, 97]},
        },
    }
    response = api.post("/task", body)

    assert response.status_code == 201, response.text
    props = response.json()["properties"]
    assert props["taskingrequestName"] == "square" and props["preApproval"] is True
    assert props["contractId"] == "contract-7" and props["archiveHoldback"] == "1_year"
    assert props["collectionTier"] == "priority" and props["type"] == "stripmap"
    assert props["windowDuration"] == 7 * 86400 and props["repeatrequestId"] is None
    constraints = props["collectConstraints"]
    assert {key: constraints[key] for key in ("localTime", "polarization", "orbitalPlanes")} == {
        "localTime": [[0, 21600], [64800, 86400]],
        "polarization": "VV",
        "orbitalPlanes": [53, 97],
    }
    assert (constraints["lookDirection"], constraints["ascDsc"], constraints["squint"]) == (
        "either",
        "either",
        "disabled",
    )
    assert (
        constraints["collectMode"] == "stripmap" and constraints["offNadirMin"] < constraints["offNadirMax"]
    )
    assert props["order"]["summary"]["total"].startswith("$")
    assert props["order"]["lineItems"][0]["taskId"] == props["taskingrequestId"]


def test_point_request_defaults_to_squint_enabled_and_any_local_time(api: Api) -> None:
    props = api.create_task()["properties"]

    assert props["collectConstraints"]["squint"] == "enabled"
    assert props["collectConstraints"]["localTime"] == [[0, 86400]]
    assert (props["collectionType"], props["collectionTier"]) == ("spotlight", "standard")


def test_window_opening_later_holds_the_request_until_then(api: Api) -> None:
    window_open = iso_in(2.0)
    task_id = api.create_task(windowOpen=window_open)["properties"]["taskingrequestId"]

    early = api.task(task_id)
    task = api.wait_for_task(task_id, "completed")

    assert codes(early)[0] in ("received", "review", "submitted", "accepted")
    completed = task["properties"]["statusHistory"][0]
    assert instant(completed["time"]) >= instant(window_open)
    [collect] = api.collects(task_id)
    assert instant(collect["windowOpen"]) >= instant(window_open)


def test_window_closing_before_completion_expires_the_request(api: Api, capella_emulator: Any) -> None:
    capella_emulator.settings(tasking_step_seconds=0.2)
    window_close = iso_in(0.5)
    task_id = api.create_task(windowOpen=iso_in(0.0), windowClose=window_close, collectionTier="flexible")[
        "properties"
    ]["taskingrequestId"]

    task = api.wait_for_task(task_id, "expired", "completed")

    assert codes(task)[0] == "expired"
    assert task["properties"]["statusHistory"][0]["time"] == window_close
    assert "completed" not in codes(task)


def test_polygon_larger_than_two_scenes_gets_two_collects(api: Api) -> None:
    task_id = api.create_task(WIDE_SQUARE)["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "completed")

    collects = api.collects(task_id)

    assert len(collects) == 2
    assert len({c["collectId"] for c in collects}) == 2
    for collect in collects:
        found = api.post("/catalog/search", {"query": {"capella:collect_id": {"eq": collect["collectId"]}}})
        assert found.json()["numberMatched"] == 4


@pytest.mark.parametrize(
    ("marker_field", "outcome", "history", "collect_history"),
    [
        ("customAttribute2", "rejected", ["rejected", "review", "received"], None),
        ("taskingrequestName", "rejected", ["rejected", "review", "received"], None),
        (
            "customAttribute2",
            "failed",
            ["failed", "accepted", "submitted", "review", "received"],
            ["failed", "tasked", "predicted"],
        ),
        (
            "customAttribute2",
            "anomaly",
            ["anomaly", "accepted", "submitted", "review", "received"],
            ["anomaly", "tasked", "predicted"],
        ),
        (
            "customAttribute1",
            "error",
            ["error", "accepted", "submitted", "review", "received"],
            ["error", "tasked", "predicted"],
        ),
        (
            "customAttribute2",
            "expired",
            ["expired", "accepted", "submitted", "review", "received"],
            ["expired", "predicted"],
        ),
        (
            "customAttribute2",
            "recompleted",
            ["completed", "accepted", *LIFECYCLE],
            ["delivered", "qa", "processing", *COLLECT_LIFECYCLE],
        ),
    ],
)
def test_marker_forces_the_outcome(
    api: Api, marker_field: str, outcome: str, history: list[str], collect_history: list[str] | None
) -> None:
    task_id = api.create_task(**{marker_field: f"survey emulator:{outcome}"})["properties"][
        "taskingrequestId"
    ]

    task = api.wait_for_task(task_id, history[0])
    time.sleep(4 * FAST_STEP)
    task = api.task(task_id)

    assert codes(task) == history
    collects = api.collects(task_id)
    if collect_history is None:
        assert collects == []
        return
    assert [collect_codes(c) for c in collects] == [collect_history]
    found = api.post("/catalog/search", {"query": {"capella:collect_id": {"eq": collects[0]["collectId"]}}})
    assert (found.json()["numberMatched"] > 0) == (outcome == "recompleted")


@pytest.mark.capella_emulator(auto_approve_review=False)  # held in review until approved
def test_control_endpoint_forces_an_outcome(api: Api) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "review")

    response = api.session.post(f"{api.url}/_emulator/tasks/{task_id}/outcome", json={"outcome": "rejected"})

    assert response.status_code == 200, response.text
    assert codes(api.wait_for_task(task_id, "rejected")) == ["rejected", "review", "received"]


def test_control_endpoint_recompletes_a_completed_request_but_cannot_fail_it(api: Api) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "completed")
    control = f"{api.url}/_emulator/tasks/{task_id}/outcome"

    failed = api.session.post(control, json={"outcome": "failed"})
    recompleted = api.session.post(control, json={"outcome": "recompleted"})
    time.sleep(3 * FAST_STEP)

    assert failed.status_code == 400
    assert error_of(failed)["code"] == "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"
    assert recompleted.status_code == 200
    assert codes(api.task(task_id)) == ["completed", "accepted", *LIFECYCLE]


@pytest.mark.parametrize(
    ("body", "status"),
    [({"outcome": "exploded"}, 400), ({"outcome": "failed", "collects": 9}, 400), ({}, 400)],
)
def test_control_endpoint_rejects_bad_outcomes(api: Api, body: dict[str, Any], status: int) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]

    response = api.session.post(f"{api.url}/_emulator/tasks/{task_id}/outcome", json=body)

    assert response.status_code == status
    assert error_of(response)["code"] == "VALIDATION_ERROR"


@pytest.mark.capella_emulator(auto_approve_review=False)  # held in review until approved
def test_control_endpoint_sets_the_number_of_collects(api: Api) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]

    api.session.post(
        f"{api.url}/_emulator/tasks/{task_id}/outcome", json={"outcome": "completed", "collects": 3}
    )
    api.wait_for_task(task_id, "review")
    assert api.patch(f"/task/{task_id}/status", {"status": "approved"}).status_code == 200
    api.wait_for_task(task_id, "completed")

    assert len(api.collects(task_id)) == 3


def test_collects_marker_sets_the_number_of_collects(api: Api) -> None:
    task_id = api.create_task(customAttribute2="emulator:collects=2")["properties"]["taskingrequestId"]

    api.wait_for_task(task_id, "completed")

    assert len(api.collects(task_id)) == 2


@pytest.mark.parametrize("word", ["canceled", "cancelled"])
def test_cancel_ends_the_request_and_a_second_cancel_is_refused(api: Api, word: str) -> None:
    task_id = api.create_task(windowOpen=iso_in(TWO_DAYS))["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "active")  # windowClose is 9 days away: beyond the one-week horizon

    first = api.patch(f"/task/{task_id}/status", {"status": word})
    second = api.patch(f"/task/{task_id}/status", {"status": word})

    assert first.status_code == 200, first.text
    assert codes(first.json()) == ["canceled", "active", "submitted", "review", "received"]
    assert "25%" in first.json()["properties"]["statusHistory"][0]["message"]  # 12-72 h before the collect
    assert first.json()["properties"]["transactionStatus"] == "canceled"
    assert second.status_code == 400
    assert error_of(second)["code"] == "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"


def test_cancel_after_collects_are_planned_cancels_them_too(api: Api) -> None:
    task_id = api.create_task(windowOpen=iso_in(TWO_DAYS))["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "active")  # windowClose is 9 days away: beyond the one-week horizon

    assert api.patch(f"/task/{task_id}/status", {"status": "canceled"}).status_code == 200

    [collect] = api.collects(task_id)
    assert collect_codes(collect) == ["canceled", "predicted"]


def test_cancel_of_a_completed_request_is_refused(api: Api) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "completed")

    response = api.patch(f"/task/{task_id}/status", {"status": "canceled"})

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION" and error["message"]


@pytest.mark.capella_emulator(auto_approve_review=False)  # held in review until approved
def test_approval_moves_a_held_request_on(api: Api) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "review")
    time.sleep(4 * FAST_STEP)
    assert codes(api.task(task_id)) == ["review", "received"]
    assert api.collects(task_id) == []

    approved = api.patch(f"/task/{task_id}/status", {"status": "approved"})
    task = api.wait_for_task(task_id, "completed")

    assert approved.status_code == 200, approved.text
    assert codes(task) == LIFECYCLE
    submitted = next(e for e in task["properties"]["statusHistory"] if e["code"] == "submitted")
    assert "approved" in submitted["message"]


def test_approval_outside_review_is_refused(api: Api) -> None:
    task_id = api.create_task(windowOpen=iso_in(TWO_DAYS))["properties"]["taskingrequestId"]
    api.wait_for_task(task_id, "active")  # windowClose is 9 days away: beyond the one-week horizon

    response = api.patch(f"/task/{task_id}/status", {"status": "approved"})
    unknown = api.patch(f"/task/{task_id}/status", {"status": "paused"})

    assert response.status_code == 400 and error_of(response)["code"] == "VALIDATION_ERROR"
    assert unknown.status_code == 400 and error_of(unknown)["detail"][0]["path"] == ["status"]


@pytest.mark.capella_emulator(auto_approve_review=False)  # held in review until approved
def test_update_changes_names_attributes_and_delivered_product_types(api: Api) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]

    response = api.patch(
        f"/task/{task_id}",
        {
            "properties": {
                "taskingrequestName": "renamed",
                "taskingrequestDescription": "new description",
                "customAttribute2": "ticket-42",
                "processingConfig": {"productTypes": ["SICD"]},
            }
        },
    )
    api.wait_for_task(task_id, "review")
    assert api.patch(f"/task/{task_id}/status", {"status": "approved"}).status_code == 200
    task = api.wait_for_task(task_id, "completed")

    assert response.status_code == 200, response.text
    props = task["properties"]
    assert (props["taskingrequestName"], props["taskingrequestDescription"]) == ("renamed", "new description")
    assert props["customAttribute2"] == "ticket-42"
    [collect] = api.collects(task_id)
    found = api.post("/catalog/search", {"query": {"capella:collect_id": {"eq": collect["collectId"]}}})
    products = sorted(item["properties"]["sar:product_type"] for item in found.json()["features"])
    assert products == ["GEO", "SICD"]  # GEO is always produced


def test_update_with_a_marker_replans_the_request(api: Api) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]

    api.patch(f"/task/{task_id}", {"properties": {"customAttribute2": "emulator:rejected"}})

    assert codes(api.wait_for_task(task_id, "rejected")) == ["rejected", "review", "received"]


@pytest.mark.parametrize(
    ("properties", "path"),
    [
        ({"windowOpen": "2030-01-01T00:00:00Z"}, "properties.windowOpen"),
        ({"collectionTier": "urgent"}, "properties.collectionTier"),
        ({"processingConfig": {"productTypes": ["XYZ"]}}, "properties.processingConfig.productTypes"),
        ({"customAttribute1": 42}, "properties.customAttribute1"),
    ],
)
def test_update_of_other_properties_is_refused(api: Api, properties: dict[str, Any], path: str) -> None:
    task_id = api.create_task()["properties"]["taskingrequestId"]

    response = api.patch(f"/task/{task_id}", {"properties": properties})

    assert response.status_code == 400
    assert error_of(response)["detail"][0]["path"] == zod(path)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/task/5b3a0f8e-0c5e-4e8e-9d4e-1f6c2b7a9e10", 404, "NOT_FOUND"),
        ("/task/not-a-uuid", 400, "VALIDATION_ERROR"),
        ("/collects/list/5b3a0f8e-0c5e-4e8e-9d4e-1f6c2b7a9e10", 404, "NOT_FOUND"),
        ("/collects/list/not-a-uuid", 400, "VALIDATION_ERROR"),
    ],
)
def test_unknown_and_malformed_ids(api: Api, path: str, status: int, code: str) -> None:
    response = api.get(path)

    assert response.status_code == status
    assert error_of(response)["code"] == code


def test_patching_an_unknown_request_is_not_found(api: Api) -> None:
    unknown = "5b3a0f8e-0c5e-4e8e-9d4e-1f6c2b7a9e10"

    assert api.patch(f"/task/{unknown}", {"properties": {"taskingrequestName": "x"}}).status_code == 404
    assert api.patch(f"/task/{unknown}/status", {"status": "canceled"}).status_code == 404


def _body(geometry: Any = POINT, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _constraints(**constraints: Any) -> dict[str, Any]:
    return _body(collectConstraints=constraints)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"type": "Feature", "properties": {}}, "geometry"),
        (_body({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}), "geometry.type"),
        (_body({"type": "Point", "coordinates": [200.0, 10.0]}), "geometry.coordinates"),
        (_body({"type": "Point", "coordinates": ["a", "b"]}), "geometry.coordinates"),
        (
            _body({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
            "geometry.coordinates.0",
        ),
        (
            _body(windowOpen="2030-01-02T00:00:00Z", windowClose="2030-01-01T00:00:00Z"),
            "properties.windowClose",
        ),
        (
            _body(windowOpen="2030-01-01T00:00:00Z", windowClose="2030-01-01T00:00:00Z"),
            "properties.windowClose",
        ),
        (_body(windowOpen="tomorrow"), "properties.windowOpen"),
        (_body(windowOpen="0001-01-01T00:00:00Z"), "properties.windowOpen"),
        (_body(windowClose="9999-12-31T23:59:59Z"), "properties.windowClose"),
        (_body(windowClose="2030-13-45T00:00:00Z"), "properties.windowClose"),
        (_body(collectionTier="asap"), "properties.collectionTier"),
        (_body(collectionType="spotlight_mega"), "properties.collectionType"),
        (_body(archiveHoldback="forever"), "properties.archiveHoldback"),
        (_body(preApproval="yes"), "properties.preApproval"),
        (_body(taskingrequestName=7), "properties.taskingrequestName"),
        (_body(processingConfig={"productTypes": ["XYZ"]}), "properties.processingConfig.productTypes"),
        (_constraints(polarization="HV"), "properties.collectConstraints.polarization"),
        (_constraints(ascDsc="sideways"), "properties.collectConstraints.ascDsc"),
        (_constraints(lookDirection="up"), "properties.collectConstraints.lookDirection"),
        (_constraints(squint="maybe"), "properties.collectConstraints.squint"),
        (_constraints(orbitalPlanes=[44]), "properties.collectConstraints.orbitalPlanes"),
        (_constraints(offNadirMin=40, offNadirMax=30), "properties.collectConstraints.offNadirMin"),
        (_constraints(offNadirMin=30, offNadirMax=30), "properties.collectConstraints.offNadirMin"),
        (_constraints(offNadirMax=120), "properties.collectConstraints.offNadirMax"),
        (_constraints(localTime="dusk"), "properties.collectConstraints.localTime"),
        (_constraints(localTime=[[50000, 100]]), "properties.collectConstraints.localTime"),
        ({**_body(), "type": "FeatureCollection"}, "type"),
        ([1, 2], ""),
    ],
)
def test_invalid_request_is_a_validation_error_naming_the_field(api: Api, body: Any, path: str) -> None:
    response = api.post("/task", body)

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert error["detail"][0]["path"] == zod(path)


def test_body_that_is_not_json_is_a_validation_error(api: Api) -> None:
    response = api.session.post(
        f"{api.url}/task", data=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "VALIDATION_ERROR"


# --- search ------------------------------------------------------------------------------------


@pytest.fixture
def three_requests(api: Api) -> dict[str, dict[str, Any]]:
    """A normal spotlight request, a stripmap request opening tomorrow, and a rejected one."""
    spot = api.create_task(taskingrequestName="spot")
    time.sleep(0.01)
    strip = api.create_task(
        taskingrequestName="strip",
        collectionType="stripmap_20",
        collectionTier="priority",
        windowOpen=iso_in(86400),
        windowClose=iso_in(4 * 86400),  # a priority window needs 72 hours
    )
    time.sleep(0.01)
    rejected = api.create_task(taskingrequestName="emulator:rejected")
    api.wait_for_task(rejected["properties"]["taskingrequestId"], "rejected")
    api.wait_for_task(spot["properties"]["taskingrequestId"], "completed")
    return {"spot": spot, "strip": strip, "rejected": rejected}


def _search(api: Api, query: Any, **params: Any) -> dict[str, Any]:
    response = api.post("/tasks/search", {"query": query}, **params)
    assert response.status_code == 200, response.text
    return response.json()


def _names(page: dict[str, Any]) -> set[str]:
    return {result["properties"]["taskingrequestName"] for result in page["results"]}


def test_search_by_every_field(
    api: Api, three_requests: dict[str, dict[str, Any]], capella_emulator: Any
) -> None:
    spot, strip = three_requests["spot"]["properties"], three_requests["strip"]["properties"]
    config = capella_emulator.state.config
    everyone = {"spot", "strip", "emulator:rejected"}

    assert _names(_search(api, {"collectionType": {"eq": "stripmap_20"}})) == {"strip"}
    assert _names(_search(api, {"collectionType": ["stripmap_20", "spotlight"]})) == everyone
    assert _names(_search(api, {"collectionTier": {"eq": "priority"}})) == {"strip"}
    assert _names(_search(api, {"collectionTier": {"in": ["standard"]}})) == {"spot", "emulator:rejected"}
    assert _names(_search(api, {"type": {"eq": "stripmap"}})) == {"strip"}
    assert _names(_search(api, {"lastStatusCode": {"eq": "rejected"}})) == {"emulator:rejected"}
    assert _names(_search(api, {"lastStatusCode": ["completed", "accepted"]})) == {"spot", "strip"}
    assert _names(_search(api, {"organizationIds": [config.organization_id]})) == everyone
    assert _names(_search(api, {"organizationIds": ["someone-else"]})) == set()
    assert _names(_search(api, {"userId": {"eq": config.user_id}})) == everyone
    assert _names(_search(api, {"userId": "another-user"})) == set()
    assert _names(_search(api, {"submissionTime": {"gt": spot["submissionTime"]}})) == {
        "strip",
        "emulator:rejected",
    }
    assert _names(_search(api, {"submissionTime": {"lte": spot["submissionTime"]}})) == {"spot"}
    assert _names(
        _search(api, {"taskingrequestIds": [spot["taskingrequestId"], strip["taskingrequestId"]]})
    ) == {
        "spot",
        "strip",
    }
    assert _names(_search(api, {"windowOpen": {"gt": iso_in(3600)}})) == {"strip"}
    assert _names(_search(api, {"windowClose": {"lt": iso_in(2 * 86400)}, "type": "spotlight"})) == set()
    assert _names(_search(api, {"windowClose": {"gte": iso_in(3 * 86400), "lte": iso_in(5 * 86400)}})) == {
        "strip"
    }
    assert _names(_search(api, {"lastStatusTime": {"gte": iso_in(-3600)}})) == everyone
    assert _names(_search(api, {"lastStatusTime": {"lt": spot["submissionTime"]}})) == set()
    assert _names(_search(api, {"includeRepeatingTasks": {"eq": False}})) == everyone


def test_search_without_a_body_lists_everything(api: Api, three_requests: dict[str, dict[str, Any]]) -> None:
    response = api.session.post(f"{api.url}/tasks/search")

    assert response.status_code == 200
    assert response.json()["totalResults"] == 3


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({"colour": {"eq": "red"}}, "query.colour"),
        ({"collectionType": {"like": "spot"}}, "query.collectionType.like"),
        ({"submissionTime": {"gt": "last week"}}, "query.submissionTime.gt"),
        ({"collectionType": {"in": "spotlight"}}, "query.collectionType.in"),
        ({"includeRepeatingTasks": {"eq": "no"}}, "query.includeRepeatingTasks"),
        ("collectionType", "query"),
    ],
)
def test_search_with_a_bad_query_is_a_validation_error(api: Api, query: Any, path: str) -> None:
    response = api.post("/tasks/search", {"query": query})

    assert response.status_code == 400
    assert error_of(response)["detail"][0]["path"] == zod(path)


def test_search_pages_in_submission_order(api: Api) -> None:
    created = []
    for index in range(7):
        created.append(api.create_task(taskingrequestName=f"r{index}")["properties"]["taskingrequestId"])
        time.sleep(0.002)

    pages = [_search(api, {}, page=page, limit=3) for page in (1, 2, 3, 4)]

    assert [page["totalPages"] for page in pages] == [3, 3, 3, 3]
    assert [page["currentPage"] for page in pages] == [1, 2, 3, 4]
    assert [len(page["results"]) for page in pages] == [3, 3, 1, 0]
    assert all(page["totalResults"] == 7 for page in pages)
    listed = [r["properties"]["taskingrequestId"] for page in pages for r in page["results"]]
    assert listed == list(reversed(created))


def test_search_with_no_match_has_one_empty_page(api: Api) -> None:
    page = _search(api, {"collectionType": {"eq": "stripmap_100"}}, page=1, limit=250)

    assert page == {"results": [], "currentPage": 1, "totalPages": 1, "totalResults": 0}


@pytest.mark.parametrize(("page", "limit"), [(0, 10), (1, 0), (1, 501), ("x", 10), (1, "many")])
def test_search_with_bad_paging_is_a_validation_error(api: Api, page: Any, limit: Any) -> None:
    response = api.post("/tasks/search", {"query": {}}, page=page, limit=limit)

    assert response.status_code == 400
    assert error_of(response)["code"] == "VALIDATION_ERROR"
