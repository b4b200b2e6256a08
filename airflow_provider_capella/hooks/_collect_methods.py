"""``CapellaHook``'s calls around tasking (attached to the class in :mod:`.capella`).

One collect and its status, the tiles of a tasking request, and an order for everything a tasking
request produced (``POST /orders/task/{id}``, billable, never re-sent after an ambiguous failure).
Every id is checked before anything is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella.hooks._orders import accepted_order_id

if TYPE_CHECKING:
    from airflow_provider_capella.hooks.capella import CapellaHook


def get_collect(self: CapellaHook, collect_id: str) -> dict[str, Any]:
    """Fetch one collect (``GET /collects/{id}``): its window, spacecraft, status history and figures.

    :param collect_id: the collect (a UUID, e.g. from :meth:`get_collects_for_task`).
    :return: the collect record (``collectId``, ``taskingrequestId``, ``spacecraftId``,
        ``collectStatusHistory``, ``accessProperties``, ``collectProperties``, ...).
    :raises CapellaNotFoundError: when no such collect exists.

    Example::

        collect = hook.get_collect("3f1c2b9e-8d7a-4c6b-9e5f-1a2b3c4d5e6f")
        print(collect["spacecraftId"], collect["collectProperties"]["grr"])
    """
    checked = checks.uuid_text("collect_id", collect_id)
    return dict(self.api.call("GET", f"/collects/{checked}") or {})


def get_collect_status(self: CapellaHook, collect_id: str) -> dict[str, Any]:
    """Fetch the status of one collect (``GET /collects/status/{id}``).

    The statuses run ``predicted`` → ``tasked`` → ``collected`` → ``processing`` → ``qa`` →
    ``delivered`` (or the request's failure code).

    :param collect_id: the collect (a UUID).
    :return: the status record: ``collectId``, ``collectStatus`` (the newest code) and
        ``collectStatusHistory`` (newest first), with the request and spacecraft ids.
    :raises CapellaNotFoundError: when no such collect exists.

    Example::

        if hook.get_collect_status(collect_id)["collectStatus"] == "delivered":
            hook.download_products(collect_id=collect_id, local_dir="/data")
    """
    checked = checks.uuid_text("collect_id", collect_id)
    return dict(self.api.call("GET", f"/collects/status/{checked}") or {})


def list_tiles(self: CapellaHook, tasking_request_id: str) -> list[dict[str, Any]]:
    """List the tiles of a tasking request (``GET /tiles/list/{id}``) as GeoJSON Features.

    Tiles exist once the request is ``accepted`` or ``active``; before that the list is empty. An
    answer wrapped in a FeatureCollection is unwrapped, so the result is always a list.

    :param tasking_request_id: the tasking request (a UUID).
    :return: the tile Features (``properties.tileId``, ``imageWidth``, ``imageLength``, ``center``).
    :raises CapellaNotFoundError: when no such tasking request exists.

    Example::

        tiles = hook.list_tiles(task_id)
        print(len(tiles), tiles[0]["geometry"]["type"] if tiles else None)
    """
    checked = checks.uuid_text("tasking_request_id", tasking_request_id)
    answer = self.api.call("GET", f"/tiles/list/{checked}")
    if isinstance(answer, dict):
        answer = answer.get("features") or []
    return list(answer or [])


def order_tasking_request(self: CapellaHook, tasking_request_id: str) -> str:
    """Order everything a tasking request produced (``POST /orders/task/{id}``; **billable**).

    The request is sent once: after an ambiguous failure (a timeout, a 5xx) it is **not** re-sent,
    because it may have been placed; ``CapellaAmbiguousCreateError`` says to look with
    :meth:`list_orders` first. The order id, its product count and its expiry are logged. The order
    expires one hour after it is placed, like any order.

    :param tasking_request_id: a tasking request that has produced imagery (a UUID).
    :return: the new order id.
    :raises CapellaValidationError: when the request has produced nothing yet (the API's
        ``ORDER_VALIDATION_ERROR``) or the id is not a UUID (before anything is sent).
    :raises CapellaOrderRejectedError: when the API rejects the order.

    Example::

        order_id = hook.order_tasking_request(task_id)
        paths = hook.download_products(order_id=order_id, local_dir="s3://bucket/capella/")
    """
    checked = checks.uuid_text("tasking_request_id", tasking_request_id)
    order = dict(self.api.call("POST", f"/orders/task/{checked}") or {})
    order_id = accepted_order_id(order, f"tasking request {checked}")
    self.log.info(
        "Placed order %s for the %d product(s) of tasking request %s (billable; expires %s)",
        order_id,
        len(order.get("items") or []),
        checked,
        order.get("expirationDate") or "in one hour",
    )
    return order_id
