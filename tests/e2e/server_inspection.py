"""Looking into the emulator (its request log and API) and the S3 bucket, for any e2e world that has them.

Example::

    class MyWorld(ServerInspection):
        services: Services  # where the emulator and the S3 server listen
        bucket = "capella-imagery"
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from dev.stack import Services

ROTTERDAM_BBOX = [3.9, 51.85, 4.2, 52.05]  # the example DAGs' default AOI


class ServerInspection:
    """The emulator's request log and API, and the bucket's objects; needs ``services`` and ``bucket``."""

    services: Services
    bucket: str = "capella-imagery"

    # --- the emulator's request log -----------------------------------------------------------------

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.services.emulator_url}/_emulator{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def emulator_settings(self, **settings: Any) -> None:
        """Change the emulator's settings, e.g. ``emulator_settings(tasking_step_seconds=2.0)``."""
        self._control("POST", "/settings", settings)

    def emulator_faults(self, **faults: Any) -> None:
        """Change the emulator's faults, e.g. ``emulator_faults(fault_429_rate=0.2, scope="api")``."""
        self._control("POST", "/faults", faults)

    def emulator_requests(self, path: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        """Requests that reached the emulator; ``path`` matches exactly, or as a prefix when it ends in /."""
        return [
            entry
            for entry in self._control("GET", "/requests")
            if _path_matches(entry["path"], path) and (method is None or entry["method"] == method)
        ]

    def asset_downloads(self) -> list[dict[str, Any]]:
        """Asset GETs that fetch content: all but the one-byte size probes (``Range: bytes=0-0``) with
        which a re-run checks that a file it finds at the destination is complete."""
        gets = self.emulator_requests("/assets/", "GET")
        return [entry for entry in gets if entry["headers"].get("range") != "bytes=0-0"]

    def archive_ids(self, day: str, product_types: tuple[str, ...] = ("GEO",)) -> list[str]:
        """STAC ids of the archive's products over Rotterdam acquired on ``day`` (``YYYY-MM-DD``)."""
        body = {
            "bbox": ROTTERDAM_BBOX,
            "datetime": f"{day}T00:00:00Z/{day}T23:59:59Z",
            "query": {"sar:product_type": {"in": list(product_types)}},
            "limit": 100,
        }
        found = self.emulator_api("POST", "/catalog/search", body)["features"]
        return sorted(feature["id"] for feature in found)

    def clear_emulator_requests(self) -> None:
        self._control("DELETE", "/requests")

    def emulator_api(self, method: str, path: str, body: Any = None) -> Any:
        """An API call with the key, e.g. ``emulator_api("GET", f"/repeat-requests/{id}")``."""
        request = urllib.request.Request(
            f"{self.services.emulator_url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"ApiKey {self.services.api_key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    # --- S3 -----------------------------------------------------------------------------------------

    def s3_objects(self, prefix: str = "") -> dict[str, dict[str, Any]]:
        """``{key: {"size", "etag", "last_modified"}}`` under ``prefix`` in the bucket."""
        client = self.services.s3_client()
        found: dict[str, dict[str, Any]] = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                found[entry["Key"]] = {
                    "size": entry["Size"],
                    "etag": entry["ETag"],
                    "last_modified": entry["LastModified"],
                }
        return found

    def s3_bytes(self, key: str) -> bytes:
        return bytes(self.services.s3_client().get_object(Bucket=self.bucket, Key=key)["Body"].read())


def _path_matches(path: str, wanted: str | None) -> bool:
    if wanted is None or path == wanted:
        return True
    return wanted.endswith("/") and path.startswith(wanted)
