"""``CapellaHook``: the whole Capella Space API from an Airflow connection (see docs/hook-design.md).

One method per SDK operation; arguments are checked by :mod:`.._payloads` before any request is sent.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import quote, urlsplit, urlunsplit

from airflow.sdk import BaseHook
from tenacity import Retrying

from airflow_provider_capella import _http, tasking_status
from airflow_provider_capella import _payloads as payloads
from airflow_provider_capella._answers import api_time, describe_user, organization_id
from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella._payloads import tasking_rules as rules
from airflow_provider_capella._payloads import vocabulary as vocab
from airflow_provider_capella._payloads.feasibility import access_request_body
from airflow_provider_capella.constants import CONN_TYPE, DEFAULT_BASE_URL, DEFAULT_CONN_ID, HOOK_NAME
from airflow_provider_capella.exceptions import (
    CapellaAccessRequestPendingError,
    CapellaAuthenticationError,
    CapellaError,
    CapellaInsufficientFundsError,
    CapellaNoProductsError,
    CapellaNotFoundError,
    CapellaOrderExpiredError,
    CapellaOrderRejectedError,
    CapellaReorderNotAllowedError,
    CapellaTaskNotCompleteError,
)
from airflow_provider_capella.get_provider_info import CONN_FIELDS, UI_FIELD_BEHAVIOUR
from airflow_provider_capella.hooks import _quotes as quotes

Endpoint = tuple[str, str]  # (method, path); {} in the path is filled with the (quoted) ids

GET_USER = ("GET", "/user")
LIST_ORDERS = ("GET", "/orders")
GET_ORDER = ("GET", "/orders/{}")
REVIEW_ORDER = ("POST", "/orders/review")
SUBMIT_ORDER = ("POST", "/orders")
ORDER_DOWNLOAD = ("GET", "/orders/{}/download")
ORDER_TASKING_REQUEST = ("POST", "/orders/task/{}")
LIST_COLLECTS = ("GET", "/collects/list/{}")
GET_COLLECT = ("GET", "/collects/{}")
GET_COLLECT_STATUS = ("GET", "/collects/status/{}")
LIST_TILES = ("GET", "/tiles/list/{}")
CREATE_ACCESS_REQUEST = ("POST", "/ma/accessrequests")
GET_ACCESS_REQUEST = ("GET", "/ma/accessrequests/{}")
GET_ACCESSES = ("GET", "/ma/accesses/{}")
LIST_ARCHIVE_EXPORTS = ("GET", "/catalog/archive-export/available")
PRESIGN_ARCHIVE_EXPORT = ("POST", "/catalog/archive-export/presigned")

MAX_CONCURRENCY = 8  # API calls in flight at most from one hook method (paging, bulk cancel/update)
REUSE_MARGIN = timedelta(minutes=10)  # an active order is reused only with more than this left to live
REORDER_POLICIES = ("if_free", "always", "never")
ACCESS_FAILED = frozenset({"failed", "error", "rejected", "canceled", "cancelled"})
SMALLEST_RANGE = timedelta(seconds=1)  # a split catalog search does not halve a datetime range this short

Items = list[dict[str, Any]]


@dataclass(frozen=True)
class RequestKind:
    """One kind of request (tasking or repeat): its endpoints and words; every request method takes one.

    Example::

        TASKING.get  # ("GET", "/task/{}")
    """

    name: str
    label: str
    id_field: str
    create: Endpoint
    get: Endpoint
    search: Endpoint
    update: Endpoint
    set_status: Endpoint
    updatable: Mapping[str, str]
    status_key: str  # the key of a status PATCH body
    approved: str  # the status an approval sets

    @property
    def id_argument(self) -> str:
        """Return the hook's argument naming one request, e.g. ``tasking_request_id``."""
        return self.label.replace(" ", "_") + "_id"


TASKING = RequestKind(
    "tasking",
    "tasking request",
    "taskingrequestId",
    create=("POST", "/task"),
    get=("GET", "/task/{}"),
    search=("POST", "/tasks/search"),
    update=("PATCH", "/task/{}"),
    set_status=("PATCH", "/task/{}/status"),
    updatable=vocab.TASKING_UPDATABLE,
    status_key="status",
    approved="approved",
)
REPEAT = RequestKind(
    "repeat",
    "repeat request",
    "repeatrequestId",
    create=("POST", "/repeat-requests"),
    get=("GET", "/repeat-requests/{}"),
    search=("POST", "/repeat-requests/search"),
    update=("PATCH", "/repeat-requests/{}"),
    set_status=("PATCH", "/repeat-requests/{}/status"),
    updatable=vocab.REPEAT_UPDATABLE,
    status_key="code",  # the docs' and Postman's form for repeat requests
    approved="submitted",
)
KINDS = {kind.name: kind for kind in (TASKING, REPEAT)}


@dataclass(frozen=True)
class ConnectionSettings:
    """What a Capella connection resolves to (shared by both hooks). ``repr`` never shows the credential.

    Example::

        ConnectionSettings.from_connection(BaseHook.get_connection("capella_default"))
    """

    base_url: str
    search_url: str
    authorization: str = field(repr=False)
    timeout: tuple[float, float]
    verify: bool | str
    retry: _http.RetryPolicy

    def request_target(
        self, endpoint: Endpoint, ids: Iterable[str], *, url: str | None = None
    ) -> tuple[str, str, bool]:
        """Return ``(method, url, billable)``: ``ids`` quoted into the path, or ``url`` (never billable)."""
        method, path = endpoint
        path = path.format(*(quote(str(part), safe="") for part in ids))
        return method, url or f"{self.base_url}{path}", url is None and _http.is_billable_create(method, path)

    @classmethod
    def from_connection(cls, conn: Any) -> ConnectionSettings:
        """Resolve an Airflow connection; raise ``CapellaAuthenticationError`` when it has no credential."""
        extra = dict(conn.extra_dejson or {})
        base_url = normalize_base_url(conn.host, conn.port)
        api_key, token = conn.password or extra.get("api_key"), extra.get("token")
        if not (api_key and str(api_key).strip()) and not (token and str(token).strip()):
            raise CapellaAuthenticationError(
                f"Capella connection {conn.conn_id!r} has no API key (password) and no `token` extra"
            )
        search_url = str(extra.get("search_url") or "").strip() or f"{base_url}/catalog/search"
        if "://" not in search_url:
            search_url = f"https://{search_url}"

        def number(key: str, default: float) -> float:  # a non-negative number extra
            value = extra.get(key)
            if value is None or value == "":
                return default
            try:
                parsed = float(value)
            except (TypeError, ValueError):
                checks.fail(key, f"connection extra must be a number, got {value!r}")
            return float(checks.number(key, parsed, minimum=0))

        return cls(
            base_url=base_url,
            search_url=search_url.rstrip("/"),
            authorization=_http.authorization_header(api_key=api_key, token=token),
            timeout=parse_timeout(extra.get("timeout")),
            verify=parse_verify(extra.get("verify")),
            retry=_http.RetryPolicy(
                max_attempts=1 + int(number("max_retries", _http.DEFAULT_MAX_ATTEMPTS - 1)),
                base_seconds=number("retry_base_seconds", _http.DEFAULT_RETRY_BASE_SECONDS),
                cap_seconds=number("retry_cap_seconds", _http.DEFAULT_RETRY_CAP_SECONDS),
                retry_after_cap_seconds=number("retry_after_cap_seconds", _http.RETRY_AFTER_CAP_SECONDS),
            ),
        )


@dataclass(frozen=True)
class OrderPlacement:
    """What ``submit_order`` did: the order id, whether an active order was reused, the reviewed cost.

    Example::

        hook.submit_order(stac_ids=ids, check_active_orders=True)
        print(hook.last_order_placement.describe())
    """

    order_id: str
    reused: bool
    cost: str | None = None

    def describe(self) -> str:
        """Say what happened, for the log: placed (billable, with its cost) or reused."""
        if self.reused:
            return f"reused active order {self.order_id} (no new charge)"
        return f"placed order {self.order_id} (billable{f', cost {self.cost}' if self.cost else ''})"


