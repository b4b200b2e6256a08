"""Repeat requests end to end, and a DAG that runs whenever new Capella imagery lands.

``capella_repeat_monitoring`` walks a repeat request's lifecycle:

1. ``create_repeat_request``: retry-safe, a retry finds the request an earlier try created; it waits
   for the quote in review and approves the series when one collection costs at most
   ``max_cost_per_image`` (otherwise it rejects it and fails with the quote);
2. ``watch_derived_requests``: ``DerivedRequestsSensor`` in reschedule mode (no worker slot is held
   between checks), done once the series has derived ``derived_requests_to_watch`` tasking requests;
   it returns their statuses (and fails at once if the series ends short of them);
3. ``update_repeat_request``: records what was seen in the request's ``customAttribute1``;
4. ``cancel_repeat_request``: a teardown, so it runs even when watching fails and a failed run never
   leaves a billable series behind.

``capella_new_imagery`` is scheduled on the asset alias ``capella-imagery``: every
``DownloadProductsOperator`` announces each file it writes through it (here: ``capella_tasking_to_s3``
and ``capella_archive_backfill``), so this DAG runs once new files have landed. It collects the STAC
ids of the new products from the triggering asset events and writes their STAC items as one GeoJSON
FeatureCollection to ``s3://<bucket>/catalog/``. Triggered by hand, it catalogs the ``stac_ids`` param.

Configuration: the connections ``capella_default`` and ``aws_default``, and the DAG params below. The
sensor checks every ``CAPELLA_EXAMPLE_POLL_SECONDS`` seconds (default 300).

Example::

    airflow dags test capella_repeat_monitoring --conf '{"repetition_interval": 1}'
    airflow dags test capella_new_imagery --conf '{"stac_ids": ["CAPELLA_C13_SP_GEO_HH_..."]}'
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, AssetAlias, Param, task

try:
    from airflow.sdk.exceptions import AirflowSkipException
except ImportError:  # Airflow 3.1
    from airflow.exceptions import AirflowSkipException  # type: ignore[no-redef]

from airflow_provider_capella.operators.download import DEFAULT_ASSET_ALIAS
from airflow_provider_capella.operators.repeat import (
    CancelRepeatRequestsOperator,
    CreateRepeatRequestOperator,
    UpdateRepeatRequestsOperator,
)
from airflow_provider_capella.operators.search import CapellaSearchOperator
from airflow_provider_capella.sensors.repeat import DerivedRequestsSensor

POLL_SECONDS = float(os.environ.get("CAPELLA_EXAMPLE_POLL_SECONDS", "300"))
PORT_OF_ROTTERDAM = {"type": "Point", "coordinates": [4.05, 51.95]}


with DAG(
    dag_id="capella_repeat_monitoring",
    description="A Capella repeat request's lifecycle: create, watch derived requests, update, cancel",
    schedule=None,
    catchup=False,
    tags=["capella", "tasking", "repeat"],
    doc_md=__doc__,
    params={
        "capella_conn_id": Param("capella_default", type="string", description="Capella connection"),
        "geometry": Param(
            PORT_OF_ROTTERDAM, type="object", description="GeoJSON Point (no repeat tasking of areas)"
        ),
        "name": Param("Port of Rotterdam weekly (airflow example)", type="string"),
        "repetition_interval": Param(7, type="integer", minimum=1, description="days between collects"),
        "repetition_count": Param(4, type="integer", minimum=1, description="collects in the series"),
        "derived_requests_to_watch": Param(2, type="integer", minimum=1),
        "max_cost_per_image": Param(
            5000, type="number", minimum=0, description="most one collection may cost (USD)"
        ),
    },
) as repeat_monitoring:
    create_repeat_request = CreateRepeatRequestOperator(
        task_id="create_repeat_request",
        capella_conn_id="{{ params.capella_conn_id }}",
        geometry="{{ params.geometry | tojson }}",
        name="{{ params.name }}",
        repetition_interval="{{ params.repetition_interval }}",
        repetition_count="{{ params.repetition_count }}",
        max_cost_per_image="{{ params.max_cost_per_image }}",
        poll_interval=POLL_SECONDS,
        retries=2,
    )

    watch_derived_requests = DerivedRequestsSensor(
        task_id="watch_derived_requests",
        capella_conn_id="{{ params.capella_conn_id }}",
        repeat_request_id=create_repeat_request.output,
        count="{{ params.derived_requests_to_watch }}",
        mode="reschedule",
        poke_interval=POLL_SECONDS,
        timeout=timedelta(days=60).total_seconds(),
    )

    update_repeat_request = UpdateRepeatRequestsOperator(
        task_id="update_repeat_request",
        capella_conn_id="{{ params.capella_conn_id }}",
        repeat_request_ids=create_repeat_request.output,
        custom_attribute_1="airflow watched {{ ti.xcom_pull(task_ids='watch_derived_requests') | length }}",
    )

    cancel_repeat_request = CancelRepeatRequestsOperator(
        task_id="cancel_repeat_request",
        capella_conn_id="{{ params.capella_conn_id }}",
        repeat_request_ids=create_repeat_request.output,
    )

    watch_derived_requests >> update_repeat_request
    update_repeat_request >> cancel_repeat_request.as_teardown(setups=create_repeat_request)


with DAG(
    dag_id="capella_new_imagery",
    description="Runs on new Capella imagery (asset events); catalogs the new products' STAC items in S3",
    schedule=AssetAlias(DEFAULT_ASSET_ALIAS),
    catchup=False,
    tags=["capella", "assets"],
    doc_md=__doc__,
    params={
        "capella_conn_id": Param("capella_default", type="string", description="Capella connection"),
        "aws_conn_id": Param("aws_default", type="string", description="AWS connection for the bucket"),
        "bucket": Param("capella-imagery", type="string", description="S3 bucket of the catalog"),
        "stac_ids": Param([], type="array", description="manual runs: STAC ids to catalog"),
    },
) as new_imagery:

    @task
    def new_products(triggering_asset_events: Any = None, params: dict[str, Any] | None = None) -> list[str]:
        """STAC ids of the products whose files the triggering asset events announce (or ``stac_ids``)."""
        stac_ids = set((params or {}).get("stac_ids") or [])
        for events in (triggering_asset_events or {}).values():
            for event in events:
                stac_id = (event.extra or {}).get("stac_id")
                if stac_id:
                    stac_ids.add(stac_id)
        if not stac_ids:
            raise AirflowSkipException(
                "No new imagery: no asset events with a stac_id, and no stac_ids param"
            )
        print(f"{len(stac_ids)} new product(s): {sorted(stac_ids)}")
        return sorted(stac_ids)

    CapellaSearchOperator(
        task_id="catalog_new_imagery",
        capella_conn_id="{{ params.capella_conn_id }}",
        ids=new_products(),
        destination="s3://{{ params.bucket }}/catalog/{{ dag_run.run_after | ts_nodash }}.geojson",
        aws_conn_id="{{ params.aws_conn_id }}",
    )
