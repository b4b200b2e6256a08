"""Access requests (feasibility) over real HTTP: lifecycle, plausible passes, filters, zod-style errors."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timezone
from typing import Any

import pytest
import requests

from tests.emulator.around_tasking_helpers import (
    ACCESS_KEYS,
    ACCESS_PROPERTY_KEYS,
    FAST_STEP,
    FUTURE_DAY,
    FUTURE_WEEK,
    ROTTERDAM,
    Client,
    error_of,
    point,
)


@pytest.fixture
def api(capella_emulator: Any) -> Client:
    capella_emulator.settings(tasking_step_seconds=FAST_STEP)
    return Client(capella_emulator)


def instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def middle(access: dict[str, Any]) -> int:
    return round((instant(access["windowOpen"]) + instant(access["windowClose"])) / 2)


def planes(accesses: list[dict[str, Any]]) -> set[int]:
    return {access["orbitalPlane"] for access in accesses}


def test_an_access_request_is_processed_then_lists_passes_inside_its_window(api: Client) -> None:
    created = api.access_request(offNadirMin=20, offNadirMax=45)
    props = created["properties"]
    assert created["type"] == "Feature" and created["geometry"] == ROTTERDAM
    assert props["processingStatus"] == "queued" and props["accessibilityStatus"] == "unknown"
    assert props["accessConstraints"]["offNadirMin"] == 20
    assert props["accessConstraints"]["orbitalPlanes"] == [45, 53, 97]
    early = api.get(f"/ma/accesses/{props['accessrequestId']}")
    assert early.status_code == 400 and error_of(early)["code"] == "ACCESS_REQUEST_NOT_COMPLETED"

    done = api.wait_completed(props["accessrequestId"])["properties"]
    accesses = api.get(f"/ma/accesses/{props['accessrequestId']}").json()

    assert done["accessibilityStatus"] == "accessible"
    assert 5 <= len(accesses) <= 60
    opens = [instant(access["windowOpen"]) for access in accesses]
    assert opens == sorted(opens)
    assert all(instant(FUTURE_DAY[0]) - 120 <= t <= instant(FUTURE_DAY[1]) for t in opens)
    assert len({access["accessId"] for access in accesses}) == len(accesses)
    for access in accesses:
        assert list(access) == ACCESS_KEYS and list(access["accessProperties"]) == ACCESS_PROPERTY_KEYS
        assert access["accessrequestId"] == props["accessrequestId"]
        assert access["center"][:2] == ROTTERDAM["coordinates"]
        assert 20 <= access["accessProperties"]["offNadirMin"] <= 45
        assert access["accessProperties"]["offNadirMin"] <= access["accessProperties"]["offNadirMax"]
        assert 0 < access["accessProperties"]["elevationMin"] <= access["accessProperties"]["elevationMax"]
        assert 10 < instant(access["windowClose"]) - instant(access["windowOpen"]) < 300


def test_accesses_flatten_to_the_twenty_columns_capellas_notebook_renames() -> None:
    flattened = [key for key in ACCESS_KEYS if key != "accessProperties"] + ACCESS_PROPERTY_KEYS
    assert len(flattened) == 20


def test_the_same_request_gets_the_same_passes(api: Client) -> None:
    first = api.passes(window=FUTURE_WEEK)
    second = api.passes(window=FUTURE_WEEK)

    def fingerprint(accesses: list[dict[str, Any]]) -> list[tuple]:
        return [
            (a["spacecraftId"], a["windowOpen"], a["windowClose"], a["accessProperties"]) for a in accesses
        ]

    assert first and fingerprint(first) == fingerprint(second)
    assert {a["accessrequestId"] for a in first}.isdisjoint({a["accessrequestId"] for a in second})


def test_which_orbital_planes_see_a_target_depends_on_its_latitude(api: Client) -> None:
    equator = api.passes(point(10.0, 0.0), FUTURE_WEEK)
    rotterdam = api.passes(ROTTERDAM, FUTURE_WEEK)
    north_cape = api.passes(point(25.0, 71.0), FUTURE_WEEK)

    assert planes(equator) == {45, 53, 97}
    assert planes(rotterdam) == {53, 97}  # 52 N is beyond what the 45 degree plane reaches
    assert planes(north_cape) == {97}
    polar_97 = [a for a in north_cape if a["orbitalPlane"] == 97]
    equator_97 = [a for a in equator if a["orbitalPlane"] == 97]
    assert len(polar_97) > 2 * len(equator_97)  # polar orbits cross high latitudes on every revolution


def test_a_target_beyond_the_allowed_planes_is_inaccessible(api: Client) -> None:
    created = api.access_request(point(25.0, 71.0), FUTURE_WEEK, orbitalPlanes=[45, 53])
    access_request_id = created["properties"]["accessrequestId"]

    done = api.wait_completed(access_request_id)

    assert done["properties"]["accessibilityStatus"] == "inaccessible"
    assert api.get(f"/ma/accesses/{access_request_id}").json() == []


def test_a_window_between_two_passes_is_inaccessible(api: Client) -> None:
    accesses = api.passes()
    gaps = [
        (instant(before["windowClose"]), instant(after["windowOpen"]))
        for before, after in itertools.pairwise(accesses)
        if instant(after["windowOpen"]) - instant(before["windowClose"]) > 600
    ]
    start, _ = gaps[0]
    window = (_iso(start + 60), _iso(start + 300))

    created = api.access_request(window=window)
    done = api.wait_completed(created["properties"]["accessrequestId"])

    assert done["properties"]["accessibilityStatus"] == "inaccessible"


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_passes_already_past_when_the_request_is_made_are_left_out(api: Client) -> None:
    now = time.time()
    accesses = api.passes(window=(_iso(now - 86_400), _iso(now + 86_400)))

    assert accesses and all(instant(access["windowOpen"]) >= now - 1 for access in accesses)


def test_a_narrower_off_nadir_band_keeps_only_the_passes_inside_it(api: Client) -> None:
    wide = api.passes(window=FUTURE_WEEK, offNadirMin=25, offNadirMax=50)
    narrow = api.passes(window=FUTURE_WEEK, offNadirMin=30, offNadirMax=35)

    assert 0 < len(narrow) < len(wide)
    assert all(30 <= a["accessProperties"]["offNadirMin"] <= 35 for a in narrow)
    assert all(a["accessProperties"]["offNadirMax"] <= 35 for a in narrow)
    wide_moments = {(a["spacecraftId"], middle(a)) for a in wide}
    assert {(a["spacecraftId"], middle(a)) for a in narrow} <= wide_moments


def test_direction_and_local_time_constraints_filter_the_passes(api: Client) -> None:
    everything = api.passes(window=FUTURE_WEEK)
    ascending_left = api.passes(window=FUTURE_WEEK, ascDsc="ascending", lookDirection="left")
    daytime = api.passes(window=FUTURE_WEEK, localTime="day")

    expected = [
        a["accessProperties"]
        for a in everything
        if a["accessProperties"]["ascdsc"] == "ascending" and a["accessProperties"]["lookDirection"] == "left"
    ]
    assert [a["accessProperties"] for a in ascending_left] == expected and expected
    assert daytime and all(21600 <= a["accessProperties"]["localTime"] < 64800 for a in daytime)
    assert len(daytime) < len(everything)


def test_a_polygon_is_judged_at_its_centre(api: Client) -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[4.0, 51.9], [4.1, 51.9], [4.1, 52.0], [4.0, 52.0], [4.0, 51.9]]],
    }
    around = api.passes(square)
    centre = api.passes(point(4.05, 51.95))
    assert [a["windowOpen"] for a in around] == [a["windowOpen"] for a in centre]


def test_the_notebook_spelling_with_a_trailing_slash_is_served(api: Client) -> None:
    body = {
        "type": "Feature",
        "geometry": ROTTERDAM,
        "properties": {"windowOpen": FUTURE_DAY[0], "windowClose": FUTURE_DAY[1]},
    }
    response = api.post("/ma/accessrequests/", body)
    assert response.status_code == 201, response.text
    assert response.json()["properties"]["accessConstraints"]["offNadirMax"] == 50


def _body(geometry: Any = ROTTERDAM, **properties: Any) -> dict[str, Any]:
    props = {"windowOpen": FUTURE_DAY[0], "windowClose": FUTURE_DAY[1], **properties}
    return {"type": "Feature", "geometry": geometry, "properties": props}


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        (_body(windowClose="2030-02-28T00:00:00Z"), ["properties", "windowClose"], "custom"),
        (
            _body(windowOpen="2020-01-01T00:00:00Z", windowClose="2020-01-02T00:00:00Z"),
            ["properties", "windowClose"],
            "custom",
        ),
        (_body(windowOpen="next tuesday"), ["properties", "windowOpen"], "invalid_string"),
        (_body(windowClose="2031-03-03T00:00:00Z"), ["properties", "windowClose"], "too_big"),
        (
            _body({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
            ["geometry", "type"],
            "invalid_union_discriminator",
        ),
        (_body(point(4.0, 95.0)), ["geometry", "coordinates", 1], "too_big"),
        (
            _body({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
            ["geometry", "coordinates", 0],
            "custom",
        ),
        (
            _body(accessConstraints={"offNadirMin": 40, "offNadirMax": 30}),
            ["properties", "accessConstraints", "offNadirMin"],
            "custom",
        ),
        (
            _body(accessConstraints={"orbitalPlanes": [60]}),
            ["properties", "accessConstraints", "orbitalPlanes"],
            "invalid_enum_value",
        ),
        (
            _body(accessConstraints={"localTime": [[50000, 100]]}),
            ["properties", "accessConstraints", "localTime"],
            "custom",
        ),
        ({"type": "Feature", "geometry": ROTTERDAM}, ["properties"], "invalid_type"),
    ],
)
def test_bad_access_requests_get_a_zod_style_validation_error(
    api: Client, body: dict[str, Any], path: list[Any], code: str
) -> None:
    response = api.post("/ma/accessrequests", body)

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["message"] == "Validation Error" and error["code"] == "VALIDATION_ERROR"
    assert {"message", "code", "path"} <= set(error["detail"][0])
    assert [(issue["path"], issue["code"]) for issue in error["detail"]] == [(path, code)]


def test_every_problem_of_a_body_is_reported_at_once(api: Client) -> None:
    body = _body(accessConstraints={"ascDsc": "sideways", "offNadirMax": "fifty", "lookDirection": "up"})

    error = error_of(api.post("/ma/accessrequests", body))

    paths = [issue["path"][-1] for issue in error["detail"]]
    assert sorted(paths) == ["ascDsc", "lookDirection", "offNadirMax"]
    assert "sideways" in next(i["message"] for i in error["detail"] if i["path"][-1] == "ascDsc")


def test_unknown_and_malformed_ids_and_missing_credentials(api: Client, capella_emulator: Any) -> None:
    unknown = api.get("/ma/accessrequests/0b9f7c1e-6f0e-4a8e-9d8e-1f2a3b4c5d6e")
    malformed = api.get("/ma/accesses/not-a-uuid")
    anonymous = requests.post(f"{capella_emulator.url}/ma/accessrequests", json=_body(), timeout=30)

    assert unknown.status_code == 404 and error_of(unknown)["code"] == "NOT_FOUND"
    assert malformed.status_code == 400 and error_of(malformed)["code"] == "VALIDATION_ERROR"
    assert anonymous.status_code == 401
