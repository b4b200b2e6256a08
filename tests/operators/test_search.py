"""CapellaSearchOperator in real Airflow runs: templated filters; ids, capped items, or a file (disk, S3)."""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_capella.hooks.capella import CapellaHook

INTERVAL_SEARCH = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.search import CapellaSearchOperator

with DAG("search_interval", schedule="@monthly", start_date=None, catchup=False,
         params={"limit": 500}) as dag:
    CapellaSearchOperator(
        task_id="search",
        datetime="{{ data_interval_start | ts }}/{{ data_interval_end | ts }}",
        filters='{"collections": ["capella-geo"], "limit": {{ params.limit }}}',
        sortby="-datetime",
    )
"""


def test_search_renders_the_data_interval_and_returns_stac_ids(airflow_run: Any) -> None:
    run = airflow_run("search_interval", INTERVAL_SEARCH)

    assert run.states == {"search": "success"}
    start, end = run.dag_run.data_interval_start, run.dag_run.data_interval_end
    assert start < end
    expected = CapellaHook().search(
        datetime=f"{start.isoformat()}/{end.isoformat()}", collections=["capella-geo"], sortby="-datetime"
    )
    ids = run.xcom("search")
    assert ids == [item["id"] for item in expected]
    assert ids, "a month of the synthetic archive holds GEO products"


ITEMS_SEARCH = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.search import CapellaSearchOperator

with DAG("search_items", schedule=None, params={"aoi": [3.5, 51.5, 4.5, 52.5]}) as dag:
    CapellaSearchOperator(task_id="small", bbox="{{ params.aoi }}", limit=3, return_items=True)
    CapellaSearchOperator(task_id="too_many", limit=5, return_items=True, max_returned_items=4)
    CapellaSearchOperator(task_id="to_file", limit=7, destination="{{ var.value.get('out', '') }}",
                          filters={"product_type": "SLC"})
"""


def test_items_are_returned_up_to_the_cap_and_written_whole_to_a_file(
    airflow_run: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    target = tmp_path / "searches" / "slc.geojson"
    monkeypatch.setenv("AIRFLOW_VAR_OUT", str(target))

    run = airflow_run("search_items", ITEMS_SEARCH)

    assert run.states == {"small": "success", "too_many": "failed", "to_file": "success"}
    items = run.xcom("small")
    assert len(items) == 3 and all(item["type"] == "Feature" for item in items)
    assert all(_inside([3.5, 51.5, 4.5, 52.5], item["bbox"]) for item in items)
    assert run.xcom("to_file") == str(target)
    written = json.loads(target.read_text())
    assert written["type"] == "FeatureCollection"
    assert len(written["features"]) == 7
    assert {feature["properties"]["sar:product_type"] for feature in written["features"]} == {"SLC"}


S3_SEARCH = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.search import CapellaSearchOperator

with DAG("search_to_s3", schedule=None) as dag:
    CapellaSearchOperator(task_id="search", limit=4,
                          destination="s3://{{ var.value.bucket }}/searches/{{ ds }}.geojson")
"""


def test_a_search_can_be_written_to_s3(airflow_run: Any, s3: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_BUCKET", s3.name)

    run = airflow_run("search_to_s3", S3_SEARCH)

    assert run.states == {"search": "success"}
    assert run.xcom("search") == f"s3://{s3.name}/searches/2024-03-01.geojson"
    body = s3.client.get_object(Bucket=s3.name, Key="searches/2024-03-01.geojson")["Body"].read()
    assert len(json.loads(body)["features"]) == 4


def _inside(outer: list[float], inner: list[float]) -> bool:
    """Whether two bboxes intersect (a bbox search matches items touching it)."""
    return not (inner[2] < outer[0] or inner[0] > outer[2] or inner[3] < outer[1] or inner[1] > outer[3])


CUT_SEARCH = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.search import CapellaSearchOperator

with DAG("search_cut", schedule=None) as dag:
    CapellaSearchOperator(task_id="default_limit")
    CapellaSearchOperator(task_id="given_limit", collections=["capella-geo"], limit=7,
                          destination="{{ var.value.out }}")
    CapellaSearchOperator(task_id="whole", collections=["capella-geo"], limit=10000)
"""


def test_a_search_cut_by_its_limit_warns_with_both_numbers_and_says_how_many_matched(
    airflow_run: Any, tmp_path: Any, monkeypatch: Any, capfd: Any
) -> None:
    target = tmp_path / "cut.geojson"
    monkeypatch.setenv("AIRFLOW_VAR_OUT", str(target))
    hook = CapellaHook()
    hook.search(limit=1)
    everything = hook.last_search_matched
    hook.search(limit=1, collections=["capella-geo"])
    geo = hook.last_search_matched
    assert everything is not None and everything > 500 and geo is not None and 7 < geo < 10_000

    capfd.readouterr()
    run = airflow_run("search_cut", CUT_SEARCH)
    out, err = capfd.readouterr()

    assert run.states == {"default_limit": "success", "given_limit": "success", "whole": "success"}
    assert len(run.xcom("default_limit")) == 500
    assert run.xcom("default_limit", key="capella_search_matched") == everything
    assert run.xcom("given_limit", key="capella_search_matched") == geo
    assert run.xcom("whole", key="capella_search_matched") == geo == len(run.xcom("whole"))
    written = json.loads(target.read_text())
    assert (written["numberMatched"], written["numberReturned"], len(written["features"])) == (geo, 7, 7)
    warnings = [line for line in (out + err).splitlines() if "results were cut" in line]
    assert any(f"{everything} item(s) matched but 500 were returned" in text for text in warnings), warnings
    assert any(f"{geo} item(s) matched but 7 were returned" in text for text in warnings), warnings
    assert all("raise `limit`" in text for text in warnings), warnings
    assert len(warnings) == 2  # the search that got every match is silent
