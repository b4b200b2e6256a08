"""The emulator's strict modes for tests: slow order processing, and sustained 429s for a whole run."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from capella_emulator.cli import build_parser, config_from_args

from tests.emulator.test_orders import catalog_items, get, submit


@pytest.mark.capella_emulator(order_processing_seconds=1.5)
def test_a_slow_order_is_processing_until_its_time_then_its_urls_exist(capella_emulator: Any) -> None:
    [item] = catalog_items(capella_emulator, "availableForPurchase", "GEO")

    order = submit(capella_emulator, [item])
    early = get(capella_emulator, f"/orders/{order['orderId']}/download")

    assert order["orderStatus"] == "processing"
    assert [entry["itemStatus"] for entry in order["items"]] == ["processing"]
    assert early.status_code == 503
    assert 1 <= int(early.headers["Retry-After"]) <= 2
    assert "still processing" in early.json()["error"]["message"]
    time.sleep(int(early.headers["Retry-After"]) + 0.1)
    later = get(capella_emulator, f"/orders/{order['orderId']}/download")
    assert later.status_code == 200 and "Signature=" in later.json()[0]["assets"]["HH"]["href"]
    assert get(capella_emulator, f"/orders/{order['orderId']}").json()["orderStatus"] == "completed"


def test_orders_complete_at_once_by_default(capella_emulator: Any) -> None:
    [item] = catalog_items(capella_emulator, "availableForPurchase", "GEO")

    order = submit(capella_emulator, [item])

    assert order["orderStatus"] == "completed"
    assert get(capella_emulator, f"/orders/{order['orderId']}/download").status_code == 200


@pytest.mark.capella_emulator(fault_429_rate=0.3, retry_after=2, scope="api")
def test_sustained_429s_answer_a_share_of_api_requests_for_the_whole_run(capella_emulator: Any) -> None:
    statuses = [
        requests.get(f"{capella_emulator.url}/user", headers=capella_emulator.auth_headers, timeout=30)
        for _ in range(200)
    ]

    limited = [response for response in statuses if response.status_code == 429]
    assert {response.status_code for response in statuses} == {200, 429}
    assert 30 <= len(limited) <= 90  # about 30 %, not a burst that ends
    assert any(r.status_code == 429 for r in statuses[:50]) and any(
        r.status_code == 429 for r in statuses[150:]
    )
    assert {response.headers["Retry-After"] for response in limited} == {"2"}


def test_the_cli_flags_set_the_strict_modes() -> None:
    args = ["--order-processing-seconds", "20", "--fault-429-rate", "0.2", "--retry-after", "1"]

    config = config_from_args(build_parser().parse_args(args))

    assert config.order_processing_seconds == 20
    assert (config.faults.fault_429_rate, config.faults.retry_after) == (0.2, 1)
