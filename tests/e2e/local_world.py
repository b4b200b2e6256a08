"""The outside world of the end-to-end tests: the emulator and a moto S3 server as child process groups,
an ``AIRFLOW_HOME`` on SQLite whose DAGs folder is ``example_dags/``, and the ``airflow`` CLI run
against them, exactly as ``make demo`` does.

Example::

    world = LocalWorld.start(stack, tmp_path, migrated_db)
    log = world.dags_test("capella_tasking_to_s3")
    assert world.emulator_requests("/orders", "POST")
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_capella.testing.stack import (
    ProcessStack,
    Services,
    airflow_command,
    airflow_environment,
    create_bucket,
    start_services,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"
BUCKET = "capella-imagery"  # the example DAGs' default bucket param
API_KEY = "e2e-api-key"
ASSET_SIZE = 256 * 1024
TASKING_STEP_SECONDS = 0.5
POLL_SECONDS = 1
ROTTERDAM_BBOX = [3.9, 51.85, 4.2, 52.05]  # the example DAGs' default AOI
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")
RUN_FINISHED = re.compile(r"DagRun Finished: dag_id=(\w+),.*?\bstate=(\w+)")


def migrate_template_db(home: Path) -> Path:
    """``airflow db migrate`` once into ``home``; tests copy the resulting ``airflow.db``."""
    stack = ProcessStack(log_dir=home / "logs")
    with stack:
        stack.run("db-migrate", airflow_command("db", "migrate"), env=airflow_environment(home, EXAMPLE_DAGS))
    return home / "airflow.db"


@dataclass
class LocalWorld:
    """Emulator + S3 server + an Airflow home, with helpers to run the CLI and inspect both servers.

    Example::

        world.dags_test("capella_archive_backfill", logical_date="2024-04-03")
        world.s3_objects("archive/")
    """

    stack: ProcessStack
    services: Services
    home: Path
    env: dict[str, str]
    runs: int = field(default=0)

    @classmethod
    def start(cls, stack: ProcessStack, home: Path, template_db: Path, **settings: str) -> LocalWorld:
        services = start_services(
            stack, api_key=API_KEY, tasking_step_seconds=TASKING_STEP_SECONDS, asset_size=ASSET_SIZE
        )
        create_bucket(services, BUCKET)
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template_db, home / "airflow.db")
        env = airflow_environment(home, EXAMPLE_DAGS, services, **settings)
        env["CAPELLA_EXAMPLE_POLL_SECONDS"] = str(POLL_SECONDS)
        return cls(stack, services, home, env)

    # --- the airflow CLI ----------------------------------------------------------------------------

    def airflow(self, *args: str, timeout: float = 300) -> str:
        """Run ``airflow <args>`` to completion (its own process group); return its output."""
        self.runs += 1
        name = f"airflow-{self.runs}-{'-'.join(args[:2])}"
        child = self.stack.run(name, airflow_command(*args), env=self.env, timeout=timeout)
        log = child.log_path.read_text(errors="replace") if child.log_path else ""
        return ANSI_CODES.sub("", log)  # Airflow 3.1 colours its log even into a file

    def dags_test(
        self, dag_id: str, logical_date: str | None = None, conf: dict[str, Any] | None = None
    ) -> str:
        """``airflow dags test``; assert the run succeeded; return the log."""
        args = ["dags", "test", dag_id, *([logical_date] if logical_date else [])]
        args += ["--conf", json.dumps(conf)] if conf else []
        log = self.airflow(*args)
        finished = [match.group(2) for match in RUN_FINISHED.finditer(log) if match.group(1) == dag_id]
        assert finished == ["success"], f"{dag_id} run: {finished}\n{log[-6000:]}"
        return log

    # --- the emulator's request log -----------------------------------------------------------------

    def _control(self, method: str, path: str) -> Any:
        request = urllib.request.Request(f"{self.services.emulator_url}/_emulator{path}", method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

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
            headers={"Authorization": f"ApiKey {API_KEY}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    # --- S3 -----------------------------------------------------------------------------------------

    def s3_objects(self, prefix: str = "") -> dict[str, dict[str, Any]]:
        """``{key: {"size", "etag", "last_modified"}}`` under ``prefix`` in the bucket."""
        client = self.services.s3_client()
        found: dict[str, dict[str, Any]] = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            for entry in page.get("Contents", []):
                found[entry["Key"]] = {
                    "size": entry["Size"],
                    "etag": entry["ETag"],
                    "last_modified": entry["LastModified"],
                }
        return found

    def s3_bytes(self, key: str) -> bytes:
        return bytes(self.services.s3_client().get_object(Bucket=BUCKET, Key=key)["Body"].read())


def _path_matches(path: str, wanted: str | None) -> bool:
    if wanted is None or path == wanted:
        return True
    return wanted.endswith("/") and path.startswith(wanted)
