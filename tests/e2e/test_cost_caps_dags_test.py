"""The deployment's cost cap in a running DAG: ``airflow dags test`` of the archive backfill example with
``AIRFLOW__CAPELLA__MAX_ORDER_COST`` in its environment fails the ``order`` task with the cap's message
and places nothing, although the DAG's own ``max_order_cost`` param (2500) would allow the order."""

from __future__ import annotations

import pytest

from dev.stack import StackError
from tests.e2e.local_world import ANSI_CODES, RUN_FINISHED, LocalWorld

pytestmark = pytest.mark.e2e


def test_the_settings_cap_stops_a_backfill_day_before_it_orders(local_world: LocalWorld) -> None:
    local_world.clear_emulator_requests()
    local_world.emulator_settings(free_products_priced=True)  # the day's shared GEO product: $500
    local_world.env["AIRFLOW__CAPELLA__MAX_ORDER_COST"] = "100"
    try:
        # the data interval 2024-04-02 (the one a manual run inside the DAG's end_date can reach)
        with pytest.raises(StackError, match="exited with code"):  # the run failed
            local_world.airflow("dags", "test", "capella_archive_backfill", "2024-04-03")
    finally:
        del local_world.env["AIRFLOW__CAPELLA__MAX_ORDER_COST"]
        local_world.emulator_settings(free_products_priced=False)

    log_path = local_world.stack.log_dir / f"airflow-{local_world.runs}-dags-test.log"  # type: ignore[operator]
    log = ANSI_CODES.sub("", log_path.read_text(errors="replace"))
    finished = [match.group(2) for match in RUN_FINISHED.finditer(log)]
    assert finished == ["failed"], log[-6000:]
    assert "above [capella] max_order_cost=100" in log and "nothing was ordered" in log
    assert "max_cost=2500 is above the deployment's cap [capella] max_order_cost=100" in log
    assert local_world.emulator_requests("/orders/review", "POST")
    assert local_world.emulator_requests("/orders", "POST") == []
    assert local_world.s3_objects("archive/rotterdam/2024-04-02/") == {}
