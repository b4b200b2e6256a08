"""DownloadProductsOperator on an expired order in real Airflow runs: reordered for free, or refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_provider_capella.hooks.capella import CapellaHook
from tests.operators.conftest import posts_to

DAG_SOURCE = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.download import DownloadProductsOperator

with DAG("expired_order", schedule=None) as dag:
    DownloadProductsOperator(task_id="if_free", order_id="{{ var.value.order_id }}",
                             destination="{{ var.value.dest }}/free", include=["metadata"])
    DownloadProductsOperator(task_id="never", order_id="{{ var.value.order_id }}",
                             destination="{{ var.value.dest }}/never", include=["metadata"],
                             reorder_expired="never")
"""


def test_an_expired_order_is_reordered_for_free_but_never_when_told_not_to(
    airflow_run: Any, capella_emulator: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    hook = CapellaHook()
    stac_ids = hook.search(product_type="GEO", limit=2, ids_only=True)
    order_id = hook.submit_order(stac_ids=stac_ids)
    capella_emulator._control("POST", f"/orders/{order_id}/expire")
    capella_emulator.clear_requests()
    monkeypatch.setenv("AIRFLOW_VAR_ORDER_ID", order_id)
    monkeypatch.setenv("AIRFLOW_VAR_DEST", str(tmp_path))

    run = airflow_run("expired_order", DAG_SOURCE)

    assert run.states == {"if_free": "success", "never": "failed"}
    assert sorted(run.xcom("if_free")) == sorted(stac_ids)
    assert len(posts_to(capella_emulator, "/orders")) == 1, "one free reorder, by the if_free task only"
    assert not (tmp_path / "never").exists()
