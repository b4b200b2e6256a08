"""Downloads: resolve the products to fetch (items, order, tasking request, collect), then hand the
presigned items to the transfer engine, which moves the bytes (and never sends the API key).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella.exceptions import CapellaNoProductsError
from airflow_provider_capella.hooks._orders import OrdersMixin
from airflow_provider_capella.hooks._tasking import TaskingMixin

PathLike = str | Path


class DownloadsMixin(OrdersMixin, TaskingMixin):
    """``download_products``, ``download_asset``, ``get_asset_bytesize``, deprecated ``download_product``."""

    def get_asset_bytesize(self, pre_signed_url: str) -> int:
        """Size in bytes of a presigned asset (no Authorization header is sent to it).

        Example::

            size = hook.get_asset_bytesize(items[0]["assets"]["HH"]["href"])
        """
        from airflow_provider_capella.transfer import asset_bytesize

        return int(asset_bytesize(order_args.presigned_url("pre_signed_url", pre_signed_url)))

    def download_asset(
        self,
        pre_signed_url: str,
        local_path: PathLike | None = None,
        override: bool = False,
        show_progress: bool = False,
        enable_resume: bool = True,
        *,
        aws_conn_id: str | None = None,
    ) -> str:
        """Download one presigned asset to ``local_path`` (a file, a directory, or ``s3://bucket/key``;
        default: the temp directory); return the local path or S3 URI written.

        Example::

            path = hook.download_asset(items[0]["assets"]["thumbnail"]["href"], "/data/thumbs/")
        """
        url = order_args.presigned_url("pre_signed_url", pre_signed_url)
        destination = order_args.destination("local_path", local_path)
        for name, flag in (
            ("override", override),
            ("show_progress", show_progress),
            ("enable_resume", enable_resume),
        ):
            checks.boolean(name, flag)
        from airflow_provider_capella.transfer import download_asset

        return str(
            download_asset(
                url, destination, override=override, enable_resume=enable_resume, aws_conn_id=aws_conn_id
            )
        )

    def download_products(
        self,
        items_presigned: list[dict[str, Any]] | None = None,
        order_id: str | None = None,
        tasking_request_id: str | None = None,
        collect_id: str | None = None,
        local_dir: PathLike | None = None,
        include: list[str] | str | None = None,
        exclude: list[str] | str | None = None,
        override: bool = False,
        threaded: bool = True,
        show_progress: bool = False,
        separate_dirs: bool = True,
        product_types: list[str] | str | None = None,
        contract_id: str | None = None,
        enable_resume: bool = True,
        *,
        aws_conn_id: str | None = None,
        concurrency: int | None = None,
        stac_ids: list[str] | None = None,
    ) -> dict[str, dict[str, str]]:
        """Download every asset of several products; return ``{stac_id: {asset_key: path or s3:// URI}}``.

        The source is the first given of ``items_presigned``, ``order_id``, ``tasking_request_id``,
        ``collect_id`` (the SDK's precedence); a tasking request or collect is ordered first (an
        active order holding its products is reused; ``contract_id`` is charged). ``local_dir`` is a
        directory or ``s3://bucket/prefix``. ``include``/``exclude`` take asset keys (``HH``, ``VV``,
        ``raster`` = HH or VV, ``metadata``, ``thumbnail``, ``preview``, ...; exclude wins).
        ``product_types`` filters products (e.g. ``["GEO"]``). ``threaded=False`` downloads one part
        at a time; ``concurrency`` sets the parallel connections; ``aws_conn_id`` the S3 credentials.
        With ``order_id``, ``stac_ids`` downloads only those products of the order (each must be in
        it); expired presigned URLs are then still fetched afresh once, as for the whole order.

        Raises ``CapellaNoProductsError`` when a tasking request or collect has no products yet.

        Example::

            paths = hook.download_products(order_id=order_id, local_dir="s3://bucket/capella/",
                                           include=["raster", "metadata"])
        """
        for name, flag in (
            ("override", override),
            ("threaded", threaded),
            ("show_progress", show_progress),
            ("separate_dirs", separate_dirs),
            ("enable_resume", enable_resume),
        ):
            checks.boolean(name, flag)
        destination = order_args.destination("local_dir", local_dir)
        includes = order_args.asset_filter("include", include)
        excludes = order_args.asset_filter("exclude", exclude)
        wanted_types = order_args.product_types(product_types)
        if concurrency is not None:
            checks.number("concurrency", concurrency, minimum=1, maximum=64, integer=True)
        if contract_id is not None:
            checks.text("contract_id", contract_id, allow_empty=False)
        subset = None if stac_ids is None else order_args.stac_ids_of(stac_ids, None)
        if subset is not None and (items_presigned or not order_id):
            checks.fail("stac_ids", "selects products of an order: give it together with order_id")
        items, refresh = self._resolve_sources(
            items_presigned, order_id, tasking_request_id, collect_id, wanted_types, contract_id, subset
        )
        items = filter_product_types(items, wanted_types)
        if not items:
            self.log.warning("Nothing to download: no products match product_types=%s", wanted_types)
            return {}
        self.log.info("Downloading %d product(s) to %s", len(items), destination)
        from airflow_provider_capella.transfer import download_products

        return download_products(
            items,
            destination,
            include=includes,
            exclude=excludes,
            separate_dirs=separate_dirs,
            override=override,
            enable_resume=enable_resume,
            concurrency=1 if not threaded else (int(concurrency) if concurrency else None),
            aws_conn_id=aws_conn_id,
            refresh_items=None
            if refresh is None
            else (lambda: filter_product_types(refresh(), wanted_types)),
        )

    def download_product(
        self,
        assets_presigned: dict[str, Any] | None = None,
        order_id: str | None = None,
        local_dir: PathLike | None = None,
        include: list[str] | str | None = None,
        exclude: list[str] | str | None = None,
        override: bool = False,
        threaded: bool = True,
        show_progress: bool = False,
    ) -> dict[str, str]:
        """Deprecated (as in the SDK): download the assets of one product; use ``download_products``.

        Returns ``{asset_key: path}``; with ``order_id``, the first product of the order.
        """
        warnings.warn(
            "CapellaHook.download_product is deprecated; use download_products instead",
            _deprecation_category(),
            stacklevel=2,
        )
        order_args.destination("local_dir", local_dir)
        order_args.asset_filter("include", include)
        order_args.asset_filter("exclude", exclude)
        if assets_presigned:
            if not isinstance(assets_presigned, dict):
                checks.fail(
                    "assets_presigned", "must be one product's assets mapping (see get_presigned_assets)"
                )
            stac_id = order_args.stac_id_from_assets(assets_presigned)
            items = [{"id": stac_id, "assets": assets_presigned, "properties": {}}]
        elif order_id:
            items = self._first_product_of_order(checks.uuid_text("order_id", order_id))
        else:
            checks.fail("assets_presigned", "provide assets_presigned or order_id")
        result = self.download_products(
            items_presigned=items,
            local_dir=local_dir,
            include=include,
            exclude=exclude,
            override=override,
            threaded=threaded,
            show_progress=show_progress,
        )
        return next(iter(result.values()), {})

    # --- sources ----------------------------------------------------------------------------------

    def _first_product_of_order(self, order_id: str) -> list[dict[str, Any]]:
        presigned = self.get_presigned_items(order_id)
        if not presigned:
            raise CapellaNoProductsError(f"order {order_id} has no products")
        if len(presigned) > 1:
            self.log.warning("Order %s holds %d products; downloading the first", order_id, len(presigned))
        return presigned[:1]

    def _resolve_sources(
        self,
        items_presigned: list[dict[str, Any]] | None,
        order_id: str | None,
        tasking_request_id: str | None,
        collect_id: str | None,
        product_types: list[str] | None,
        contract_id: str | None,
        subset: list[str] | None = None,
    ) -> tuple[list[dict[str, Any]], Callable[[], list[dict[str, Any]]] | None]:
        """Presigned items from the first source given, and how to re-fetch them (None for raw items)."""
        if items_presigned:
            return presigned_items(items_presigned), None
        stac_ids: list[str] | None = subset
        if order_id:
            order_id = checks.uuid_text("order_id", order_id)
        elif tasking_request_id:
            task_id = checks.uuid_text("tasking_request_id", tasking_request_id)
            collect_ids = [str(collect["collectId"]) for collect in self.get_collects_for_task(task_id)]
            if not collect_ids:
                raise CapellaNoProductsError(f"tasking request {task_id} has no collects yet")
            order_id, stac_ids = self._order_collects(collect_ids, product_types, contract_id)
        elif collect_id:
            checked = checks.uuid_text("collect_id", collect_id)
            order_id, stac_ids = self._order_collects([checked], product_types, contract_id)
        else:
            checks.fail(
                "items_presigned", "provide one of items_presigned, order_id, tasking_request_id, collect_id"
            )
        resolved_order, wanted = str(order_id), stac_ids

        def refresh() -> list[dict[str, Any]]:
            return self.get_presigned_items(resolved_order, wanted)

        items = refresh()
        missing = sorted(set(subset or ()) - {str(item.get("id")) for item in items})
        if missing:
            checks.fail("stac_ids", f"not in order {resolved_order}: {', '.join(missing[:10])}")
        return items, refresh

    def _order_collects(
        self, collect_ids: list[str], product_types: list[str] | None, contract_id: str | None
    ) -> tuple[str, list[str]]:
        """Order (or reuse an active order of) every product of the collects; fail clearly if none."""
        filters: dict[str, Any] = {"collect_id__in": collect_ids, "limit": 10_000}
        if product_types:
            filters["product_type__in"] = product_types
        items: list[dict[str, Any]] = self.search(**filters)
        if not items:
            raise CapellaNoProductsError(
                f"no STAC products found for collect(s) {', '.join(collect_ids)}"
                + (f" with product types {product_types}" if product_types else "")
                + "; they may still be processing"
            )
        order_id = self.submit_order(
            items=items, omit_search=True, check_active_orders=True, contract_id=contract_id
        )
        return order_id, [str(item["id"]) for item in items]


def presigned_items(items: Any) -> list[dict[str, Any]]:
    checked = []
    for item in checks.as_list("items_presigned", items):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("id"), str)
            or not isinstance(item.get("assets"), dict)
        ):
            checks.fail(
                "items_presigned", "each item must be a presigned STAC item dict with 'id' and 'assets'"
            )
        checked.append(item)
    return checked


def filter_product_types(
    items: list[dict[str, Any]], product_types: list[str] | None
) -> list[dict[str, Any]]:
    if not product_types:
        return items
    wanted = set(product_types)
    return [item for item in items if (item.get("properties") or {}).get("sar:product_type") in wanted]


def _deprecation_category() -> type[Warning]:
    try:
        from airflow.exceptions import AirflowProviderDeprecationWarning
    except ImportError:  # pragma: no cover - present in every supported Airflow
        return DeprecationWarning
    return AirflowProviderDeprecationWarning
