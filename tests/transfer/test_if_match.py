"""Every ranged GET after the first is pinned to the object's ETag (``If-Match``): a changed object fails
the file cleanly (HTTP 412), never mixing parts of two versions, on disk and into S3."""

from __future__ import annotations

import pytest

from airflow_provider_capella.transfer import CapellaDownloadError, TransferSettings, download_products
from airflow_provider_capella.transfer.errors import SourceChangedError
from tests.transfer.conftest import MiB, data_requests, expected_sha256, sha256_file

PART = 5 * MiB
SETTINGS = TransferSettings(part_size=PART, concurrency=2, adaptive=False)


def test_the_ranged_gets_after_the_first_carry_if_match_with_its_etag(capella_emulator, order, tmp_path):
    item = order(asset_size=3 * PART + 1).items[0]
    capella_emulator.clear_requests()

    download_products([item], str(tmp_path), include=["HH"], settings=SETTINGS)

    gets = sorted(data_requests(capella_emulator, "GET"), key=lambda entry: entry["headers"]["range"])
    assert len(gets) == 4
    lead, others = gets[0], gets[1:]
    assert lead["headers"]["range"].startswith("bytes=0-") and "if-match" not in lead["headers"]
    etag = {entry["headers"]["if-match"] for entry in others}
    assert len(etag) == 1 and etag.pop().startswith('"')


@pytest.mark.parametrize("into_s3", [False, True])
def test_an_object_changed_mid_download_fails_cleanly_and_the_next_try_gets_the_new_one(
    capella_emulator, order, tmp_path, s3, into_s3
):
    capella_emulator.settings(digest_format="none")
    item = order(asset_size=3 * PART + 1).items[0]
    destination = s3.uri("x/") if into_s3 else str(tmp_path)
    capella_emulator.settings(change_assets_after=1)  # the object is replaced after the first ranged GET

    with pytest.raises(CapellaDownloadError, match="HTTP 412") as failure:
        download_products([item], destination, include=["HH"], settings=SETTINGS)

    assert isinstance(failure.value.__cause__, SourceChangedError)
    assert "changed on the server during the download" in str(failure.value)
    assert 412 in [entry["status"] for entry in data_requests(capella_emulator, "GET")]
    assert not list(tmp_path.rglob("*.tif*")) and s3.keys() == [] and s3.open_uploads() == []

    result = download_products([item], destination, include=["HH"], settings=SETTINGS)

    landed = result[item["id"]]["HH"]
    digest = s3.sha256(landed.split("/", 3)[3]) if into_s3 else sha256_file(landed)
    assert capella_emulator.state.config.asset_revision == 1
    assert digest != expected_sha256(capella_emulator, item, "HH"), "the revision-0 bytes"
    from capella_emulator.asset_content import asset_payload

    catalog_item = capella_emulator.state.catalog.get(item["id"])
    assert digest == asset_payload(catalog_item, "HH", 3 * PART + 1, revision=1).sha256()
