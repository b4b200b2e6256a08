"""What the operators record, seen where a user sees it: Asset event extras of a ``dag.test()`` run, and
the facets the OpenLineage provider would get from a search that wrote its matches to a file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.lineage.record import LineageRecord, ProductFacts, tasking_request_ids_of_order
from airflow_provider_capella.operators.search import CapellaSearchOperator

TO_DISK = """
from airflow.sdk import DAG
from airflow_provider_capella.operators.download import DownloadProductsOperator

with DAG("lineage_to_disk", schedule=None) as dag:
    DownloadProductsOperator(task_id="download", items="{{ var.value.stac_id }}",
                             destination="{{ var.value.dest }}", include=["raster", "metadata"])
"""


def test_asset_events_of_a_local_download_carry_product_order_size_and_sha256(
    airflow_run: Any, capella_emulator: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    item = CapellaHook().search(collections=["capella-geo"], limit=1)[0]
    monkeypatch.setenv("AIRFLOW_VAR_STAC_ID", item["id"])
    monkeypatch.setenv("AIRFLOW_VAR_DEST", str(tmp_path))

    run = airflow_run("lineage_to_disk", TO_DISK)

    assert run.states == {"download": "success"}
    order_id = run.xcom("download", key="capella_order_id")
    paths = run.xcom("download")[item["id"]]
    extras = {event["uri"]: event["extra"] for event in run.asset_events()}
    assert sorted(extras) == sorted(f"file://{path}" for path in paths.values())
    for asset_key, path in paths.items():
        body = Path(path).read_bytes()
        assert extras[f"file://{path}"] == {
            "stac_id": item["id"],
            "asset_key": asset_key,
            "product_type": item["properties"]["sar:product_type"],
            "collect_id": item["properties"]["capella:collect_id"],
            "order_id": order_id,
            "size": len(body),
            "checksum": "sha256:" + hashlib.sha256(body).hexdigest(),
            "verified": True,  # against the product's digest, as the download checked it
            "uri": f"file://{path}",
        }


def test_a_search_written_to_a_file_reports_every_match_and_the_file(
    capella_connection: Any, capella_emulator: Any, tmp_path: Path
) -> None:
    output = tmp_path / "found.geojson"
    search = CapellaSearchOperator(
        task_id="search", collections=["capella-geo"], limit=3, destination=str(output)
    )

    search.execute({})  # type: ignore[arg-type]
    lineage = search.get_openlineage_facets_on_complete(None)

    matched = CapellaHook().search(collections=["capella-geo"], limit=3, ids_only=True)
    host = capella_emulator.url.split("://", 1)[1].rstrip("/")
    assert [(dataset.namespace, dataset.name) for dataset in lineage.inputs] == [
        (f"capella://{host}", stac_id) for stac_id in matched
    ]
    assert all(dataset.facets["capellaProduct"].productType == "GEO" for dataset in lineage.inputs)
    [written] = lineage.outputs
    assert written.namespace.startswith("file://") and written.name == str(output)
    body = output.read_bytes()
    assert written.outputFacets["outputStatistics"].size == len(body)
    assert written.facets["capellaFile"].checksum == hashlib.sha256(body).hexdigest()
    assert lineage.run_facets["capella"].matchedItems == 3


def test_an_order_names_the_tasking_request_of_each_item() -> None:
    # the shape of a real POST /orders answer (CAPELLA_API.md, "Orders"); the emulator leaves it out
    order = {
        "orderId": "5f1c0d6e-0000-4000-8000-000000000001",
        "items": [
            {"granuleId": "CAPELLA_C13_SP_GEO_HH_1", "collectId": "c-1", "taskingRequestId": "t-1"},
            {"granuleId": "CAPELLA_C13_SP_SLC_HH_1", "collectId": "c-1", "taskingRequestId": "t-1"},
            {"granuleId": "CAPELLA_C05_SM_GEO_VV_2", "collectId": "c-2"},
        ],
    }
    record = LineageRecord()
    record.add_products([ProductFacts(stac_id=line["granuleId"]) for line in order["items"]])

    record.add_tasking_request_ids(tasking_request_ids_of_order(order))

    assert [record.product(line["granuleId"]).tasking_request_id for line in order["items"]] == [
        "t-1",
        "t-1",
        None,
    ]
