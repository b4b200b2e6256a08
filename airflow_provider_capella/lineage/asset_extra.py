"""The ``extra`` of an Asset event for one written file: the facts an asset-scheduled DAG needs, small."""

from __future__ import annotations

from typing import Any

from airflow_provider_capella.lineage.record import FileFacts, LineageRecord


def asset_extra(record: LineageRecord, file: FileFacts) -> dict[str, Any]:
    """Return the ``extra`` of the Asset event announcing ``file``.

    Keys: ``stac_id``, ``asset_key``, ``product_type``, ``collect_id``, ``tasking_request_id``,
    ``order_id``, ``size``, ``checksum``, ``uri``; unknown facts are left out, and there is no footprint,
    so events stay small.

    Example::

        events.add(Asset(file.uri), extra=asset_extra(record, file))
    """
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
        "uri": file.uri,
    }
    return {key: value for key, value in extra.items() if value is not None}
