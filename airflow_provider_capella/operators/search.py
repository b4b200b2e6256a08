"""``CapellaSearchOperator``: search Capella's STAC catalog from a DAG; return ids, items, or a file."""

from __future__ import annotations

import json
import os
import tempfile
from typing import TYPE_CHECKING, Any

from airflow_provider_capella import lineage
from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads.checks import without_none
from airflow_provider_capella.lineage.describe import describe_files
from airflow_provider_capella.lineage.record import FileFacts, product_from_item
from airflow_provider_capella.operators import _arguments
from airflow_provider_capella.operators._base import CapellaBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context, XComArg

MATCHED_KEY = "capella_search_matched"  # XCom: how many matched (more than returned when limit cut it)
STRUCTURED = ("bbox", "intersects", "collections", "ids", "sortby")  # may arrive as JSON strings


class CapellaSearchOperator(CapellaBaseOperator):
    """Search the catalog; return the matching STAC ids (default), the items, or where they were written.

    :param capella_conn_id: the Capella connection (default ``capella_default``).
    :param filters: any ``CapellaHook.search`` filters, as a dict or JSON object.
    :param bbox: ``[west, south, east, north]``.
    :param intersects: a GeoJSON geometry (not together with ``bbox``).
    :param datetime: an instant or a ``"start/end"`` interval (ISO 8601).
    :param collections: STAC collections.
    :param ids: STAC ids.
    :param ownership: see ``CapellaHook.search``.
    :param sortby: e.g. ``"-datetime"``.
    :param limit: most items wanted (default 500, at most 10,000).
    :param return_items: return the STAC items, not their ids (the task fails above ``max_returned_items``).
    :param max_returned_items: the most items ``return_items`` may return (default 100).
    :param destination: write every match as GeoJSON to this file or ``s3://bucket/key``; return where.
    :param aws_conn_id: AWS connection for an ``s3://`` ``destination``.

    Example::

        CapellaSearchOperator(task_id="search", intersects="{{ params.aoi | tojson }}", limit=10_000,
                              datetime="{{ data_interval_start | ts }}/{{ data_interval_end | ts }}")
    """

    template_fields = (
        "capella_conn_id",
        "filters",
        "bbox",
        "intersects",
        "datetime",
        "collections",
        "ids",
        "ownership",
        "sortby",
        "limit",
        "destination",
        "aws_conn_id",
    )
    template_fields_renderers = {"filters": "json", "intersects": "json"}

    def __init__(
        self,
        *,
        filters: dict[str, Any] | str | None = None,
        bbox: list[float] | str | None = None,
        intersects: dict[str, Any] | str | None = None,
        datetime: str | None = None,
        collections: list[str] | str | None = None,
        ids: list[str] | str | XComArg | None = None,
        ownership: str | None = None,
        sortby: str | list[str] | None = None,
        limit: int | str | None = None,
        return_items: bool = False,
        max_returned_items: int = 100,
        destination: str | None = None,
        aws_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = filters
        self.bbox = bbox
        self.intersects = intersects
        self.datetime = datetime
        self.collections = collections
        self.ids = ids
        self.ownership = ownership
        self.sortby = sortby
        self.limit = limit
        self.return_items = return_items
        self.max_returned_items = max_returned_items
        self.destination = destination
        self.aws_conn_id = aws_conn_id

    def search_filters(self) -> dict[str, Any]:
        """Return the keyword arguments for ``CapellaHook.search``, after rendering and JSON parsing."""
        explicit = {name: _arguments.structured(name, getattr(self, name)) for name in STRUCTURED}
        explicit["datetime"] = self.datetime or None
        explicit["ownership"] = self.ownership or None
        explicit["limit"] = _arguments.integer("limit", self.limit)
        filters = _arguments.merged("filters", self.filters, without_none(explicit))
        if "limit" in filters:
            filters["limit"] = _arguments.integer("filters.limit", filters["limit"])
        return filters

    @lineage.records
    def execute(self, context: Context) -> list[str] | list[dict[str, Any]] | str:
        items = self.hook.search(**self.search_filters())
        matched = self.hook.last_search_matched or len(items)
        self.push(context, MATCHED_KEY, matched)
        self.lineage.matched = len(items)
        self.lineage.add_products([product_from_item(item) for item in items])
        self.log.info("Search matched %d STAC item(s), returned %d", matched, len(items))
        if self.destination:
            collection = {"type": "FeatureCollection", "numberMatched": matched, "numberReturned": len(items)}
            where = write_json({**collection, "features": items}, self.destination, self.aws_conn_id)
            self.log.info("Wrote %d item(s) to %s", len(items), where)
            self.lineage.files = [FileFacts(location=where)]
            describe_files(self.lineage.files, self.aws_conn_id or None)
            return where
        if self.return_items:
            if len(items) > self.max_returned_items:
                checks.fail(
                    "return_items",
                    f"{len(items)} items matched, more than max_returned_items={self.max_returned_items}; "
                    "lower `limit`, raise `max_returned_items`, or write them with `destination`",
                )
            return items
        return [str(item["id"]) for item in items]


def write_json(document: Any, location: str, aws_conn_id: str | None = None) -> str:
    """Write JSON ``document`` to ``location`` (a file written whole, or ``s3://bucket/key``); return it."""
    location = checks.text("destination", location, allow_empty=False).strip()
    body = json.dumps(document, separators=(",", ":")).encode()
    if location.lower().startswith("s3://"):
        from airflow_provider_capella.transfer.s3client import s3_client  # lazy: boto3 only for s3:// output
        from airflow_provider_capella.transfer.targets import split_s3_uri  # lazy: with the S3 client

        bucket, key = split_s3_uri(location)
        if not key or key.endswith("/"):
            checks.fail("destination", f"must name an object, not a prefix: {location!r}")
        client = s3_client(aws_conn_id, max_pool_connections=2)
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/geo+json")
        return f"s3://{bucket}/{key}"
    path = os.path.abspath(os.path.expanduser(location))
    if path.endswith(os.sep) or os.path.isdir(path):
        checks.fail("destination", f"must name a file, not a folder: {path!r}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
        os.replace(partial, path)
    except BaseException:
        os.remove(partial)
        raise
    return path
