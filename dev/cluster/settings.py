"""What a local cluster is made of: the shared settings file, the folders under ``CLUSTER_DIR`` and the ports.

The settings come from ``airflow.env`` beside this module, the file ``docker-compose.yaml`` reads too
(``env_file``), so ``make cluster`` and the compose stack run Airflow with the same configuration.

Example::

    config = ClusterConfig(cluster_dir=Path(".cluster"), dags_folder=Path("example_dags"), workers=2)
    shared = shared_settings()
    shared["CAPELLA_API_POOL"]  # 'capella_api'
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ENV_FILE = Path(__file__).with_name("airflow.env")
WORKER_NAME = "capella-worker-{index}"
HOSTNAME_CALLABLE = "dev.cluster.hostname.worker_hostname"
HOSTNAME_VARIABLE = "CAPELLA_CLUSTER_HOSTNAME"


def read_env_file(path: Path = ENV_FILE) -> dict[str, str]:
    """``KEY=VALUE`` lines of ``path`` (blank lines and ``#`` comments skipped), as Compose reads them.

    Example::

        read_env_file()["AIRFLOW__CORE__EXECUTOR"]  # 'CeleryExecutor'
    """
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, separator, value = stripped.partition("=")
        if not separator or not key.strip():
            raise ValueError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        values[key.strip()] = value.strip()
    return values


def shared_settings() -> dict[str, str]:
    """Read the settings ``docker-compose.yaml`` and ``make cluster`` share (``airflow.env``)."""
    return read_env_file(ENV_FILE)


@dataclass(frozen=True)
class ClusterConfig:
    """Where a cluster keeps its state, which DAGs it runs and how many Celery workers it starts.

    ``airflow_overrides`` are ``AIRFLOW__SECTION__KEY`` settings that win over ``airflow.env`` (the
    launcher takes them from its own environment, as Compose takes variables from the shell).

    Example::

        ClusterConfig(Path(".cluster"), Path("example_dags"), workers=3, api_port=8080)
    """

    cluster_dir: Path
    dags_folder: Path
    workers: int = 2
    api_port: int = 0  # 0: a free port
    airflow_overrides: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if not self.dags_folder.is_dir():
            raise ValueError(f"dags_folder {str(self.dags_folder)!r} is not a folder")
        if not 0 <= self.api_port < 65536:
            raise ValueError(f"api_port must be a TCP port (0 for a free one), got {self.api_port}")
        bad = sorted(key for key in self.airflow_overrides if not key.startswith("AIRFLOW__"))
        if bad:
            raise ValueError(f"airflow_overrides take AIRFLOW__SECTION__KEY names only, got {bad}")

    @property
    def root(self) -> Path:
        return self.cluster_dir.resolve()

    @property
    def logs(self) -> Path:
        """One log file per process (``postgres.log``, ``scheduler.log``, ``capella-worker-1.log``, ...)."""
        return self.root / "logs"

    @property
    def task_logs(self) -> Path:
        """Airflow's task logs (``dag_id=.../run_id=.../task_id=...``), shared by every worker."""
        return self.root / "task-logs"

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow-home"

    @property
    def postgres_data(self) -> Path:
        return self.root / "postgres"

    @property
    def redis_data(self) -> Path:
        return self.root / "redis"

    @property
    def cluster_json(self) -> Path:
        return self.root / "cluster.json"

    def worker_names(self) -> list[str]:
        return [WORKER_NAME.format(index=index) for index in range(1, self.workers + 1)]


def airflow_overrides_from(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """Pick the ``AIRFLOW__*`` variables of ``environ``: settings a user passes to ``make cluster``."""
    return {key: value for key, value in environ.items() if key.startswith("AIRFLOW__")}


def cluster_secrets(config: ClusterConfig) -> dict[str, str]:
    """Return the Fernet key and the API/JWT secrets, made on the first start, kept in ``secrets.json``.

    Kept so that a restarted cluster still decrypts the connections it stored.
    """
    path = config.root / "secrets.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    from cryptography.fernet import Fernet

    made = {
        "fernet_key": Fernet.generate_key().decode(),
        "api_secret_key": secrets.token_hex(16),
        "jwt_secret": secrets.token_hex(32),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(made))
    path.chmod(0o600)
    return made
