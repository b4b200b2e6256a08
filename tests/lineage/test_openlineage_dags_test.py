"""OpenLineage events of real ``airflow dags test`` runs (emulator + moto S3), from the file transport."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from typing import Any
from urllib.parse import urlsplit

import pytest

from dev.stack import airflow_command
from tests.e2e.local_world import BUCKET, LocalWorld
from tests.lineage.conftest import EVENTS_FILE
from tests.lineage.environments import (
    asset_event_extras,
    finished_states,
    names,
    read_events,
    run_to_end,
    task_events,
)

pytestmark = pytest.mark.e2e

DAG_ID = "capella_tasking_to_s3"


def only(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(events) == 1, events
    return events[0]


def checksum_matches(world: LocalWorld, key: str, algorithm: str, value: str) -> bool:
    """The checksum lineage reported is the one of the object's bytes (S3's CRC32 or SHA-256 of the whole
    object, or its single-part ETag, the MD5), or, for a multipart object, S3's own composite value."""
    body = world.s3_bytes(key)
    by_bytes = {
        "s3:etag": hashlib.md5(body, usedforsecurity=False).hexdigest(),
        "s3:crc32": base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode(),
        "s3:sha256": base64.b64encode(hashlib.sha256(body).digest()).decode(),
    }
    if "-" not in value and algorithm in by_bytes:
        return value == by_bytes[algorithm]
    head = world.services.s3_client().head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    field = {"s3:etag": "ETag", "s3:crc32": "ChecksumCRC32", "s3:crc32c": "ChecksumCRC32C"}.get(algorithm, "")
    return bool(field) and str(head.get(field, "")).strip('"') == value


def test_tasking_to_s3_names_the_items_ordered_and_the_objects_written(lineage_world: LocalWorld) -> None:
    lineage_world.dags_test(DAG_ID)

    events = read_events(lineage_world.home / EVENTS_FILE)
    capella = "capella://" + urlsplit(lineage_world.services.emulator_url).netloc
    order_done = only(task_events(events, f"{DAG_ID}.order_products", "COMPLETE"))
    order_id = order_done["run"]["facets"]["capella"]["orderId"]
    order = lineage_world.emulator_api("GET", f"/orders/{order_id}")
    ordered = sorted((capella, item["granuleId"]) for item in order["items"])
    objects = lineage_world.s3_objects("tasking/")
    written = sorted((f"s3://{BUCKET}", key) for key in objects)
    assert len(ordered) == 2 and len(written) == 6

    # the order: START names the ids it was given, COMPLETE the same items, described by the catalog
    order_start = only(task_events(events, f"{DAG_ID}.order_products", "START"))
    assert names(order_start["inputs"]) == names(order_done["inputs"]) == ordered
    assert order_done["outputs"] == []
    assert order_done["run"]["facets"]["capella"]["consoleUrl"].endswith(f"/orders/{order_id}")
    assert order_done["run"]["facets"]["capella"]["orderReused"] is False
    paid = order_done["run"]["facets"]["capella"]["cost"]
    assert paid["basis"] == "paid" and re.fullmatch(r"\d+(\.\d+)? USD", paid["amount"]), paid

    # the download: the items of the order in, exactly the objects written out
    download_start = only(task_events(events, f"{DAG_ID}.download_to_s3", "START"))
    download_done = only(task_events(events, f"{DAG_ID}.download_to_s3", "COMPLETE"))
    assert names(download_start["inputs"]) == names(download_done["inputs"]) == ordered
    assert names(download_done["outputs"]) == written
    assert download_start["outputs"] == []
    for output in download_done["outputs"]:
        stored = objects[output["name"]]
        file = output["facets"]["capellaFile"]
        assert output["outputFacets"]["outputStatistics"]["size"] == file["size"] == stored["size"]
        assert checksum_matches(lineage_world, output["name"], file["checksumAlgorithm"], file["checksum"])
        version = output["facets"]["version"]["datasetVersion"]
        assert version == f"{file['checksumAlgorithm']}:{file['checksum']}"
        assert file["stacId"] == output["name"].split("/")[2]

    # every input carries the catalog's facts, tied to the collect the sensor reported
    sensor_done = only(task_events(events, f"{DAG_ID}.wait_for_collection", "COMPLETE"))
    collect_ids = sensor_done["run"]["facets"]["capella"]["collectIds"]
    for dataset in download_done["inputs"]:
        product = dataset["facets"]["capellaProduct"]
        assert product["stacId"] == dataset["name"]
        assert product["productType"] in {"GEO", "SLC"}
        assert product["collectId"] in collect_ids
        assert product["acquisitionTime"].startswith("20")
        assert product["footprint"]["type"] == "Polygon"

    # the tasking request: its id, the cost the API quoted, the console link
    task_done = only(task_events(events, f"{DAG_ID}.create_tasking_request", "COMPLETE"))
    facet = task_done["run"]["facets"]["capella"]
    request = lineage_world.emulator_api("GET", f"/task/{facet['taskingRequestId']}")
    assert facet["cost"] == {"amount": request["properties"]["order"]["summary"]["total"], "basis": "quoted"}
    assert facet["consoleUrl"].endswith(f"/tasking/{facet['taskingRequestId']}")
    assert sensor_done["run"]["facets"]["capella"]["taskingRequestId"] == facet["taskingRequestId"]
    assert all(key.split("/")[1] == facet["taskingRequestId"] for key in objects)
    # ... and each product names it too (the order's items say which request they came from)
    assert {
        dataset["facets"]["capellaProduct"]["taskingRequestId"] for dataset in download_done["inputs"]
    } == {facet["taskingRequestId"]}

    # the Asset events say the same, small: no footprint, no API call needed downstream
    products = {dataset["name"]: dataset["facets"]["capellaProduct"] for dataset in download_done["inputs"]}
    files = {output["name"]: output["facets"]["capellaFile"] for output in download_done["outputs"]}
    extras = asset_event_extras(lineage_world)
    assert sorted(extras) == [f"s3://{BUCKET}/{key}" for key in sorted(objects)]
    for uri, extra in extras.items():
        key = uri.split("/", 3)[3]
        product = products[files[key]["stacId"]]
        assert extra == {
            "stac_id": product["stacId"],
            "asset_key": files[key]["assetKey"],
            "product_type": product["productType"],
            "collect_id": product["collectId"],
            "tasking_request_id": facet["taskingRequestId"],
            "order_id": order_id,
            "size": objects[key]["size"],
            "checksum": f"{files[key]['checksumAlgorithm']}:{files[key]['checksum']}",
            "verified": True,  # raster, metadata, thumbnail: each listed by the product's digest
            "uri": uri,
        }
        assert len(json.dumps(extra)) < 600


