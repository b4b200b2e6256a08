"""Backfill historical Capella imagery into S3, one day per run, partitioned by date.

Every run searches the archive over an area of interest within the run's data interval (one day),
orders what it found and downloads it, one mapped task per product, into
``s3://<bucket>/<prefix>/<YYYY-MM-DD>/<STAC id>/...``. Re-running any interval is safe: the order is
reused (an active order already holding the products is found instead of paying again) and files
already in S3 are skipped, so nothing is ordered or downloaded twice. A day without imagery succeeds
with nothing to order.

The schedule is ``@daily`` with data intervals (the run of day D searches D 00:00 to D+1 00:00 UTC)
and ``catchup=True``: unpaused, the DAG fetches every day from ``start_date`` to ``end_date`` by
itself, here the three days 2024-04-01..03 (the emulator's archive images Rotterdam on the 2nd and
3rd; the 1st has nothing). Widen that window to the history you want, or backfill any range, whatever
the window, with ``airflow backfill create`` (the DAG must be unpaused for backfill runs to start)::

    airflow backfill create --dag-id capella_archive_backfill --from-date 2024-04-01 --to-date 2024-04-30
    airflow backfill create --dag-id capella_archive_backfill --from-date 2024-04-01 --to-date 2024-04-03 \\
        --reprocess-behavior completed      # runs those days again: orders and downloads nothing new

What widening the window costs: every run orders one day of imagery, so a window of N days places up
to N orders, each as large as that day's archive over the area (the emulator prices a GEO product at
$500; a year over a busy port is hundreds of products). Two bounds stop a backfill from spending more
than you meant:

- the param ``max_order_cost`` (default 2500, in the quote's currency): each day's order is reviewed
  first (``POST /orders/review``) and placed only when its quote is at most this; above it the
  ``order`` task fails with the quote and nothing is ordered (no retry: the quote would not change);
- the deployment's cap ``[capella] max_order_cost`` (e.g. ``AIRFLOW__CAPELLA__MAX_ORDER_COST=500``),
  which every DAG obeys and a param can only lower. See the "Cost safety" page.

A day refused by either fails alone; the other days still run. Raise the param for that run
(``--conf '{"max_order_cost": 5000}'``) once you have decided to pay.

Configuration: the connections ``capella_default`` and ``aws_default``, and the DAG params below
(the defaults work against the emulator).
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import DAG, Param

try:
    from airflow.sdk import CronDataIntervalTimetable
except ImportError:  # Airflow 3.1
    from airflow.timetables.interval import CronDataIntervalTimetable  # type: ignore[no-redef,assignment]

from airflow_provider_capella.operators.download import DownloadProductsOperator
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.search import CapellaSearchOperator

PORT_OF_ROTTERDAM_BBOX = [3.9, 51.85, 4.2, 52.05]

with DAG(
    dag_id="capella_archive_backfill",
    description="Daily archive search over an AOI, ordered and downloaded into date partitions in S3",
    # "@daily" with data intervals: the run of day D searches [D 00:00, D+1 00:00) UTC. (A plain
    # schedule="@daily" means CronTriggerTimetable in Airflow 3: runs without a data interval.)
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=datetime(2024, 4, 1, tzinfo=timezone.utc),
    end_date=datetime(2024, 4, 3, tzinfo=timezone.utc),
    catchup=True,
    max_active_runs=4,
    tags=["capella", "archive", "backfill", "s3"],
    doc_md=__doc__,
    params={
        "capella_conn_id": Param("capella_default", type="string", description="Capella connection"),
        "aws_conn_id": Param("aws_default", type="string", description="AWS connection for the bucket"),
        "bbox": Param(PORT_OF_ROTTERDAM_BBOX, type="array", description="[west, south, east, north]"),
        "product_types": Param(["GEO"], type="array", description="product types to order"),
        "max_order_cost": Param(
            2500, type="number", minimum=0, description="most one day's order may cost (quote's currency)"
        ),
        "include": Param(["raster", "metadata"], type="array", description="asset keys to download"),
        "bucket": Param("capella-imagery", type="string", description="S3 bucket"),
        "prefix": Param("archive/rotterdam", type="string", description="key prefix; the day follows"),
    },
) as dag:
    search_archive = CapellaSearchOperator(
        task_id="search_archive",
        capella_conn_id="{{ params.capella_conn_id }}",
        bbox="{{ params.bbox | tojson }}",
        datetime="{{ data_interval_start | ts }}/{{ data_interval_end | ts }}",
        filters="{{ {'product_type__in': params.product_types} | tojson }}",
        sortby="datetime",
    )

    order = SubmitOrderOperator(
        task_id="order",
        capella_conn_id="{{ params.capella_conn_id }}",
        stac_ids=search_archive.output,
        max_cost="{{ params.max_order_cost }}",
        retries=2,
    )

    DownloadProductsOperator.partial(
        task_id="download_product",
        capella_conn_id="{{ params.capella_conn_id }}",
        order_id=order.output,
        # the day searched; the same as {{ ds }} in scheduled and backfill runs
        destination="s3://{{ params.bucket }}/{{ params.prefix }}/{{ data_interval_start | ds }}/",
        aws_conn_id="{{ params.aws_conn_id }}",
        include="{{ params.include | tojson }}",
        max_cost="{{ params.max_order_cost }}",  # bounds the reorder of an expired order too
        map_index_template="{{ task.items }}",
        retries=2,
    ).expand(items=search_archive.output)
