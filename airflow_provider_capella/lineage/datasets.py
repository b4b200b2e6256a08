"""A :class:`~.record.LineageRecord` as OpenLineage datasets and run facets (OpenLineage installed only).

Inputs are the Capella catalog items (``capella://<API host>`` + STAC id, facet ``capellaProduct``);
outputs the files written (``s3://bucket`` + key or ``file://<host>`` + path, facets ``capellaFile``,
``outputStatistics`` and ``version`` = the checksum); run facets ``capella`` and ``capellaError``.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.openlineage.extractors import OperatorLineage
from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import dataset_version_dataset, output_statistics_output_dataset

from airflow_provider_capella.lineage import facets
from airflow_provider_capella.lineage.naming import file_namespace_and_name
from airflow_provider_capella.lineage.record import FileFacts, LineageRecord, ProductFacts

MAX_DATASETS = 1_000
"""At most this many inputs and outputs per event (a search may match 10,000 items); the ``capella``
run facet's ``matchedItems`` still counts them all."""


def operator_lineage(record: LineageRecord, namespace: str, console_url: str | None) -> OperatorLineage:
    """Return the inputs, outputs and run facets of ``record``; ``namespace`` names the Capella API host.

    Example::

        operator_lineage(record, "capella://api.capellaspace.com", None)
    """
    inputs = [input_dataset(record.product(stac_id), namespace) for stac_id in record.product_ids]
    outputs = [output_dataset(file) for file in record.files]
    return OperatorLineage(
        inputs=inputs[:MAX_DATASETS],
        outputs=outputs[:MAX_DATASETS],
        run_facets=run_facets(record, console_url),
    )


def input_dataset(product: ProductFacts, namespace: str) -> InputDataset:
    """Return one catalog item, named by its STAC id, with what the catalog says of it."""
    facet = facets.CapellaProductDatasetFacet(
        stacId=product.stac_id,
        collection=product.collection,
        productType=product.product_type,
        collectId=product.collect_id,
        taskingRequestId=product.tasking_request_id,
        acquisitionTime=product.acquisition_time,
        acquisitionStart=product.acquisition_start,
        acquisitionEnd=product.acquisition_end,
        footprint=product.footprint,
    )
    return InputDataset(namespace=namespace, name=product.stac_id, facets={"capellaProduct": facet})


def output_dataset(file: FileFacts) -> OutputDataset:
    """Return one written file: ``s3://bucket`` + key or ``file://<host>`` + path, with size and checksum."""
    namespace, name = file_namespace_and_name(file.location)
    dataset_facets: dict[str, Any] = {
        "capellaFile": facets.CapellaFileDatasetFacet(
            stacId=file.stac_id,
            assetKey=file.asset_key,
            size=file.size,
            checksumAlgorithm=file.checksum_algorithm,
            checksum=file.checksum,
        )
    }
    if file.checksum_text:
        dataset_facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=file.checksum_text
        )
    output_facets: dict[str, Any] = {}
    if file.size is not None:
        statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet
        output_facets["outputStatistics"] = statistics(size=file.size, fileCount=1)
    return OutputDataset(namespace=namespace, name=name, facets=dataset_facets, outputFacets=output_facets)


def run_facets(record: LineageRecord, console_url: str | None) -> dict[str, Any]:
    """Return the ``capella`` facet (ids, cost, console link) and, on failure, ``capellaError``."""
    found: dict[str, Any] = {}
    facet = facets.CapellaRunFacet(
        taskingRequestId=record.tasking_request_id,
        repeatRequestId=record.repeat_request_id,
        orderId=record.order_id,
        orderReused=record.order_reused,
        collectIds=record.collect_ids or None,
        requestIds=record.request_ids or None,
        matchedItems=record.matched,
        cost={"amount": record.cost, "basis": record.cost_basis or "quoted"} if record.cost else None,
        consoleUrl=console_url,
    )
    if any(value is not None for value in _fields(facet)):
        found["capella"] = facet
    if record.error is not None:
        found["capellaError"] = facets.CapellaErrorRunFacet(
            message=record.error.message,
            code=record.error.code,
            status=record.error.status,
            errorType=record.error.error_type,
        )
    return found


def _fields(facet: facets.CapellaRunFacet) -> list[Any]:
    return [
        facet.taskingRequestId,
        facet.repeatRequestId,
        facet.orderId,
        facet.orderReused,
        facet.collectIds,
        facet.requestIds,
        facet.matchedItems,
        facet.cost,
        facet.consoleUrl,
    ]
