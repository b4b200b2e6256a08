"""Expired orders over real HTTP: reordered only for free (or as allowed), at the start or mid-download."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaReorderNotAllowedError, CapellaValidationError
from airflow_provider_capella.hooks.capella import CapellaHook

TWO_HOURS = 7200.0


def order_of(hook: CapellaHook, count: int = 2) -> tuple[str, list[str]]:
    stac_ids = hook.search(
        product_type="GEO", ownership="availableForPurchase", sortby="id", limit=count, ids_only=True
    )
    return hook.submit_order(stac_ids=stac_ids), stac_ids


def expire(emulator: Any, order_id: str) -> None:
    emulator._control("POST", f"/orders/{order_id}/expire")


def posts(emulator: Any, path: str) -> list[dict[str, Any]]:
    return [entry for entry in emulator.requests(method="POST") if entry["path"] == path]


def test_an_expired_order_is_reordered_for_free_and_downloaded(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order_id, stac_ids = order_of(hook)
    expire(capella_emulator, order_id)
    capella_emulator.clear_requests()

    paths = hook.download_products(order_id=order_id, local_dir=tmp_path, include=["metadata"])

    assert sorted(paths) == sorted(stac_ids)
    assert all(Path(path).stat().st_size > 0 for assets in paths.values() for path in assets.values())
    assert len(posts(capella_emulator, "/orders/review")) == 1
    assert len(posts(capella_emulator, "/orders")) == 1
    [new_order] = [order for order in hook.list_orders(is_active=True)]
    assert new_order["orderId"] != order_id
    assert all(item["previouslyOrdered"] for item in new_order["items"])
    logged = capsys.readouterr().out
    assert f"placed new order {new_order['orderId']}" in logged and "cost 0.0 USD" in logged


def test_a_reorder_that_would_cost_is_refused_with_the_quote(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    order_id, stac_ids = order_of(hook)
    expire(capella_emulator, order_id)
    capella_emulator.settings(reorders_are_free=False)
    capella_emulator.clear_requests()

    with pytest.raises(CapellaReorderNotAllowedError) as raised:
        hook.download_products(order_id=order_id, local_dir=tmp_path)

    error = raised.value
    assert error.data["total"] == 1000.0 and error.data["currency"] == "USD"
    assert sorted(error.data["stac_ids"]) == sorted(stac_ids)
    assert "1000 USD" in str(error) and "reorder_expired='always'" in str(error)
    assert posts(capella_emulator, "/orders") == [], "nothing was ordered"
    assert list(tmp_path.iterdir()) == []


def test_always_pays_for_the_new_order_and_logs_its_cost(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order_id, stac_ids = order_of(hook, count=1)
    expire(capella_emulator, order_id)
    capella_emulator.settings(reorders_are_free=False)

    paths = hook.download_products(
        order_id=order_id, local_dir=tmp_path, include=["metadata"], reorder_expired="always"
    )

    assert list(paths) == stac_ids
    assert "cost 500.0 USD" in capsys.readouterr().out


def test_never_reorders_and_says_how_to_allow_it(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    order_id, _ = order_of(hook, count=1)
    expire(capella_emulator, order_id)
    capella_emulator.clear_requests()

    with pytest.raises(CapellaReorderNotAllowedError, match="reorder_expired='if_free'"):
        hook.download_products(order_id=order_id, local_dir=tmp_path, reorder_expired="never")

    assert posts(capella_emulator, "/orders/review") == [] and posts(capella_emulator, "/orders") == []


def test_urls_expiring_mid_download_are_replaced_by_a_free_new_order(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    order_id, stac_ids = order_of(hook)
    capella_emulator.set_faults(latency_ms=400, scope="asset")  # each file takes a while to start
    capella_emulator.clear_requests()

    with ThreadPoolExecutor(max_workers=1) as pool:
        download = pool.submit(
            hook.download_products,
            order_id=order_id,
            local_dir=tmp_path,
            include=["metadata", "thumbnail"],
            threaded=False,
        )
        deadline = time.monotonic() + 30
        while not capella_emulator.requests(path="/assets/"):  # the transfer has started
            assert time.monotonic() < deadline and not download.done()
            time.sleep(0.02)
        capella_emulator.settings(clock_offset_seconds=TWO_HOURS)  # the order and its URLs expire now
        paths = download.result(timeout=120)

    assert sorted(paths) == sorted(stac_ids)
    assert all(len(assets) == 2 for assets in paths.values())
    refused = [entry for entry in capella_emulator.requests(path="/assets/") if entry.get("status") == 403]
    assert refused, "a presigned URL was refused mid-download"
    assert len(posts(capella_emulator, "/orders")) == 1, "one new (free) order"
    assert len(capella_emulator.requests(path=f"/orders/{order_id}/download")) == 2


def test_reuse_skips_an_active_order_about_to_expire(hook: CapellaHook, capella_emulator: Any) -> None:
    stac_ids = hook.search(product_type="GEO", limit=1, ids_only=True)
    capella_emulator.settings(order_ttl_seconds=300)  # five minutes left: under the reuse margin
    short_lived = hook.submit_order(stac_ids=stac_ids)
    capella_emulator.settings(order_ttl_seconds=3600)

    fresh = hook.submit_order(stac_ids=stac_ids, check_active_orders=True)
    reused = hook.submit_order(stac_ids=stac_ids, check_active_orders=True)

    assert fresh != short_lived
    assert reused == fresh


@pytest.mark.parametrize("value", ["sometimes", True, None, 0])
def test_a_bad_reorder_policy_is_refused_before_anything_is_sent(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path, value: Any
) -> None:
    with pytest.raises(CapellaValidationError, match="reorder_expired") as raised:
        hook.download_products(
            order_id="0b9f7c1e-6f0e-4a8e-9d8e-1f2a3b4c5d6e", local_dir=tmp_path, reorder_expired=value
        )
    assert raised.value.argument == "reorder_expired"
    assert capella_emulator.requests() == []