def test_a_failed_call_reports_the_api_status_code_and_message(lineage_world: LocalWorld) -> None:
    command = airflow_command("dags", "test", "lineage_failed_download")
    _, log = run_to_end(lineage_world, "failed-download", command, lineage_world.env)
    assert finished_states(log, "lineage_failed_download") == ["failed"], log[-4000:]

    events = read_events(lineage_world.home / EVENTS_FILE)
    failed = only(task_events(events, "lineage_failed_download.download_unknown_order", "FAIL"))
    error = failed["run"]["facets"]["capellaError"]
    assert (error["status"], error["code"], error["errorType"]) == (404, "NOT_FOUND", "CapellaNotFoundError")
    assert "00000000-0000-4000-8000-000000000404" in error["message"]
    assert failed["run"]["facets"]["capella"]["orderId"] == "00000000-0000-4000-8000-000000000404"
    assert failed["outputs"] == []


def test_repeat_monitoring_reports_the_repeat_request_its_estimate_and_the_ids_acted_on(
    lineage_world: LocalWorld,
) -> None:
    lineage_world.dags_test(
        "capella_repeat_monitoring", conf={"repetition_interval": 1, "repetition_count": 100}
    )

    events = read_events(lineage_world.home / EVENTS_FILE)
    created = only(task_events(events, "capella_repeat_monitoring.create_repeat_request", "COMPLETE"))
    facet = created["run"]["facets"]["capella"]
    repeat = lineage_world.emulator_api("GET", f"/repeat-requests/{facet['repeatRequestId']}")
    estimate = repeat["properties"]["costPerImageEstimate"]
    assert facet["cost"] == {"amount": estimate, "basis": "estimated per image"}
    assert facet["consoleUrl"].endswith(f"/repeat-requests/{facet['repeatRequestId']}")
    for task_id in ("update_repeat_request", "cancel_repeat_request"):
        for event_type in ("START", "COMPLETE"):
            event = only(task_events(events, f"capella_repeat_monitoring.{task_id}", event_type))
            assert event["run"]["facets"]["capella"]["requestIds"] == [facet["repeatRequestId"]]
