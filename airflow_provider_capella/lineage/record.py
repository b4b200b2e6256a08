"""The facts an operator writes down while it runs (plain dataclasses, nothing of OpenLineage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ProductFacts:
    """One Capella catalog item (a product) as lineage knows it.

    Example::

        ProductFacts(stac_id="CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010", product_type="GEO")
    """

    stac_id: str
    collection: str | None = None
    product_type: str | None = None
    collect_id: str | None = None
    tasking_request_id: str | None = None
    acquisition_time: str | None = None
    acquisition_start: str | None = None
    acquisition_end: str | None = None
    footprint: dict[str, Any] | None = None

    @property
    def described(self) -> bool:
        """Whether the catalog's facts are known (not only the STAC id)."""
        return self.product_type is not None or self.collect_id is not None


@dataclass
class FileFacts:
    """One file written (``s3://bucket/key`` or a local path); ``checksum_algorithm``: ``sha256``, ``s3:...``.

    Example::

        FileFacts(location="s3://bucket/capella/X/X.tif", stac_id="X", asset_key="HH", size=262144)
    """

    location: str
    stac_id: str | None = None
    asset_key: str | None = None
    size: int | None = None
    checksum_algorithm: str | None = None
    checksum: str | None = None
    verified: bool | None = None  # checked against the product's digest (False: it could not be read)
    verification: str | None = None  # how, or why not

    @property
    def is_s3(self) -> bool:
        return self.location.lower().startswith("s3://")

    @property
    def uri(self) -> str:
        """``s3://bucket/key`` as is; a local path as a ``file://`` URI."""
        return self.location if self.is_s3 else "file://" + self.location

    @property
    def checksum_text(self) -> str | None:
        """``"<algorithm>:<value>"``, the compact form an Asset event carries."""
        known = self.checksum and self.checksum_algorithm
        return f"{self.checksum_algorithm}:{self.checksum}" if known else None


@dataclass
class ErrorFacts:
    """The API's answer when a call failed: HTTP status, the API's error code and message.

    Example::

        ErrorFacts.of(CapellaInsufficientFundsError("not enough funds", code="INSUFFICIENT_FUNDS"))
    """

    message: str
    code: str | None = None
    status: int | None = None
    error_type: str | None = None

    @classmethod
    def of(cls, error: BaseException) -> ErrorFacts:
        """Return the facts of a :class:`~airflow_provider_capella.exceptions.CapellaError` (or any error)."""
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        status = getattr(error, "status", None)
        status = status if isinstance(status, int) else None
        return cls(str(message), getattr(error, "code", None), status, type(error).__name__)


@dataclass
class LineageRecord:
    """Everything one task instance read, wrote and caused (``products``: catalog facts once known).

    Example::

        record = LineageRecord(order_id=order_id)
        record.add_product_ids(["CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010"])
    """

    product_ids: list[str] = field(default_factory=list)
    products: dict[str, ProductFacts] = field(default_factory=dict)
    files: list[FileFacts] = field(default_factory=list)
    order_id: str | None = None
    tasking_request_id: str | None = None
    repeat_request_id: str | None = None
    access_request_id: str | None = None
    collect_ids: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    order_reused: bool | None = None
    cost: str | None = None
    cost_basis: str | None = None
    matched: int | None = None
    error: ErrorFacts | None = None

    def add_product_ids(self, stac_ids: list[str]) -> None:
        """Name products read, keeping the first order and no duplicates."""
        self.product_ids[:] = dict.fromkeys([*self.product_ids, *stac_ids])

    def add_products(self, products: list[ProductFacts]) -> None:
        """Add catalog facts (naming the products too)."""
        self.add_product_ids([product.stac_id for product in products])
        self.products.update({product.stac_id: product for product in products})

    def product(self, stac_id: str) -> ProductFacts:
        """Return the facts of ``stac_id``: from the catalog when known, else just the id."""
        return self.products.get(stac_id) or ProductFacts(stac_id=stac_id)

    def undescribed_ids(self) -> list[str]:
        """Products named but without catalog facts yet."""
        return [stac_id for stac_id in self.product_ids if not self.product(stac_id).described]

    def add_tasking_request_ids(self, by_product: dict[str, str]) -> None:
        """Note the tasking request each product came from (an order names it per item)."""
        for stac_id, request_id in by_product.items():
            if stac_id in self.products and not self.products[stac_id].tasking_request_id:
                self.products[stac_id].tasking_request_id = request_id

    def set_cost(self, amount: Any, basis: str) -> None:
        """Record a cost as the API wrote it (e.g. ``"$3,000.00"``), ``basis`` ``quoted``, ``paid``, ..."""
        if amount not in (None, ""):
            self.cost, self.cost_basis = str(amount), basis

    def note_pushed(self, key: str, value: Any) -> None:
        """Record an id an operator pushed for its console link (order, tasking or repeat request)."""
        attribute = PUSHED_IDS.get(key)
        if attribute and value:
            setattr(self, attribute, str(value))


