"""Runs one flow of the official SDK (``capella-console-client``) against an API, for the SDK oracle tests.

This is a script for the SDK's own interpreter (an isolated virtual environment: the SDK's pins clash with
Airflow's), never imported by pytest and importing nothing from this project. Usage::

    .venv-sdk/bin/python tests/emulator/sdk_driver.py FLOW < params.json

``params`` is a JSON object with at least ``url`` and ``api_key``; the rest depends on the flow. The flow's
result is printed on stdout as one line, ``SDK-RESULT <json>``; anything else the SDK prints is noise.
An unexpected exception ends the script with a traceback on stderr and a non-zero exit code.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from capella_console_client import CapellaConsoleClient
from capella_console_client.exceptions import CapellaConsoleClientError

RESULT_MARKER = "SDK-RESULT "
POINT = {"type": "Point", "coordinates": [-74.04, 40.67]}

Params = dict[str, Any]


def client_for(params: Params) -> CapellaConsoleClient:
    return CapellaConsoleClient(api_key=params["api_key"], base_url=params["url"])


def error_summary(exc: BaseException) -> dict[str, Any]:
    summary: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, CapellaConsoleClientError):
        summary.update(code=exc.code, data=exc.data, status=getattr(exc.response, "status_code", None))
    return summary


def raised_by(call: Callable[[], Any]) -> dict[str, Any] | None:
    """What ``call`` raised (type, message, code), or None when it returned."""
    try:
        call()
    except Exception as exc:
        return error_summary(exc)
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_downloads(paths_by_id: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        stac_id: {
            key: {"path": str(path), "size": Path(path).stat().st_size, "sha256": sha256_of(Path(path))}
            for key, path in paths.items()
        }
        for stac_id, paths in paths_by_id.items()
    }


# ---------------------------------------------------------------------------------------------- flows
def flow_auth(params: Params) -> dict[str, Any]:
    """A right key and a right token are accepted; a wrong key or token is refused at construction."""
    url = params["url"]
    return {
        "whoami": client_for(params).whoami(),
        "whoami_with_token": CapellaConsoleClient(token=params["api_key"], base_url=url).whoami(),
        "wrong_key": raised_by(lambda: CapellaConsoleClient(api_key="not-the-key", base_url=url)),
        "wrong_token": raised_by(lambda: CapellaConsoleClient(token="not-the-token", base_url=url)),
    }


def flow_search(params: Params) -> dict[str, Any]:
    """One catalog search with the given keyword filters; the matched ids in the order returned."""
    result = client_for(params).search(**params["filters"])
    return {"ids": result.stac_ids}


def flow_order(params: Params) -> dict[str, Any]:
    """Review, submit, reuse the active order, list it, and get its presigned items and assets."""
    client = client_for(params)
    stac_ids = params["stac_ids"]
    review = client.review_order(stac_ids=stac_ids)
    order_id = client.submit_order(stac_ids=stac_ids)
    reused_id = client.submit_order(stac_ids=stac_ids[:1], check_active_orders=True)
    items = client.get_presigned_items(order_id)
    return {
        "review": review,
        "order_id": order_id,
        "reused_order_id": reused_id,
        "orders": client.list_orders(),
        "active_orders": client.list_orders(is_active=True),
        "listed_order": client.list_orders(order_id),
        "order_stac_ids": client.get_stac_items_of_order(order_id, ids_only=True),
        "order_search_ids": client.get_stac_items_of_order(order_id).stac_ids,
        "presigned_items": items,
        "presigned_assets": client.get_presigned_assets(order_id, stac_ids=stac_ids[:1]),
    }


def flow_submit_order(params: Params) -> dict[str, Any]:
    """Submit an order (after its review), as a user who needs a fresh one does."""
    return {"order_id": client_for(params).submit_order(stac_ids=params["stac_ids"])}


def flow_review_over_budget(params: Params) -> dict[str, Any]:
    """Review an order the account cannot afford: the SDK raises InsufficientFundsError."""
    client = client_for(params)
    return {
        "review": raised_by(lambda: client.review_order(stac_ids=params["stac_ids"])),
        "submit": raised_by(lambda: client.submit_order(stac_ids=params["stac_ids"])),
    }


def flow_expired_order(params: Params) -> dict[str, Any]:
    """An expired order cannot be downloaded and is not reused: a new order is submitted instead."""
    client = client_for(params)
    return {
        "presigned": raised_by(lambda: client.get_presigned_items(params["order_id"])),
        "active_orders": client.list_orders(is_active=True),
        "new_order_id": client.submit_order(stac_ids=params["stac_ids"], check_active_orders=True),
    }


def flow_download(params: Params) -> dict[str, Any]:
    """Download an order's products; then resume a truncated raster with a Range request."""
    client = client_for(params)
    local_dir = Path(params["local_dir"])
    order_id = client.submit_order(stac_ids=params["stac_ids"])
    first = describe_downloads(client.download_products(order_id=order_id, local_dir=local_dir))
    truncated = Path(first[params["resume_id"]][params["resume_key"]]["path"])
    with truncated.open("r+b") as handle:
        handle.truncate(params["resume_from"])
    items = client.get_presigned_items(order_id, stac_ids=[params["resume_id"]])
    resumed = describe_downloads(client.download_products(items_presigned=items, local_dir=local_dir))
    return {"order_id": order_id, "downloads": first, "resumed": resumed}


