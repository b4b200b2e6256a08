"""A download from an order the API does not know: the task fails with the API's 404 NOT_FOUND."""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_capella.operators.download import DownloadProductsOperator

UNKNOWN_ORDER = "00000000-0000-4000-8000-000000000404"

with DAG(dag_id="lineage_failed_download", schedule=None, catchup=False) as dag:
    DownloadProductsOperator(
        task_id="download_unknown_order", order_id=UNKNOWN_ORDER, destination="s3://capella-imagery/never/"
    )
