"""The e2e tests' handle on a ``make cluster`` launcher run as a child process (exactly what a user runs).

The launcher starts PostgreSQL, Redis, the emulator, moto and Airflow with Celery workers; the handle
reads ``cluster.json``, talks to the REST API as the admin user, kills and restarts workers, and at the
end stops the launcher with SIGTERM and checks that every process it had started is gone.

Example::

    world = ClusterWorld.start(tmp_dir, dags_folder, workers=2)
    run_id = world.airflow.trigger("cluster_mapped_download")
    world.stop()
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

from dev.stack import Services
from tests.e2e.running_airflow import RunningAirflow
from tests.e2e.server_inspection import ServerInspection

LAUNCHER = [sys.executable, "-m", "dev.cluster"]


@dataclass
class ClusterWorld(ServerInspection):
    """A running cluster: ``info`` is its ``cluster.json``; ``airflow`` its REST client.

    Example::

        world.kill_worker("capella-worker-1")
        world.restart_workers()
    """

    root: Path
    launcher: subprocess.Popen[bytes] | None  # None: a cluster someone else started (see attach)
    info: dict[str, Any]
    services: Services
    airflow: RunningAirflow
    started_pids: set[int] = field(default_factory=set)

    @classmethod
    def start(
        cls, root: Path, dags_folder: Path, workers: int, overrides: dict[str, str], timeout: float = 900
    ) -> ClusterWorld:
        env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
        env.update(overrides)
        root.mkdir(parents=True, exist_ok=True)
        command = [
            *LAUNCHER,
            "--dir",
            str(root),
            "--dags-folder",
            str(dags_folder),
            "--workers",
            str(workers),
        ]
        with (root / "launcher.log").open("wb") as output:
            launcher = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        info = wait_for_description(root / "cluster.json", launcher, timeout)
        services = Services(info["emulator"]["url"], info["emulator"]["api_key"], info["s3"]["endpoint"])
        world = cls(root, launcher, info, services, admin_client(info))
        world.bucket = info["s3"]["bucket"]
        world.started_pids = set(info["processes"].values())
        return world

    @classmethod
    def attach(cls, root: Path) -> ClusterWorld:
        """A cluster already running from ``root`` (while developing tests: no start-up, no stop)."""
        info = json.loads((root / "cluster.json").read_text())
        services = Services(info["emulator"]["url"], info["emulator"]["api_key"], info["s3"]["endpoint"])
        world = cls(root, None, info, services, admin_client(info))
        world.bucket = info["s3"]["bucket"]
        return world

    # --- workers ------------------------------------------------------------------------------------

    def worker_pid(self, hostname: str) -> int:
        return next(worker["pid"] for worker in self.info["workers"] if worker["hostname"] == hostname)

    def kill_worker(self, hostname: str) -> None:
        """SIGKILL the worker and every process under it (its task processes too), as a lost machine."""
        root = psutil.Process(self.worker_pid(hostname))
        victims = [root, *root.children(recursive=True)]
        for victim in victims:
            with suppress(psutil.NoSuchProcess):
                victim.kill()
        psutil.wait_procs(victims, timeout=30)

    def restart_workers(self, timeout: float = 300) -> None:
        """SIGUSR1 to the launcher, which starts dead workers again; wait until ``cluster.json`` says so."""
        os.kill(self.info["launcher_pid"], signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while True:
            self.info = json.loads((self.root / "cluster.json").read_text())
            if all(worker["alive"] for worker in self.info["workers"]):
                self.started_pids |= {worker["pid"] for worker in self.info["workers"]}
                return
            assert psutil.pid_exists(self.info["launcher_pid"]), self.launcher_log()
            assert time.monotonic() < deadline, self.info["workers"]
            time.sleep(1)

    # --- the emulator's control routes --------------------------------------------------------------

    def emulator_control(self, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.services.emulator_url}/_emulator{path}"
        response = requests.request(method, url, json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    # --- stop ---------------------------------------------------------------------------------------

    def stop(self, timeout: float = 120) -> None:
        """SIGTERM the launcher and wait for it; it stops every process group it started."""
        assert self.launcher is not None
        self.started_pids |= set(json.loads((self.root / "cluster.json").read_text())["processes"].values())
        self.launcher.send_signal(signal.SIGTERM)
        self.launcher.wait(timeout=timeout)

    def survivors(self, timeout: float = 30) -> list[int]:
        """Processes the launcher had started that are still alive ``timeout`` seconds after it exited."""
        deadline = time.monotonic() + timeout
        while True:
            alive = [pid for pid in self.started_pids if pid_alive(pid)]
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.5)

    def launcher_log(self) -> str:
        log = self.root / "launcher.log"
        return log.read_text(errors="replace")[-4000:] if log.exists() else "(launcher started elsewhere)"


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` or a process in its group still runs (a zombie does not count)."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True  # the leader is gone but its group lives on


def wait_for_description(path: Path, launcher: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if launcher.poll() is not None:
            log = (path.parent / "launcher.log").read_text(errors="replace")
            raise AssertionError(f"make cluster exited with code {launcher.returncode}:\n{log[-6000:]}")
        if time.monotonic() > deadline:
            launcher.send_signal(signal.SIGTERM)
            launcher.wait(timeout=120)
            raise AssertionError(f"no cluster.json within {timeout:.0f} s")
        time.sleep(1)
    return dict(json.loads(path.read_text()))


def admin_client(info: dict[str, Any]) -> RunningAirflow:
    """A REST client logged in as the cluster's admin (FAB auth manager: ``POST /auth/token``)."""
    credentials = {"username": info["admin"]["username"], "password": info["admin"]["password"]}
    response = requests.post(f"{info['api_url']}/auth/token", json=credentials, timeout=60)
    assert response.status_code in (200, 201), response.text
    airflow = RunningAirflow(info["api_url"])
    airflow.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return airflow
