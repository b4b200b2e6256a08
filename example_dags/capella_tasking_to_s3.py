"""Task a new Capella collection, wait for it in the triggerer, order its products and land them in S3.

``create_tasking_request`` (created without pre-approval: the task waits for the quote, in the
triggerer, and approves it when it is at most ``max_cost``, otherwise rejects it and fails with the
quote) → ``wait_for_collection`` (deferrable: no worker slot is held while the
satellite does its job) → ``find_products`` (the products of the request's collects) →
``order_products`` → ``download_to_s3`` (``s3://<bucket>/<prefix>/<tasking request id>/<STAC id>/...``;
every file written becomes an Asset event through the alias ``capella-imagery``, which
``capella_new_imagery`` in ``capella_repeat_monitoring.py`` is scheduled on).

Configuration: the Airflow connections ``capella_default`` (API key) and ``aws_default`` (S3), and
the DAG params below (defaults work against the emulator that ``make demo`` starts). A retried
``create_tasking_request`` never creates a second request, and a re-run reuses the order and skips
files already in S3. The quote wait and the sensor poll every ``CAPELLA_EXAMPLE_POLL_SECONDS``
seconds (environment of the Airflow processes; default 300: a collection takes hours to days).

Example::

    airflow dags test capella_tasking_to_s3 --conf '{"bucket": "my-bucket", "collection_tier": "priority"}'
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import DAG, Param

from airflow_provider_capella.operators.download import DownloadProductsOperator
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.search import CapellaSearchOperator
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator
from airflow_provider_capella.sensors.tasking import TaskCompletedSensor

POLL_SECONDS = float(os.environ.get("CAPELLA_EXAMPLE_POLL_SECONDS", "300"))
PORT_OF_ROTTERDAM = {"type": "Point", "coordinates": [4.05, 51.95]}

with DAG(
    dag_id="capella_tasking_to_s3",
    description="Task a Capella collection, wait for it (deferrable), order its products, land them in S3",
    schedule=None,
    catchup=False,
    tags=["capella", "tasking", "s3"],
    doc_md=__doc__,
    params={
        "capella_conn_id": Param("capella_default", type="string", description="Capella connection"),
        "aws_conn_id": Param("aws_default", type="string", description="AWS connection for the bucket"),
        "geometry": Param(PORT_OF_ROTTERDAM, type="object", description="GeoJSON Point or Polygon to task"),
        "name": Param("Port of Rotterdam (airflow example)", type="string"),
        "collection_tier": Param("standard", enum=["urgent", "priority", "standard", "flexible"]),
        "max_cost": Param(5000, type="number", minimum=0, description="most the collection may cost (USD)"),
        "product_types": Param(["GEO", "SLC"], type="array", description="products to order"),
        "max_order_cost": Param(2000, type="number", minimum=0, description="most the order may cost"),
        "include": Param(["raster", "metadata", "thumbnail"], type="array", description="asset keys"),
        "bucket": Param("capella-imagery", type="string", description="S3 bucket to land products in"),
        "prefix": Param("tasking", type="string", description="key prefix inside the bucket"),
    },
) as dag:
    create_tasking_request = CreateTaskingRequestOperator(
        task_id="create_tasking_request",
        capella_conn_id="{{ params.capella_conn_id }}",
        geometry="{{ params.geometry | tojson }}",
        name="{{ params.name }}",
        collection_tier="{{ params.collection_tier }}",
        max_cost="{{ params.max_cost }}",
        deferrable=True,
        poll_interval=POLL_SECONDS,
        retries=2,
    )

    wait_for_collection = TaskCompletedSensor(
        task_id="wait_for_collection",
        capella_conn_id="{{ params.capella_conn_id }}",
        tasking_request_id=create_tasking_request.output,
        deferrable=True,
        poke_interval=POLL_SECONDS,
        timeout=timedelta(days=14).total_seconds(),
    )

    find_products = CapellaSearchOperator(
        task_id="find_products",
        capella_conn_id="{{ params.capella_conn_id }}",
        filters=(
            "{{ {'collect_id__in': ti.xcom_pull(task_ids='wait_for_collection'),"
            " 'product_type__in': params.product_types} | tojson }}"
        ),
    )

    order_products = SubmitOrderOperator(
        task_id="order_products",
        capella_conn_id="{{ params.capella_conn_id }}",
        stac_ids=find_products.output,
        max_cost="{{ params.max_order_cost }}",
        retries=2,
    )

    download_to_s3 = DownloadProductsOperator(
        task_id="download_to_s3",
        capella_conn_id="{{ params.capella_conn_id }}",
        order_id=order_products.output,
        destination=(
            "s3://{{ params.bucket }}/{{ params.prefix }}/"
            "{{ ti.xcom_pull(task_ids='create_tasking_request') }}/"
        ),
        aws_conn_id="{{ params.aws_conn_id }}",
        include="{{ params.include | tojson }}",
        max_cost="{{ params.max_order_cost }}",  # bounds the reorder of an expired order
        retries=2,
    )

    wait_for_collection >> find_products
