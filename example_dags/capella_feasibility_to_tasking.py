"""Check that a target can be imaged, task it within a cost limit, wait for it, land the products in S3.

``check_feasibility`` (an access request: which passes can image the target in the window? Not
billable; deferrable; when there is none the rest of the run is skipped) → ``create_tasking_request``
(created without pre-approval; the task waits for the quote, in the triggerer, and approves it only
when it is at most ``max_cost``, otherwise it rejects it and fails with the quote) →
``wait_for_collection`` (deferrable) → ``find_products`` → ``order_products`` (reviewed first and
placed only within ``max_order_cost``) → ``download_to_s3``
(``s3://<bucket>/<prefix>/<tasking request id>/<STAC id>/...``).

Configuration: the Airflow connections ``capella_default`` (API key) and ``aws_default`` (S3), and
the DAG params below (defaults work against the emulator ``make demo`` starts). Limits are plain
numbers in the currency of Capella's quotes. The waits poll every ``CAPELLA_EXAMPLE_POLL_SECONDS``
seconds (environment of the Airflow processes; default 300).

Example::

    airflow dags test capella_feasibility_to_tasking --conf '{"max_cost": 4000, "bucket": "my-bucket"}'
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import DAG, Param

from airflow_provider_capella.operators.download import DownloadProductsOperator
from airflow_provider_capella.operators.feasibility import CheckFeasibilityOperator
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.search import CapellaSearchOperator
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator
from airflow_provider_capella.sensors.tasking import TaskCompletedSensor

POLL_SECONDS = float(os.environ.get("CAPELLA_EXAMPLE_POLL_SECONDS", "300"))
PORT_OF_ROTTERDAM = {"type": "Point", "coordinates": [4.05, 51.95]}
WINDOW_OPEN = "{{ data_interval_end | ts }}"
WINDOW_CLOSE = "{{ (data_interval_end + macros.timedelta(days=params.window_days)) | ts }}"

with DAG(
    dag_id="capella_feasibility_to_tasking",
    description="Feasibility check, cost-guarded tasking, deferrable wait, products landed in S3",
    schedule=None,
    catchup=False,
    tags=["capella", "feasibility", "tasking", "s3"],
    doc_md=__doc__,
    params={
        "capella_conn_id": Param("capella_default", type="string", description="Capella connection"),
        "aws_conn_id": Param("aws_default", type="string", description="AWS connection for the bucket"),
        "geometry": Param(PORT_OF_ROTTERDAM, type="object", description="GeoJSON Point or Polygon to task"),
        "name": Param("Port of Rotterdam (airflow feasibility example)", type="string"),
        "window_days": Param(7, type="integer", minimum=7, description="days the window stays open"),
        "off_nadir_max": Param(45, type="number", description="steepest off-nadir angle accepted"),
        "max_cost": Param(4000, type="number", minimum=0, description="most the collection may cost"),
        "max_order_cost": Param(2000, type="number", minimum=0, description="most the order may cost"),
        "product_types": Param(["GEO"], type="array", description="products to order"),
        "include": Param(["raster", "metadata"], type="array", description="asset keys to download"),
        "bucket": Param("capella-imagery", type="string", description="S3 bucket to land products in"),
        "prefix": Param("feasibility", type="string", description="key prefix inside the bucket"),
    },
) as dag:
    check_feasibility = CheckFeasibilityOperator(
        task_id="check_feasibility",
        capella_conn_id="{{ params.capella_conn_id }}",
        geometry="{{ params.geometry | tojson }}",
        window_open=WINDOW_OPEN,
        window_close=WINDOW_CLOSE,
        name="{{ params.name }}",
        constraints="{{ {'off_nadir_max': params.off_nadir_max} | tojson }}",
        skip_if_infeasible=True,
        deferrable=True,
        poll_interval=POLL_SECONDS,
    )

    create_tasking_request = CreateTaskingRequestOperator(
        task_id="create_tasking_request",
        capella_conn_id="{{ params.capella_conn_id }}",
        geometry="{{ params.geometry | tojson }}",
        name="{{ params.name }}",
        window_open=WINDOW_OPEN,
        window_close=WINDOW_CLOSE,
        request_options="{{ {'off_nadir_max': params.off_nadir_max} | tojson }}",
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

    check_feasibility >> create_tasking_request
    wait_for_collection >> find_products
