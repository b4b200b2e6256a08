"""Local stand-ins for the outside world, run as child process groups: the Capella emulator and an S3 server.

``make demo`` and the end-to-end tests start the emulator (``capella-emulator``) and a moto S3 server
(``moto_server``, from ``moto[server]``) on free ports, point Airflow's ``capella_default`` and
``aws_default`` connections at them through ``AIRFLOW_CONN_*`` variables, and stop everything they
started. Each child runs in its own session (process group), so stopping it stops its children too, and
Ctrl-C in the terminal reaches only this process, which then stops them in order.

Example::

    with ProcessStack() as stack, stop_on_signals():
        services = start_services(stack, tasking_step_seconds=0.5)
        create_bucket(services.s3_endpoint, "capella-imagery")
        env = {**os.environ, **services.connection_env()}
        stack.run("dags-test", ["airflow", "dags", "test", "capella_tasking_to_s3"], env=env)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from capella_emulator.server import bind_socket, wait_for_port_file

S3_REGION = "us-east-1"
S3_ACCESS_KEY = "capella-demo-access-key"  # moto accepts any key; nothing here reaches AWS
S3_SECRET_KEY = "capella-demo-secret-key"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StackError(RuntimeError):
    """A child process did not start, did not answer, or failed; the message ends with its log's tail.

    Example::

        try:
            stack.run("migrate", airflow_command("db", "migrate"), env=env)
        except StackError as error:
            print(error)
    """


@dataclass
class ManagedProcess:
    """A child process leading its own process group; ``stop()`` ends the whole group.

    Example::

        child = stack.start("emulator", ["capella-emulator", "--port", "8765"])
        child.stop()
    """

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace_seconds: float = 15.0) -> None:
        """SIGTERM the group, then SIGKILL what is left after ``grace_seconds``; reap the leader."""
        self.terminate()
        self.finish(time.monotonic() + grace_seconds)

    def terminate(self) -> None:
        """Ask the whole group to exit (SIGTERM)."""
        if self.running():
            _signal_group(self.pid, signal.SIGTERM)

    def finish(self, deadline: float) -> None:
        """Wait for the leader until ``deadline`` (monotonic), then SIGKILL the group and reap the leader."""
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        _signal_group(self.pid, signal.SIGKILL)  # the leader may be gone while its children linger
        self.process.wait()

    def log_tail(self, lines: int = 60) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _signal_group(pgid: int, signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


@dataclass
class ProcessStack:
    """Children started in order and stopped in reverse order, on success, failure and Ctrl-C alike.

    Example::

        with ProcessStack(log_dir=Path(".demo/logs")) as stack:
            stack.start("s3", [sys.executable, "-m", "moto.server", "-p", "5000"])
    """

    log_dir: Path | None = None
    children: list[ManagedProcess] = field(default_factory=list)

    def __enter__(self) -> ProcessStack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_all()

    def start(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> ManagedProcess:
        """Start ``command`` in a new session; its output goes to ``<log_dir>/<name>.log`` (or is dropped)."""
        log_path = self.log_dir / f"{name}.log" if self.log_dir else None
        output: IO[bytes] | int = subprocess.DEVNULL
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            output = log_path.open("wb")
        try:
            process = subprocess.Popen(
                list(command),
                env=dict(env) if env is not None else None,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if not isinstance(output, int):
                output.close()  # the child holds its own descriptor
        child = ManagedProcess(name, process, log_path)
        self.children.append(child)
        return child

    def run(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 600,
    ) -> ManagedProcess:
        """Start ``command`` and wait for it; :class:`StackError` with its log's tail unless it exits 0."""
        child = self.start(name, command, env=env, cwd=cwd)
        try:
            returncode = child.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.stop()
            raise StackError(f"{name} did not finish within {timeout:.0f} s\n{child.log_tail()}") from None
        _signal_group(child.pid, signal.SIGKILL)  # nothing it started outlives it
        self.children.remove(child)
        if returncode != 0:
            raise StackError(f"{name} exited with code {returncode}\n{child.log_tail()}")
        return child

    def stop_all(self, grace_seconds: float = 15.0) -> None:
        """Stop every child: SIGTERM to all groups (newest first), then SIGKILL what is left.

        What is still running ``grace_seconds`` after the SIGTERM gets SIGKILL. Signals are held off
        meanwhile, so a second Ctrl-C cannot cut this short.
        """
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            children, self.children = self.children[::-1], []
            for child in children:
                child.terminate()
            deadline = time.monotonic() + grace_seconds
            for child in children:
                child.finish(deadline)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