def flow_tasking_to_download(params: Params) -> dict[str, Any]:
    """Task a point, wait until the request completes, list its collects, download by tasking request id."""
    client = client_for(params)
    created = client.create_tasking_request(
        geometry=POINT, name="sdk oracle", description="emulator check", product_types=["GEO"]
    )
    tasking_request_id = created["properties"]["taskingrequestId"]
    deadline = time.monotonic() + params["wait_seconds"]
    task = client.get_task(tasking_request_id)
    polls = 1
    while not client.is_task_completed(task) and time.monotonic() < deadline:
        time.sleep(params["poll_seconds"])
        task = client.get_task(tasking_request_id)
        polls += 1
    completed = client.is_task_completed(task)
    collects = client.get_collects_for_task(tasking_request_id) if completed else []
    downloads: dict[str, Any] = {}
    by_collect: dict[str, Any] = {}
    if completed:
        paths = client.download_products(tasking_request_id=tasking_request_id, local_dir=params["local_dir"])
        downloads = describe_downloads(paths)
        collect_id = collects[0]["collectId"]
        by_collect = describe_downloads(
            client.download_products(collect_id=collect_id, local_dir=params["local_dir"])
        )
    return {
        "created": created,
        "task": task,
        "polls": polls,
        "completed": completed,
        "collects": collects,
        "downloads": downloads,
        "downloads_by_collect_id": by_collect,
    }


def flow_tasking_manage(params: Params) -> dict[str, Any]:
    """Create tasking requests, then search (paged), update and cancel them."""
    client = client_for(params)
    # Cancellation is allowed from accepted/active only, and not within 12 hours of the first collect:
    # the window opens in two days, so each request is "active" (beyond the one-week horizon) when canceled.
    window_open = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    created = [
        client.create_tasking_request(geometry=POINT, name=f"oracle {n}", window_open=window_open)
        for n in range(params["count"])
    ]
    time.sleep(params.get("settle_seconds", 0))
    ids = [request["properties"]["taskingrequestId"] for request in created]
    first, second = ids[0], ids[1]
    updated = client.update_tasking_requests(
        first, second, name="renamed", description="updated by the SDK", custom_attribute_1="attr-1"
    )
    canceled = client.cancel_tasking_requests(first)
    canceled_again = client.cancel_tasking_requests(first, second)
    return {
        "ids": ids,
        "updated": updated,
        "canceled": canceled,
        "canceled_again": canceled_again,
        "task_after_cancel": client.get_task(first),
        "search_all": client.search_tasking_requests().tasking_request_ids,
        "search_all_sequential": client.search_tasking_requests(threaded=False).tasking_request_ids,
        "search_by_ids": client.search_tasking_requests(
            tasking_request_id=[first, second]
        ).tasking_request_ids,
        "search_by_id": client.search_tasking_requests(tasking_request_id=second).tasking_request_ids,
        "search_canceled": client.search_tasking_requests(status="canceled").tasking_request_ids,
        "search_for_org": client.search_tasking_requests(for_org=True).tasking_request_ids,
    }


def flow_repeat(params: Params) -> dict[str, Any]:
    """Create a repeat request, then search, update and cancel it (twice: the second is refused)."""
    client = client_for(params)
    created = client.create_repeat_request(
        geometry=POINT, name="sdk oracle repeat", repetition_interval=7, repetition_count=3
    )
    other = client.create_repeat_request(
        geometry=POINT,
        name="sdk oracle repeat 2",
        repeat_end="2099-01-01T00:00:00Z",
        collection_tier="flexible",
    )
    repeat_id = created["properties"]["repeatrequestId"]
    other_id = other["properties"]["repeatrequestId"]
    time.sleep(params.get("settle_seconds", 0))  # a repeat request can be canceled once it is active
    return {
        "created": created,
        "other": other,
        "search_all": client.search_repeat_requests().repeat_request_ids,
        "search_by_id": client.search_repeat_requests(repeat_request_id=repeat_id).repeat_request_ids,
        "search_by_ids": client.search_repeat_requests(
            repeat_request_id=[repeat_id, other_id]
        ).repeat_request_ids,
        "updated": client.update_repeat_requests(
            repeat_id, name="renamed repeat", custom_attribute_2="attr-2"
        ),
        "canceled": client.cancel_repeat_requests(repeat_id),
        "canceled_again": client.cancel_repeat_requests(repeat_id, other_id),
        "search_canceled": client.search_repeat_requests(status="canceled").repeat_request_ids,
    }


FLOWS: dict[str, Callable[[Params], dict[str, Any]]] = {
    name.removeprefix("flow_"): function for name, function in globals().items() if name.startswith("flow_")
}


def main() -> None:
    flow = FLOWS[sys.argv[1]]
    result = flow(json.load(sys.stdin))
    sys.stdout.write("\n" + RESULT_MARKER + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
