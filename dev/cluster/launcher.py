"""Start a whole local cluster in order, describe it in ``cluster.json``, watch it, and stop it all.

Order: PostgreSQL, Redis, the Capella emulator and a moto S3 server (bucket ``capella-imagery``), the
metadata database migration with the admin user and the ``capella_api`` pool, then the api-server,
scheduler, dag-processor, triggerer and the Celery workers. Once every one is healthy,
``CLUSTER_DIR/cluster.json`` says where everything is. While running, an Airflow component that exits
is started again (three times at most; PostgreSQL or Redis exiting stops the cluster), except workers:
a worker that dies (a test SIGKILLs one) is marked ``"alive": false`` in ``cluster.json`` and comes
back, under the same name, on ``SIGUSR1`` to the launcher. Ctrl-C, SIGTERM
or SIGHUP stop every process group and remove ``cluster.json``.

Example::

    config = ClusterConfig(Path(".cluster"), Path("example_dags"), workers=2)
    with ProcessStack(log_dir=config.logs) as stack, stop_on_signals():
        cluster = Cluster.start(stack, config)
        cluster.supervise()
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from dev.cluster import airflow_parts
from dev.cluster.airflow_parts import Endpoints
from dev.cluster.backends import Postgres, Redis, start_postgres, start_redis
from dev.cluster.settings import ClusterConfig, cluster_secrets, shared_settings
from dev.stack import (
    ManagedProcess,
    ProcessStack,
    Services,
    StackError,
    create_bucket,
    free_port,
    start_emulator,
    start_s3_server,
)

MAX_COMPONENT_RESTARTS = 3  # exits of one Airflow component before the cluster gives up


@dataclass
class Cluster:
    """A started cluster: its processes, endpoints and settings; ``describe()`` is ``cluster.json``.

    Example::

        cluster = Cluster.start(stack, config)
        cluster.describe()["api_url"]
    """

    stack: ProcessStack
    config: ClusterConfig
    shared: dict[str, str]
    postgres: Postgres
    redis: Redis
    services: Services
    endpoints: Endpoints
    env: dict[str, str]
    components: dict[str, ManagedProcess]
    workers: dict[str, ManagedProcess] = field(default_factory=dict)
    restart_requested: bool = False
    restarts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, stack: ProcessStack, config: ClusterConfig, say: Any = print) -> Cluster:
        """Start everything (see the module docstring); return once every component is healthy."""
        shared = shared_settings()
        config.root.mkdir(parents=True, exist_ok=True)
        config.cluster_json.unlink(missing_ok=True)
        say(f"cluster: state in {config.root}, logs in {config.logs}")
        postgres = start_postgres(stack, config, shared)
        say(f"cluster: PostgreSQL on 127.0.0.1:{postgres.port}")
        redis = start_redis(stack, config)
        say(f"cluster: Redis on 127.0.0.1:{redis.port}")
        services = cls._start_services(stack, shared)
        say(f"cluster: Capella emulator on {services.emulator_url}, S3 on {services.s3_endpoint}")
        endpoints = Endpoints(
            database_url=postgres.sqlalchemy_url(),
            broker_url=redis.url(),
            result_backend=f"db+{postgres.sqlalchemy_url()}",
            api_port=config.api_port or free_port(),
            scheduler_health_port=free_port(),
            connections=services.connection_env(),
        )
        env = airflow_parts.airflow_env(config, shared, endpoints, cluster_secrets(config), dict(os.environ))
        say("cluster: migrating the metadata database, creating the admin user and the capella_api pool")
        pending = airflow_parts.initialise(stack, env, shared)
        components = airflow_parts.start_components(stack, env, endpoints.api_port)
        cluster = cls(stack, config, shared, postgres, redis, services, endpoints, env, components)
        for name in config.worker_names():
            cluster.workers[name] = airflow_parts.start_worker(stack, env, name)
        airflow_parts.finish_initialising(stack, pending)
        say(f"cluster: waiting for the api-server ({endpoints.api_url}) and the other components")
        airflow_parts.wait_until_healthy(endpoints, {**components, **cluster.workers})
        airflow_parts.wait_for_workers(env, list(cluster.workers), stack)
        cluster.write_description()
        say(f"cluster: ready; log in at {endpoints.api_url} as {shared['AIRFLOW_ADMIN_USERNAME']} / "
            f"{shared['AIRFLOW_ADMIN_PASSWORD']}; see {config.cluster_json}")  # fmt: skip
        return cluster

    @staticmethod
    def _start_services(stack: ProcessStack, shared: dict[str, str]) -> Services:
        api_key = shared["CAPELLA_EMULATOR_API_KEY"]
        emulator_url = start_emulator(
            stack,
            api_key=api_key,
            tasking_step_seconds=float(shared["CAPELLA_EMULATOR_TASKING_STEP_SECONDS"]),
            asset_size=int(shared["CAPELLA_EMULATOR_ASSET_SIZE"]),
        )
        services = Services(emulator_url=emulator_url, api_key=api_key, s3_endpoint=start_s3_server(stack))
        create_bucket(services, shared["CAPELLA_S3_BUCKET"])
        return services

    def describe(self) -> dict[str, Any]:
        """Describe the cluster as ``cluster.json`` does: every URL, login and process a client needs."""
        aws = self.services.aws_connection()
        return {
            "api_url": self.endpoints.api_url,
            "admin": {
                "username": self.shared["AIRFLOW_ADMIN_USERNAME"],
                "password": self.shared["AIRFLOW_ADMIN_PASSWORD"],
            },
            "emulator": {"url": self.services.emulator_url, "api_key": self.services.api_key},
            "s3": {
                "endpoint": self.services.s3_endpoint,
                "bucket": self.shared["CAPELLA_S3_BUCKET"],
                "access_key_id": aws["login"],
                "secret_access_key": aws["password"],
                "region": aws["extra"]["region_name"],
            },
            "postgres_url": self.postgres.url(),
            "redis_url": self.redis.url(),
            "pool": {
                "name": self.shared["CAPELLA_API_POOL"],
                "slots": int(self.shared["CAPELLA_API_POOL_SLOTS"]),
            },
            "workers": [
                {"hostname": name, "pid": child.pid, "alive": child.running()}
                for name, child in self.workers.items()
            ],
            "processes": {child.name: child.pid for child in self.stack.children},
            "launcher_pid": os.getpid(),
            "dags_folder": str(self.config.dags_folder.resolve()),
            "logs": str(self.config.logs),
            "task_logs": str(self.config.task_logs),
        }

    def write_description(self) -> None:
        """Write ``cluster.json`` atomically (a reader never sees half of it)."""
        partial = self.config.cluster_json.with_suffix(".json.partial")
        partial.write_text(json.dumps(self.describe(), indent=2))
        partial.replace(self.config.cluster_json)

    def restart_dead_workers(self) -> list[str]:
        """Start again, under their names, the workers that exited; return their names."""
        restarted = []
        for name, child in list(self.workers.items()):
            if child.running():
                continue
            child.finish(time.monotonic())  # reap it and whatever of its group is left
            if child in self.stack.children:
                self.stack.children.remove(child)
            self.workers[name] = airflow_parts.start_worker(self.stack, self.env, name)
            restarted.append(name)
        if restarted:
            airflow_parts.wait_for_workers(self.env, restarted, self.stack)
        return restarted

    def supervise(self, say: Any = print, poll_seconds: float = 1.0) -> None:
        """Watch the processes until a signal stops the launcher, or a component other than a worker exits."""
        previous = signal.signal(signal.SIGUSR1, self._request_restart)
        try:
            known_dead: set[str] = set()
            while True:
                for name, child in list(self.components.items()):
                    if not child.running():
                        self.restart_component(name, say)
                for child in (self.postgres.process, self.redis.process):
                    if not child.running():
                        raise StackError(f"{child.name} exited\n{child.log_tail()}")
                dead = {name for name, child in self.workers.items() if not child.running()}
                if dead != known_dead:
                    say(f"cluster: worker(s) {sorted(dead)} exited; `kill -USR1 {os.getpid()}` restarts them")
                    known_dead = dead
                    self.write_description()
                if self.restart_requested:
                    self.restart_requested = False
                    say(f"cluster: restarted {self.restart_dead_workers() or 'no worker'}")
                    known_dead = set()
                    self.write_description()
                time.sleep(poll_seconds)
        finally:
            signal.signal(signal.SIGUSR1, previous)

    def restart_component(self, name: str, say: Any = print) -> None:
        """Start an Airflow component that exited again (as compose's ``restart: always`` does).

        Its log is kept as ``<name>.exit-<n>.log``. After :data:`MAX_COMPONENT_RESTARTS` exits the
        cluster stops instead: something is wrong beyond a crash.
        """
        child = self.components[name]
        self.restarts[name] = self.restarts.get(name, 0) + 1
        if self.restarts[name] > MAX_COMPONENT_RESTARTS:
            raise StackError(f"{name} exited with code {child.process.returncode}\n{child.log_tail()}")
        child.finish(time.monotonic())
        if child in self.stack.children:
            self.stack.children.remove(child)
        if child.log_path is not None and child.log_path.exists():
            child.log_path.rename(child.log_path.with_name(f"{name}.exit-{self.restarts[name]}.log"))
        say(f"cluster: {name} exited with code {child.process.returncode}; starting it again")
        command = [str(arg) for arg in child.process.args]  # type: ignore[union-attr]  # always a list here
        self.components[name] = self.stack.start(name, command, env=self.env)
        self.write_description()

    def _request_restart(self, signum: int, frame: object) -> None:
        self.restart_requested = True