class Interrupted(BaseException):
    """Raised in the main thread when SIGINT, SIGTERM or SIGHUP arrives inside :func:`stop_on_signals`.

    Example::

        except Interrupted as interrupted:
            sys.exit(128 + interrupted.signum)
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT/SIGTERM/SIGHUP into :class:`Interrupted`, so ``with`` blocks unwind and stop children.

    Example::

        with ProcessStack() as stack, stop_on_signals():
            ...  # kill -TERM <pid> stops every child before the process exits
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, interrupt) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def free_port() -> int:
    """Return a port nobody listens on right now (only for :func:`start_on_free_port`, which re-checks)."""
    with bind_socket("127.0.0.1") as sock:
        return int(sock.getsockname()[1])


def listener_pids(port: int) -> set[int]:
    """Return the processes holding a socket that listens on TCP ``port`` (read from ``/proc``)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(f"socket:[{fields[9]}]")
    pids = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                    pids.add(int(proc.name))
    return pids


def listens_on(child: ManagedProcess, port: int) -> bool:
    """Tell whether the server listening on ``port`` is ``child`` or one of its process group."""
    pids = listener_pids(port)
    with suppress(OSError):
        return bool(pids) and all(os.getpgid(pid) == child.pid for pid in pids)
    return False


def start_on_free_port(
    stack: ProcessStack,
    name: str,
    command: Callable[[int], Sequence[str]],
    ready: Callable[[ManagedProcess, int], bool],
    *,
    attempts: int = 3,
    timeout: float = 60,
) -> tuple[ManagedProcess, int]:
    """Start a server that cannot announce its own port (PostgreSQL, Redis) on a free port, safely.

    Another process may take the chosen port before the child binds it: the child then exits, or
    ``ready`` is answered by someone else. So the child counts as started only once ``ready`` is true
    AND the port's listener is the child's own process group; otherwise it is stopped and started again
    on another port, ``attempts`` times at most.
    """
    for _ in range(attempts):
        port = free_port()
        child = stack.start(name, command(port))
        deadline = time.monotonic() + timeout
        while child.running() and time.monotonic() < deadline:
            if ready(child, port) and listens_on(child, port):
                return child, port
            time.sleep(0.2)
        child.stop()
        stack.children.remove(child)
    raise StackError(f"{name} did not start on a port of its own in {attempts} attempts\n{child.log_tail()}")


