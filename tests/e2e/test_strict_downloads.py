"""The flagship example under the emulator's strict mode of slow presigned downloads.

Real presigned S3 downloads take time; the emulator's ``download_rate`` serves every asset response at
that many bytes per second, so the flagship's download task must wait for them (and still land every
product, verified against its product digest) instead of passing on instant local transfers.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.local_world import ASSET_SIZE, TASKING_STEP_SECONDS, LocalWorld
from tests.e2e.test_dags_test import raster_sha256_matches

pytestmark = pytest.mark.e2e

DOWNLOAD_RATE = ASSET_SIZE // 4  # four seconds per raster
MAX_COST = 1_000_000  # the flagship's cost ceiling: high enough to approve the emulator's quote
SAVED_RASTER = re.compile(r"saved \S+\.tif \([\d.]+ kB in ([\d.]+) s")


@pytest.mark.flagship
def test_tasking_to_s3_under_slow_presigned_downloads(local_world: LocalWorld) -> None:
    local_world.clear_emulator_requests()
    local_world.emulator_settings(tasking_step_seconds=1.0, download_rate=DOWNLOAD_RATE)
    try:
        log = local_world.dags_test("capella_tasking_to_s3", conf={"max_cost": MAX_COST})
    finally:
        local_world.emulator_settings(tasking_step_seconds=TASKING_STEP_SECONDS, download_rate=None)

    objects = local_world.s3_objects("tasking/")
    rasters = sorted(key for key in objects if key.endswith(".tif"))
    assert len(rasters) == 2 and all(raster_sha256_matches(local_world, key) for key in rasters)
    seconds = [float(found) for found in SAVED_RASTER.findall(log)]
    assert len(seconds) == 2 and min(seconds) >= 3.0, f"the rasters were not slowed: {seconds}"
    assert log.count("matches the product's digest (sha256)") >= 6, "raster, metadata and thumbnail of each"
