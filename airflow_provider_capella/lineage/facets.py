"""A :class:`~.record.LineageRecord` as OpenLineage datasets and facets (imported only when asked)."""

from __future__ import annotations

import dataclasses
import re
import socket
from typing import Any

import attr
from airflow.providers.openlineage.extractors import OperatorLineage
from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import (
    DatasetFacet,
    RunFacet,
    dataset_version_dataset,
    output_statistics_output_dataset,
)

from airflow_provider_capella.lineage.record import FileFacts, LineageRecord

# where the facets are described (docs/lineage.md); OpenLineage consumers store it, never fetch it
SCHEMA_URL = "https://airflow-provider-capella.readthedocs.io/en/latest/lineage/#"
MAX_DATASETS = 1_000  # inputs and outputs per event (a search may match 10,000); ``matchedItems`` counts all


@attr.define
class CapellaProductDatasetFacet(DatasetFacet):
    """A Capella product (STAC item): what was acquired, when, where, by which collect and request.

    Example::

        CapellaProductDatasetFacet(stacId="CAPELLA_C13_SP_GEO_HH_20240101120000_20240101120010")
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

    _get_schema = staticmethod(lambda: SCHEMA_URL + "capellaproduct")


@attr.define
class CapellaFileDatasetFacet(DatasetFacet):
    """A file a download wrote: the product and asset it holds, its size and checksum.

    Example::

        CapellaFileDatasetFacet(stacId="CAPELLA_...", assetKey="HH", size=262144)
    """

    stacId: str | None = attr.field(default=None)
    assetKey: str | None = attr.field(default=None)
    size: int | None = attr.field(default=None)
    checksumAlgorithm: str | None = attr.field(default=None)
    checksum: str | None = attr.field(default=None)
    verified: bool | None = attr.field(default=None)  # checked against the product's digest
    verification: str | None = attr.field(default=None)  # how, or why not

    _get_schema = staticmethod(lambda: SCHEMA_URL + "capellafile")


@attr.define
class CapellaRunFacet(RunFacet):
    """What a task caused at Capella: request, order and collect ids, the cost, the console link.

    Example::

        CapellaRunFacet(orderId="5f1c...", cost={"amount": "$3,000.00", "basis": "quoted"})
    """

    taskingRequestId: str | None = attr.field(default=None)
    repeatRequestId: str | None = attr.field(default=None)
    accessRequestId: str | None = attr.field(default=None)
    orderId: str | None = attr.field(default=None)
    orderReused: bool | None = attr.field(default=None)
    collectIds: list[str] | None = attr.field(default=None)
    requestIds: list[str] | None = attr.field(default=None)
    matchedItems: int | None = attr.field(default=None)
    cost: dict[str, str] | None = attr.field(default=None)
    consoleUrl: str | None = attr.field(default=None)

    _get_schema = staticmethod(lambda: SCHEMA_URL + "capella")


@attr.define
class CapellaErrorRunFacet(RunFacet):
    """The Capella API's answer to the call that failed the task.

    Example::

        CapellaErrorRunFacet(message="insufficient funds", status=402)
    """

    message: str
    code: str | None = attr.field(default=None)
    status: int | None = attr.field(default=None)
    errorType: str | None = attr.field(default=None)

    _additional_skip_redact = ["code", "status", "errorType"]

    _get_schema = staticmethod(lambda: SCHEMA_URL + "capellaerror")


def operator_lineage(record: LineageRecord, namespace: str, console_url: str | None) -> OperatorLineage:
    """Return the inputs, outputs and run facets of ``record``; ``namespace`` names the Capella API host."""
    inputs = []
    for stac_id in record.product_ids[:MAX_DATASETS]:
        facet = CapellaProductDatasetFacet(**camel_case(record.product(stac_id)))
        inputs.append(InputDataset(namespace=namespace, name=stac_id, facets={"capellaProduct": facet}))
    outputs = [output_dataset(file) for file in record.files[:MAX_DATASETS]]
    return OperatorLineage(inputs=inputs, outputs=outputs, run_facets=run_facets(record, console_url))


def output_dataset(file: FileFacts) -> OutputDataset:
    """Return one written file with its size and checksum (the checksum is also its ``version``)."""
    if file.is_s3:
        bucket, _, name = file.location[len("s3://") :].partition("/")
        namespace = f"s3://{bucket}"
    else:
        namespace, name = f"file://{socket.gethostname() or 'localhost'}", file.location
    facets: dict[str, Any] = {"capellaFile": CapellaFileDatasetFacet(**camel_case(file, skip="location"))}
    if file.checksum_text:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=file.checksum_text
        )
    statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet
    outputs: dict[str, Any] = (
        {"outputStatistics": statistics(size=file.size, fileCount=1)} if file.size is not None else {}
    )
    return OutputDataset(namespace, name, facets=facets, outputFacets=outputs)


def run_facets(record: LineageRecord, console_url: str | None) -> dict[str, Any]:
    """Return the ``capella`` facet (ids, cost, console link) and, on failure, ``capellaError``."""
    found: dict[str, Any] = {}
    fields: dict[str, Any] = {
        "taskingRequestId": record.tasking_request_id,
        "repeatRequestId": record.repeat_request_id,
        "accessRequestId": record.access_request_id,
        "orderId": record.order_id,
        "orderReused": record.order_reused,
        "collectIds": record.collect_ids or None,
        "requestIds": record.request_ids or None,
        "matchedItems": record.matched,
        "cost": {"amount": record.cost, "basis": record.cost_basis or "quoted"} if record.cost else None,
        "consoleUrl": console_url,
    }
    if any(value is not None for value in fields.values()):
        found["capella"] = CapellaRunFacet(**fields)
    if record.error is not None:
        found["capellaError"] = CapellaErrorRunFacet(**camel_case(record.error))
    return found


def camel_case(facts: Any, skip: str = "") -> dict[str, Any]:
    """Return a facts dataclass's fields as a facet's keyword arguments (``stac_id`` -> ``stacId``)."""
    return {
        re.sub(r"_(\w)", lambda match: match.group(1).upper(), field.name): getattr(facts, field.name)
        for field in dataclasses.fields(facts)
        if field.name != skip
    }
