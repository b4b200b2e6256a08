"""PostgreSQL and Redis for a local cluster, from Debian's ``postgresql`` and ``redis-server`` packages.

PostgreSQL refuses to run as root, so when the launcher runs as root (CI, containers) the server runs
as the unprivileged ``nobody`` user through ``runuser``, its data folder owned by that user. Both
servers listen on 127.0.0.1 only, on ports the launcher picks, and keep their files under
``CLUSTER_DIR`` (``postgres/``, ``redis/``).

Example::

    with ProcessStack(log_dir=config.logs) as stack:
        postgres = start_postgres(stack, config, settings)
        redis = start_redis(stack, config)
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

from dev.cluster.settings import ClusterConfig
from dev.stack import ManagedProcess, ProcessStack, StackError, start_on_free_port

POSTGRES_ROOTS = (Path("/usr/lib/postgresql"),)
UNPRIVILEGED_USER = "nobody"
INSTALL_HINT = "install Debian's postgresql and redis-server packages (`make cluster-deps` does)"


@dataclass(frozen=True)
class Postgres:
    """A running PostgreSQL: its port, database and login, and the SQLAlchemy URLs Airflow takes.

    Example::

        postgres.sqlalchemy_url()  # 'postgresql+psycopg2://airflow:airflow@127.0.0.1:54321/airflow'
    """

    port: int
    user: str
    password: str
    database: str
    process: ManagedProcess

    def sqlalchemy_url(self) -> str:
        return f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def url(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"


@dataclass(frozen=True)
class Redis:
    """A running Redis: the Celery broker.

    Example::

        redis.url()  # 'redis://127.0.0.1:63790/0'
    """

    port: int
    process: ManagedProcess

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def postgres_bindir() -> Path:
    """Find the folder of ``initdb`` and ``postgres``: the newest in /usr/lib/postgresql, else ``PATH``."""
    for root in POSTGRES_ROOTS:
        versions = sorted(root.glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]), reverse=True)
        if versions:
            return versions[0].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise StackError(f"PostgreSQL's initdb was not found: {INSTALL_HINT}")


def as_server_user(command: list[str]) -> list[str]:
    """``command`` as the unprivileged user when this process is root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]


def _give_to_server_user(path: Path) -> None:
    """Make ``path`` the server user's, and check that user can reach it through every parent folder."""
    if os.geteuid() != 0:
        return
    import pwd

    account = pwd.getpwnam(UNPRIVILEGED_USER)
    os.chown(path, account.pw_uid, account.pw_gid)
    for parent in path.resolve().parents:
        if parent.stat().st_uid != account.pw_uid and not parent.stat().st_mode & stat.S_IXOTH:
            raise StackError(
                f"PostgreSQL runs as {UNPRIVILEGED_USER!r} (root may not run it), which cannot enter "
                f"{parent} (mode {stat.filemode(parent.stat().st_mode)}): choose a CLUSTER_DIR whose "
                "parent folders others may enter"
            )


def start_postgres(stack: ProcessStack, config: ClusterConfig, settings: dict[str, str]) -> Postgres:
    """Initialise ``CLUSTER_DIR/postgres`` on first use, start the server, wait until it takes logins."""
    bindir = postgres_bindir()
    user, password = settings["POSTGRES_USER"], settings["POSTGRES_PASSWORD"]
    database = settings["POSTGRES_DB"]
    data = config.postgres_data
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        data.chmod(0o700)
        _give_to_server_user(data)
        password_file = config.root / "postgres-initial-password"
        password_file.write_text(password)
        _give_to_server_user(password_file)
        command = [str(bindir / "initdb"), "--pgdata", str(data), "--username", user]
        command += ["--pwfile", str(password_file), "--auth-host", "scram-sha-256", "--auth-local", "peer"]
        command += ["--encoding", "UTF8", "--no-instructions"]
        try:
            stack.run("postgres-initdb", as_server_user(command), timeout=180)
        finally:
            password_file.unlink(missing_ok=True)

    def server_command(port: int) -> list[str]:
        argv = [str(bindir / "postgres"), "-D", str(data), "-c", "listen_addresses=127.0.0.1"]
        argv += ["-p", str(port), "-c", f"unix_socket_directories={data}", "-c", "max_connections=200"]
        return as_server_user(argv)

    def takes_logins(process: ManagedProcess, port: int) -> bool:
        return _takes_logins(Postgres(port, user, password, database, process))

    process, port = start_on_free_port(stack, "postgres", server_command, takes_logins)
    postgres = Postgres(port, user, password, database, process)
    _create_database(postgres)
    return postgres


def _connect(postgres: Postgres, database: str) -> object:
    import psycopg2

    return psycopg2.connect(
        host="127.0.0.1",
        port=postgres.port,
        user=postgres.user,
        password=postgres.password,
        dbname=database,
        connect_timeout=5,
    )


def _takes_logins(postgres: Postgres) -> bool:
    import psycopg2

    try:
        _connect(postgres, "postgres").close()  # type: ignore[attr-defined]
    except psycopg2.OperationalError:
        return False
    return True


def _create_database(postgres: Postgres) -> None:
    """``CREATE DATABASE`` the metadata database unless it exists."""
    connection = _connect(postgres, "postgres")
    try:
        connection.autocommit = True  # type: ignore[attr-defined]
        with connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (postgres.database,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{postgres.database}"')
    finally:
        connection.close()  # type: ignore[attr-defined]


def start_redis(stack: ProcessStack, config: ClusterConfig) -> Redis:
    """Start ``redis-server`` on 127.0.0.1 (no persistence: the broker's queue lives as long as it runs)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise StackError(f"redis-server was not found: {INSTALL_HINT}")
    config.redis_data.mkdir(parents=True, exist_ok=True)

    def server_command(port: int) -> list[str]:
        argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(config.redis_data)]
        return [*argv, "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"]

    process, port = start_on_free_port(stack, "redis", server_command, lambda _, port: _redis_answers(port))
    return Redis(port, process)


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
