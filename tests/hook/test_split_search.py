"""Searches past the per-query cap over real HTTP: split by time, every match once, a warning otherwise.

The emulator's catalog holds ~2,400 items, so its cap is lowered (``max_items_per_query``) to make a
query hit it, as a 10,000+ match query hits the real API's.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaValidationError
from airflow_provider_capella.hooks.capella import CapellaHook

WHOLE_ARCHIVE = "2018-01-01T00:00:00Z/2030-01-01T00:00:00Z"


def catalog_ids(emulator: Any, product_type: str | None = None) -> set[str]:
    return {
        item["id"]
        for item in emulator.state.catalog.items
        if product_type is None or item["properties"].get("sar:product_type") == product_type
    }


def test_split_by_time_returns_every_match_past_the_cap(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.settings(max_items_per_query=300)
    everything = catalog_ids(capella_emulator)
    assert len(everything) > 300 * 4

    ids = hook.search(datetime=WHOLE_ARCHIVE, split_by_time=True, limit=None, ids_only=True)

    assert len(ids) == len(set(ids)), "de-duplicated"
    assert set(ids) == everything


def test_split_by_time_keeps_the_other_filters_and_a_limit(hook: CapellaHook, capella_emulator: Any) -> None:
    capella_emulator.settings(max_items_per_query=100)
    geo = catalog_ids(capella_emulator, "GEO")
    assert len(geo) > 100

    found = hook.search(
        datetime__gte="2018-01-01T00:00:00Z",
        datetime__lt="2030-01-01T00:00:00Z",
        product_type="GEO",
        split_by_time=True,
        limit=None,
    )
    limited = hook.search(datetime=WHOLE_ARCHIVE, product_type="GEO", split_by_time=True, limit=150)

    assert {item["id"] for item in found} == geo
    assert len(limited) == 150 and {item["id"] for item in limited} <= geo


def test_without_split_a_cut_search_warns(
    hook: CapellaHook, capella_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    capella_emulator.settings(max_items_per_query=200)

    items = hook.search(datetime=WHOLE_ARCHIVE, limit=1000)

    assert len(items) == 200
    assert "results were cut" in capsys.readouterr().out


def test_an_uncut_search_does_not_warn(hook: CapellaHook, capsys: pytest.CaptureFixture[str]) -> None:
    items = hook.search(datetime=WHOLE_ARCHIVE, limit=10_000)  # every match returned
    assert len(items) == hook.last_search_matched
    assert "results were cut" not in capsys.readouterr().out


def test_a_search_cut_by_a_given_limit_warns_with_both_numbers(
    hook: CapellaHook, capsys: pytest.CaptureFixture[str]
) -> None:
    hook.search(datetime=WHOLE_ARCHIVE, limit=20)
    matched = hook.last_search_matched
    assert matched is not None and matched > 20
    assert f"results were cut: {matched} item(s) matched but 20 were returned; raise `limit`" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({}, "datetime"),
        ({"datetime__gte": "2020-01-01T00:00:00Z"}, "datetime"),
        ({"datetime": "2020-01-01T00:00:00Z/.."}, "datetime"),
        ({"datetime": "2020-01-01T00:00:00Z"}, "datetime"),
        ({"datetime": WHOLE_ARCHIVE, "limit": -5}, "limit"),
        ({"datetime": WHOLE_ARCHIVE, "limit": "many"}, "limit"),
        ({"datetime": WHOLE_ARCHIVE, "limit": 2.5}, "limit"),
    ],
)
def test_bad_split_searches_are_refused_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any, kwargs: dict[str, Any], argument: str
) -> None:
    with pytest.raises(CapellaValidationError) as raised:
        hook.search(split_by_time=True, **kwargs)
    assert raised.value.argument == argument
    assert capella_emulator.requests() == []


def test_split_by_time_must_be_a_boolean(hook: CapellaHook, capella_emulator: Any) -> None:
    with pytest.raises(CapellaValidationError, match="split_by_time"):
        hook.search(datetime=WHOLE_ARCHIVE, split_by_time="yes")
    assert capella_emulator.requests() == []
