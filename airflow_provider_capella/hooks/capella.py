"""``CapellaHook``: the whole Capella Space API from an Airflow connection.

One method per operation of the official SDK (``capella-console-client``), with the same names,
arguments and semantics, returning plain JSON-serializable values; every argument is validated before
any request, and every request goes through the one HTTP policy in :mod:`airflow_provider_capella._http`.

``CapellaHook`` is one class deriving from ``BaseHook`` only. Each public method is a typed delegation
to a resource module of plain functions (``_catalog``, ``_orders``, ``_requests``, ``_downloads``)
that receive the one HTTP client. To keep each file short, the search, tasking, repeat, download,
collect/tile and archive-export methods are written in ``_search_methods``, ``_tasking_methods``,
``_repeat_methods``, ``_download_methods``, ``_collect_methods`` and ``_archive_methods`` and attached
to the class below; they are ordinary methods of this one class.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal, overload

from airflow.sdk import BaseHook

from airflow_provider_capella._answers import describe_user
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella.constants import CONN_TYPE, DEFAULT_CONN_ID, HOOK_NAME
from airflow_provider_capella.exceptions import CapellaError
from airflow_provider_capella.hooks import _connection_form, _order_guard, _orders
from airflow_provider_capella.hooks._api import CapellaApi
from airflow_provider_capella.hooks._core import ConnectionSettings, http_client

if TYPE_CHECKING:
    from airflow_provider_capella._http import CapellaHttp
    from airflow_provider_capella.hooks import (
        _archive_methods,
        _collect_methods,
        _download_methods,
        _repeat_methods,
        _search_methods,
        _tasking_methods,
    )

    from . import _approval_methods, _feasibility_methods


class CapellaHook(BaseHook):
    """Interact with the Capella Space API: catalog search, orders, downloads, tasking, repeat requests.

    The connection (type ``capella``): host = API base URL (default ``https://api.capellaspace.com``;
    ``https://`` is added when no scheme is given, ``http://`` is kept), password = API key; extras
    ``token`` (JWT, used when there is no API key), ``search_url``, ``timeout`` (read seconds or
    ``[connect, read]``), ``verify`` (bool or CA bundle path), and the retry knobs ``max_retries``
    (default 4), ``retry_base_seconds`` (default 0.5), ``retry_cap_seconds``, ``retry_after_cap_seconds``.

    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param logger_name: the logger to report to (Airflow's hook logger by default).

    Example::

        hook = CapellaHook()  # AIRFLOW_CONN_CAPELLA_DEFAULT='{"conn_type": "capella", "password": "KEY"}'
        items = hook.search(product_type="GEO", bbox=[12.35, 41.78, 12.61, 42.0], limit=10)
        order_id = hook.submit_order(items=items, check_active_orders=True)
        paths = hook.download_products(order_id=order_id, local_dir="/data/capella", include=["raster"])
    """

    conn_name_attr = "capella_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME

    def __init__(self, capella_conn_id: str = DEFAULT_CONN_ID, *, logger_name: str | None = None) -> None:
        super().__init__(logger_name=logger_name)
        self.capella_conn_id = capella_conn_id
        self._settings: ConnectionSettings | None = None
        self._api: CapellaApi | None = None
        self._lock = threading.Lock()
        self.last_order_placement: _orders.OrderPlacement | None = None
        """What the latest ``submit_order`` did: order id, reused or placed, the reviewed cost."""

    # --- connection -------------------------------------------------------------------------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Return the extra fields of the connection form (Airflow 3.1; 3.2+ reads ``conn-fields``)."""
        return _connection_form.widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Return the relabelled and hidden standard fields of the connection form (Airflow 3.1)."""
        return _connection_form.field_behaviour()

    @property
    def settings(self) -> ConnectionSettings:
        """The resolved connection (fetched once per hook)."""
        if self._settings is None:
            self._settings = ConnectionSettings.from_connection(self.get_connection(self.capella_conn_id))
        return self._settings

    @property
    def base_url(self) -> str:
        """The API base URL of the connection."""
        return self.settings.base_url

    @property
    def search_url(self) -> str:
        """The catalog search endpoint of the connection."""
        return self.settings.search_url

    @property
    def api(self) -> CapellaApi:
        """The one HTTP client and the caller's identity, as every resource function receives them."""
        with self._lock:
            if self._api is None:
                settings = self.settings
                self._api = CapellaApi(http_client(settings), search_url=settings.search_url, log=self.log)
            return self._api

    def get_conn(self) -> CapellaHttp:
        """Return the authenticated HTTP client (pooled session + retry policy) of this connection.

        :return: the hook's :class:`~airflow_provider_capella._http.CapellaHttp`.

        Example::

            user = hook.get_conn().request("GET", "/user")
        """
        return self.api.http

    def close(self) -> None:
        """Release pooled connections; the hook stays usable and opens a new pool on the next call.

        Example::

            try:
                hook.search(limit=1)
            finally:
                hook.close()
        """
        with self._lock:
            if self._api is not None:
                self._api.close()
                self._api = None

    def test_connection(self) -> tuple[bool, str]:
        """Check the credential with ``GET /user``.

        :return: ``(True, "Connected to <url> as <email> (organization <name>, environment <role>)")``
            or ``(False, reason)``; never raises.

        Example::

            ok, message = hook.test_connection()
        """
        try:
            user = self.whoami()
        except CapellaError as error:
            return False, str(error)
        except Exception as error:  # a test must report, not raise
            return False, f"{type(error).__name__}: could not reach the Capella API"
        return True, f"Connected to {self.base_url} as {describe_user(user)}"

    def whoami(self) -> dict[str, Any]:
        """Return the user the credential belongs to (``GET /user``).

        :return: the user record: ``id``, ``organizationId``, ``email``, ...

        Example::

            user_id = hook.whoami()["id"]
        """
        user = self.api.call("GET", "/user")
        self.api.remember_user(user)
        return user

    # --- orders -----------------------------------------------------------------------------------

    def list_orders(self, *order_ids: str, is_active: bool = False) -> list[dict[str, Any]]:
        """List the caller's orders, or only the ones named.

        :param order_ids: order ids to list (all the caller's orders when none are given).
        :param is_active: keep only orders that have not expired yet, latest expiry first.
        :return: the order records.

        Example::

            active = hook.list_orders(is_active=True)
        """
        return _orders.list_orders(self.api, order_ids, is_active=is_active)

    @overload
    def get_stac_items_of_order(self, order_id: str, *, ids_only: Literal[True]) -> list[str]: ...

    @overload
    def get_stac_items_of_order(
        self, order_id: str, *, ids_only: Literal[False] = ...
    ) -> list[dict[str, Any]]: ...

    def get_stac_items_of_order(
        self, order_id: str, *, ids_only: bool = False
    ) -> list[dict[str, Any]] | list[str]:
        """Return the STAC items of an existing order.

        :param order_id: the order.
        :param ids_only: return only the STAC ids (no catalog search).
        :return: the order's STAC items, or their ids.

        Example::

            stac_ids = hook.get_stac_items_of_order(order_id, ids_only=True)
        """
        return _orders.stac_items_of_order(self.api, order_id, ids_only=ids_only)

    def review_order(
        self,
        *,
        stac_ids: list[str] | None = None,
        items: list[dict[str, Any]] | None = None,
        contract_id: str | None = None,
    ) -> dict[str, Any]:
        """Review what ordering the products would cost; nothing is charged.

        :param stac_ids: the STAC ids to price (or give ``items``).
        :param items: STAC items, e.g. from :meth:`search`.
        :param contract_id: the contract to price against (default: the organization's).
        :return: the review: ``authorized``, ``orderDetails`` (``summary.total``, line items).
        :raises CapellaInsufficientFundsError: when the review is not authorized.

        Example::

            review = hook.review_order(stac_ids=["CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010"])
        """
        return _orders.review_order(self.api, stac_ids=stac_ids, items=items, contract_id=contract_id)

    def submit_order(
        self,
        *,
        stac_ids: list[str] | None = None,
        items: list[dict[str, Any]] | None = None,
        check_active_orders: bool = False,
        omit_search: bool = False,
        omit_review: bool = False,
        contract_id: str | None = None,
        max_cost: float | None = None,
    ) -> str:
        """Order products (billable); return the order id. Never re-sent after an ambiguous failure.

        The order id and the reviewed cost are logged.

        :param stac_ids: the STAC ids to order (or give ``items``).
        :param items: STAC items, e.g. from :meth:`search`.
        :param check_active_orders: return an active order already holding all the ids instead of
            paying again.
        :param omit_search: skip re-checking ``items`` in the catalog.
        :param omit_review: skip the cost review.
        :param contract_id: the contract to charge (default: the organization's).
        :param max_cost: the most the order may cost (quote's currency): reviewed first, not placed above.
        :return: the order id.
        :raises CapellaCostLimitError: when the review quotes more than ``max_cost`` (nothing ordered).

        Example::

            order_id = hook.submit_order(stac_ids=ids, check_active_orders=True, max_cost=1000)
        """
        wanted = order_args.stac_ids_of(stac_ids, items)
        flags = dict(zip(_orders.ORDER_FLAGS, (check_active_orders, omit_search, omit_review), strict=True))
        self.last_order_placement = _order_guard.submit(self.api, wanted, items, flags, contract_id, max_cost)
        return self.last_order_placement.order_id

    def get_presigned_items(
        self, order_id: str, *, stac_ids: list[str] | None = None, sort_by: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Return the order's STAC items with presigned asset hrefs.

        :param order_id: the order.
        :param stac_ids: keep only these products of the order.
        :param sort_by: STAC ids in the order the items should come in.
        :return: the presigned STAC items.

        Example::

            url = hook.get_presigned_items(order_id)[0]["assets"]["HH"]["href"]
        """
        return _orders.presigned_items(self.api, order_id, stac_ids=stac_ids, sort_by=sort_by)

    def get_presigned_assets(
        self,
        order_id: str,
        *,
        stac_ids: list[str] | None = None,
        sort_by: list[str] | None = None,
        assets_only: bool = True,
    ) -> list[dict[str, Any]]:
        """Return the ``assets`` mapping of each presigned item of the order.

        :param order_id: the order.
        :param stac_ids: keep only these products of the order.
        :param sort_by: STAC ids in the order the products should come in.
        :param assets_only: accepted for compatibility with the SDK (``False`` has no effect).
        :return: one ``{asset_key: {"href", ...}}`` mapping per product.

        Example::

            assets = hook.get_presigned_assets(order_id)
        """
        if not assets_only:
            self.log.warning("assets_only=False has no effect; use get_presigned_items for whole items")
        items = _orders.presigned_items(self.api, order_id, stac_ids=stac_ids, sort_by=sort_by)
        return [item.get("assets") or {} for item in items]

    # --- search, tasking and repeat requests, downloads, collects, tiles, archive exports ----------
    # Written in their own modules (to keep each file short) and bound here as methods of this one
    # class, no mixins. The imports are what runs, and what the docs generator follows to their
    # docstrings; mypy, which refuses imports in a class body, reads the same binding as assignments.
    if TYPE_CHECKING:
        search = _search_methods.search
        create_tasking_request = _tasking_methods.create_tasking_request
        search_tasking_requests = _tasking_methods.search_tasking_requests
        get_task = _tasking_methods.get_task
        is_task_completed = _tasking_methods.is_task_completed
        get_collects_for_task = _tasking_methods.get_collects_for_task
        update_tasking_requests = _tasking_methods.update_tasking_requests
        cancel_tasking_requests = _tasking_methods.cancel_tasking_requests
        create_repeat_request = _repeat_methods.create_repeat_request
        get_repeat_request = _repeat_methods.get_repeat_request
        search_repeat_requests = _repeat_methods.search_repeat_requests
        update_repeat_requests = _repeat_methods.update_repeat_requests
        cancel_repeat_requests = _repeat_methods.cancel_repeat_requests
        get_asset_bytesize = _download_methods.get_asset_bytesize
        download_asset = _download_methods.download_asset
        download_products = _download_methods.download_products
        download_product = _download_methods.download_product
        get_collect = _collect_methods.get_collect
        get_collect_status = _collect_methods.get_collect_status
        list_tiles = _collect_methods.list_tiles
        order_tasking_request = _collect_methods.order_tasking_request
        list_archive_exports = _archive_methods.list_archive_exports
        download_archive_export = _archive_methods.download_archive_export
        approve_tasking_request = _approval_methods.approve_tasking_request
        reject_tasking_request = _approval_methods.reject_tasking_request
        approve_repeat_request = _approval_methods.approve_repeat_request
        reject_repeat_request = _approval_methods.reject_repeat_request
        create_access_request = _feasibility_methods.create_access_request
        get_access_request = _feasibility_methods.get_access_request
        get_accesses = _feasibility_methods.get_accesses
    else:
        from airflow_provider_capella.hooks._approval_methods import (
            approve_repeat_request,
            approve_tasking_request,
            reject_repeat_request,
            reject_tasking_request,
        )
        from airflow_provider_capella.hooks._archive_methods import (
            download_archive_export,
            list_archive_exports,
        )
        from airflow_provider_capella.hooks._collect_methods import (
            get_collect,
            get_collect_status,
            list_tiles,
            order_tasking_request,
        )
        from airflow_provider_capella.hooks._download_methods import (
            download_asset,
            download_product,
            download_products,
            get_asset_bytesize,
        )
        from airflow_provider_capella.hooks._repeat_methods import (
            cancel_repeat_requests,
            create_repeat_request,
            get_repeat_request,
            search_repeat_requests,
            update_repeat_requests,
        )
        from airflow_provider_capella.hooks._search_methods import search
        from airflow_provider_capella.hooks._tasking_methods import (
            cancel_tasking_requests,
            create_tasking_request,
            get_collects_for_task,
            get_task,
            is_task_completed,
            search_tasking_requests,
            update_tasking_requests,
        )

        from ._feasibility_methods import create_access_request, get_access_request, get_accesses