def wait_for_http(url: str, child: ManagedProcess, timeout: float = 60) -> dict[str, Any]:
    """Poll ``url`` until it answers; return its JSON object (``{}`` if none); stop if ``child`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running():
            raise StackError(f"{child.name} exited with code {child.process.returncode}\n{child.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = response.read()
        except urllib.error.HTTPError:
            return {}  # it answered, with an error status
        except OSError:
            time.sleep(0.2)
            continue
        else:
            try:
                answer = json.loads(body)
            except ValueError:
                return {}
            return answer if isinstance(answer, dict) else {}
    raise StackError(f"{child.name} did not answer on {url} within {timeout:.0f} s\n{child.log_tail()}")


@dataclass(frozen=True)
class Services:
    """Where the emulator and the S3 server listen, and the Airflow connections that point at them.

    Example::

        env = {**os.environ, **services.connection_env()}
    """

    emulator_url: str
    api_key: str
    s3_endpoint: str

    def capella_connection(self) -> dict[str, Any]:
        return {"conn_type": "capella", "host": self.emulator_url, "password": self.api_key}

    def aws_connection(self) -> dict[str, Any]:
        return {
            "conn_type": "aws",
            "login": S3_ACCESS_KEY,
            "password": S3_SECRET_KEY,
            "extra": {"endpoint_url": self.s3_endpoint, "region_name": S3_REGION},
        }

    def connection_env(self) -> dict[str, str]:
        """``AIRFLOW_CONN_CAPELLA_DEFAULT`` and ``AIRFLOW_CONN_AWS_DEFAULT`` for child Airflow processes."""
        return {
            "AIRFLOW_CONN_CAPELLA_DEFAULT": json.dumps(self.capella_connection()),
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(self.aws_connection()),
        }

    def s3_client(self) -> Any:
        """Return a boto3 S3 client for the S3 server (to create buckets and inspect what landed)."""
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.s3_endpoint,
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
            region_name=S3_REGION,
        )


def start_bound_server(stack: ProcessStack, name: str, command: Sequence[str], health: str) -> str:
    """Start a server that binds a port of its own (``--port 0 --port-file``) and return its URL.

    No port is chosen here and handed over, so no other process can take it in between; the URL is the
    one the child announced, and ``health`` (a path) must answer there before this returns.
    """
    port_file = Path(tempfile.mkdtemp(prefix=f"capella-{name}-")) / "port"
    child = stack.start(name, [*command, "--port", "0", "--port-file", str(port_file)])
    try:
        port = wait_for_port_file(port_file, child.process)
    except RuntimeError as error:
        raise StackError(f"{name}: {error}\n{child.log_tail()}") from None
    url = f"http://127.0.0.1:{port}"
    answer = wait_for_http(f"{url}{health}", child)
    if answer.get("pid", child.pid) != child.pid:  # the emulator says who it is: it must be our child
        raise StackError(f"{name}: {url} is served by process {answer['pid']}, not by ours ({child.pid})")
    return url


def start_emulator(
    stack: ProcessStack,
    *,
    api_key: str,
    tasking_step_seconds: float = 0.5,
    asset_size: int | None = None,
    extra_args: Sequence[str] = (),
) -> str:
    """Start ``capella-emulator`` on a port of its own; return its URL once ``/_emulator/health`` answers."""
    command = [sys.executable, "-m", "capella_emulator", "--host", "127.0.0.1"]
    command += ["--api-key", api_key, "--tasking-step-seconds", str(tasking_step_seconds)]
    command += ["--log-level", "warning"]
    if asset_size is not None:
        command += ["--asset-size", str(asset_size)]
    return start_bound_server(stack, "emulator", [*command, *extra_args], "/_emulator/health")


def start_s3_server(stack: ProcessStack) -> str:
    """Start the S3 server (moto checking part checksums as S3 does) on a port of its own; return its URL."""
    command = [sys.executable, "-m", "capella_emulator.s3_server", "-H", "127.0.0.1"]
    return start_bound_server(stack, "s3-server", command, "/moto-api/")


def start_services(
    stack: ProcessStack,
    *,
    api_key: str = "emulator-api-key",
    tasking_step_seconds: float = 0.5,
    asset_size: int | None = None,
) -> Services:
    """Start the emulator and the S3 server and return them, both running; see :class:`Services`."""
    emulator_url = start_emulator(
        stack, api_key=api_key, tasking_step_seconds=tasking_step_seconds, asset_size=asset_size
    )
    return Services(emulator_url=emulator_url, api_key=api_key, s3_endpoint=start_s3_server(stack))


def create_bucket(services: Services, bucket: str) -> None:
    """Create ``bucket`` on the S3 server (a no-op when it exists)."""
    client = services.s3_client()
    existing = {entry["Name"] for entry in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)


def airflow_command(*args: str) -> list[str]:
    """Return the ``airflow`` CLI of this interpreter, e.g. ``airflow_command("db", "migrate")``."""
    return [sys.executable, "-m", "airflow", *args]


def airflow_environment(
    home: Path, dags_folder: Path, services: Services | None = None, **settings: str
) -> dict[str, str]:
    """Return the environment of a local Airflow on the embedded SQLite database, connected to ``services``.

    Inherits this process's environment without its ``AIRFLOW*`` variables (a test session's own
    Airflow settings must not leak into the child), then sets ``AIRFLOW_HOME``, its SQLite database, the
    DAGs folder, the two connections (with ``services``) and ``settings`` (``AIRFLOW__SECTION__KEY``).

    Example::

        env = airflow_environment(Path(".demo/airflow-home"), Path("example_dags"), services)
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        AIRFLOW_HOME=str(home.resolve()),
        # several Airflow processes share the file: writers wait up to 30 s for the lock (default 5 s)
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home.resolve() / 'airflow.db'}?timeout=30",
        AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder.resolve()),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        **(services.connection_env() if services else {}),
        **settings,
    )
    return env
