"""``make demo``: start the emulator, search, order, download with ``CapellaHook``, print what landed, stop.

The emulator runs as its own process group (as a user would start it), so it is stopped on success,
failure and Ctrl-C alike. Downloads land in ``.demo/downloads`` under the current directory.

Example::

    python -m airflow_provider_capella.testing.demo
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEMO_API_KEY = "demo-api-key"
ROTTERDAM_BBOX = [3.9, 51.85, 4.2, 52.05]  # the Port of Rotterdam, one of the archive's sites


@contextmanager
def emulator_process(port: int, api_key: str) -> Iterator[str]:
    """Run ``capella-emulator`` in a new process group and yield its URL once it answers."""
    command = [sys.executable, "-m", "airflow_provider_capella.testing.emulator"]
    command += ["--port", str(port), "--api-key", api_key, "--log-level", "warning"]
    process = subprocess.Popen(command, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        stop_process_group(process)


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_emulator/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the emulator did not answer on {url} within {timeout:.0f} s")


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_demo(emulator_url: str, api_key: str, download_dir: Path) -> dict[str, dict[str, str]]:
    """Search the archive over Rotterdam, order the two newest GEO products, download them; return paths."""
    from airflow_provider_capella.hooks.capella import CapellaHook

    connection = {"conn_type": "capella", "host": emulator_url, "password": api_key}
    os.environ["AIRFLOW_CONN_CAPELLA_DEFAULT"] = json.dumps(connection)
    hook = CapellaHook()
    print(f"connected: {hook.test_connection()[1]}")
    items = hook.search(bbox=ROTTERDAM_BBOX, product_type="GEO", sortby="-datetime", limit=2)
    ids = ", ".join(item["id"] for item in items)
    print(f"search: {len(items)} GEO products over the Port of Rotterdam: {ids}")
    order_id = hook.submit_order(items=items, check_active_orders=True)
    print(f"order: {order_id}")
    return hook.download_products(order_id=order_id, local_dir=str(download_dir), override=True)


def print_landed(paths: dict[str, dict[str, str]]) -> None:
    print("\nwhat landed:")
    for stac_id, assets in paths.items():
        print(f"  {stac_id}")
        for asset, location in sorted(assets.items()):
            path = Path(location)
            print(f"    {asset:<10} {path.stat().st_size:>12,} B  sha256 {sha256_of(path)[:16]}…  {path}")


def main() -> int:
    from airflow_provider_capella.testing.emulator.server import free_port

    workdir = Path.cwd() / ".demo"
    os.environ.setdefault("AIRFLOW_HOME", str(workdir / "airflow-home"))
    download_dir = workdir / "downloads"
    download_dir.mkdir(parents=True, exist_ok=True)
    with emulator_process(free_port(), DEMO_API_KEY) as url:
        print(f"emulator: {url}")
        paths = run_demo(url, DEMO_API_KEY, download_dir)
    print_landed(paths)
    print("\nemulator stopped; done.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
