"""Small HTTP helpers shared by the catalog search tests."""

from __future__ import annotations

import re
from typing import Any

import requests

ID_PATTERN = re.compile(
    r"^CAPELLA_C\d{2,3}_(SP|SM|SS)_(SLC|GEO|GEC|SICD|SIDD|CPHD|CSI|CSIDD|VC|VS|ACD)_(HH|VV)_\d{14}_\d{14}$"
)


def search(
    url: str, headers: dict[str, str], body: Any, params: dict[str, Any] | None = None
) -> requests.Response:
    return requests.post(f"{url}/catalog/search", json=body, params=params, headers=headers, timeout=60)


def search_ok(emulator: Any, body: Any, params: dict[str, Any] | None = None) -> dict[str, Any]:
    response = search(emulator.url, emulator.auth_headers, body, params)
    assert response.status_code == 200, response.text
    return response.json()


def next_link(page: dict[str, Any]) -> dict[str, Any] | None:
    return next((link for link in page["links"] if link["rel"] == "next"), None)


def fetch_all(
    url: str, headers: dict[str, str], body: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict]]:
    """Follow ``next`` links as a client does; returns (features, pages)."""
    pages = []
    response = search(url, headers, body)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        link = next_link(page)
        if link is None:
            break
        response = requests.post(link["href"], json=link["body"], headers=headers, timeout=60)
    return [feature for page in pages for feature in page["features"]], pages


def ids(page: dict[str, Any]) -> list[str]:
    return [feature["id"] for feature in page["features"]]


def props(page: dict[str, Any], name: str) -> list[Any]:
    return [feature["properties"][name] for feature in page["features"]]
