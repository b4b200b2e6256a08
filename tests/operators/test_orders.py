"""SubmitOrderOperator in real Airflow runs: one order reused across runs, a skip when nothing matched."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tests.operators.conftest import posts_to

ORDER = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.search import CapellaSearchOperator

with DAG("order_reuse", schedule=None) as dag:
    found = CapellaSearchOperator(task_id="search", collections=["capella-geo"], sortby="id", limit=2)
    SubmitOrderOperator(task_id="order", stac_ids=found.output)
    nothing = CapellaSearchOperator(task_id="search_nothing", datetime="2001-01-01/2001-01-02")
    SubmitOrderOperator(task_id="order_nothing", stac_ids=nothing.output)
"""


def test_an_active_order_holding_the_items_is_reused_and_nothing_to_order_skips(
    airflow_run: Any, capella_emulator: Any
) -> None:
    first = airflow_run("order_reuse", ORDER)
    second = airflow_run("order_reuse", ORDER, logical_date=datetime(2024, 3, 2, tzinfo=timezone.utc))

    expected = {
        "search": "success",
        "order": "success",
        "search_nothing": "success",
        "order_nothing": "skipped",
    }
    assert first.states == expected
    assert second.states == expected
    order_id = first.xcom("order")
    assert second.xcom("order") == order_id
    assert len(posts_to(capella_emulator, "/orders")) == 1, (
        "the second run reused the active order instead of paying again"
    )
    assert first.xcom("order", key="_link_CapellaOrderLink") == (
        f"https://console.capellaspace.com/orders/{order_id}"
    )
