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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dev.stack import (
    ProcessStack,
    Services,
    airflow_command,
    airflow_environment,
    create_bucket,
    start_services,
)
from tests.e2e.server_inspection import ServerInspection

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"
BUCKET = "capella-imagery"  # the example DAGs' default bucket param
API_KEY = "e2e-api-key"
ASSET_SIZE = 256 * 1024
TASKING_STEP_SECONDS = 0.5
POLL_SECONDS = 1
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")
RUN_FINISHED = re.compile(r"DagRun Finished: dag_id=(\w+),.*?\bstate=(\w+)")


def migrate_template_db(home: Path) -> Path:
    """``airflow db migrate`` once into ``home``; tests copy the resulting ``airflow.db``."""
    stack = ProcessStack(log_dir=home / "logs")
    with stack:
        stack.run("db-migrate", airflow_command("db", "migrate"), env=airflow_environment(home, EXAMPLE_DAGS))
    return home / "airflow.db"


@dataclass
class LocalWorld(ServerInspection):
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
