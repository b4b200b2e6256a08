"""DAGs the cluster end-to-end tests trigger (beside the example DAGs) against the emulator and moto.

Each billable or long task retries quickly (2 s) so a test that SIGKILLs its worker sees the retry soon.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param

from airflow_provider_capella.operators.download import DownloadProductsOperator
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.search import CapellaSearchOperator
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator

RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=2)}
BUCKET = "capella-imagery"

with DAG(
    dag_id="cluster_mapped_download",
    schedule=None,
    catchup=False,
    params={"limit": Param(12, type="integer"), "prefix": Param("mapped", type="string")},
):
    found = CapellaSearchOperator(
        task_id="search",
        filters='{"product_type__in": ["GEO"]}',
        datetime="2021-01-01T00:00:00Z/2023-12-31T23:59:59Z",  # not the April 2024 the backfills order
        sortby="id",
        limit="{{ params.limit }}",
    )
    order = SubmitOrderOperator(task_id="order", stac_ids=found.output, **RETRIES)
    DownloadProductsOperator.partial(
        task_id="download",
        order_id=order.output,
        destination=f"s3://{BUCKET}/{{{{ params.prefix }}}}/",
        aws_conn_id="aws_default",
        include=["raster"],
        asset_alias=None,
        **RETRIES,
    ).expand(items=found.output)

with DAG(
    dag_id="cluster_crash_tasking",
    schedule=None,
    catchup=False,
    params={"name": Param("cluster crash test", type="string")},
):
    CreateTaskingRequestOperator(
        task_id="create_tasking_request",
        geometry={"type": "Point", "coordinates": [4.05, 51.95]},
        name="{{ params.name }}",
        **RETRIES,
    )

with DAG(
    dag_id="cluster_crash_order",
    schedule=None,
    catchup=False,
    params={"stac_ids": Param([], type="array")},
):
    # straight to the POST (no item search, no review): the kill lands right after it; a retry still
    # looks for an active order holding the products first (check_active_orders, the default)
    SubmitOrderOperator(
        task_id="order",
        stac_ids="{{ params.stac_ids | tojson }}",
        omit_search=True,
        omit_review=True,
        **RETRIES,
    )

with DAG(
    dag_id="cluster_crash_s3_download",
    schedule=None,
    catchup=False,
    params={"stac_ids": Param([], type="array"), "prefix": Param("resume", type="string")},
):
    DownloadProductsOperator(
        task_id="download",
        items="{{ params.stac_ids | tojson }}",
        destination=f"s3://{BUCKET}/{{{{ params.prefix }}}}/",
        aws_conn_id="aws_default",
        include=["raster"],
        asset_alias=None,
        **RETRIES,
    )
