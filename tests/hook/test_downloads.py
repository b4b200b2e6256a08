"""Downloads through the hook: source precedence, ordering on the way, filters, and no key to asset hosts."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_capella.exceptions import (
    CapellaNoProductsError,
    CapellaOrderExpiredError,
    CapellaValidationError,
)
from airflow_provider_capella.hooks.capella import CapellaHook

POINT = {"type": "Point", "coordinates": [-105.27, 40.01]}
CONTRACT_ID = "5d2c7a8e-1f3b-4c6d-9e0a-7b8c9d0e1f2a"


def ordered(hook: CapellaHook, count: int = 2) -> tuple[str, list[dict[str, Any]]]:
    items = hook.search(product_type="GEO", limit=count)
    return hook.submit_order(items=items), items


def completed_task(hook: CapellaHook) -> str:
    task_id = hook.create_tasking_request(geometry=POINT, name="to-download", pre_approval=True)[
        "properties"
    ]["taskingrequestId"]
    deadline = time.monotonic() + 15
    while not hook.is_task_completed(hook.get_task(task_id)):
        assert time.monotonic() < deadline, "tasking request did not complete"
        time.sleep(0.1)
    return task_id


def assert_no_key_sent_to_assets(capella_emulator: Any) -> None:
    asset_requests = capella_emulator.requests(path="/assets/")
    assert asset_requests
    assert all("authorization" not in entry["headers"] for entry in asset_requests)


def test_download_an_order(hook: CapellaHook, capella_emulator: Any, tmp_path: Path) -> None:
    order_id, items = ordered(hook)
    paths = hook.download_products(order_id=order_id, local_dir=tmp_path, exclude=["preview"])
    assert sorted(paths) == sorted(item["id"] for item in items)
    for stac_id, assets in paths.items():
        assert {"HH", "metadata", "thumbnail"} <= set(assets)
        assert "preview" not in assets and "license" not in assets
        for path in assets.values():
            assert isinstance(path, str) and Path(path).parent == tmp_path / stac_id
            assert os.path.getsize(path) > 0
    assert_no_key_sent_to_assets(capella_emulator)


def test_two_sources_are_refused_naming_them_before_any_request(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    items = [{"id": "CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010", "assets": {}}]
    capella_emulator.clear_requests()
    with pytest.raises(CapellaValidationError) as refused:
        hook.download_products(
            items_presigned=items, order_id="0b8f3f8e-7d1c-4c7e-9d7a-3b7f1b2a9c10", local_dir=tmp_path
        )
    message = str(refused.value)
    for name in ("items_presigned", "order_id", "tasking_request_id", "collect_id"):
        assert name in message
    assert "got items_presigned, order_id" in message
    assert capella_emulator.requests() == []


def test_presigned_items_with_filters(hook: CapellaHook, tmp_path: Path) -> None:
    order_id, _ = ordered(hook)
    items = hook.get_presigned_items(order_id)[:1]
    paths = hook.download_products(
        items_presigned=items,
        local_dir=str(tmp_path),
        include="raster",
        separate_dirs=False,
        threaded=False,
    )
    assert list(paths) == [items[0]["id"]]
    (path,) = paths[items[0]["id"]].values()
    assert Path(path).parent == tmp_path and path.endswith(".tif")


def test_product_types_filter_the_order(hook: CapellaHook, tmp_path: Path) -> None:
    items = hook.search(product_type="GEO", limit=1) + hook.search(product_type="SLC", limit=1)
    order_id = hook.submit_order(items=items)
    paths = hook.download_products(
        order_id=order_id, local_dir=tmp_path, product_types=["SLC"], include=["metadata"]
    )
    assert list(paths) == [items[1]["id"]]


def test_download_a_tasking_request_orders_it_on_the_given_contract(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = completed_task(hook)
    paths = hook.download_products(
        tasking_request_id=task_id,
        local_dir=tmp_path,
        include=["thumbnail"],
        product_types=["GEO"],
        contract_id=CONTRACT_ID,
    )
    assert paths and all("_GEO_" in stac_id for stac_id in paths)
    orders = hook.list_orders()
    assert len(orders) == 1 and orders[0]["contractId"] == CONTRACT_ID  # the SDK dropped it on this path
    placed = f"download_products(tasking_request_id={task_id}) placed order {orders[0]['orderId']} (billable"
    log = capsys.readouterr().out  # the hook's log (Airflow's structured logging writes to stdout)
    assert placed in log and ", cost " in log, "the order it placed and its cost are logged"
    again = hook.download_products(
        tasking_request_id=task_id,
        local_dir=tmp_path,
        include=["thumbnail"],
        product_types=["GEO"],
        contract_id=CONTRACT_ID,
    )
    assert again == paths
    assert len(hook.list_orders()) == 1, "the active order was reused"
    assert f"reused active order {orders[0]['orderId']} (no new charge)" in capsys.readouterr().out


def test_a_collect_without_products_is_a_clear_error(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    with pytest.raises(CapellaNoProductsError, match="no STAC products"):
        hook.download_products(collect_id="0b8f3f8e-7d1c-4c7e-9d7a-3b7f1b2a9c10", local_dir=tmp_path)
    assert capella_emulator.requests(path="/orders") == []


def test_a_task_without_matching_products_is_a_clear_error(hook: CapellaHook, tmp_path: Path) -> None:
    task_id = completed_task(hook)
    with pytest.raises(CapellaNoProductsError):
        hook.download_products(tasking_request_id=task_id, local_dir=tmp_path, product_types=["CPHD"])


def test_download_one_asset_and_its_size(hook: CapellaHook, capella_emulator: Any, tmp_path: Path) -> None:
    order_id, _ = ordered(hook, 1)
    href = hook.get_presigned_items(order_id)[0]["assets"]["HH"]["href"]
    size = hook.get_asset_bytesize(href)
    path = hook.download_asset(href, local_path=tmp_path)
    assert Path(path).parent == tmp_path and os.path.getsize(path) == size > 0
    assert_no_key_sent_to_assets(capella_emulator)


def test_download_product_downloads_one_product(hook: CapellaHook, tmp_path: Path) -> None:
    order_id, items = ordered(hook, 1)
    paths = hook.download_product(order_id=order_id, local_dir=tmp_path, include=["metadata"])
    assert list(paths) == ["metadata"] and Path(paths["metadata"]).parent == tmp_path / items[0]["id"]
    assets = hook.get_presigned_assets(order_id)[0]
    again = hook.download_product(assets_presigned=assets, local_dir=tmp_path, include="thumbnail")
    assert list(again) == ["thumbnail"]


def test_stac_ids_download_only_those_products_of_the_order(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    order_id, items = ordered(hook, count=3)
    wanted = [items[1]["id"]]
    paths = hook.download_products(order_id=order_id, stac_ids=wanted, local_dir=tmp_path, include="raster")
    assert list(paths) == wanted
    assert sorted(path.name for path in tmp_path.iterdir()) == wanted


def test_stac_ids_outside_the_order_or_without_one_are_refused(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    order_id, items = ordered(hook)
    stranger = hook.search(product_type="SLC", limit=1)[0]["id"]
    with pytest.raises(CapellaValidationError, match=rf"stac_ids.*not in order {order_id}"):
        hook.download_products(order_id=order_id, stac_ids=[stranger], local_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    capella_emulator.clear_requests()
    with pytest.raises(CapellaValidationError, match=r"stac_ids.*order_id"):
        hook.download_products(stac_ids=[items[0]["id"]], local_dir=tmp_path)
    assert capella_emulator.requests() == []


def test_expired_urls_of_a_subset_are_fetched_afresh_once(
    hook: CapellaHook, capella_emulator: Any, tmp_path: Path
) -> None:
    order_id, items = ordered(hook)
    capella_emulator.settings(presign_ttl_seconds=-60)  # every presigned URL is born expired
    capella_emulator.clear_requests()
    with pytest.raises(CapellaOrderExpiredError, match="expired"):
        hook.download_products(order_id=order_id, stac_ids=[items[0]["id"]], local_dir=tmp_path)
    downloads = capella_emulator.requests(path=f"/orders/{order_id}/download")
    assert len(downloads) == 2, "the presigned items are fetched once, then refreshed exactly once"
