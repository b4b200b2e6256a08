"""The servers a benchmark talks to, each in its own process: the Capella emulator and a moto S3 server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from dev.stack import free_port

API_KEY = "benchmark-api-key"
AUTH = {"Authorization": f"ApiKey {API_KEY}"}


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@dataclass
class Emulator:
    """A ``capella-emulator`` process and its control surface.

    Example::

        with Emulator.start(bandwidth=25_000_000) as emulator:
            items = emulator.order(count=1)
    """

    url: str
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, *, bandwidth: int | None, log_path: Path) -> Emulator:
        port = free_port()
        command = [str(Path(sys.executable).with_name("capella-emulator")), "--port", str(port)]
        command += ["--api-key", API_KEY, "--log-level", "warning", "--catalog-size", "2400"]
        if bandwidth:
            command += ["--bandwidth", str(bandwidth)]
        log = log_path.open("ab")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        emulator = cls(f"http://127.0.0.1:{port}", process)
        wait_for(f"{emulator.url}/_emulator/health", process)
        emulator.control("/settings", {"budget": 1e12})
        return emulator

    def control(self, path: str, payload: dict[str, Any]) -> Any:
        response = requests.post(f"{self.url}/_emulator{path}", json=payload, timeout=30)
        response.raise_for_status()
        return response.json()

    def set_asset_size(self, size: int) -> None:
        self.control("/settings", {"asset_size": size})

    def set_bandwidth(self, bandwidth: int | None) -> None:
        self.control("/faults", {"bandwidth": bandwidth})

    def order(self, count: int) -> list[dict[str, Any]]:
        """Presigned items of ``count`` GEO products (search, order, download links), over HTTP."""
        search = requests.post(
            f"{self.url}/catalog/search",
            json={"collections": ["capella-geo"], "limit": count},
            headers=AUTH,
            timeout=60,
        )
        search.raise_for_status()
        features = search.json()["features"][:count]
        body = {"items": [{"collectionId": item["collection"], "granuleId": item["id"]} for item in features]}
        placed = requests.post(f"{self.url}/orders", json=body, headers=AUTH, timeout=60)
        placed.raise_for_status()
        order_id = placed.json()["orderId"]
        download = requests.get(f"{self.url}/orders/{order_id}/download", headers=AUTH, timeout=60)
        download.raise_for_status()
        items: list[dict[str, Any]] = download.json()
        return items

    def stop(self) -> None:
        stop(self.process)


@dataclass
class MotoS3:
    """A moto S3 server process; ``environment`` points boto3 (ours and the SDK's) at it."""

    url: str
    process: subprocess.Popen[bytes]
    environment: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, log_path: Path) -> MotoS3:
        port = free_port()
        log = log_path.open("ab")
        command = [sys.executable, "-m", "benchmarks.moto_server", "-H", "127.0.0.1", "-p", str(port)]
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1]
        )
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/moto-api/", process)
        environment = {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "benchmark",
            "AWS_SECRET_ACCESS_KEY": "benchmark",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        return cls(url, process, environment)

    def fresh_bucket(self, name: str) -> str:
        """Forget every stored object (frees the server's memory) and create bucket ``name``."""
        import boto3

        requests.post(f"{self.url}/moto-api/reset", timeout=60).raise_for_status()
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id="benchmark",
            aws_secret_access_key="benchmark",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=name)
        return f"s3://{name}/"

    def stop(self) -> None:
        stop(self.process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without proxies (everything is on 127.0.0.1), plus ``extra``."""
    environment = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    environment["NO_PROXY"] = environment["no_proxy"] = "127.0.0.1,localhost"
    environment.update(extra or {})
    return environment
