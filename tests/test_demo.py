"""``make demo`` (``python -m dev.demo``) from a fresh directory: real Airflow
runs ``capella_tasking_to_s3`` against the emulator and a moto S3 server, the demo prints what landed,
and nothing it started is left running, neither after success nor after Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from capella_emulator.asset_content import asset_sha256
from capella_emulator.config import EmulatorConfig

pytestmark = pytest.mark.e2e

DEMO = [sys.executable, "-m", "dev.demo"]
LANDED = re.compile(r"^\s+([\d,]+) B  sha256 ([0-9a-f]{64})  (\S+)$", re.MULTILINE)


def listening_ports() -> str:
    return subprocess.run(["ss", "-ltn"], capture_output=True, text=True, check=False).stdout


def ports_of(output: str) -> list[str]:
    return re.findall(r"http://127\.0\.0\.1:(\d+)", output)


def processes_using(home: Path) -> list[int]:
    """Live processes whose environment names ``home`` (the demo's Airflow and its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if str(home).encode() in environ:
            found.append(int(entry.name))
    return found


def test_demo_runs_the_dag_in_airflow_and_prints_what_landed(tmp_path: Path) -> None:
    result = subprocess.run(DEMO, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "deferred: a trigger waits for the collection" in result.stdout
    assert "run finished: success" in result.stdout
    landed = LANDED.findall(result.stdout)
    rasters = [(size, digest, key) for size, digest, key in landed if key.endswith(".tif")]
    assert sorted(key.split("_")[-4] for _, _, key in rasters) == ["GEO", "SLC"]
    assert len(landed) == 6  # raster, metadata and thumbnail of each product
    size = EmulatorConfig().asset_size
    for printed_size, digest, key in rasters:
        stac_id = key.rsplit("/", 1)[1].removesuffix(".tif")
        assert int(printed_size.replace(",", "")) == size
        assert digest == asset_sha256(stac_id, stac_id.split("_")[4], size)
    listening = listening_ports()
    assert all(f":{port} " not in listening for port in ports_of(result.stdout))
    assert processes_using(tmp_path / ".demo") == []


def test_ctrl_c_stops_everything_the_demo_started(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        DEMO, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    assert demo.stdout is not None
    output = ""
    deadline = time.monotonic() + 180
    while "airflow dags test" not in output:  # the emulator, the S3 server and Airflow are running
        assert time.monotonic() < deadline and demo.poll() is None, output
        output += demo.stdout.readline()
    time.sleep(3)  # let `airflow dags test` get going
    assert processes_using(tmp_path / ".demo")

    demo.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
    stdout, stderr = demo.communicate(timeout=60)

    assert demo.returncode == 128 + signal.SIGINT, stdout + stderr
    assert "SIGINT: stopped the emulator, the S3 server and Airflow." in stderr
    listening = listening_ports()
    assert all(f":{port} " not in listening for port in ports_of(output))
    assert processes_using(tmp_path / ".demo") == []
