"""Files checked against a product's data-integrity digest, on disk and in S3; a mismatch removes the file.

The digest document is served by a small local HTTP server and added to the items as a ``digest``
asset, as a product bundle lists it.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from capella_emulator.asset_content import asset_payload

from airflow_provider_capella.transfer import CapellaDownloadError, TransferSettings, download_products
from airflow_provider_capella.transfer.errors import IntegrityError
from tests.transfer.conftest import MiB, expected_sha256, sha256_file

PART = 5 * MiB
SETTINGS = TransferSettings(part_size=PART, concurrency=2)


@pytest.fixture
def serve_digest() -> Iterator[Callable[[dict[str, Any]], str]]:
    """``serve_digest(document)`` -> the URL of that JSON document on a local HTTP server."""
    documents: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = documents.get(self.path.split("?", 1)[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def serve(document: dict[str, Any]) -> str:
        path = f"/bundle/{len(documents)}/CAPELLA_digest.json"
        documents[path] = json.dumps(document).encode()
        return f"http://127.0.0.1:{server.server_address[1]}{path}?X-Amz-Signature=secret"

    yield serve
    server.shutdown()
    server.server_close()


def with_digest(item: dict[str, Any], url: str) -> dict[str, Any]:
    assets = {key: asset for key, asset in item["assets"].items() if key != "checksums"}  # the emulator's own
    assets["digest"] = {"href": url, "type": "application/json", "roles": ["metadata"]}
    return {**item, "assets": assets}


def raster_name(item: dict[str, Any]) -> str:
    return item["assets"]["HH"]["href"].split("?", 1)[0].rsplit("/", 1)[1]


def raster_crc32(emulator: Any, item: dict[str, Any]) -> str:
    catalog_item = emulator.state.catalog.get(item["id"])
    payload = asset_payload(catalog_item, "HH", int(emulator.state.config.asset_size))
    value = 0
    for chunk in payload.chunks(0, payload.size):
        value = zlib.crc32(chunk, value)
    return f"{value:08x}"


def test_files_matching_the_digest_are_kept_on_disk(capella_emulator, order, serve_digest, tmp_path, caplog):
    placed = order(asset_size=2 * PART + 7)
    item = placed.items[0]
    sha = expected_sha256(capella_emulator, item, "HH")
    url = serve_digest({"algorithm": "sha256", "files": {raster_name(item): sha}})
    caplog.set_level("INFO", logger="airflow_provider_capella")

    result = download_products([with_digest(item, url)], str(tmp_path), include=["HH"], settings=SETTINGS)

    assert sha256_file(result[item["id"]]["HH"]) == sha
    assert "matches the product's digest (sha256)" in caplog.text
    assert "secret" not in caplog.text


def test_a_file_that_does_not_match_the_digest_fails_and_is_removed(
    capella_emulator, order, serve_digest, tmp_path
):
    placed = order(asset_size=2 * PART + 7)
    item = placed.items[0]
    url = serve_digest({"files": [{"name": raster_name(item), "sha256": "00" * 32, "size": 2 * PART + 7}]})

    with pytest.raises(CapellaDownloadError, match="1 of 1 file") as failure:
        download_products([with_digest(item, url)], str(tmp_path), include=["HH"], settings=SETTINGS)

    assert isinstance(failure.value.__cause__, IntegrityError)
    sha = expected_sha256(capella_emulator, item, "HH")
    assert f"{raster_name(item)}: sha256 is {sha}; the digest lists {'00' * 32}" in str(failure.value)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == [], (
        "no file, no partial, no resume record"
    )


def test_an_s3_object_is_checked_by_its_crc_and_a_mismatch_deletes_it(
    capella_emulator, order, serve_digest, s3
):
    placed = order(asset_size=3 * PART + 1)
    item = placed.items[0]
    good = serve_digest({"files": {raster_name(item): {"crc32": raster_crc32(capella_emulator, item)}}})

    result = download_products([with_digest(item, good)], s3.uri("ok/"), include=["HH"], settings=SETTINGS)

    key = result[item["id"]]["HH"].split("/", 3)[3]
    assert s3.sha256(key) == expected_sha256(capella_emulator, item, "HH")

    bad = serve_digest({"files": {raster_name(item): {"sha256": "ab" * 32}}})
    with pytest.raises(CapellaDownloadError, match="digest lists"):
        download_products([with_digest(item, bad)], s3.uri("bad/"), include=["HH"], settings=SETTINGS)
    stored = s3.keys()
    assert [key for key in stored if key.startswith("bad/")] == [], "the object that failed is deleted"
    assert s3.open_uploads() == []


def test_a_digest_that_cannot_be_fetched_is_reported_and_the_files_downloaded(
    capella_emulator, order, tmp_path, caplog
):
    placed = order(asset_size=PART)
    item = with_digest(placed.items[0], f"{capella_emulator.url}/nowhere/CAPELLA_digest.json")

    result = download_products([item], str(tmp_path), include=["HH"], settings=SETTINGS)

    path = result[item["id"]]["HH"]
    assert sha256_file(path) == expected_sha256(capella_emulator, item, "HH")
    verified, reason = result.verification[path]
    assert not verified and f"{item['id']} digest cannot be read: HTTP 40" in reason
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert [line for line in warnings if "digest" in line] == [
        f"{reason}; its files are downloaded unverified"
    ]


def test_the_emulator_bundle_checksums_are_verified_for_every_file(
    capella_emulator, order, s3, tmp_path, caplog
):
    placed = order(asset_size=2 * PART + 3)
    item = placed.items[0]
    assert "checksums" in item["assets"], "the emulator's product bundles list their files' sha256"
    caplog.set_level("INFO", logger="airflow_provider_capella")

    download_products(placed.items, str(tmp_path), settings=SETTINGS)
    download_products(placed.items, s3.uri("x/"), include=["HH", "metadata"], settings=SETTINGS)

    checked = [
        record.getMessage()
        for record in caplog.records
        if "matches the product's digest" in record.getMessage()
    ]
    assert len(checked) == 4 + 2, "raster, metadata, thumbnail and preview on disk; raster and metadata in S3"


def test_a_re_run_fetches_no_digest_unless_a_file_must_be_written_again(
    capella_emulator, order, s3, tmp_path, caplog
):
    placed = order(asset_size=2 * PART + 3)
    item = placed.items[0]
    download_products(placed.items, s3.uri("x/"), include=["HH", "metadata"], settings=SETTINGS)
    capella_emulator.clear_requests()

    download_products(placed.items, s3.uri("x/"), include=["HH", "metadata"], settings=SETTINGS)

    fetched = [entry["path"] for entry in capella_emulator.requests(path="/assets/")]
    assert not [path for path in fetched if path.endswith("_checksums.json")], fetched

    raster_key = f"x/{item['id']}/{raster_name(item)}"
    s3.client.delete_object(Bucket=s3.name, Key=raster_key)
    capella_emulator.clear_requests()
    caplog.set_level("INFO", logger="airflow_provider_capella")

    download_products(placed.items, s3.uri("x/"), include=["HH", "metadata"], settings=SETTINGS)

    fetched = [entry["path"] for entry in capella_emulator.requests(path="/assets/")]
    assert len([path for path in fetched if path.endswith("_checksums.json")]) == 1
    assert f"s3://{s3.name}/{raster_key} matches the product's digest (sha256)" in caplog.text
