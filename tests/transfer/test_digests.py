"""The product digest in every shape the engine reads, served by the emulator over HTTP; what is reported.

Capella does not publish its digest's format: the emulator serves its own (an assumption) or, by its
``digest_format`` setting, another shape, STAC ``file:checksum`` multihashes, an unreadable one, or none.
"""

from __future__ import annotations

import hashlib

import pytest

from airflow_provider_capella.lineage.record import LineageRecord, asset_extra, written_files
from airflow_provider_capella.transfer import CapellaDownloadError, TransferSettings, download_products
from airflow_provider_capella.transfer.digests import multihash_digest, parse_digest
from tests.transfer.conftest import MiB, expected_sha256, sha256_file

PART = 5 * MiB
SETTINGS = TransferSettings(part_size=PART, concurrency=2)
SERVED = ("HH", "metadata", "thumbnail", "preview")


@pytest.mark.parametrize(
    ("digest_format", "algorithm"),
    [("emulator", "sha256"), ("flat", "sha256"), ("sha512-list", "sha512"), ("multihash", "sha256")],
)
def test_every_file_is_verified_whatever_the_digest_shape(
    capella_emulator, order, tmp_path, caplog, digest_format, algorithm
):
    capella_emulator.settings(digest_format=digest_format)
    item = order(asset_size=2 * PART + 3).items[0]
    caplog.set_level("INFO", logger="airflow_provider_capella")

    result = download_products([item], str(tmp_path), include=list(SERVED), settings=SETTINGS)

    for key in SERVED:
        path = result[item["id"]][key]
        assert sha256_file(path) == expected_sha256(capella_emulator, item, key)
        assert result.verification[path] == (True, f"{algorithm} listed by the product's digest")
    assert caplog.text.count(f"matches the product's digest ({algorithm})") == len(SERVED)
    assert "WARNING" not in caplog.text


def test_an_unreadable_digest_is_one_warning_and_the_files_are_downloaded_unverified(
    capella_emulator, order, tmp_path, caplog
):
    capella_emulator.settings(digest_format="opaque")
    item = order(asset_size=PART + 1).items[0]

    result = download_products(
        [item], str(tmp_path), include=["HH", "metadata", "checksums"], settings=SETTINGS
    )

    assert result[item["id"]]["checksums"] not in result.verification, "no claim about the digest itself"
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 1 and f"{item['id']} checksums" in warnings[0], warnings
    assert "lists no file with a usable checksum" in warnings[0]
    for key in ("HH", "metadata"):
        path = result[item["id"]][key]
        assert sha256_file(path) == expected_sha256(capella_emulator, item, key)
        verified, reason = result.verification[path]
        assert not verified and "cannot be read" in reason
    extra = asset_extra(LineageRecord(), written_files(result)[0])
    assert extra["verified"] is False and "cannot be read" in extra["verification"]


def test_without_a_digest_files_are_downloaded_and_nothing_claims_a_check(capella_emulator, order, tmp_path):
    capella_emulator.settings(digest_format="none")
    item = order().items[0]
    assert not [key for key in item["assets"] if "checksum" in key]

    result = download_products([item], str(tmp_path), include=["HH"], settings=SETTINGS)

    assert sha256_file(result[item["id"]]["HH"]) == expected_sha256(capella_emulator, item, "HH")
    assert result.verification == {}
    assert "verified" not in asset_extra(LineageRecord(), written_files(result)[0])


def test_a_multihash_that_disagrees_fails_only_that_file(capella_emulator, order, tmp_path):
    capella_emulator.settings(digest_format="multihash")
    item = order(asset_size=PART).items[0]
    item["assets"]["HH"]["file:checksum"] = "1220" + "ab" * 32

    with pytest.raises(CapellaDownloadError, match="1 of 2 file") as failure:
        download_products([item], str(tmp_path), include=["HH", "metadata"], settings=SETTINGS)

    actual = expected_sha256(capella_emulator, item, "HH")
    assert f"sha256 is {actual}; the digest lists {'ab' * 32}" in str(failure.value)
    assert not list(tmp_path.rglob("*.tif*")), "no file, no partial"


def test_a_size_other_than_the_digest_lists_fails_before_the_file_is_written(
    capella_emulator, order, tmp_path
):
    capella_emulator.settings(digest_format="multihash")
    item = order(asset_size=2 * PART).items[0]
    item["assets"]["HH"]["file:size"] = 2 * PART + 1

    with pytest.raises(
        CapellaDownloadError, match=f"has {2 * PART} bytes; the product's digest lists {2 * PART + 1}"
    ):
        download_products([item], str(tmp_path), include=["HH"], settings=SETTINGS)

    assert not list(tmp_path.rglob("*.tif*"))


def test_the_digest_shapes_read():
    sha256, sha512, md5 = "a" * 64, "b" * 128, "c" * 32
    shapes = {
        b'{"algorithm": "md5", "files": {"dir/a.tif": "' + md5.upper().encode() + b'"}}': ("md5", md5),
        b'{"files": {"a.tif": {"crc32c": "0a0b0c0d", "size": 3}}}': ("crc32c", "0a0b0c0d"),
        b'{"a.tif": "' + sha256.encode() + b'", "id": "X"}': ("sha256", sha256),
        b'[{"name": "a.tif", "sha1": "' + b"d" * 40 + b'"}]': ("sha1", "d" * 40),
        b'{"files": [{"path": "x/a.tif", "algorithm": "SHA-512", "checksum": "' + sha512.encode() + b'"}]}': (
            "sha512",
            sha512,
        ),
        sha256.encode() + b"  ./a.tif\n" + md5.encode() + b" *b.tif\n": ("sha256", sha256),
    }
    for document, expected in shapes.items():
        listed = parse_digest(document)["a.tif"]
        assert (listed.algorithm, listed.value) == expected, document
    assert parse_digest(b'{"files": {"a.tif": {"crc32c": "0a0b0c0d", "size": 3}}}')["a.tif"].size == 3
    for unusable in (
        b'{"files": {"a.tif": {"whirlpool": "00"}}}',
        b'{"a.tif": "not hex"}',
        b"[1, 2]",
        b'"x"',
    ):
        with pytest.raises(ValueError, match=r"no file|neither"):
            parse_digest(unusable)


def test_stac_file_checksum_multihashes():
    data = b"capella"
    hashes = {
        "1220" + hashlib.sha256(data).hexdigest(): "sha256",
        "1340" + hashlib.sha512(data).hexdigest(): "sha512",
        "1114" + hashlib.sha1(data).hexdigest(): "sha1",
        "d50110" + hashlib.md5(data).hexdigest(): "md5",  # 0xd5 as the varint multiformats write
        "d510" + hashlib.md5(data).hexdigest(): "md5",  # and as one byte
    }
    for multihash, algorithm in hashes.items():
        found = multihash_digest("a.tif", {"file:checksum": multihash, "file:size": 7})
        assert found is not None and (found.algorithm, found.value, found.size) == (
            algorithm,
            hashlib.new(algorithm, data).hexdigest(),
            7,
        )
    for unusable in ("1220" + "ab" * 31, "9920" + "ab" * 32, "zz", ""):
        assert multihash_digest("a.tif", {"file:checksum": unusable}) is None