# the XCom keys of :mod:`airflow_provider_capella.links` and the record attribute each id goes to
PUSHED_IDS = {f"capella_{name}": name for name in ("order_id", "tasking_request_id", "repeat_request_id")}


def product_from_item(item: dict[str, Any], tasking_request_id: str | None = None) -> ProductFacts:
    """Return the lineage facts of one STAC item (a catalog search answer or a presigned order item)."""
    properties = item.get("properties") or {}
    geometry = item.get("geometry")
    return ProductFacts(
        stac_id=str(item["id"]),
        collection=_text(item.get("collection")),
        product_type=_text(properties.get("sar:product_type")),
        collect_id=_text(properties.get("capella:collect_id")),
        tasking_request_id=tasking_request_id
        or _text(properties.get("capella:tasking_request_id") or properties.get("taskingRequestId")),
        acquisition_time=_text(properties.get("datetime")),
        acquisition_start=_text(properties.get("start_datetime")),
        acquisition_end=_text(properties.get("end_datetime")),
        footprint=geometry if isinstance(geometry, dict) else None,
    )


def tasking_request_ids_of_order(order: dict[str, Any]) -> dict[str, str]:
    """``{stac_id: tasking request id}`` from an order's items (the API names it per ordered item)."""
    lines = order.get("items") or []
    pairs = ((line.get("granuleId"), line.get("taskingRequestId")) for line in lines)
    return {str(stac_id): str(request_id) for stac_id, request_id in pairs if stac_id and request_id}


def written_files(paths: dict[str, dict[str, str]]) -> list[FileFacts]:
    """One :class:`FileFacts` per file of ``{stac_id: {asset_key: location}}`` (with the engine's check)."""
    checks: dict[str, tuple[bool, str]] = getattr(paths, "verification", {})
    return [
        FileFacts(location, stac_id, asset_key, None, None, None, *checks.get(location, (None, None)))
        for stac_id, assets in paths.items()
        for asset_key, location in assets.items()
    ]


def asset_extra(record: LineageRecord, file: FileFacts) -> dict[str, Any]:
    """Return the ``extra`` of ``file``'s Asset event: ids, product type, size, checksum, verified, uri."""
    product = record.product(file.stac_id) if file.stac_id else None
    extra: dict[str, Any] = {
        "stac_id": file.stac_id,
        "asset_key": file.asset_key,
        "product_type": product.product_type if product else None,
        "collect_id": product.collect_id if product else None,
        "tasking_request_id": (product.tasking_request_id if product else None) or record.tasking_request_id,
        "order_id": record.order_id,
        "size": file.size,
        "checksum": file.checksum_text,
        "verified": file.verified,
        "verification": None if file.verified else file.verification,  # why not; how is in the facet
        "uri": file.uri,
    }
    return {key: value for key, value in extra.items() if value is not None}


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
