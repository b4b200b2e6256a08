"""Bad input is refused before any request: a CapellaValidationError naming the argument, nothing sent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaValidationError
from airflow_provider_capella.hooks.capella import CapellaHook

POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}
SQUARE = {"type": "Polygon", "coordinates": [[[10, 10], [10.1, 10], [10.1, 10.1], [10, 10.1], [10, 10]]]}
TASK_ID = "6c4e5c2f-2a0e-4d3b-9d5f-0f1e2d3c4b5a"
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)

BAD_CALLS: list[tuple[str, str, tuple[Any, ...], dict[str, Any], str]] = [
    # (case id, method, args, kwargs, text the message must contain)
    ("search unknown filter", "search", (), {"resolution": 0.5}, "resolution"),
    ("search unknown operator", "search", (), {"look_angle__between": [1, 2]}, "between"),
    ("search bad product type", "search", (), {"product_type": "JPEG"}, "GEO"),
    ("search bad product in list", "search", (), {"product_type__in": ["GEO", "PNG"]}, "PNG"),
    ("search limit too big", "search", (), {"limit": 10_001}, "limit"),
    ("search limit zero", "search", (), {"limit": 0}, "limit"),
    ("search bbox three numbers", "search", (), {"bbox": [1, 2, 3]}, "bbox"),
    ("search bbox latitude", "search", (), {"bbox": [0, -95, 1, 1]}, "latitude"),
    (
        "search intersects feature",
        "search",
        (),
        {"intersects": {"type": "Feature", "geometry": POINT}},
        "geometry",
    ),
    (
        "search intersects lat",
        "search",
        (),
        {"intersects": {"type": "Point", "coordinates": [1, 91]}},
        "latitude",
    ),
    ("search bad ownership", "search", (), {"ownership": "mine"}, "ownedByOrganization"),
    ("search bad sortby", "search", (), {"sortby": "-colour"}, "sort"),
    ("search bad datetime", "search", (), {"datetime__gte": "yesterday"}, "ISO 8601"),
    ("search gt on enum", "search", (), {"product_type__gt": "GEO"}, "eq and in"),
    ("search bad collect uuid", "search", (), {"collect_id": "abc"}, "UUID"),
    ("search incidence out of range", "search", (), {"incidence_angle__gte": 120}, "incidence_angle"),
    ("search list with gte", "search", (), {"look_angle__gte": [1, 2]}, "single value"),
    ("search root with operator", "search", (), {"bbox__in": [0, 0, 1, 1]}, "operator"),
    (
        "search bbox and intersects",
        "search",
        (),
        {"bbox": [0, 0, 1, 1], "intersects": POINT},
        "mutually exclusive",
    ),
    ("search ids_only not bool", "search", (), {"ids_only": "yes"}, "ids_only"),
    (
        "task line geometry",
        "create_tasking_request",
        (),
        {"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}},
        "Point",
    ),
    (
        "task longitude",
        "create_tasking_request",
        (),
        {"geometry": {"type": "Point", "coordinates": [200, 0]}},
        "longitude",
    ),
    (
        "task open ring",
        "create_tasking_request",
        (),
        {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}},
        "closed",
    ),
    (
        "task close before open",
        "create_tasking_request",
        (),
        {"geometry": POINT, "window_open": NOW, "window_close": NOW - timedelta(hours=1)},
        "window_close",
    ),
    (
        "task close equals open (tz)",
        "create_tasking_request",
        (),
        {
            "geometry": POINT,
            "window_open": "2030-01-01T12:00:00+02:00",
            "window_close": "2030-01-01T10:00:00Z",
        },
        "window_close",
    ),
    (
        "task off nadir order",
        "create_tasking_request",
        (),
        {"geometry": POINT, "off_nadir_min": 30, "off_nadir_max": 20},
        "off_nadir_min",
    ),
    (
        "task bad tier",
        "create_tasking_request",
        (),
        {"geometry": POINT, "collection_tier": "routine"},
        "urgent",
    ),
    (
        "task bad collection type",
        "create_tasking_request",
        (),
        {"geometry": POINT, "collection_type": "spotlight_mega"},
        "spotlight_ultra",
    ),
    ("task bad polarization", "create_tasking_request", (), {"geometry": POINT, "polarization": "HV"}, "HH"),
    ("task bad squint", "create_tasking_request", (), {"geometry": POINT, "squint": "sideways"}, "forward"),
    (
        "task bad look direction",
        "create_tasking_request",
        (),
        {"geometry": POINT, "look_direction": "up"},
        "left",
    ),
    (
        "task bad asc_dsc",
        "create_tasking_request",
        (),
        {"geometry": POINT, "asc_dsc": "sideways"},
        "ascending",
    ),
    (
        "task bad holdback",
        "create_tasking_request",
        (),
        {"geometry": POINT, "archive_holdback": "2_year"},
        "permanent",
    ),
    (
        "task bad orbital plane",
        "create_tasking_request",
        (),
        {"geometry": POINT, "orbital_planes": [45, 60]},
        "97",
    ),
    ("task bad local time", "create_tasking_request", (), {"geometry": POINT, "local_time": "dusk"}, "night"),
    (
        "task local time order",
        "create_tasking_request",
        (),
        {"geometry": POINT, "local_time": [[500, 100]]},
        "local_time",
    ),
    (
        "task bad product types",
        "create_tasking_request",
        (),
        {"geometry": POINT, "product_types": ["XYZ"]},
        "SLC",
    ),
    (
        "task pre_approval not bool",
        "create_tasking_request",
        (),
        {"geometry": POINT, "pre_approval": "yes"},
        "pre_approval",
    ),
    (
        "task negative width",
        "create_tasking_request",
        (),
        {"geometry": POINT, "image_width": -5},
        "image_width",
    ),
    (
        "repeat end and count",
        "create_repeat_request",
        (),
        {"geometry": POINT, "repeat_end": "2031-01-01", "repetition_count": 3},
        "mutually exclusive",
    ),
    (
        "repeat zero interval",
        "create_repeat_request",
        (),
        {"geometry": POINT, "repetition_interval": 0},
        "repetition_interval",
    ),
    (
        "repeat negative count",
        "create_repeat_request",
        (),
        {"geometry": POINT, "repetition_count": -1},
        "repetition_count",
    ),
    (
        "repeat end before start",
        "create_repeat_request",
        (),
        {"geometry": POINT, "repeat_start": "2031-01-02", "repeat_end": "2031-01-01"},
        "repeat_end",
    ),
    (
        "repeat tasking tier",
        "create_repeat_request",
        (),
        {"geometry": POINT, "collection_tier": "urgent"},
        "routine",
    ),
    (
        "repeat insar without orbit",
        "create_repeat_request",
        (),
        {"geometry": POINT, "collection_tier": "insar"},
        "insar_orbit",
    ),
    (
        "repeat zero window",
        "create_repeat_request",
        (),
        {"geometry": POINT, "window_duration": 0},
        "window_duration",
    ),
    ("tasking search bad status", "search_tasking_requests", (), {"status": "done"}, "completed"),
    ("tasking search unknown filter", "search_tasking_requests", (), {"name": "x"}, "name"),
    ("tasking search page size", "search_tasking_requests", (), {"page_size": 501}, "page_size"),
    ("tasking search bad id", "search_tasking_requests", (), {"tasking_request_id": "nope"}, "UUID"),
    ("tasking search unknown op", "search_tasking_requests", (), {"status__like": "c"}, "like"),
    ("repeat search bad tier", "search_repeat_requests", (), {"collection_tier": "urgent"}, "routine"),
    ("get task bad id", "get_task", ("not-a-uuid",), {}, "UUID"),
    ("get repeat bad id", "get_repeat_request", ("123",), {}, "UUID"),
    ("collects bad id", "get_collects_for_task", ("x",), {}, "UUID"),
    ("cancel no ids", "cancel_tasking_requests", (), {}, "at least one"),
    ("cancel bad id", "cancel_tasking_requests", (TASK_ID, "bad"), {}, "UUID"),
    ("cancel repeat bad id", "cancel_repeat_requests", ("bad",), {}, "UUID"),
    ("update nothing", "update_tasking_requests", (TASK_ID,), {}, "at least one field"),
    ("update repeat bad product", "update_repeat_requests", (TASK_ID,), {"product_types": ["NOPE"]}, "NOPE"),
    ("is_task_completed not a task", "is_task_completed", ({"id": 1},), {}, "statusHistory"),
    ("list orders bad id", "list_orders", ("bad",), {}, "UUID"),
    ("order items of bad id", "get_stac_items_of_order", ("bad",), {}, "UUID"),
    ("submit nothing", "submit_order", (), {}, "stac_ids"),
    ("submit bad items", "submit_order", (), {"items": [{"no": "id"}]}, "items"),
    ("review nothing", "review_order", (), {}, "stac_ids"),
    ("presigned bad order", "get_presigned_items", ("bad",), {}, "UUID"),
    ("assets bad order", "get_presigned_assets", ("bad",), {}, "UUID"),
    ("download no source", "download_products", (), {}, "order_id"),
    ("download bad include", "download_products", (), {"order_id": TASK_ID, "include": ["HHH"]}, "include"),
    (
        "download bad exclude",
        "download_products",
        (),
        {"order_id": TASK_ID, "exclude": "everything"},
        "exclude",
    ),
    (
        "download bad product type",
        "download_products",
        (),
        {"order_id": TASK_ID, "product_types": ["TIFF"]},
        "product_types",
    ),
    ("download bad collect", "download_products", (), {"collect_id": "c-1"}, "UUID"),
    (
        "download http destination",
        "download_products",
        (),
        {"order_id": TASK_ID, "local_dir": "http://x/"},
        "local_dir",
    ),
    (
        "download threaded not bool",
        "download_products",
        (),
        {"order_id": TASK_ID, "threaded": "no"},
        "threaded",
    ),
    ("download asset not url", "download_asset", ("/etc/passwd",), {}, "presigned"),
    (
        "download_product bad include",
        "download_product",
        (),
        {"order_id": TASK_ID, "include": ["nope"]},
        "include",
    ),
    ("bytesize not url", "get_asset_bytesize", ("ftp://x",), {}, "presigned"),
]


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_CALLS],
)
def test_bad_input_is_refused_before_any_request(
    hook: CapellaHook, capella_emulator: Any, method: str, args: tuple, kwargs: dict, expected: str
) -> None:
    with pytest.raises(CapellaValidationError) as raised:
        getattr(hook, method)(*args, **kwargs)
    assert expected.lower() in str(raised.value).lower()
    assert raised.value.status is None
    assert capella_emulator.requests() == []


SIGNATURE_CALLS: list[tuple[str, str, tuple[Any, ...], dict[str, Any], str]] = [
    # the typed signatures refuse these, as Python does: a TypeError naming the argument
    ("task missing geometry", "create_tasking_request", (), {"name": "x"}, "geometry"),
    ("task unknown kwarg", "create_tasking_request", (), {"geometry": POINT, "colour": "red"}, "colour"),
    (
        "update unknown field",
        "update_tasking_requests",
        (TASK_ID,),
        {"window_open": "2030-01-01"},
        "window_open",
    ),
    (
        "submit positional ids",
        "submit_order",
        (["CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010"],),
        {},
        "positional",
    ),
]


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in SIGNATURE_CALLS],
)
def test_signature_mistakes_are_refused_before_any_request(
    hook: CapellaHook, capella_emulator: Any, method: str, args: tuple, kwargs: dict, expected: str
) -> None:
    with pytest.raises(TypeError, match=expected):
        getattr(hook, method)(*args, **kwargs)
    assert capella_emulator.requests() == []


def test_validation_error_is_a_value_error_naming_the_argument(hook: CapellaHook) -> None:
    with pytest.raises(ValueError, match="invalid argument `limit`"):
        hook.search(limit=20_000)


def test_download_product_validates_before_sending(hook: CapellaHook, capella_emulator: Any) -> None:
    with pytest.raises(CapellaValidationError):
        hook.download_product()
    assert capella_emulator.requests() == []
