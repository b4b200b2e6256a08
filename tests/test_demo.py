"""``make demo`` runs end to end: emulator up, search, order, download, report, emulator down."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

from airflow_provider_capella.testing.emulator.asset_content import asset_sha256
from airflow_provider_capella.testing.emulator.config import EmulatorConfig


def test_demo_downloads_ordered_products_and_stops_the_emulator(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_capella.testing.demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "search: 2 GEO products" in result.stdout
    assert "emulator stopped; done." in result.stdout
    port = re.search(r"emulator: http://127\.0\.0\.1:(\d+)", result.stdout)
    assert port, result.stdout
    listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True, check=False).stdout
    assert f":{port.group(1)} " not in listening, "the demo left its emulator running"

    rasters = [path for path in (tmp_path / ".demo" / "downloads").rglob("*.tif")]
    assert len(rasters) == 2
    for raster in rasters:
        stac_id = raster.stem
        polarization = stac_id.split("_")[4]
        expected = asset_sha256(stac_id, polarization, EmulatorConfig().asset_size)
        assert hashlib.sha256(raster.read_bytes()).hexdigest() == expected