class CapellaHook(BaseHook):
    """Interact with the Capella Space API: catalog search, orders, downloads, tasking, repeat requests.

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
        self._session: Any = None
        self._user: dict[str, Any] | None = None
        self.last_search_matched: int | None = None  # how many items the last catalog search matched
        self._lock = threading.Lock()
        self.last_order_placement: OrderPlacement | None = None  # what the latest submit_order did
        self._caps_said: set[tuple[str, str, str]] = set()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Return the extra fields of the connection form (Airflow 3.1; 3.2+ reads ``conn-fields``)."""
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget  # lazy: UI only
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, PasswordField, StringField

        fields: dict[str, Any] = {}
        for name, spec in CONN_FIELDS.items():
            schema, label = spec.get("schema", {}), lazy_gettext(spec.get("label", name))
            description = spec.get("description", "")
            if "boolean" in schema.get("type", "string"):
                fields[name] = BooleanField(label, description=description, default=schema.get("default"))
            elif schema.get("format") == "password":
                fields[name] = PasswordField(label, description=description, widget=BS3PasswordFieldWidget())
            else:
                fields[name] = StringField(label, description=description, widget=BS3TextFieldWidget())
        return fields

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Return the relabelled and hidden standard fields of the connection form (Airflow 3.1)."""
        return {key.replace("-", "_"): value for key, value in UI_FIELD_BEHAVIOUR.items()}

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

    def get_conn(self) -> Any:
        """Return the pooled ``requests`` session of this connection (no credential on it: see ``_call``)."""
        with self._lock:
            if self._session is None:
                self._session = _http.new_api_session(_http.user_agent())
            return self._session

    def close(self) -> None:
        """Release pooled connections; the hook stays usable and opens a new pool on the next call."""
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()

    def _call(
        self,
        endpoint: Endpoint,
        *ids: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        url: str | None = None,
    ) -> Any:
        """Send one request under the retry policy (billable creates never re-sent); return its JSON."""
        settings = self.settings
        method, target, billable = settings.request_target(endpoint, ids, url=url)
        trusted = {_http.origin(settings.base_url), _http.origin(settings.search_url)}
        auth = _http.HeaderAuth(settings.authorization if _http.origin(target) in trusted else None)
        request = {"json": json, "params": params, "headers": {"Accept": "application/json"}, "auth": auth}
        request.update(timeout=settings.timeout, verify=settings.verify)
        retrying = Retrying(**_http.retry_arguments(settings.retry, method, target, billable=billable))
        try:
            for attempt in retrying:
                with attempt:
                    response = _http.check_status(self.get_conn().request(method, target, **request))
        except Exception as error:
            response = _http.last_answer(error, method, target, retrying, billable=billable)
        return _http.decode_response(response, method, target, billable=billable)

    def test_connection(self) -> tuple[bool, str]:
        """Check the credential (``GET /user``); return ``(True, "Connected to ...")`` or ``(False, why)``."""
        try:
            user = self.whoami()
        except CapellaError as error:
            return False, str(error)
        except Exception as error:  # a test must report, not raise
            return False, f"{type(error).__name__}: could not reach the Capella API"
        return True, f"Connected to {self.base_url} as {describe_user(user)}"

    def whoami(self) -> dict[str, Any]:
        """Return the credential's user record (``GET /user``): ``id``, ``organizationId``, ``email``..."""
        self._user = self._call(GET_USER)
        return self._user

    def _me(self) -> dict[str, Any]:
        """Return ``GET /user`` (fetched once): the ids scoping searches and orders."""
        return self._user or self.whoami()

    @overload
    def search(self, *, ids_only: Literal[True], limit: int | None = ..., **filters: Any) -> list[str]: ...

    @overload
    def search(
        self, *, ids_only: Literal[False] = ..., limit: int | None = ..., **filters: Any
    ) -> list[dict[str, Any]]: ...

    def search(
        self,
        *,
        ids_only: bool = False,
        threaded: bool = False,
        limit: int | None = None,
        split_by_time: bool = False,
        **filters: Any,
    ) -> list[dict[str, Any]] | list[str]:
        """Search Capella's STAC catalog; return the matching STAC items (or their ids), at most ``limit``.

        :param ids_only: return the STAC ids instead of the items.
        :param threaded: accepted for compatibility with the SDK; pages are followed in order.
        :param limit: the most items (default 500, at most 10,000; any, or ``None``, with ``split_by_time``).
        :param split_by_time: halve the (closed) ``datetime`` range until each query is under the cap.
        :param filters: the filters, by name (the only open-ended keyword arguments of the hook).
        """
        checks.booleans(ids_only=ids_only, threaded=threaded, split_by_time=split_by_time)
        search = self._search_split_by_time if split_by_time else self._search_catalog
        items = search({**filters, "limit": limit})
        if split_by_time:
            self.last_search_matched = len(items)
        return [str(item["id"]) for item in items] if ids_only else items

    def _search_catalog(self, filters: Mapping[str, Any]) -> Items:
        """Return the items matching ``filters``, every page followed; warn when the results were cut."""
        body = payloads.catalog_search_body(filters)
        items, matched = self._catalog_pages(body)
        self.last_search_matched = len(items) if matched is None else max(matched, len(items))
        self.log.info("Catalog search matched %d STAC item(s)", len(items))
        if matched is not None and matched > len(items):
            limit, most = int(body["limit"]), vocab.CATALOG_MAX_LIMIT
            advice = f"the API returns at most {most} items per query: pass split_by_time=True and a datetime"
            if limit < most and len(items) >= limit:
                advice = f"raise `limit` (it was {limit}; at most {most})"
            self.log.warning(
                f"Catalog search results were cut: {matched} item(s) matched but {len(items)} were returned; "
                f"{advice}, or narrow the query, to get every match"
            )
        return items

    def _catalog_pages(self, body: dict[str, Any]) -> tuple[Items, int | None]:
        """Follow ``next`` links to ``limit`` items, the last page or nothing new; with ``numberMatched``."""
        limit = int(body["limit"])
        page_size = limit if limit <= vocab.CATALOG_MAX_PAGE_SIZE else vocab.CATALOG_LARGE_PAGE_SIZE
        payload: dict[str, Any] = {**body, "limit": page_size}
        method, url, page = "POST", self.search_url, 1
        found: dict[str, dict[str, Any]] = {}
        number_matched: int | None = None
        while True:
            data = self._call((method, ""), json=payload if method == "POST" else None, url=url) or {}
            added = add_new(found, data.get("features") or [])
            matched = data.get("numberMatched")
            if isinstance(matched, int) and not isinstance(matched, bool):
                number_matched = matched if number_matched is None else max(number_matched, matched)
            links = [link for link in data.get("links") or [] if isinstance(link, dict)]
            link = next((link for link in links if link.get("rel") == "next" and link.get("href")), None)
            done = added == 0 or (isinstance(matched, int) and len(found) >= matched)
            if len(found) >= limit or done or link is None:
                return list(found.values())[:limit], number_matched
            page += 1
            method, url, payload = next_request(self.search_url, link, payload, page)

    def _search_split_by_time(self, filters: Mapping[str, Any]) -> Items:
        """Return every match past the per-query cap by halving the ``datetime`` range (see ``search``)."""
        limit = filters.get("limit")
        if limit is not None:
            limit = int(checks.number("limit", limit, minimum=1, integer=True))
        base = payloads.catalog_search_body({**filters, "limit": vocab.CATALOG_MAX_LIMIT})
        lower_op, upper_op, whole = closed_range(base)
        found: dict[str, dict[str, Any]] = {}
        cap, pending, queries = vocab.CATALOG_MAX_LIMIT, [whole], 0
        while pending and (limit is None or len(found) < limit):
            span = pending.pop(0)
            wide = span[1] - span[0] >= 2 * SMALLEST_RANGE  # long enough to halve
            bounds = {  # the outer edges keep the caller's own operators
                lower_op if span[0] == whole[0] else "gte": checks.iso_utc(span[0]),
                upper_op if span[1] == whole[1] else "lte": checks.iso_utc(span[1]),
            }
            body = {**base, "query": {**base.get("query", {}), "datetime": bounds}}
            first, matched = self._catalog_pages({**body, "limit": 1})
            queries += 1
            if matched == 0 or (matched is None and not first):
                continue
            if matched is not None and matched > cap and wide:
                pending[:0] = self._halves(span, matched, cap)
                continue
            items, _ = self._catalog_pages({**body, "limit": cap if matched is None else min(matched, cap)})
            queries += 1
            short = matched is not None and len(items) < matched
            if (short or (matched is None and len(items) >= cap)) and wide:
                cap = max(1, min(cap, len(items)))
                pending[:0] = self._halves(span, matched, cap)
                continue
            if short:
                self.log.warning(
                    f"Catalog search range {span[0]}..{span[1]} matched {matched} items but returned "
                    f"{len(items)} and cannot be split further: its results were cut"
                )
            add_new(found, items)
        result = list(found.values())
        self.log.info(f"Catalog search split by time ({queries} queries) matched {len(result)} STAC item(s)")
        return result if limit is None else result[:limit]

    def _halves(self, span: tuple[datetime, datetime], matched: int | None, cap: int) -> list[Any]:
        start, end = span
        middle = start + (end - start) / 2
        middle = middle.replace(microsecond=middle.microsecond // 1000 * 1000)
        self.log.info(
            f"Catalog search range {start.isoformat()}..{end.isoformat()} matches {matched or 'too many'} "
            f"items (over the {cap} per query): splitting it at {middle.isoformat()}"
        )
        return [(start, middle), (middle, end)]

    def list_orders(self, *order_ids: str, is_active: bool = False) -> list[dict[str, Any]]:
        """Return the caller's order records, or only the ones named.

        :param order_ids: order ids to list (all the caller's orders when none are given).
        :param is_active: keep only orders that have not expired yet, latest expiry first.
        """
        ids = checks.unique(checks.uuid_text("order_ids", oid) for oid in order_ids if oid is not None)
        checks.boolean("is_active", is_active)
        if ids and not is_active:
            return list(self._each(lambda order_id: self._call(GET_ORDER, order_id), ids).values())
        orders = list(self._call(LIST_ORDERS, params={"customerId": self._me()["id"]}) or [])
        if is_active:  # latest expiry first, as the SDK lists them
            now = datetime.now(timezone.utc)
            live = [(when, o) for o in orders if (when := api_time(o.get("expirationDate"))) and when > now]
            orders = [order for _, order in sorted(live, key=lambda pair: pair[0], reverse=True)]
        return [order for order in orders if order.get("orderId") in set(ids)] if ids else orders

    @overload
    def get_stac_items_of_order(self, order_id: str, *, ids_only: Literal[True]) -> list[str]: ...

    @overload
    def get_stac_items_of_order(
        self, order_id: str, *, ids_only: Literal[False] = ...
    ) -> list[dict[str, Any]]: ...

    def get_stac_items_of_order(
        self, order_id: str, *, ids_only: bool = False
    ) -> list[dict[str, Any]] | list[str]:
        """Return the STAC items (or their ids) of an existing order.

        :param order_id: the order.
        :param ids_only: return only the STAC ids (no catalog search).
        """
        checked = checks.uuid_text("order_id", order_id)
        checks.boolean("ids_only", ids_only)
        stac_ids = [str(item["granuleId"]) for item in self._call(GET_ORDER, checked).get("items") or []]
        if ids_only or not stac_ids:
            return stac_ids
        return self._search_catalog({"ids": stac_ids, "limit": min(len(stac_ids), 10_000)})

    def review_order(
        self,
        *,
        stac_ids: list[str] | None = None,
        items: list[dict[str, Any]] | None = None,
        contract_id: str | None = None,
    ) -> dict[str, Any]:
        """Return the review (``authorized``, ``orderDetails``) of what an order would cost (free to ask).

        :param stac_ids: the STAC ids to price (or give ``items``).
        :param items: STAC items, e.g. from :meth:`search`.
        :param contract_id: the contract to price against (default: the organization's).
        """
        wanted = order_args.stac_ids_of(stac_ids, items)
        stac_items = order_args.stac_items("items", items) if items else self._existing_items(wanted)
        return self._review(stac_items, contract_id)

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

        :param stac_ids: the STAC ids to order (or give ``items``).
        :param items: STAC items, e.g. from :meth:`search`.
        :param check_active_orders: return an active order already holding all the ids, not paying again.
        :param omit_search: skip re-checking ``items`` in the catalog.
        :param omit_review: skip the cost review (ignored under ``[capella] max_order_cost``).
        :param contract_id: the contract to charge (default: the organization's).
        :param max_cost: the most it may cost, reviewed first; it can only lower ``[capella] max_order_cost``.
        """
        wanted = order_args.stac_ids_of(stac_ids, items)
        checks.booleans(check_active_orders=check_active_orders)
        checks.booleans(omit_search=omit_search, omit_review=omit_review)
        if max_cost is not None and omit_review:
            checks.fail("omit_review", "cannot be combined with max_cost: the cap needs the review")
        cap = self._cap(quotes.ORDER_COST_SETTING, "max_cost", max_cost)
        if cap is not None and omit_review:
            self.log.warning("omit_review=True is ignored: %s is checked against the review", cap.source)
        if contract_id is not None:
            checks.text("contract_id", contract_id, allow_empty=False)
        given = items if omit_search else None
        self.last_order_placement = self._place_order(
            wanted, given, check_active_orders, omit_review and cap is None, contract_id, cap
        )
        return self.last_order_placement.order_id

    def _place_order(
        self,
        wanted: list[str],
        given: Items | None,
        check_active_orders: bool,
        omit_review: bool,
        contract_id: str | None,
        cap: quotes.Cap | None,
    ) -> OrderPlacement:
        """Reuse an active order holding ``wanted``, or order them (``given`` items: not searched again)."""
        if check_active_orders:
            existing = self._active_order_with(wanted)
            if existing:
                self.log.info("Reusing active order %s holding all %d STAC id(s)", existing, len(wanted))
                return OrderPlacement(existing, reused=True)
        stac_items = order_args.stac_items("items", given) if given else self._existing_items(wanted)
        cost = None
        if not omit_review:
            quote_ = quotes.review_quote(self._review(stac_items, contract_id))
            cost = self._within_cap(f"order of {len(stac_items)} STAC item(s)", quote_, cap).text
        order = self._call(SUBMIT_ORDER, json=order_args.order_body(stac_items, contract_id))
        order_id = accepted_order_id(order, f"{len(stac_items)} STAC item(s)")
        self.log.info(
            f"Submitted order {order_id} for {len(stac_items)} STAC item(s) (billable; reviewed cost: "
            f"{cost or 'not reviewed'})"
        )
        return OrderPlacement(order_id, reused=False, cost=cost)

    def _cap(self, setting: str, argument: str, value: Any) -> quotes.Cap | None:
        """Return :func:`~._quotes.cost_cap`, saying once per hook (a task's calls) that the setting wins."""
        key = (setting, argument, repr(value))
        cap = quotes.cost_cap(setting, argument, value, None if key in self._caps_said else self.log)
        self._caps_said.add(key)
        return cap

    def _within_cap(self, what: str, quote_: quotes.Quote, cap: quotes.Cap | None) -> quotes.Quote:
        """Return ``quote_`` when within ``cap`` (logged), else raise ``CapellaCostLimitError``."""
        if cap is not None:
            error = cap.refusal(what, quote_)
            if error is not None:
                raise error
            self.log.info(f"{what.capitalize()} quoted at {quote_.text}, within {cap.source}={cap.limit:g}")
        return quote_

    def _existing_items(self, stac_ids: list[str]) -> Items:
        """Return the catalog items of ``stac_ids``; fail when none exist, warn about the missing ones."""
        items = self._search_catalog({"ids": stac_ids, "limit": min(max(1, len(stac_ids)), 10_000)})
        if not items:
            raise CapellaNoProductsError(f"no STAC id is in the catalog: {', '.join(stac_ids[:10])}")
        missing = sorted(set(stac_ids) - {str(item["id"]) for item in items})
        if missing:
            self.log.warning(f"{len(missing)} STAC id(s) not found and left out: {', '.join(missing[:10])}")
        return items

    def _review(self, stac_items: Items, contract_id: str | None) -> dict[str, Any]:
        """Send ``POST /orders/review``; raise ``CapellaInsufficientFundsError`` unless authorized."""
        review = self._call(REVIEW_ORDER, json=order_args.order_body(stac_items, contract_id)) or {}
        if not review.get("authorized", False):
            reason = review.get("authorizationDenialReason") or {}
            raise CapellaInsufficientFundsError(
                str(reason.get("message") or "order review not authorized"),
                code=str(reason.get("code") or "AUTHORIZATION_INSUFFICIENT_FUNDS"),
                data=review.get("orderDetails"),
            )
        return review

    def _active_order_with(self, stac_ids: list[str]) -> str | None:
        """Return an active order holding every one of ``stac_ids`` and not expiring within the margin."""
        soon = datetime.now(timezone.utc) + REUSE_MARGIN
        for order in self.list_orders(is_active=True):
            if not {item.get("granuleId") for item in order.get("items") or []} >= set(stac_ids):
                continue
            expires = api_time(order.get("expirationDate"))
            if expires is not None and expires <= soon:
                minutes = REUSE_MARGIN.total_seconds() // 60
                self.log.info(
                    f"Active order {order.get('orderId')} holds the products but expires at "
                    f"{expires.isoformat()}, within {minutes:g} minutes: not reused"
                )
                continue
            return str(order["orderId"])
        return None

    def get_presigned_items(
        self, order_id: str, *, stac_ids: list[str] | None = None, sort_by: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Return the order's STAC items with presigned asset hrefs.

        :param order_id: the order.
        :param stac_ids: keep only these products of the order.
        :param sort_by: STAC ids in the order the items should come in.
        """
        checked = checks.uuid_text("order_id", order_id)
        wanted = set(checks.as_list("stac_ids", stac_ids)) if stac_ids else None
        rank = {str(v): i for i, v in enumerate(checks.as_list("sort_by", sort_by))} if sort_by else {}
        items = list(self._call(ORDER_DOWNLOAD, checked) or [])
        items.sort(key=lambda item: rank.get(item.get("id"), len(rank)))  # stable: no sort_by keeps the order
        return items if wanted is None else [item for item in items if item.get("id") in wanted]

    def get_presigned_assets(
        self,
        order_id: str,
        *,
        stac_ids: list[str] | None = None,
        sort_by: list[str] | None = None,
        assets_only: bool = True,
    ) -> list[dict[str, Any]]:
        """Return the ``assets`` mapping (``{asset_key: {"href", ...}}``) of each presigned item of the order.

        :param order_id: the order.
        :param stac_ids: keep only these products of the order.
        :param sort_by: STAC ids in the order the products should come in.
        :param assets_only: accepted for compatibility with the SDK (``False`` has no effect).
        """
        if not assets_only:
            self.log.warning("assets_only=False has no effect; use get_presigned_items for whole items")
        items = self.get_presigned_items(order_id, stac_ids=stac_ids, sort_by=sort_by)
        return [item.get("assets") or {} for item in items]

    def order_tasking_request(self, tasking_request_id: str, *, max_cost: float | None = None) -> str:
        """Order everything a tasking request produced (billable, never re-sent); return the order id.

        :param tasking_request_id: a tasking request that has produced imagery (a UUID).
        :param max_cost: the most it may cost, reviewed first; it can only lower ``[capella] max_order_cost``.
        """
        checked = checks.uuid_text("tasking_request_id", tasking_request_id)
        cap = self._cap(quotes.ORDER_COST_SETTING, "max_cost", max_cost)
        if cap is not None:
            products = self._products_of("tasking_request_id", checked, None)
            what = f"order of the {len(products)} product(s) of tasking request {checked}"
            self._within_cap(what, quotes.review_quote(self._review(products, None)), cap)
        order = dict(self._call(ORDER_TASKING_REQUEST, checked) or {})
        order_id = accepted_order_id(order, f"tasking request {checked}")
        self.log.info(
            f"Placed order {order_id} for the {len(order.get('items') or [])} product(s) of tasking request "
            f"{checked} (billable; expires {order.get('expirationDate') or 'in one hour'})"
        )
        return order_id

    def create_tasking_request(
        self,
        *,
        geometry: dict[str, Any],
        name: str = "",
        description: str | None = "",
        collection_type: str = "spotlight",
        collection_tier: str = "standard",
        window_open: datetime | str | None = None,
        window_close: datetime | str | None = None,
        local_time: str | list[Any] | None = None,
        product_types: list[str] | None = None,
        off_nadir_min: float | None = None,
        off_nadir_max: float | None = None,
        image_width: float | None = None,
        orbital_planes: list[int] | None = None,
        asc_dsc: str | None = "either",
        look_direction: str | None = "either",
        polarization: str | None = None,
        archive_holdback: str | None = "none",
        custom_attribute_1: str | None = None,
        custom_attribute_2: str | None = None,
        pre_approval: bool = False,
        azimuth_angle_min: float | None = None,
        azimuth_angle_max: float | None = None,
        squint: str | None = None,
        max_squint_angle: float | None = None,
        contract_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a tasking request (a new collection: billable, never re-sent); return its Feature.

        :param geometry: a GeoJSON Point, or a simple Polygon (one ring, under 250 vertices).
        :param name: a name for the request.
        :param description: free text describing the request.
        :param collection_type: the collect mode, e.g. ``spotlight`` (default), ``stripmap``.
        :param collection_tier: ``urgent``, ``priority``, ``standard`` (default) or ``flexible``.
        :param window_open: earliest collection time (default: now; aware datetimes converted to UTC).
        :param window_close: latest collection time (default: seven days after ``window_open``).
        :param local_time: ``day``, ``night``, ``anytime`` or ``[[start, end], ...]`` seconds of the day.
        :param product_types: analytics to add to the order along with the imagery.
        :param off_nadir_min: the smallest off-nadir angle allowed (degrees).
        :param off_nadir_max: the largest off-nadir angle allowed (degrees).
        :param image_width: the image width (metres).
        :param orbital_planes: orbital planes allowed to serve the request (45, 53, 97).
        :param asc_dsc: ``ascending``, ``descending`` or ``either`` (default).
        :param look_direction: ``right``, ``left`` or ``either`` (default).
        :param polarization: ``HH`` or ``VV``.
        :param archive_holdback: ``none`` (default), ``thirty_day``, ``one_year`` or ``permanent``.
        :param custom_attribute_1: your own tracking value, echoed by the API.
        :param custom_attribute_2: a second tracking value.
        :param pre_approval: skip the cost review step (refused while ``[capella] max_tasking_cost`` is set).
        :param azimuth_angle_min: the smallest azimuth angle allowed (degrees clockwise from North).
        :param azimuth_angle_max: the largest azimuth angle allowed.
        :param squint: ``enabled``, ``forward`` or ``backward`` (default: enabled for points).
        :param max_squint_angle: the largest absolute squint angle allowed (degrees).
        :param contract_id: the contract to charge (default: the organization's).
        :return: the created tasking request Feature (``properties.taskingrequestId``).
        """
        basics = payloads.RequestBasics(
            geometry, name, description, collection_type, product_types, archive_holdback,
            custom_attribute_1, custom_attribute_2, contract_id,
        )  # fmt: skip
        constraints = payloads.CollectConstraints(
            off_nadir_min, off_nadir_max, image_width, orbital_planes, asc_dsc, look_direction,
            local_time, polarization, azimuth_angle_min, azimuth_angle_max, squint, max_squint_angle,
        )  # fmt: skip
        body = payloads.tasking_request_body(
            basics,
            constraints,
            collection_tier=collection_tier,
            window_open=window_open,
            window_close=window_close,
            pre_approval=pre_approval,
        )
        if pre_approval and quotes.configured_cap(setting := quotes.TASKING_COST_SETTING) is not None:
            checks.fail(
                "pre_approval",
                f"cannot be True while [capella] {setting} is set: the quote must be reviewed "
                "(create without pre_approval, then approve within the cap)",
            )
        return self._create_request(TASKING, body)

    # Intended mirror: the SDK's repeat methods take the tasking methods' arguments.
    def create_repeat_request(
        self,
        *,
        geometry: dict[str, Any],
        name: str = "",
        description: str | None = "",
        collection_type: str = "spotlight",
        collection_tier: str = "routine",
        repeat_start: datetime | str | None = None,
        repeat_end: datetime | str | None = None,
        repetition_interval: int | None = 7,
        repetition_count: int | None = None,
        maintain_scene_framing: bool | None = None,
        look_angle_tolerance: float | None = None,
        azimuth_angle_tolerance: float | None = None,
        window_duration: float | None = None,
        insar_orbit: str | None = None,
        local_time: str | list[Any] | None = None,
        product_types: list[str] | None = None,
        off_nadir_min: float | None = None,
        off_nadir_max: float | None = None,
        image_width: float | None = None,
        orbital_planes: list[int] | None = None,
        asc_dsc: str | None = "either",
        look_direction: str | None = "either",
        polarization: str | None = None,
        archive_holdback: str | None = "none",
        custom_attribute_1: str | None = None,
        custom_attribute_2: str | None = None,
        azimuth_angle_min: float | None = None,
        azimuth_angle_max: float | None = None,
        squint: str | None = None,
        max_squint_angle: float | None = None,
        contract_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a repeat request (a series of collections: billable, never re-sent); return its Feature.

        :param geometry: the point of interest, a GeoJSON Point (Capella has no repeat tasking of areas).
        :param name: a name for the request.
        :param description: free text describing the request.
        :param collection_type: the collect mode, e.g. ``spotlight`` (default).
        :param collection_tier: ``routine`` (default), ``flexible``, or an InSAR tier.
        :param repeat_start: when collecting starts (default: now).
        :param repeat_end: when collecting stops; give this or ``repetition_count``, not both.
        :param repetition_interval: days between the starts of the derived requests (default 7).
        :param repetition_count: how many acquisitions in all.
        :param maintain_scene_framing: keep look direction, pass direction and orbital plane constant.
        :param look_angle_tolerance: allowed look-angle deviation across acquisitions (degrees).
        :param azimuth_angle_tolerance: allowed azimuth-angle deviation across acquisitions (degrees).
        :param window_duration: the duration of each derived request (seconds).
        :param insar_orbit: the InSAR orbit, required for the InSAR tiers.
        :param local_time: ``day``, ``night``, ``anytime`` or ``[[start, end], ...]`` seconds of the day.
        :param product_types: analytics to add to the order along with the imagery.
        :param off_nadir_min: the smallest off-nadir angle allowed (degrees).
        :param off_nadir_max: the largest off-nadir angle allowed (degrees).
        :param image_width: the image width (metres).
        :param orbital_planes: orbital planes allowed (45, 53, 97).
        :param asc_dsc: ``ascending``, ``descending`` or ``either`` (default).
        :param look_direction: ``right``, ``left`` or ``either`` (default).
        :param polarization: ``HH`` or ``VV``.
        :param archive_holdback: ``none`` (default), ``thirty_day``, ``one_year`` or ``permanent``.
        :param custom_attribute_1: your own tracking value, echoed by the API.
        :param custom_attribute_2: a second tracking value.
        :param azimuth_angle_min: the smallest azimuth angle allowed (degrees clockwise from North).
        :param azimuth_angle_max: the largest azimuth angle allowed.
        :param squint: ``enabled``, ``forward`` or ``backward`` (default: enabled for points).
        :param max_squint_angle: the largest absolute squint angle allowed (degrees).
        :param contract_id: the contract to charge (default: the organization's).
        :return: the created repeat request Feature (``properties.repeatrequestId``).
        """
        basics = payloads.RequestBasics(
            geometry, name, description, collection_type, product_types, archive_holdback,
            custom_attribute_1, custom_attribute_2, contract_id,
        )  # fmt: skip
        constraints = payloads.CollectConstraints(
            off_nadir_min, off_nadir_max, image_width, orbital_planes, asc_dsc, look_direction,
            local_time, polarization, azimuth_angle_min, azimuth_angle_max, squint, max_squint_angle,
        )  # fmt: skip
        repetition = payloads.Repetition(
            repeat_start, repeat_end, repetition_interval, repetition_count, maintain_scene_framing,
            look_angle_tolerance, azimuth_angle_tolerance,
        )  # fmt: skip
        body = payloads.repeat_request_body(
            basics,
            constraints,
            repetition,
            collection_tier=collection_tier,
            window_duration=window_duration,
            insar_orbit=insar_orbit,
        )
        return self._create_request(REPEAT, body)

    def _create_request(self, kind: RequestKind, body: dict[str, Any]) -> dict[str, Any]:
        created = self._call(kind.create, json=body)
        self.log.info("Created %s %s (billable)", kind.label, feature_property(created, kind.id_field))
        return created

    def get_task(self, tasking_request_id: str) -> dict[str, Any]:
        """Return one tasking request Feature (``GET /task/{id}``), ``statusHistory`` newest first.

        :param tasking_request_id: the tasking request.
        """
        return self._call(TASKING.get, checks.uuid_text("tasking_request_id", tasking_request_id))

    def get_repeat_request(self, repeat_request_id: str) -> dict[str, Any]:
        """Return one repeat request Feature (``GET /repeat-requests/{id}``), ``statusHistory`` newest first.

        :param repeat_request_id: the repeat request.
        """
        return self._call(REPEAT.get, checks.uuid_text("repeat_request_id", repeat_request_id))

    def is_task_completed(self, task: dict[str, Any]) -> bool:
        """Return whether a tasking request has completed (``completed`` anywhere in its status history).

        :param task: a tasking request Feature, from :meth:`get_task`.
        """
        return tasking_status.is_completed(task)

    def get_collects_for_task(self, tasking_request_id: str) -> list[dict[str, Any]]:
        """Return the collects of a completed tasking request (``GET /collects/list/{id}``).

        :param tasking_request_id: the tasking request.
        """
        checked = checks.uuid_text("tasking_request_id", tasking_request_id)
        task = self.get_task(checked)
        if not tasking_status.is_completed(task):
            status = tasking_status.latest_status(task) or "unknown"
            raise CapellaTaskNotCompleteError(f"tasking request {checked} is not complete (status: {status})")
        return list(self._call(LIST_COLLECTS, checked) or [])

    def search_tasking_requests(
        self,
        *,
        for_org: bool = False,
        page_size: int = 250,
        threaded: bool = True,
        show_progress: bool = False,
        sort: str | None = None,
        order: str | None = None,
        include_repeating_tasks: bool = False,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Search tasking requests (the caller's own by default); return the matching Features.

        :param for_org: search the whole organization's requests (elevated permissions).
        :param page_size: results per page, 1 to 500 (default 250).
        :param threaded: fetch pages 2..N concurrently (at most 8 at once).
        :param show_progress: accepted for compatibility with the SDK; the log shows progress.
        :param sort: the field to sort by, a filter name (``submission_time``) or a wire name.
        :param order: ``asc`` or ``desc`` (default: the API's, newest first).
        :param include_repeating_tasks: also match the requests derived from repeat requests.
        :param filters: the filters listed in docs/hook.md, by name.
        """
        options: dict[str, Any] = {"for_org": for_org, "page_size": page_size, "threaded": threaded}
        options.update(show_progress=show_progress, sort=sort, order=order)
        options["include_repeating_tasks"] = include_repeating_tasks
        return self._search_requests(TASKING, payloads.tasking_request_search({**filters, **options}))

    def search_repeat_requests(
        self,
        *,
        for_org: bool = False,
        page_size: int = 250,
        threaded: bool = True,
        show_progress: bool = False,
        sort: str | None = None,
        order: str | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Search repeat requests (the caller's own by default); return the matching Features.

        :param for_org: search the whole organization's requests (elevated permissions).
        :param page_size: results per page, 1 to 500 (default 250).
        :param threaded: fetch pages 2..N concurrently (at most 8 at once).
        :param show_progress: accepted for compatibility with the SDK; the log shows progress.
        :param sort: the field to sort by, a filter name (``submission_time``) or a wire name.
        :param order: ``asc`` or ``desc`` (default: the API's, newest first).
        :param filters: the filters listed in docs/hook.md, by name.
        """
        options: dict[str, Any] = {"for_org": for_org, "page_size": page_size, "threaded": threaded}
        options.update(show_progress=show_progress, sort=sort, order=order)
        return self._search_requests(REPEAT, payloads.repeat_request_search({**filters, **options}))

    def _search_requests(self, kind: RequestKind, search: payloads.RequestSearch) -> Items:
        """Return every page of a request search (2..N concurrently when ``threaded``), de-duplicated."""
        query = dict(search.query)
        if search.scope == "user":
            query["userId"] = self._me()["id"]
        elif search.scope == "org":
            query["organizationIds"] = [organization_id(self._me())]
        body = search.body(query)

        def fetch(page: int) -> dict[str, Any]:
            return self._call(kind.search, json=body, params={"page": page, "limit": search.page_size}) or {}

        first = fetch(1)
        total_pages = int(first.get("totalPages") or 1)
        rest = list(range(2, total_pages + 1))
        pages = [first, *(self._each(fetch, rest).values() if search.threaded else map(fetch, rest))]
        unique: dict[object, dict[str, Any]] = {}  # by id, in order; results without an id are all kept
        for result in (result for page in pages for result in page.get("results") or []):
            key = feature_property(result, kind.id_field)
            unique.setdefault(object() if key is None else key, result)
        results = list(unique.values())
        self.log.info("Found %d %s(s) on %d page(s)", len(results), kind.label, max(1, total_pages))
        return results

    def update_tasking_requests(
        self,
        *tasking_request_ids: str,
        name: str | None = None,
        description: str | None = None,
        custom_attribute_1: str | None = None,
        custom_attribute_2: str | None = None,
        product_types: list[str] | None = None,
    ) -> dict[str, Any]:
        """Set the same fields on several tasking requests, at most 8 at once; unset fields are kept.

        :param tasking_request_ids: the requests to update (one list argument is unpacked).
        :param name: the new name.
        :param description: the new description.
        :param custom_attribute_1: the new first tracking value.
        :param custom_attribute_2: the new second tracking value.
        :param product_types: the new analytics product types.
        :return: per id the updated Feature, or ``{"success": False, "error": {...}}``.
        """
        fields = {"name": name, "description": description, "product_types": product_types}
        fields.update(custom_attribute_1=custom_attribute_1, custom_attribute_2=custom_attribute_2)
        return self._update_requests(TASKING, tasking_request_ids, fields)

    def update_repeat_requests(
        self,
        *repeat_request_ids: str,
        name: str | None = None,
        description: str | None = None,
        custom_attribute_1: str | None = None,
        custom_attribute_2: str | None = None,
        product_types: list[str] | None = None,
    ) -> dict[str, Any]:
        """Set the same fields on several repeat requests, at most 8 at once; unset fields are kept.

        :param repeat_request_ids: the requests to update (one list argument is unpacked).
        :param name: the new name.
        :param description: the new description.
        :param custom_attribute_1: the new first tracking value.
        :param custom_attribute_2: the new second tracking value.
        :param product_types: the new analytics product types.
        :return: per id the updated Feature, or ``{"success": False, "error": {...}}``.
        """
        fields = {"name": name, "description": description, "product_types": product_types}
        fields.update(custom_attribute_1=custom_attribute_1, custom_attribute_2=custom_attribute_2)
        return self._update_requests(REPEAT, repeat_request_ids, fields)

    def _update_requests(
        self, kind: RequestKind, ids: tuple[Any, ...], fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        checked = payloads.request_ids(f"{kind.id_argument}s", ids)
        body = payloads.update_properties(fields, kind.updatable, f"update_{kind.label.replace(' ', '_')}s")
        return self._per_id(checked, lambda request_id: self._call(kind.update, request_id, json=body))

    def cancel_tasking_requests(self, *tasking_request_ids: str) -> dict[str, Any]:
        """Cancel tasking requests, at most 8 at once (fees may apply); one Capella would refuse is not sent.

        :param tasking_request_ids: the requests to cancel (one list argument is unpacked).
        :return: per id ``{"success": True}`` or ``{"success": False, "error": {...}}``.
        """
        return self._cancel_requests(TASKING, tasking_request_ids)

    def cancel_repeat_requests(self, *repeat_request_ids: str) -> dict[str, Any]:
        """Cancel accepted or active repeat requests and their unfinished collections, at most 8 at once.

        :param repeat_request_ids: the requests to cancel (one list argument is unpacked).
        :return: per id ``{"success": True}`` or ``{"success": False, "error": {...}}``.
        """
        return self._cancel_requests(REPEAT, repeat_request_ids)

    def _cancel_requests(self, kind: RequestKind, ids: tuple[Any, ...]) -> dict[str, Any]:
        """Read each request, then cancel it unless Capella would refuse."""

        def cancel(request_id: str) -> dict[str, Any]:
            status = tasking_status.latest_status(self._call(kind.get, request_id))
            if status in tasking_status.FINAL_FAILURES | {"completed"}:
                message = f"{kind.label} {request_id} is {status}: a finalized request cannot be canceled"
                raise CapellaError(message, code="UNABLE_TO_UPDATE_FINALIZED_TRANSACTION")
            problem = rules.cancellation_problem(kind.label, request_id, status)
            if problem is None and kind is TASKING:
                now = datetime.now(timezone.utc)
                collects = [c for c in self._call(LIST_COLLECTS, request_id) or [] if isinstance(c, dict)]
                first = min(filter(None, (api_time(c.get("windowOpen")) for c in collects)), default=None)
                problem = rules.late_cancellation_problem(request_id, first, now)
                notice = rules.cancellation_fee_notice(request_id, first, now)
                if problem is None and notice is not None:
                    self.log.warning("%s", notice)
            if problem is not None:
                raise CapellaError(problem, code=rules.CANCELLATION_REFUSED)
            self._call(kind.set_status, request_id, json={kind.status_key: "canceled"})
            return {"success": True}

        return self._per_id(payloads.request_ids(f"{kind.id_argument}s", ids), cancel)

    def approve_tasking_request(
        self, tasking_request_id: str, *, max_cost: float | None = None
    ) -> dict[str, Any]:
        """Approve a tasking request in review at its quoted price (billable); return the API's answer.

        :param tasking_request_id: the tasking request, created without ``pre_approval``.
        :param max_cost: the most it may cost; it can only lower ``[capella] max_tasking_cost``.
        """
        return self._decide_review(TASKING, tasking_request_id, approve=True, max_cost=max_cost)

    def reject_tasking_request(self, tasking_request_id: str) -> dict[str, Any]:
        """Reject a tasking request in review (nothing is charged); return its Feature as the API answered.

        :param tasking_request_id: the tasking request in review.
        """
        return self._decide_review(TASKING, tasking_request_id, approve=False)

    def approve_repeat_request(
        self, repeat_request_id: str, *, max_cost_per_image: float | None = None
    ) -> dict[str, Any]:
        """Approve a repeat request in review (billable from here on); return the API's answer.

        :param repeat_request_id: the repeat request in review.
        :param max_cost_per_image: the most one collection may cost; it can only lower the setting too.
        """
        return self._decide_review(REPEAT, repeat_request_id, approve=True, max_cost=max_cost_per_image)

    def reject_repeat_request(self, repeat_request_id: str) -> dict[str, Any]:
        """Decline a repeat request in review (``{"code": "rejected"}``, free); return the API's answer.

        :param repeat_request_id: the repeat request in review.
        """
        return self._decide_review(REPEAT, repeat_request_id, approve=False)

    def _decide_review(
        self, kind: RequestKind, request_id: str, *, approve: bool, max_cost: float | None = None
    ) -> dict[str, Any]:
        """Approve (within the cap) or reject a request in review; refuse one that is not in review."""
        checked = checks.uuid_text(kind.id_argument, request_id)
        argument = "max_cost" if kind is TASKING else "max_cost_per_image"
        cap = self._cap(quotes.TASKING_COST_SETTING, argument, max_cost) if approve else None
        current = self._call(kind.get, checked)
        status, verb = tasking_status.latest_status(current), "approved" if approve else "rejected"
        if status != tasking_status.REVIEW:
            checks.fail(kind.id_argument, f"{kind.label} {checked} is not in review (status: {status})")
        if cap is not None:
            read_quote = quotes.tasking_quote if kind is TASKING else quotes.repeat_quote_per_image
            what = f"{kind.label} {checked}" + ("" if kind is TASKING else " (per image)")
            self._within_cap(what, read_quote(current), cap)
        body = {kind.status_key: kind.approved if approve else verb}
        answer = self._call(kind.set_status, checked, json=body)
        self.log.info("%s %s %s", kind.label.capitalize(), checked, verb)
        return answer if isinstance(answer, dict) else current

    def _per_id(self, ids: list[str], action: Callable[[str], Any]) -> dict[str, Any]:
        """Run ``action`` for every id (bounded concurrency); an API error becomes that id's failure."""

        def guarded(request_id: str) -> Any:
            try:
                return action(request_id)
            except CapellaError as error:
                detail = {"detail": error.detail} if error.detail else {}
                summary = {"status": error.status, "code": error.code, "message": error.message, **detail}
                return {"success": False, "error": summary}

        results = self._each(guarded, ids)
        failed = [key for key, value in results.items() if (value or {}).get("success") is False]
        if failed:
            self.log.warning("%d of %d request(s) failed: %s", len(failed), len(ids), ", ".join(failed))
        return results

    def _each(self, function: Callable[[Any], Any], keys: Iterable[Any]) -> dict[Any, Any]:
        """Return ``{key: function(key)}``, at most :data:`MAX_CONCURRENCY` calls in flight, in order."""
        ordered = list(keys)
        if len(ordered) <= 1:
            return {key: function(key) for key in ordered}
        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(ordered))) as pool:
            futures = {key: pool.submit(function, key) for key in ordered}
            return {key: future.result() for key, future in futures.items()}

    def get_collect(self, collect_id: str) -> dict[str, Any]:
        """Return one collect record (``GET /collects/{id}``): window, spacecraft, status history, figures.

        :param collect_id: the collect (a UUID, e.g. from :meth:`get_collects_for_task`).
        """
        return dict(self._call(GET_COLLECT, checks.uuid_text("collect_id", collect_id)) or {})

    def get_collect_status(self, collect_id: str) -> dict[str, Any]:
        """Return a collect's ``collectStatus`` (``predicted``...``delivered``) and ``collectStatusHistory``.

        :param collect_id: the collect (a UUID).
        """
        return dict(self._call(GET_COLLECT_STATUS, checks.uuid_text("collect_id", collect_id)) or {})

    def list_tiles(self, tasking_request_id: str) -> list[dict[str, Any]]:
        """Return the tile Features of a tasking request (``GET /tiles/list/{id}``; none until accepted).

        :param tasking_request_id: the tasking request (a UUID).
        """
        answer = self._call(LIST_TILES, checks.uuid_text("tasking_request_id", tasking_request_id))
        return list((answer.get("features") if isinstance(answer, dict) else answer) or [])

    def create_access_request(
        self,
        *,
        geometry: dict[str, Any],
        window_open: datetime | str,
        window_close: datetime | str,
        name: str = "",
        description: str = "",
        off_nadir_min: float | None = None,
        off_nadir_max: float | None = None,
        image_length: float | None = None,
        image_width: float | None = None,
        asc_dsc: str | None = None,
        look_direction: str | None = None,
        orbital_planes: list[int] | None = None,
        local_time: str | list[Any] | None = None,
    ) -> dict[str, Any]:
        """Ask which passes can image a target in a window (not billable); return the access request.

        :param geometry: the target, a GeoJSON Point or Polygon.
        :param window_open: when the window opens (datetime or ISO 8601; naive means UTC).
        :param window_close: when it closes: after ``window_open``, in the future, within 366 days.
        :param name: a name for the access request.
        :param description: free text.
        :param off_nadir_min: the smallest off-nadir angle allowed (degrees, 0-90).
        :param off_nadir_max: the largest off-nadir angle allowed (degrees, above ``off_nadir_min``).
        :param image_length: the image length (metres).
        :param image_width: the image width (metres).
        :param asc_dsc: ``ascending``, ``descending`` or ``either``.
        :param look_direction: ``left``, ``right`` or ``either``.
        :param orbital_planes: the orbital planes allowed (45, 53, 97).
        :param local_time: ``day``, ``night``, ``anytime`` or ``[[start, end], ...]`` seconds of the day.
        :return: the access request Feature (``properties.accessrequestId``, ``processingStatus``).
        """
        constraints: dict[str, Any] = {"off_nadir_min": off_nadir_min, "off_nadir_max": off_nadir_max}
        constraints.update(image_length=image_length, image_width=image_width, asc_dsc=asc_dsc)
        constraints.update(look_direction=look_direction, orbital_planes=orbital_planes)
        constraints["local_time"] = local_time
        body = access_request_body(
            geometry=geometry,
            window_open=window_open,
            window_close=window_close,
            name=name,
            description=description,
            constraints=constraints,
        )
        created = self._call(CREATE_ACCESS_REQUEST, json=body)
        self.log.info("Created access request %s", feature_property(created, "accessrequestId"))
        return created

    def get_access_request(self, access_request_id: str) -> dict[str, Any]:
        """Return one access request Feature (``GET /ma/accessrequests/{id}``) with its ``processingStatus``.

        :param access_request_id: the access request.
        """
        return self._call(GET_ACCESS_REQUEST, checks.uuid_text("access_request_id", access_request_id))

    def get_accesses(
        self,
        access_request_id: str,
        *,
        wait: bool = False,
        timeout: float = 600.0,
        poll_interval: float = 10.0,
    ) -> list[dict[str, Any]]:
        """Return the passes that can image the access request's target (``GET /ma/accesses/{id}``).

        :param access_request_id: the access request.
        :param wait: first wait until the access request is processed (else one still processing raises).
        :param timeout: the most seconds to wait with ``wait=True``.
        :param poll_interval: seconds between status checks with ``wait=True``.
        :return: the passes in time order (empty: the target cannot be imaged under the constraints).
        """
        checked = checks.uuid_text("access_request_id", access_request_id)
        checks.boolean("wait", wait)
        checks.number("timeout", timeout, minimum=0)
        checks.number("poll_interval", poll_interval, positive=True)
        deadline = time.monotonic() + timeout
        while wait and (status := processing_status(self.get_access_request(checked))) != "completed":
            if status in ACCESS_FAILED:
                raise CapellaError(f"access request {checked} ended {status}", code="ACCESS_REQUEST_FAILED")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CapellaAccessRequestPendingError(
                    f"access request {checked} was still {status or 'unprocessed'} after {timeout:g} s",
                    code="ACCESS_REQUEST_TIMEOUT",
                )
            time.sleep(min(poll_interval, remaining))
        try:
            return list(self._call(GET_ACCESSES, checked) or [])
        except CapellaError as error:
            if error.code != "ACCESS_REQUEST_NOT_COMPLETED":
                raise
            raise CapellaAccessRequestPendingError(
                f"access request {checked} is still being processed; call get_accesses(..., wait=True)",
                status=error.status,
                code=error.code,
            ) from None

    def get_asset_bytesize(self, pre_signed_url: str) -> int:
        """Return the size in bytes of a presigned asset (no Authorization header is sent to it).

        :param pre_signed_url: the asset's presigned ``href``.
        """
        from airflow_provider_capella.transfer import asset_bytesize  # lazy: loaded only to download

        return int(asset_bytesize(order_args.presigned_url("pre_signed_url", pre_signed_url)))

    def download_asset(
        self,
        pre_signed_url: str,
        *,
        local_path: str | Path | None = None,
        override: bool = False,
        show_progress: bool = False,
        enable_resume: bool = True,
        aws_conn_id: str | None = None,
    ) -> str:
        """Download one presigned asset; return the local path or S3 URI written.

        :param pre_signed_url: the asset's presigned ``href``.
        :param local_path: a file, a directory, or ``s3://bucket/key`` (default: the temp directory).
        :param override: download again even when a complete file is already there.
        :param show_progress: accepted for compatibility with the SDK; the log shows progress.
        :param enable_resume: continue a partial download where it stopped.
        :param aws_conn_id: the Airflow AWS connection for an ``s3://`` destination.
        """
        url = order_args.presigned_url("pre_signed_url", pre_signed_url)
        target = order_args.destination("local_path", local_path)
        checks.booleans(override=override, show_progress=show_progress, enable_resume=enable_resume)
        from airflow_provider_capella.transfer import download_asset  # lazy: loaded only to download

        path = download_asset(
            url, target, override=override, enable_resume=enable_resume, aws_conn_id=aws_conn_id
        )
        return str(path)

    def download_products(
        self,
        *,
        items_presigned: list[dict[str, Any]] | None = None,
        order_id: str | None = None,
        tasking_request_id: str | None = None,
        collect_id: str | None = None,
        local_dir: str | Path | None = None,
        include: list[str] | str | None = None,
        exclude: list[str] | str | None = None,
        override: bool = False,
        threaded: bool = True,
        show_progress: bool = False,
        separate_dirs: bool = True,
        product_types: list[str] | str | None = None,
        contract_id: str | None = None,
        enable_resume: bool = True,
        aws_conn_id: str | None = None,
        concurrency: int | None = None,
        stac_ids: list[str] | None = None,
        reorder_expired: str = "if_free",
        max_cost: float | None = None,
    ) -> dict[str, dict[str, str]]:
        """Download every asset of several products; return ``{stac_id: {asset_key: path or s3:// URI}}``.

        :param items_presigned: presigned STAC items, from :meth:`get_presigned_items`.
        :param order_id: an order; every product of it (or the ``stac_ids`` of it).
        :param tasking_request_id: a completed tasking request; its products are ordered (billable).
        :param collect_id: a collect; its products are ordered (billable).
        :param local_dir: a directory or ``s3://bucket/prefix`` (default: the temp directory).
        :param include: asset keys to fetch (``HH``, ``VV``, ``raster`` = HH or VV, ``metadata``, ...).
        :param exclude: asset keys to leave out (wins over ``include``).
        :param override: download again even when complete files are already there.
        :param threaded: ``False`` downloads one part at a time.
        :param show_progress: accepted for compatibility with the SDK; the log shows progress.
        :param separate_dirs: one folder per product (default) instead of all files in ``local_dir``.
        :param product_types: only these product types, e.g. ``["GEO"]``.
        :param contract_id: the contract charged when an order is placed.
        :param enable_resume: continue partial downloads where they stopped.
        :param aws_conn_id: the Airflow AWS connection for an ``s3://`` destination.
        :param concurrency: parallel connections (default: the engine's).
        :param stac_ids: with ``order_id``: only these products of the order (each must be in it).
        :param reorder_expired: replace an expired order ``"if_free"`` (default), ``"always"`` or ``"never"``.
        :param max_cost: the most each order placed here may cost; it can only lower the setting.
        """
        policy = str(checks.choice("reorder_expired", reorder_expired, REORDER_POLICIES))
        checks.booleans(override=override, threaded=threaded, show_progress=show_progress)
        checks.booleans(separate_dirs=separate_dirs, enable_resume=enable_resume)
        if concurrency is not None:
            checks.number("concurrency", concurrency, minimum=1, maximum=64, integer=True)
        if contract_id is not None:
            checks.text("contract_id", contract_id, allow_empty=False)
        subset = None if stac_ids is None else order_args.stac_ids_of(stac_ids, None)
        if subset is not None and (items_presigned or not order_id):
            checks.fail("stac_ids", "selects products of an order: give it together with order_id")
        sources = {"items_presigned": items_presigned, "order_id": order_id}
        sources.update(tasking_request_id=tasking_request_id, collect_id=collect_id)
        source = order_args.one_source(sources)
        if source != "items_presigned":
            checks.uuid_text(source, sources[source])
        destination = order_args.destination("local_dir", local_dir)
        include_keys = order_args.asset_filter("include", include)
        exclude_keys = order_args.asset_filter("exclude", exclude)
        wanted_types = order_args.product_types(product_types)
        cap = self._cap(quotes.ORDER_COST_SETTING, "max_cost", max_cost)
        refresh: Callable[[], Items] | None = None
        if source == "items_presigned":
            items = checks.as_list("items_presigned", items_presigned)
            for item in items:
                valid = isinstance(item, dict) and isinstance(item.get("id"), str)
                if not valid or not isinstance(item.get("assets"), dict):
                    checks.fail("items_presigned", "must be presigned STAC item dicts with 'id' and 'assets'")
                order_args.check_presigned("items_presigned", item)
        else:
            current, ordered, reordered = str(sources[source]), subset, False
            if source != "order_id":  # order the products of the tasking request or collect
                products = self._products_of(source, current, wanted_types)
                ordered = [str(item["id"]) for item in products]
                placement = self._place_order(ordered, products, True, False, contract_id, cap)
                self.log.info("download_products(%s=%s) %s", source, current, placement.describe())
                current = placement.order_id

            def presigned() -> Items:  # an expired order is replaced once (under the policy and the cap)
                nonlocal current, reordered
                try:
                    return self.get_presigned_items(current, stac_ids=ordered)
                except CapellaOrderExpiredError:
                    if reordered:
                        raise
                current = self._reorder(current, ordered, wanted_types, policy, contract_id, cap)
                reordered = True
                return self.get_presigned_items(current, stac_ids=ordered)

            items, refresh = presigned(), presigned
            missing = sorted(set(subset or ()) - {str(item.get("id")) for item in items})
            if missing:
                checks.fail("stac_ids", f"not in order {current}: {', '.join(missing[:10])}")
        items = filter_product_types(items, wanted_types)
        if not items:
            self.log.warning("Nothing to download: no products match product_types=%s", wanted_types)
            return {}
        self.log.info("Downloading %d product(s) to %s", len(items), destination)
        from airflow_provider_capella.transfer import download_products  # lazy: loaded only to download

        return download_products(
            items,
            destination,
            include=include_keys,
            exclude=exclude_keys,
            separate_dirs=separate_dirs,
            override=override,
            enable_resume=enable_resume,
            concurrency=1 if not threaded else (int(concurrency) if concurrency else None),
            aws_conn_id=aws_conn_id,
            refresh_items=None
            if refresh is None
            else (lambda: filter_product_types(refresh(), wanted_types)),
        )

    def _products_of(self, source: str, value: str, product_types: list[str] | None) -> Items:
        """Return the catalog items of a tasking request's or a collect's products (``source`` names it)."""
        if source == "tasking_request_id":
            collect_ids = [str(collect["collectId"]) for collect in self.get_collects_for_task(value)]
            if not collect_ids:
                raise CapellaNoProductsError(f"tasking request {value} has no collects yet")
        else:
            collect_ids = [value]
        filters: dict[str, Any] = {"collect_id__in": collect_ids, "limit": 10_000}
        if product_types:
            filters["product_type__in"] = product_types
        items = self._search_catalog(filters)
        if not items:
            types = f" of types {product_types}" if product_types else ""
            raise CapellaNoProductsError(f"no STAC products{types} yet for collect(s) {collect_ids}")
        return items

    def _reorder(
        self, expired_order_id: str, stac_ids: list[str] | None, product_types: list[str] | None, policy: str,
        contract_id: str | None, cap: quotes.Cap | None,
    ) -> str:  # fmt: skip
        """Place a new order for the products of an expired order when ``policy`` and ``cap`` allow it."""
        if policy == "never":
            raise reorder_refused(expired_order_id, stac_ids or [], quotes.Quote(None, None), policy)
        order = self._call(GET_ORDER, expired_order_id) or {}
        wanted = stac_ids or [str(i["granuleId"]) for i in order.get("items") or [] if i.get("granuleId")]
        if not wanted:
            raise CapellaNoProductsError(f"expired order {expired_order_id} holds no products to reorder")
        items = filter_product_types(self._existing_items(wanted), product_types)
        if not items:
            raise CapellaNoProductsError(f"expired order {expired_order_id} has no {product_types} products")
        contract = contract_id or order.get("contractId") or None
        review = self._review(items, contract)
        quote_ = quotes.review_quote(review)
        if policy == "if_free" and quote_.amount != 0:
            raise reorder_refused(expired_order_id, [str(item["id"]) for item in items], quote_, policy)
        what = f"reorder of the {len(items)} product(s) of expired order {expired_order_id}"
        self._within_cap(what, quote_, cap)
        placed = self._call(SUBMIT_ORDER, json=order_args.order_body(items, contract)) or {}
        new_order_id = accepted_order_id(placed, "the reorder")
        lines = (review.get("orderDetails") or {}).get("lineItems") or []
        held = sum(1 for line in lines if isinstance(line, dict) and line.get("previouslyOrdered"))
        self.log.warning(
            f"Order {expired_order_id} expired (orders last one hour); placed new order {new_order_id} for "
            f"{len(items)} product(s), cost {quote_.text} ({held} previously ordered)"
        )
        return new_order_id

    def download_product(
        self,
        *,
        assets_presigned: dict[str, Any] | None = None,
        order_id: str | None = None,
        local_dir: str | Path | None = None,
        include: list[str] | str | None = None,
        exclude: list[str] | str | None = None,
        override: bool = False,
        threaded: bool = True,
        show_progress: bool = False,
    ) -> dict[str, str]:
        """Download one product (the SDK's single-product :meth:`download_products`); return its paths.

        :param assets_presigned: one product's presigned assets, from :meth:`get_presigned_assets`.
        :param order_id: an order; its first product is downloaded.
        :param local_dir: a directory or ``s3://bucket/prefix`` (default: the temp directory).
        :param include: asset keys to fetch.
        :param exclude: asset keys to leave out (wins over ``include``).
        :param override: download again even when complete files are already there.
        :param threaded: ``False`` downloads one part at a time.
        :param show_progress: accepted for compatibility with the SDK.
        """
        order_args.destination("local_dir", local_dir)
        order_args.asset_filter("include", include)
        order_args.asset_filter("exclude", exclude)
        if assets_presigned and not isinstance(assets_presigned, dict):
            checks.fail("assets_presigned", "must be one product's assets mapping (see get_presigned_assets)")
        if assets_presigned:
            stac_id = order_args.stac_id_from_assets(assets_presigned)
            items = [{"id": stac_id, "assets": assets_presigned, "properties": {}}]
        elif order_id:
            items = self.get_presigned_items(order_id)  # checks order_id first
            if not items:
                raise CapellaNoProductsError(f"order {order_id} has no products")
            if len(items) > 1:
                self.log.warning("Order %s holds %d products; downloading the first", order_id, len(items))
        else:
            checks.fail("assets_presigned", "provide assets_presigned or order_id")
        result = self.download_products(
            items_presigned=items[:1],
            local_dir=local_dir,
            include=include,
            exclude=exclude,
            override=override,
            threaded=threaded,
            show_progress=show_progress,
        )
        return next(iter(result.values()), {})

    def list_archive_exports(self) -> dict[str, Any]:
        """Return the archive export files on offer by type: ``{"latest": [names], "weekly": [...], ...}``."""
        return dict(self._call(LIST_ARCHIVE_EXPORTS) or {})

    def download_archive_export(
        self,
        *,
        export_type: str,
        export_format: str | None = None,
        local_dir: str | Path | None = None,
        file_names: list[str] | None = None,
        override: bool = False,
        aws_conn_id: str | None = None,
    ) -> list[str]:
        """Download archive export files (the footprints of every product); return the paths or URIs written.

        :param export_type: ``latest`` (the newest week), ``weekly`` or ``full`` (the whole archive).
        :param export_format: ``gpkg`` (default), ``shp.zip`` or ``geoparquet``.
        :param local_dir: a directory or ``s3://bucket/prefix`` (default: the temp directory).
        :param file_names: exact names from the listing instead of ``export_format``.
        :param override: download again even when a complete file is already there.
        :param aws_conn_id: the Airflow AWS connection for an ``s3://`` destination.
        """
        body = order_args.export_body(export_type, export_format, file_names)
        destination = order_args.destination("local_dir", local_dir)
        checks.boolean("override", override)
        kind = body["exportType"]
        offered = order_args.listed_files(self.list_archive_exports(), kind)
        missing = [name for name in body.get("fileNames", []) if name not in offered]
        formats = sorted({fmt for fmt in map(order_args.format_of, offered) if fmt})
        if missing:
            raise CapellaNotFoundError(
                f"archive export file(s) {', '.join(missing)} not offered for {kind!r}; "
                f"offered: {', '.join(offered) or 'none'}"
            )
        if "fileNames" not in body and body["exportFormat"] not in formats:
            raise CapellaNotFoundError(
                f"the {kind!r} archive export is not offered as {body['exportFormat']!r}; "
                f"formats on offer: {', '.join(formats) or 'none'} (see list_archive_exports)"
            )
        files = order_args.presigned_files(self._call(PRESIGN_ARCHIVE_EXPORT, json=body))
        if not files:
            raise CapellaNotFoundError(f"the API gave no presigned URL for the {kind} archive export {body}")
        from airflow_provider_capella.transfer import download_asset  # lazy: loaded only to download

        written = []
        for entry in files:
            if destination.lower().startswith("s3://"):
                target = f"{destination.rstrip('/')}/{entry['file_name']}"
            else:
                os.makedirs(destination, exist_ok=True)
                target = os.path.join(destination, entry["file_name"])
            self.log.info("Downloading archive export %s to %s", entry["file_name"], target)
            path = download_asset(entry["url"], target, override=override, aws_conn_id=aws_conn_id)
            written.append(str(path))
        return written


def normalize_base_url(host: str | None, port: int | None = None) -> str:
    """Return the API base URL of a connection host: ``https://`` added when no scheme, ``http://`` kept."""
    raw = (host or "").strip().rstrip("/")
    if not raw:
        return DEFAULT_BASE_URL
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if port and ":" not in parts.netloc.rsplit("]", 1)[-1]:
        parts = parts._replace(netloc=f"{parts.netloc}:{port}")
    return urlunsplit(parts)


def parse_timeout(value: Any) -> tuple[float, float]:
    """Parse the ``timeout`` extra: seconds (the read timeout), ``[connect, read]`` or ``"connect,read"``."""
    if value is None or value == "":
        return (_http.DEFAULT_CONNECT_TIMEOUT, _http.DEFAULT_READ_TIMEOUT)
    parts = value.split(",") if isinstance(value, str) else value
    try:
        if isinstance(parts, list | tuple):
            connect, read = (float(part) for part in parts)
        else:
            connect, read = min(_http.DEFAULT_CONNECT_TIMEOUT, float(parts)), float(parts)
    except (TypeError, ValueError):
        checks.fail("timeout", f"connection extra must be seconds or [connect, read], got {value!r}")
    if connect <= 0 or read <= 0:
        checks.fail("timeout", f"must be positive, got {value!r}")
    return (connect, read)


def parse_verify(value: Any) -> bool | str:
    """Parse the ``verify`` extra: a bool, "true"/"false", or a CA bundle path."""
    lowered = str(value).strip().lower()
    if value is None or value == "" or lowered in ("true", "1", "yes"):
        return True
    return value if isinstance(value, bool) else False if lowered in ("false", "0", "no") else str(value)


def feature_property(feature: Any, key: str) -> str | None:
    """Return ``feature["properties"][key]`` (or ``feature[key]``) as text, ``None`` when absent."""
    if not isinstance(feature, dict):
        return None
    value = feature.get("properties", {}).get(key, feature.get(key))
    return None if value is None else str(value)


def processing_status(access: Any) -> str | None:
    """Return an access request's ``processingStatus`` (lower case), or ``None`` when absent."""
    return (feature_property(access, "processingStatus") or "").lower() or None


def add_new(found: dict[str, dict[str, Any]], features: list[dict[str, Any]]) -> int:
    """Add the features not yet in ``found`` (by id); return how many were new."""
    before = len(found)
    for feature in features:
        found.setdefault(str(feature.get("id")), feature)
    return len(found) - before


def next_request(
    search_url: str, link: dict[str, Any], payload: dict[str, Any], page: int
) -> tuple[str, str, dict[str, Any]]:
    """Return the next page's method, URL (another host's: the search URL) and body (else ``page: n``)."""
    href = str(link.get("href") or search_url)
    target, configured = urlsplit(href), urlsplit(search_url)
    if (target.scheme, target.netloc) != (configured.scheme, configured.netloc):
        href = search_url + (f"?{target.query}" if target.query else "")
    link_body = link.get("body")
    if isinstance(link_body, dict):
        next_payload = {**payload, **link_body} if link.get("merge") else dict(link_body)
    else:
        next_payload = {**payload, "page": page}
    return ("GET" if str(link.get("method") or "POST").upper() == "GET" else "POST"), href, next_payload


def closed_range(body: Mapping[str, Any]) -> tuple[str, str, tuple[datetime, datetime]]:
    """Return the lower and upper operators of the body's ``datetime`` filter and its (closed) range."""
    bounds = (body.get("query") or {}).get("datetime") or {}
    lower_op = next((op for op in ("gte", "gt") if op in bounds), None)
    upper_op = next((op for op in ("lte", "lt") if op in bounds), None)
    if lower_op is None or upper_op is None:
        checks.fail(
            "datetime",
            "split_by_time=True needs a closed range: datetime='2024-01-01T00:00:00Z/2024-12-31T23:59:59Z' "
            "or datetime__gte=... with datetime__lte=...",
        )
    start, end = (checks.utc_datetime("datetime", bounds[op]) for op in (lower_op, upper_op))
    return lower_op, upper_op, (start, end)


def accepted_order_id(order: dict[str, Any], what: str) -> str:
    """Return the id of an order just placed, or raise ``CapellaOrderRejectedError`` if it was rejected."""
    order_id = str(order.get("orderId"))
    if order.get("orderStatus") == "rejected":
        raise CapellaOrderRejectedError(f"order {order_id} for {what} was rejected", code="ORDER_REJECTED")
    return order_id


def reorder_refused(
    order_id: str, stac_ids: list[str], quote_: quotes.Quote, policy: str
) -> CapellaReorderNotAllowedError:
    """Return the error saying an expired order was not replaced, and how to allow it."""
    total, currency = quote_.amount, quote_.currency
    if policy == "never":
        what = "reorder_expired='never', so no new order was placed"
        allow = "pass reorder_expired='if_free' to reorder products your organization holds at no cost"
    else:
        cost = "an unknown amount" if total is None else f"{total:g} {currency or ''}".strip()
        what = f"a new order for its {len(stac_ids)} product(s) would cost {cost} (nothing was ordered)"
        allow = "pass reorder_expired='always' to pay for a new order, or order them with submit_order"
    data = {"order_id": order_id, "stac_ids": stac_ids, "total": total, "currency": currency}
    return CapellaReorderNotAllowedError(
        f"order {order_id} has expired (orders expire one hour after they are placed); {what}. "
        f"To allow it, {allow}.",
        code="ORDER_EXPIRED",
        data={**data, "reorder_expired": policy},
    )


def filter_product_types(items: Items, product_types: list[str] | None) -> Items:
    """Keep the items whose ``sar:product_type`` is one of ``product_types`` (all when none given)."""
    wanted = set(product_types or ())
    return [i for i in items if not wanted or (i.get("properties") or {}).get("sar:product_type") in wanted]
