"""The second pass's search and answer-shape facts over real HTTP: tasking/repeat search, request
properties, ``GET /user``, validation errors and ``INVALID_TOKEN``."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.emulator.tasking_helpers import FAST_STEP, POINT, SQUARE, Api, error_of, iso_in


@pytest.fixture
def api(capella_emulator: Any) -> Api:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Api(capella_emulator)


@pytest.fixture
def three(api: Api) -> dict[str, dict[str, Any]]:
    """Three requests named alpha-one, alpha-two and beta-three (a stripmap), created in that order."""
    made = {}
    for name, collection_type in (
        ("alpha-one", "spotlight"),
        ("alpha-two", "spotlight"),
        ("beta-three", "stripmap_20"),
    ):
        made[name] = api.create_task(taskingrequestName=name, collectionType=collection_type)["properties"]
        time.sleep(0.01)
    return made


def _names(api: Api, body: dict[str, Any], **params: Any) -> list[str]:
    response = api.post("/tasks/search", body, **params)
    assert response.status_code == 200, response.text
    return [result["properties"]["taskingrequestName"] for result in response.json()["results"]]


# --- tasking and repeat search ------------------------------------------------------------------


def test_paging_sort_and_order_may_come_in_the_body(api: Api, three: dict[str, Any]) -> None:
    newest_first = _names(api, {"query": {}})
    ascending = _names(api, {"query": {}, "sort": "submissionTime", "order": "asc"})
    page_two = _names(api, {"query": {}, "page": 2, "limit": 2, "order": "asc"})
    by_name = _names(api, {"query": {}, "sort": "taskingrequestIds", "order": "asc"})

    assert newest_first == ["beta-three", "alpha-two", "alpha-one"]  # default: submissionTime, newest first
    assert ascending == ["alpha-one", "alpha-two", "beta-three"]
    assert page_two == ["beta-three"]
    assert sorted(by_name) == sorted(newest_first)


def test_paging_in_the_query_string_still_works_and_the_body_wins(api: Api, three: dict[str, Any]) -> None:
    assert _names(api, {"query": {}}, page=1, limit=1) == ["beta-three"]
    assert _names(api, {"query": {}, "limit": 2}, page=1, limit=1) == ["beta-three", "alpha-two"]


@pytest.mark.parametrize("limit", [500, 1])
def test_limit_goes_up_to_500(api: Api, limit: int) -> None:
    assert api.post("/tasks/search", {"query": {}, "limit": limit}).status_code == 200


@pytest.mark.parametrize("body", [{"limit": 501}, {"limit": 0}, {"order": "sideways"}, {"sort": "colour"}])
def test_bad_body_paging_is_a_validation_error(api: Api, body: dict[str, Any]) -> None:
    response = api.post("/tasks/search", {"query": {}, **body})

    assert response.status_code == 400
    assert error_of(response)["detail"][0]["path"] == [next(iter(body))]


def test_every_documented_operator(api: Api, three: dict[str, Any]) -> None:
    def names(query: dict[str, Any]) -> set[str]:
        return set(_names(api, {"query": query}))

    assert names({"taskingrequestIds": {"neq": three["alpha-one"]["taskingrequestId"]}}) == {
        "alpha-two",
        "beta-three",
    }
    assert names({"collectionType": {"startsWith": "strip"}}) == {"beta-three"}
    assert names({"collectionType": {"endsWith": "light"}}) == {"alpha-one", "alpha-two"}
    assert names({"collectionType": {"contains": "map"}}) == {"beta-three"}
    assert names({"collectionTier": "standard", "type": ["stripmap"]}) == {
        "beta-three"
    }  # bare scalar, bare list


def test_a_datetime_field_takes_an_interval_string(api: Api, three: dict[str, Any]) -> None:
    second = three["alpha-two"]["submissionTime"]

    assert set(_names(api, {"query": {"submissionTime": f"{second}/.."}})) == {"alpha-two", "beta-three"}
    assert set(_names(api, {"query": {"submissionTime": {"eq": f"../{second}"}}})) == {
        "alpha-one",
        "alpha-two",
    }
    assert _names(api, {"query": {"windowOpen": "2000-01-01T00:00:00Z/2001-01-01T00:00:00Z"}}) == []


def test_nested_and_extra_fields(api: Api, three: dict[str, Any], capella_emulator: Any) -> None:
    def names(query: dict[str, Any]) -> set[str]:
        return set(_names(api, {"query": query}))

    assert names({"collectConstraints.collectMode": "stripmap"}) == {"beta-three"}
    assert names({"collectConstraints.polarization": {"eq": "HH"}}) == {
        "alpha-one",
        "alpha-two",
        "beta-three",
    }
    assert names({"status": {"in": ["received", "review", "submitted", "accepted", "completed"]}}) == set(
        three
    )
    assert names({"lastStatusMessage": {"contains": "Request"}}) | names(
        {"lastStatusMessage": {"neq": ""}}
    ) == set(three)
    assert names({"resellerIds": ["reseller-1"]}) == set()
    assert names({"organizationIds": [capella_emulator.state.config.organization_id]}) == set(three)


def test_repeat_search_takes_the_same_paging_operators_and_nested_fields(api: Api) -> None:
    for name in ("weekly-a", "weekly-b"):
        body = {"type": "Feature", "geometry": POINT, "properties": {"repeatrequestName": name}}
        assert api.post("/repeat-requests", body).status_code == 201
        time.sleep(0.01)

    def names(body: dict[str, Any]) -> list[str]:
        response = api.post("/repeat-requests/search", body)
        assert response.status_code == 200, response.text
        return [result["properties"]["repeatrequestName"] for result in response.json()["results"]]

    assert names({"query": {}, "order": "asc", "limit": 1, "page": 2}) == ["weekly-b"]
    assert names({"query": {"repetitionProperties.repetitionInterval": {"neq": 7}}}) == []
    assert names({"filter": {"collectConstraints.collectMode": {"startsWith": "spot"}}, "order": "asc"}) == [
        "weekly-a",
        "weekly-b",
    ]


# --- answer shapes ------------------------------------------------------------------------------


def test_a_tasking_request_carries_its_owner_and_the_documented_properties(
    api: Api, capella_emulator: Any
) -> None:
    props = api.create_task(contractId="c-1")["properties"]
    config = capella_emulator.state.config

    assert props["orgId"] == config.organization_id and "organizationId" not in props
    assert props["userId"] == config.user_id
    for key in (
        "submissionTime",
        "windowDuration",
        "archiveHoldback",
        "billingEnvironment",
        "sandbox",
        "type",
    ):
        assert key in props, key
    for key in ("organizationName", "userName", "taskingrequestType", "contractId"):
        assert props[key], key
    assert props["preApproval"] is False


def test_the_server_fills_the_collect_constraint_defaults_it_applied(api: Api) -> None:
    point = api.create_task()["properties"]["collectConstraints"]
    strip = api.create_task(SQUARE, collectionType="stripmap_50")["properties"]["collectConstraints"]
    narrow = api.create_task(collectConstraints={"offNadirMax": 20})["properties"]["collectConstraints"]

    assert (point["offNadirMin"], point["offNadirMax"]) == (25.0, 45.0)
    assert (point["imageLength"], point["imageWidth"], point["polarization"]) == (5000, 5000, "HH")
    assert point["collectMode"] == "spotlight" and point["squint"] == "enabled"
    assert all(
        isinstance(point[key], (int, float))
        for key in ("grrMin", "grrMax", "azrMin", "azrMax", "neszMax", "numLooks")
    )
    assert (strip["collectMode"], strip["offNadirMax"], strip["squint"]) == ("stripmap", 50.0, "disabled")
    assert narrow["offNadirMin"] < narrow["offNadirMax"] == 20


def test_user_carries_the_organization_and_the_api_environment_role(api: Api, capella_emulator: Any) -> None:
    user = api.get("/user").json()

    assert (
        user["organization"]["name"]
        and user["organization"]["id"] == capella_emulator.state.config.organization_id
    )
    assert user["organizationId"] == capella_emulator.state.config.organization_id  # the SDK reads this one
    assert user["apiEnvironmentRole"]


def test_validation_errors_are_zod_style(api: Api) -> None:
    response = api.post(
        "/task", {"type": "Feature", "geometry": POINT, "properties": {"windowOpen": "tomorrow"}}
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "Validation Error",
            "code": "VALIDATION_ERROR",
            "detail": [
                {
                    "message": response.json()["error"]["detail"][0]["message"],
                    "code": "invalid_string",
                    "path": ["properties", "windowOpen"],
                }
            ],
        }
    }
    enum = api.post("/task", {"type": "Feature", "geometry": POINT, "properties": {"collectionTier": "asap"}})
    assert error_of(enum)["detail"][0]["code"] == "invalid_enum_value"


def test_a_bad_jwt_is_invalid_token_and_a_bad_key_is_the_gateways_401(capella_emulator: Any) -> None:
    url = f"{capella_emulator.url}/user"

    bad_token = requests.get(url, headers={"Authorization": "Bearer not.a.jwt"}, timeout=30)
    bad_key = requests.get(url, headers={"Authorization": "ApiKey wrong"}, timeout=30)
    good_token = requests.get(
        url, headers={"Authorization": f"Bearer {capella_emulator.api_key}"}, timeout=30
    )

    assert bad_token.status_code == 401
    assert bad_token.json() == {"error": {"message": "Invalid token.", "code": "INVALID_TOKEN"}}
    assert bad_key.status_code == 401 and bad_key.json() == {"message": "Unauthorized"}
    assert good_token.status_code == 200


def test_cancellation_fee_window_is_reported_with_the_request(api: Api) -> None:
    task_id = api.create_task(windowOpen=iso_in(2 * 86400), preApproval=True)["properties"][
        "taskingrequestId"
    ]
    api.wait_for_task(task_id, "active")

    canceled = api.patch(f"/task/{task_id}/status", {"status": "cancelled"}).json()

    assert canceled["properties"]["transactionStatus"] == "canceled"
    assert "25%" in canceled["properties"]["statusHistory"][0]["message"]
