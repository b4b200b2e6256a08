"""Task a Capella collection only after a person approved its quote in Airflow (human in the loop).

``create_tasking_request`` (without pre-approval: Capella prices it and holds it in ``review``) →
``get_quote`` (waits for the quote in the triggerer) → ``approve_quote`` (Airflow's human-in-the-loop
``HITLBranchOperator`` with the options Approve and Reject: the quote is shown in the UI's Required
Actions and a person picks one) → on Approve, ``approve_at_capella`` tells Capella, and
``wait_for_collection`` waits for the collection; on Reject (or no answer within
``response_timeout``: the default is Reject), ``reject_at_capella`` declines the request at Capella,
so nothing is charged. A branch rather than ``ApprovalOperator``, because Reject has work to do too:
a request left in review would stay open at Capella.

``max_cost`` is a hard ceiling on top of the person's approval: above it, ``get_quote`` rejects the
request at Capella and fails before anyone is asked.

Needs the standard provider's human-in-the-loop operators (Airflow 3.1+). Configuration: the
Airflow connection ``capella_default`` and the DAG params below.

Example::

    airflow dags trigger capella_tasking_with_approval --conf '{"name": "Harbour, weekly check"}'
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.providers.standard.operators.hitl import HITLBranchOperator
from airflow.sdk import DAG, Param

from airflow_provider_capella.operators.approval import (
    ApproveTaskingRequestOperator,
    RejectTaskingRequestOperator,
    TaskingQuoteOperator,
    hitl_response_timeout,
)
from airflow_provider_capella.operators.tasking import CreateTaskingRequestOperator
from airflow_provider_capella.sensors.tasking import TaskCompletedSensor

POLL_SECONDS = float(os.environ.get("CAPELLA_EXAMPLE_POLL_SECONDS", "300"))
PORT_OF_ROTTERDAM = {"type": "Point", "coordinates": [4.05, 51.95]}
QUOTE = "ti.xcom_pull(task_ids='get_quote')"

with DAG(
    dag_id="capella_tasking_with_approval",
    description="Task a collection after a person approved its quote in Airflow (human in the loop)",
    schedule=None,
    catchup=False,
    tags=["capella", "tasking", "approval", "human-in-the-loop"],
    doc_md=__doc__,
    params={
        "capella_conn_id": Param("capella_default", type="string", description="Capella connection"),
        "geometry": Param(PORT_OF_ROTTERDAM, type="object", description="GeoJSON Point or Polygon to task"),
        "name": Param("Port of Rotterdam (airflow approval example)", type="string"),
        "collection_tier": Param("standard", enum=["urgent", "priority", "standard", "flexible"]),
        "max_cost": Param(10000, type="number", minimum=0, description="hard ceiling on the quote"),
    },
) as dag:
    create_tasking_request = CreateTaskingRequestOperator(
        task_id="create_tasking_request",
        capella_conn_id="{{ params.capella_conn_id }}",
        geometry="{{ params.geometry | tojson }}",
        name="{{ params.name }}",
        collection_tier="{{ params.collection_tier }}",
        pre_approval=False,
        retries=2,
    )

    get_quote = TaskingQuoteOperator(
        task_id="get_quote",
        capella_conn_id="{{ params.capella_conn_id }}",
        tasking_request_id=create_tasking_request.output,
        max_cost="{{ params.max_cost }}",
        deferrable=True,
        poll_interval=POLL_SECONDS,
    )

    approve_quote = HITLBranchOperator(
        task_id="approve_quote",
        options=["Approve", "Reject"],
        options_mapping={"Approve": "approve_at_capella", "Reject": "reject_at_capella"},
        subject="Approve the Capella tasking quote for {{ params.name }}?",
        body=(
            "Tasking request `{{ " + QUOTE + "['tasking_request_id'] }}` is quoted at "
            "**{{ " + QUOTE + "['quote'] }}** ({{ params.collection_tier }} tier). Approve to have "
            "Capella collect it (billable), Reject to decline it at no charge."
        ),
        defaults="Reject",
        **hitl_response_timeout(timedelta(hours=23)),
    )

    approve_at_capella = ApproveTaskingRequestOperator(
        task_id="approve_at_capella",
        capella_conn_id="{{ params.capella_conn_id }}",
        tasking_request_id=create_tasking_request.output,
    )

    reject_at_capella = RejectTaskingRequestOperator(
        task_id="reject_at_capella",
        capella_conn_id="{{ params.capella_conn_id }}",
        tasking_request_id=create_tasking_request.output,
    )

    wait_for_collection = TaskCompletedSensor(
        task_id="wait_for_collection",
        capella_conn_id="{{ params.capella_conn_id }}",
        tasking_request_id=create_tasking_request.output,
        deferrable=True,
        poke_interval=POLL_SECONDS,
        timeout=timedelta(days=14).total_seconds(),
    )

    get_quote >> approve_quote >> [approve_at_capella, reject_at_capella]
    approve_at_capella >> wait_for_collection
