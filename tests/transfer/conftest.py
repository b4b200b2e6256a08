"""Fixtures for the download engine tests: the emulator's orders over real HTTP, and a real S3 API.

S3 is a moto server process (checking part checksums as S3 does), spoken to over HTTP
through boto3's default chain
(``AWS_ENDPOINT_URL`` and dummy credentials set per test), exactly as a user's boto3 would.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

MiB = 1024 * 1024
REPO = Path(__file__).resolve().parents[2]
S3_REGION = "us-east-1"


@dataclass
class Order:
    """Presigned items of an emulator order, and a way to fetch them again (what the hook's refresh does)."""

    emulator: Any
    order_id: str
    items: list[dict[str, Any]]
    refreshes: int = 0

    def refresh_items(self) -> list[dict[str, Any]]:
        self.refreshes += 1
        response = requests.get(
            f"{self.emulator.url}/orders/{self.order_id}/download",
            headers=self.emulator.auth_headers,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()


def order_products(emulator: Any, count: int = 1, collection: str = "capella-geo") -> Order:
    """Search the emulator's catalog, order ``count`` products and fetch their presigned items."""
    search = requests.post(
        f"{emulator.url}/catalog/search",
        json={"collections": [collection], "limit": count},
        headers=emulator.auth_headers,
        timeout=30,
    )
    assert search.status_code == 200, search.text
    features = search.json()["features"][:count]
    assert len(features) == count
    body = {"items": [{"collectionId": item["collection"], "granuleId": item["id"]} for item in features]}
    order = requests.post(f"{emulator.url}/orders", json=body, headers=emulator.auth_headers, timeout=30)
    assert order.status_code == 200, order.text
    placed = Order(emulator, order.json()["orderId"], [])
    placed.items = placed.refresh_items()
    placed.refreshes = 0
    return placed


@pytest.fixture
def order(capella_emulator: Any) -> Callable[..., Order]:
    """``order(count=1, asset_size=...)``: an order of GEO products, rasters of ``asset_size`` bytes."""

    def place(count: int = 1, asset_size: int = 256 * 1024, collection: str = "capella-geo") -> Order:
        capella_emulator.settings(asset_size=asset_size)
        return order_products(capella_emulator, count, collection)

    return place


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


def expected_sha256(emulator: Any, item: dict[str, Any], key: str) -> str:
    """The sha256 the emulator's bytes for ``item``'s asset ``key`` hash to."""
    from capella_emulator.asset_content import asset_payload

    catalog_item = emulator.state.catalog.get(item["id"])
    return asset_payload(catalog_item, key, int(emulator.state.config.asset_size)).sha256()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server process on a port of its own, checking part checksums as S3 does (``s3_server``)."""
    from capella_emulator.server import wait_for_port_file

    workdir = tmp_path_factory.mktemp("s3")
    log = (workdir / "s3_server.log").open("wb")
    port_file = workdir / "port"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "capella_emulator.s3_server",
            "-H",
            "127.0.0.1",
            "-p",
            "0",
            "--port-file",
            str(port_file),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    try:
        # The server binds a port of its own and announces it: nothing else can be listening there.
        url = f"http://127.0.0.1:{wait_for_port_file(port_file, server)}"
        requests.get(f"{url}/moto-api/", timeout=10).raise_for_status()
        yield url
    finally:
        server.terminate()
        server.wait(30)
        log.close()


@dataclass
class S3Bucket:
    """An empty bucket on the moto server, and a client for assertions."""

    name: str
    client: Any

    def uri(self, prefix: str = "") -> str:
        return f"s3://{self.name}/{prefix}"

    def sha256(self, key: str) -> str:
        body = self.client.get_object(Bucket=self.name, Key=key)["Body"]
        digest = hashlib.sha256()
        for block in iter(lambda: body.read(MiB), b""):
            digest.update(block)
        return digest.hexdigest()

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(entry["Key"] for entry in listing.get("Contents", []))

    def open_uploads(self) -> list[dict[str, Any]]:
        return self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])


@pytest.fixture
def s3(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> S3Bucket:
    """A fresh bucket; boto3's default chain in this process points at the moto server."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", S3_REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = boto3.session.Session().client("s3")
    name = f"capella-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return S3Bucket(name, client)


DRIVER = "tests.transfer.download_driver"


def start_driver(request: dict[str, Any]) -> subprocess.Popen[str]:
    """``download_driver.py`` in a child process of this interpreter, fed ``request``."""
    child = subprocess.Popen(
        [sys.executable, "-m", DRIVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert child.stdin is not None
    child.stdin.write(json.dumps(request))
    child.stdin.close()
    return child


def run_driver(request: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
    """Run the driver to completion; its final JSON report."""
    done = subprocess.run(
        [sys.executable, "-m", DRIVER],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def data_requests(emulator: Any, method: str | None = None) -> list[dict[str, Any]]:
    """The emulator's logged asset requests, without those for the bundle's checksums document.

    The engine fetches a product's checksums document first (to verify every file against it); tests
    about the data files' byte ranges look at the data files only.
    """
    return [
        entry
        for entry in emulator.requests(path="/assets/", method=method)
        if not entry["path"].endswith("_checksums.json")
    ]
