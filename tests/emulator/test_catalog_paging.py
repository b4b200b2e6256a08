"""Catalog search paging over real HTTP: next links, page parameters, the gateway host and the 10,000 cap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from capella_emulator import EmulatorConfig, RunningEmulator, start_in_thread

from tests.emulator.catalog_search_helpers import fetch_all, ids, next_link, search, search_ok

BIG_KEY = "big-catalog-key"
BIG_HEADERS = {"Authorization": f"ApiKey {BIG_KEY}"}


@pytest.fixture(scope="module")
def big_catalog() -> Iterator[RunningEmulator]:
    """An emulator whose archive holds more items than one query may return."""
    running = start_in_thread(EmulatorConfig(api_key=BIG_KEY, catalog_size=12_000))
    try:
        yield running
    finally:
        running.stop()


def test_paging_walks_every_match_once_with_next_links(capella_emulator):
    features, pages = fetch_all(capella_emulator.url, capella_emulator.auth_headers, {"limit": 500})

    assert [len(page["features"]) for page in pages] == [500, 500, 500, 500, 400]
    assert all(page["numberMatched"] == 2400 for page in pages)
    assert [page["context"]["page"] for page in pages] == [1, 2, 3, 4, 5]
    assert len({feature["id"] for feature in features}) == 2400
    assert next_link(pages[-1]) is None and pages[-1]["links"] == []
    datetimes = [feature["properties"]["datetime"] for feature in features]
    assert datetimes == sorted(datetimes, reverse=True)


def test_the_next_link_repeats_the_body_with_the_next_page(capella_emulator):
    body = {"limit": 100, "query": {"sar:product_type": {"eq": "GEO"}}, "sortby": [{"field": "id"}]}
    first = search_ok(capella_emulator, body)
    link = next_link(first)

    assert link is not None
    assert link["href"] == f"{capella_emulator.url}/catalog/search?page=2"
    assert link["method"] == "POST" and link["merge"] is False
    assert link["body"] == {**body, "page": 2}
    second = requests.post(link["href"], json=link["body"], headers=capella_emulator.auth_headers, timeout=30)
    assert set(ids(second.json())).isdisjoint(ids(first))
    assert ids(second.json()) == sorted(ids(second.json())) and ids(second.json())[0] > ids(first)[-1]


def test_the_page_query_parameter_works_and_the_body_page_wins(capella_emulator):
    page_two = search_ok(capella_emulator, {"limit": 10, "page": 2})
    by_param = search_ok(capella_emulator, {"limit": 10}, params={"page": 2})
    body_wins = search_ok(capella_emulator, {"limit": 10, "page": 2}, params={"page": 5})

    assert ids(by_param) == ids(page_two) == ids(body_wins)
    assert by_param["context"]["page"] == 2


def test_a_malformed_page_query_parameter_gets_a_400(capella_emulator):
    response = search(capella_emulator.url, capella_emulator.auth_headers, {}, params={"page": "last"})
    assert response.status_code == 400
    assert response.json()["error"]["detail"][0]["path"] == ["page"]


def test_a_page_past_the_end_is_empty(capella_emulator):
    page = search_ok(capella_emulator, {"limit": 900, "page": 4})
    assert page["features"] == [] and page["numberMatched"] == 2400 and page["links"] == []


def test_next_links_name_the_configured_gateway_host(capella_emulator):
    capella_emulator.settings(next_link_host="gateway.internal.example")
    page = search_ok(capella_emulator, {"limit": 100})
    link = next_link(page)

    assert link is not None
    assert link["href"] == "https://gateway.internal.example/catalog/search?page=2"
    # a client that sends the link's query to its own search URL (as it must) gets page 2
    query = urlsplit(link["href"]).query
    follow = requests.post(
        f"{capella_emulator.url}/catalog/search?{query}",
        json=link["body"],
        headers=capella_emulator.auth_headers,
        timeout=30,
    )
    assert follow.json()["context"]["page"] == 2
    assert set(ids(follow.json())).isdisjoint(ids(page))
    capella_emulator.reset()
    pristine = next_link(search_ok(capella_emulator, {"limit": 100}))
    assert pristine is not None and pristine["href"].startswith(capella_emulator.url)


def test_the_big_catalog_is_capped_at_ten_thousand_items_per_query(big_catalog):
    features, pages = fetch_all(big_catalog.url, BIG_HEADERS, {"limit": 10_000})

    assert len(pages) == 12
    assert all(page["numberMatched"] == 12_000 for page in pages)
    assert [len(page["features"]) for page in pages] == [900] * 11 + [100]
    assert len(features) == 10_000 and len({feature["id"] for feature in features}) == 10_000
    assert next_link(pages[-1]) is None


def test_nothing_past_the_ten_thousandth_item_is_ever_returned(big_catalog):
    past_cap = search(big_catalog.url, BIG_HEADERS, {"limit": 900, "page": 13}).json()
    straddling = search(big_catalog.url, BIG_HEADERS, {"limit": 700, "page": 15}).json()

    assert past_cap["features"] == [] and past_cap["numberMatched"] == 12_000 and past_cap["links"] == []
    assert len(straddling["features"]) == 10_000 - 14 * 700 and straddling["links"] == []


def test_the_sdk_style_last_page_returns_the_tail_before_the_cap(big_catalog):
    sorted_by_id = {"sortby": [{"field": "id", "direction": "asc"}]}
    tail = search(big_catalog.url, BIG_HEADERS, {**sorted_by_id, "limit": 100, "page": 100}).json()
    last_full_page = search(big_catalog.url, BIG_HEADERS, {**sorted_by_id, "limit": 900, "page": 11}).json()
    every_id = sorted(item["id"] for item in big_catalog.state.catalog.items)

    assert ids(tail) == every_id[9_900:10_000]
    assert ids(last_full_page) == every_id[9_000:9_900]
    assert tail["links"] == []


def test_a_narrow_query_on_the_big_catalog_is_not_capped(big_catalog):
    body: dict[str, Any] = {"query": {"sar:product_type": {"eq": "SICD"}}, "limit": 900}
    features, pages = fetch_all(big_catalog.url, BIG_HEADERS, body)
    assert len(features) == pages[0]["numberMatched"] < 10_000
    assert {feature["properties"]["sar:product_type"] for feature in features} == {"SICD"}
