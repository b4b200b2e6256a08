"""Hostile ids and hrefs never place a file outside the destination (locally or under the S3 prefix)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from airflow_provider_capella.transfer import download_products
from airflow_provider_capella.transfer.planner import plan_jobs
from airflow_provider_capella.transfer.targets import sanitize_name

HOSTILE_HREFS = [
    "https://bucket.s3.amazonaws.com/x/..%2F..%2F..%2Fetc%2Fpasswd?Signature=abc",
    "https://bucket.s3.amazonaws.com/x/%2e%2e?Signature=abc",
    "https://bucket.s3.amazonaws.com/x/..\\..\\boot.ini",
    "https://bucket.s3.amazonaws.com/",
    "https://bucket.s3.amazonaws.com/x/.bashrc",
    "https://bucket.s3.amazonaws.com/x/name%00.tif",
]


def hostile_item(href: str, item_id: str = "../../../outside") -> dict:
    return {"id": item_id, "assets": {"HH": {"href": href, "type": "image/tiff"}}}


@pytest.mark.parametrize("href", HOSTILE_HREFS)
@pytest.mark.parametrize("separate_dirs", [True, False])
def test_hostile_names_stay_inside_a_local_destination(tmp_path, href, separate_dirs):
    jobs, results = plan_jobs(
        [hostile_item(href)], str(tmp_path), include=None, exclude=None, separate_dirs=separate_dirs
    )

    (job,) = jobs
    path = Path(str(job.target))
    assert path.resolve().is_relative_to(tmp_path.resolve()) and path.resolve() != tmp_path.resolve()
    assert not path.name.startswith(".") and "/" not in path.name and "\\" not in path.name
    assert results["../../../outside"]["HH"] == str(path)


@pytest.mark.parametrize("href", HOSTILE_HREFS)
def test_hostile_names_stay_under_the_s3_prefix(href):
    jobs, _ = plan_jobs(
        [hostile_item(href)], "s3://bucket/safe/prefix", include=None, exclude=None, separate_dirs=True
    )

    key = jobs[0].target.key  # type: ignore[union-attr]
    assert key.startswith("safe/prefix/outside/")
    assert ".." not in key.split("/")


def test_a_symlink_out_of_the_destination_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    destination = tmp_path / "destination"
    destination.mkdir()
    (destination / "CAPELLA_X").symlink_to(outside)

    with pytest.raises(ValueError, match="unsafe file name"):
        plan_jobs(
            [hostile_item("https://b.s3.amazonaws.com/CAPELLA_X.tif", "CAPELLA_X")],
            str(destination),
            include=None,
            exclude=None,
            separate_dirs=True,
        )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "CAPELLA_C13_SP_GEO_HH_20240101000000_20240101000010.tif",
            "CAPELLA_C13_SP_GEO_HH_20240101000000_20240101000010.tif",
        ),
        ("../../etc/passwd", "passwd"),
        ("..", "HH"),
        ("", "HH"),
        ("a b;rm -rf.tif", "a_b_rm_-rf.tif"),
        ("x" * 400, "x" * 200),
    ],
)
def test_sanitized_names(raw, expected):
    assert sanitize_name(raw, fallback="HH") == expected


def test_an_order_with_a_hostile_id_downloads_inside_the_destination(capella_emulator, order, tmp_path):
    placed = order()
    item = copy.deepcopy(placed.items[0])
    item["id"] = "../../" + item["id"]
    destination = tmp_path / "destination"

    result = download_products([item], str(destination))

    written = [Path(root) / name for root, _, names in os.walk(tmp_path) for name in names]
    assert written and all(path.is_relative_to(destination) for path in written)
    assert set(result[item["id"]]) == {"HH", "metadata", "thumbnail", "preview", "checksums"}
