"""Order routes: ``/orders/review``, ``/orders``, ``/orders/{id}``, ``/orders/{id}/download``.

The same router also adds ``POST /_emulator/orders/{id}/expire`` (the order expires now) to the control
surface; the middleware treats every ``/_emulator`` path as control (no API key). Error shapes are those
of :mod:`..orders`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from capella_emulator.orders import OrderBook
from capella_emulator.request_body import json_body

router = APIRouter()


def _book(request: Request) -> OrderBook:
    return request.app.state.emulator.orders


def _now(request: Request) -> float:
    return float(request.app.state.emulator.now())


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.post("/orders/review")
async def review_order(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    return _book(request).review(body)


@router.post("/orders")
async def submit_order(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    return _book(request).submit(body).to_json(_now(request))


@router.get("/orders")
async def list_orders(
    request: Request,
    customer_id: Annotated[str | None, Query(alias="customerId")] = None,
    organization_id: Annotated[str | None, Query(alias="organizationId")] = None,
    reseller_id: Annotated[str | None, Query(alias="resellerId")] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> list[dict[str, Any]]:
    return _book(request).list_for(customer_id, organization_id, reseller_id, limit)


@router.get("/orders/{order_id}")
async def get_order(request: Request, order_id: str) -> dict[str, Any]:
    return _book(request).get(order_id).to_json(_now(request))


@router.get("/orders/{order_id}/download")
async def download_order(request: Request, order_id: str) -> list[dict[str, Any]]:
    return _book(request).presigned_items(order_id, _base_url(request))


@router.post("/_emulator/orders/{order_id}/expire")
async def expire_order(request: Request, order_id: str) -> dict[str, Any]:
    return _book(request).expire(order_id).to_json(_now(request))
