"""Custom OpenLineage facets of this provider (imported only when OpenLineage asks for facets).

- ``capellaProduct`` (dataset facet of an input): a Capella catalog item's product type, collect id,
  tasking request id, acquisition time and footprint (GeoJSON);
- ``capellaFile`` (dataset facet of an output): the product and asset a written file came from, its size
  and checksum;
- ``capella`` (run facet): the tasking request, repeat request, order and collect ids, the cost quoted or
  paid, the console link;
- ``capellaError`` (run facet): the API's HTTP status, error code and message of a failed call.
"""

from __future__ import annotations

from typing import Any

import attr
from openlineage.client.facet_v2 import DatasetFacet, RunFacet

SCHEMA_URL = "https://airflow-provider-capella.readthedocs.io/en/latest/lineage/#"
"""Where the facets are described (docs/lineage.md); OpenLineage consumers store it, never fetch it."""


@attr.define
class CapellaProductDatasetFacet(DatasetFacet):
    """A Capella product (STAC item): what was acquired, when, where, by which collect and request.

    Example::

        CapellaProductDatasetFacet(stacId="CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010",
                                   productType="GEO", collectId="7c2f...")
    """

    stacId: str
    collection: str | None = attr.field(default=None)
    productType: str | None = attr.field(default=None)
    collectId: str | None = attr.field(default=None)
    taskingRequestId: str | None = attr.field(default=None)
    acquisitionTime: str | None = attr.field(default=None)
    acquisitionStart: str | None = attr.field(default=None)
    acquisitionEnd: str | None = attr.field(default=None)
    footprint: dict[str, Any] | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL + "capellaproduct"


@attr.define
class CapellaFileDatasetFacet(DatasetFacet):
    """A file a download wrote: the product and asset it holds, its size and checksum.

    Example::

        CapellaFileDatasetFacet(stacId="CAPELLA_...", assetKey="HH", size=262144,
                                checksumAlgorithm="sha256", checksum="9f86d0...")
    """

    stacId: str | None = attr.field(default=None)
    assetKey: str | None = attr.field(default=None)
    size: int | None = attr.field(default=None)
    checksumAlgorithm: str | None = attr.field(default=None)
    checksum: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL + "capellafile"


@attr.define
class CapellaRunFacet(RunFacet):
    """What a task caused at Capella: request, order and collect ids, the cost, the console link.

    Example::

        CapellaRunFacet(orderId="5f1c...", cost={"amount": "$3,000.00", "basis": "quoted"},
                        consoleUrl="https://console.capellaspace.com/orders/5f1c...")
    """

    taskingRequestId: str | None = attr.field(default=None)
    repeatRequestId: str | None = attr.field(default=None)
    orderId: str | None = attr.field(default=None)
    orderReused: bool | None = attr.field(default=None)
    collectIds: list[str] | None = attr.field(default=None)
    requestIds: list[str] | None = attr.field(default=None)
    matchedItems: int | None = attr.field(default=None)
    cost: dict[str, str] | None = attr.field(default=None)
    consoleUrl: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL + "capella"


@attr.define
class CapellaErrorRunFacet(RunFacet):
    """The Capella API's answer to the call that failed the task.

    Example::

        CapellaErrorRunFacet(message="insufficient funds", code="AUTHORIZATION_INSUFFICIENT_FUNDS",
                             status=402, errorType="CapellaInsufficientFundsError")
    """

    message: str
    code: str | None = attr.field(default=None)
    status: int | None = attr.field(default=None)
    errorType: str | None = attr.field(default=None)

    _additional_skip_redact = ["code", "status", "errorType"]

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL + "capellaerror"
