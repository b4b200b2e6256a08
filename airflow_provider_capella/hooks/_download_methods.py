"""``CapellaHook``'s download methods (attached to the class in :mod:`.capella`).

The bytes move through :mod:`airflow_provider_capella.transfer`, which never sends the API key to the
asset hosts. ``download_products(tasking_request_id=...)`` and ``download_products(collect_id=...)``
**place an order** (billable) unless an active order already holds the products.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads import orders as order_args
from airflow_provider_capella.hooks import _downloads

if TYPE_CHECKING:
    from airflow_provider_capella.hooks.capella import CapellaHook

PathLike = str | Path


def get_asset_bytesize(self: CapellaHook, pre_signed_url: str) -> int:
    """Return the size in bytes of a presigned asset (no Authorization header is sent to it).

    :param pre_signed_url: the asset's presigned ``href``.
    :return: its size in bytes.

    Example::

        size = hook.get_asset_bytesize(items[0]["assets"]["HH"]["href"])
    """
    from airflow_provider_capella.transfer import asset_bytesize

    return int(asset_bytesize(order_args.presigned_url("pre_signed_url", pre_signed_url)))


def download_asset(
    self: CapellaHook,
    pre_signed_url: str,
    *,
    local_path: PathLike | None = None,
    override: bool = False,
    show_progress: bool = False,
    enable_resume: bool = True,
    aws_conn_id: str | None = None,
) -> str:
    """Download one presigned asset; return the local path or S3 URI written.

    :param pre_signed_url: the asset's presigned ``href``.
    :param local_path: a file, a directory (the asset's own file name is kept), or ``s3://bucket/key``
        (default: the temp directory).
    :param override: download again even when a complete file is already there.
    :param show_progress: accepted for compatibility with the SDK; the log shows progress.
    :param enable_resume: continue a partial download where it stopped.
    :param aws_conn_id: the Airflow AWS connection for an ``s3://`` destination.
    :return: the path or ``s3://`` URI written.

    Example::

        path = hook.download_asset(items[0]["assets"]["thumbnail"]["href"], local_path="/data/thumbs/")
    """
    url = order_args.presigned_url("pre_signed_url", pre_signed_url)
    destination = order_args.destination("local_path", local_path)
    for name, flag in (
        ("override", override),
        ("show_progress", show_progress),
        ("enable_resume", enable_resume),
    ):
        checks.boolean(name, flag)
    from airflow_provider_capella.transfer import download_asset as transfer

    return str(
        transfer(url, destination, override=override, enable_resume=enable_resume, aws_conn_id=aws_conn_id)
    )


def download_products(
    self: CapellaHook,
    *,
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
    aws_conn_id: str | None = None,
    concurrency: int | None = None,
    stac_ids: list[str] | None = None,
    reorder_expired: str = "if_free",
) -> dict[str, dict[str, str]]:
    """Download every asset of several products; return ``{stac_id: {asset_key: path or s3:// URI}}``.

    Give exactly one source: ``items_presigned``, ``order_id``, ``tasking_request_id`` or
    ``collect_id`` (several, or none, is a ``CapellaValidationError`` naming them). With
    ``tasking_request_id`` or ``collect_id`` this **places an order (billable)** for the products,
    unless an active order already holds them all; the order id and its reviewed cost are logged.

    Orders expire one hour after they are placed. When the order has expired (at the start, or
    mid-way when its presigned URLs are refused), a new order for the same products is placed only as
    ``reorder_expired`` allows: ``"if_free"`` (default) when the review quotes nothing to pay (products
    the organization already holds), ``"always"`` whatever it costs (billable), ``"never"`` not at
    all. A refused reorder raises ``CapellaReorderNotAllowedError`` carrying the quote; the new
    order's id and cost are logged.

    :param items_presigned: presigned STAC items, from :meth:`get_presigned_items`.
    :param order_id: an order; every product of it (or the ``stac_ids`` of it).
    :param tasking_request_id: a completed tasking request; its products are ordered (billable).
    :param collect_id: a collect; its products are ordered (billable).
    :param local_dir: a directory or ``s3://bucket/prefix`` (default: the temp directory).
    :param include: asset keys to fetch (``HH``, ``VV``, ``raster`` = HH or VV, ``metadata``,
        ``thumbnail``, ``preview``, ...).
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
    :param reorder_expired: ``"if_free"`` (default), ``"always"`` or ``"never"``: whether an expired
        order is replaced by a new order for the same products (see above).
    :return: the written paths or ``s3://`` URIs, by STAC id and asset key.
    :raises CapellaNoProductsError: when a tasking request or collect has no products yet.

    Example::

        paths = hook.download_products(order_id=order_id, local_dir="s3://bucket/capella/",
                                       include=["raster", "metadata"])
    """
    sources = {
        "items_presigned": items_presigned,
        "order_id": order_id,
        "tasking_request_id": tasking_request_id,
        "collect_id": collect_id,
    }
    flags = {"override": override, "threaded": threaded, "show_progress": show_progress}
    flags.update(separate_dirs=separate_dirs, enable_resume=enable_resume)
    request = _downloads.DownloadRequest.check(
        sources=sources,
        local_dir=local_dir,
        include=include,
        exclude=exclude,
        product_types=product_types,
        flags=flags,
        concurrency=concurrency,
        contract_id=contract_id,
        aws_conn_id=aws_conn_id,
        stac_ids=stac_ids,
        reorder_expired=reorder_expired,
    )
    return _downloads.download_products(self.api, request)


# Intended mirror: the SDK's deprecated download_product repeats download_products' arguments.
def download_product(
    self: CapellaHook,
    *,
    assets_presigned: dict[str, Any] | None = None,
    order_id: str | None = None,
    local_dir: PathLike | None = None,
    include: list[str] | str | None = None,
    exclude: list[str] | str | None = None,
    override: bool = False,
    threaded: bool = True,
    show_progress: bool = False,
) -> dict[str, str]:
    """Download the assets of one product (deprecated, as in the SDK: use :meth:`download_products`).

    :param assets_presigned: one product's presigned assets, from :meth:`get_presigned_assets`.
    :param order_id: an order; its first product is downloaded.
    :param local_dir: a directory or ``s3://bucket/prefix`` (default: the temp directory).
    :param include: asset keys to fetch.
    :param exclude: asset keys to leave out (wins over ``include``).
    :param override: download again even when complete files are already there.
    :param threaded: ``False`` downloads one part at a time.
    :param show_progress: accepted for compatibility with the SDK.
    :return: ``{asset_key: path}`` of the product.

    Example::

        paths = hook.download_products(order_id=order_id)  # instead of download_product
    """
    from airflow_provider_capella._compat import warn_deprecated

    warn_deprecated("CapellaHook.download_product is deprecated; use download_products instead")
    order_args.destination("local_dir", local_dir)
    order_args.asset_filter("include", include)
    order_args.asset_filter("exclude", exclude)
    if assets_presigned:
        if not isinstance(assets_presigned, dict):
            checks.fail("assets_presigned", "must be one product's assets mapping (see get_presigned_assets)")
        stac_id = order_args.stac_id_from_assets(assets_presigned)
        items = [{"id": stac_id, "assets": assets_presigned, "properties": {}}]
    elif order_id:
        items = _downloads.first_product_of_order(self.api, checks.uuid_text("order_id", order_id))
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
