"""``make demo``: the ``capella_tasking_to_s3`` example DAG, run by real Airflow against local stand-ins.

1. Starts the Capella emulator (tasking completes in seconds) and a moto S3 server on free ports, each
   in its own process group, and creates the demo bucket.
2. Points ``capella_default`` and ``aws_default`` at them through ``AIRFLOW_CONN_*`` variables.
3. ``airflow db migrate`` then ``airflow dags test capella_tasking_to_s3`` on the embedded SQLite
   database (``AIRFLOW_HOME=.demo/airflow-home``, DAGs folder ``example_dags/``). The tasking request
   waits in review, as on the real API, until the task approves its quote within the DAG's ``max_cost``.
4. Prints what landed in S3 (keys, sizes, sha256) and stops everything it started, also on Ctrl-C and
   SIGTERM. Logs of every process are kept in ``.demo/logs``.

Example::

    python -m dev.demo
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dev.stack import (
    Interrupted,
    ManagedProcess,
    ProcessStack,
    Services,
    StackError,
    airflow_command,
    airflow_environment,
    create_bucket,
    start_services,
    stop_on_signals,
)

DAG_ID = "capella_tasking_to_s3"
DEMO_API_KEY = "demo-api-key"
DEMO_BUCKET = "capella-imagery"  # the DAG's default bucket param
# a collection completes five steps after the request: long enough that the sensor, however slowly its
# worker starts, finds it pending and defers to the triggerer, as it would for a real satellite
TASKING_STEP_SECONDS = 2.0
POLL_SECONDS = 1.0
PROGRESS = (
    (re.compile(r"\[DAG TEST\] starting task_id=(\S+) map_index=(-?\d+)"), "task {0}{1} started"),
    (re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)"), "task {0}{1} finished"),
    (re.compile(r"new_state=(deferred)"), "  deferred: a trigger waits for {wait}"),
    (re.compile(r"\[DAG TEST\] (Trigger completed)"), "  the trigger fired: {done}"),
    (re.compile(r"DagRun Finished: .*?\bstate=(\w+)"), "run finished: {0}"),
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
STARTED = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
# what each deferring task waits for: the tasking request's quote in review (approved within max_cost),
# then the collection
WAITS = {
    "create_tasking_request": ("the quote in review", "the quote is ready"),
    "wait_for_collection": ("the collection", "the collection is complete"),
}


@dataclass(frozen=True)
class LandedObject:
    """One S3 object the DAG wrote, its sha256 computed from the bytes read back.

    Example::

        LandedObject("demo/<request id>/<STAC id>/<STAC id>.tif", 8388608, "cf987a3b...")
    """

    key: str
    size: int
    sha256: str


def example_dags_folder() -> Path:
    """``example_dags/`` of the source checkout this module runs from (or of the current directory)."""
    for root in (Path(__file__).resolve().parents[1], Path.cwd()):
        folder = root / "example_dags"
        if (folder / f"{DAG_ID}.py").exists():
            return folder
    raise StackError("example_dags/ not found: run the demo from a source checkout (make demo)")


def progress(line: str, task: str | None = None) -> str | None:
    """Summarise an ``airflow dags test`` log line worth showing in one line; return ``None`` for the rest.

    ``task`` is the task running when the line was logged: it says what a deferral waits for.
    """
    text = ANSI.sub("", line)
    wait, done = WAITS.get(task or "", ("its trigger", "the wait is over"))
    for pattern, summary in PROGRESS:
        found = pattern.search(text)
        if found:
            groups = list(found.groups())
            if len(groups) == 2:  # task_id, map_index
                groups[1] = "" if groups[1] == "-1" else f"[{groups[1]}]"
            return summary.format(*groups, wait=wait, done=done)
    return None


def follow(child: ManagedProcess, timeout: float) -> int:
    """Wait for ``child``, printing a summary of its progress (tasks, deferral, result) as it happens."""
    deadline = time.monotonic() + timeout
    position = 0
    task: str | None = None
    while True:
        finished = child.process.poll() is not None
        if child.log_path is not None and child.log_path.exists():
            with child.log_path.open("rb") as log:
                log.seek(position)
                chunk = log.read()
            complete = chunk if finished else chunk[: chunk.rfind(b"\n") + 1]
            position += len(complete)
            for line in complete.decode(errors="replace").splitlines():
                started = STARTED.search(ANSI.sub("", line))
                task = started.group(1) if started else task
                summary = progress(line, task)
                if summary:
                    print(f"  | {summary}", flush=True)
        if finished:
            return int(child.process.returncode)
        if time.monotonic() > deadline:
            raise StackError(f"{child.name} did not finish within {timeout:.0f} s")
        time.sleep(0.3)


def run_dag(stack: ProcessStack, env: dict[str, str], conf: dict[str, Any]) -> None:
    """``airflow dags test`` the demo DAG, showing its progress; raise when the run fails."""
    command = airflow_command("dags", "test", DAG_ID, "--conf", json.dumps(conf))
    child = stack.start("airflow-dags-test", command, env=env)
    returncode = follow(child, timeout=600)
    log = ANSI.sub("", child.log_path.read_text(errors="replace")) if child.log_path else ""
    if returncode != 0 or not re.search(r"DagRun Finished: .*?\bstate=success", log):
        raise StackError(f"the DAG run failed (exit code {returncode}); see {child.log_path}")


def landed_objects(services: Services, bucket: str) -> list[LandedObject]:
    """Every object in ``bucket``, with its sha256 computed from the bytes read back."""
    client = services.s3_client()
    found = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=entry["Key"])["Body"]
            found.append(LandedObject(entry["Key"], int(entry["Size"]), sha256_of(body)))
    return found


def sha256_of(stream: Any) -> str:
    """Return the sha256 of a readable stream, read 1 MiB at a time."""
    digest = hashlib.sha256()
    while block := stream.read(1 << 20):
        digest.update(block)
    return digest.hexdigest()


def print_landed(bucket: str, objects: list[LandedObject]) -> None:
    print(f"\nwhat landed in s3://{bucket}/ ({len(objects)} objects):")
    for item in objects:
        print(f"  {item.size:>12,} B  sha256 {item.sha256}  {item.key}")


def run_demo(workdir: Path) -> list[LandedObject]:
    """Start the stand-ins, run the DAG, read back what landed; everything started is stopped on return."""
    dags_folder = example_dags_folder()
    with ProcessStack(log_dir=workdir / "logs") as stack:
        services = start_services(stack, api_key=DEMO_API_KEY, tasking_step_seconds=TASKING_STEP_SECONDS)
        print(f"emulator: {services.emulator_url} (a tasking step lasts {TASKING_STEP_SECONDS} s)")
        print(f"S3 server (moto): {services.s3_endpoint}, bucket {DEMO_BUCKET}")
        create_bucket(services, DEMO_BUCKET)
        env = airflow_environment(workdir / "airflow-home", dags_folder, services)
        env["CAPELLA_EXAMPLE_POLL_SECONDS"] = str(POLL_SECONDS)  # the emulator's tasking takes seconds
        print(f"airflow db migrate (AIRFLOW_HOME={env['AIRFLOW_HOME']})", flush=True)
        stack.run("airflow-db-migrate", airflow_command("db", "migrate"), env=env, timeout=300)
        conf = {"bucket": DEMO_BUCKET, "prefix": "demo"}
        print(
            f"airflow dags test {DAG_ID} --conf '{json.dumps(conf)}' (DAGs folder {dags_folder})", flush=True
        )
        run_dag(stack, env, conf)
        return landed_objects(services, DEMO_BUCKET)


def main() -> int:
    workdir = Path.cwd() / ".demo"
    started = time.monotonic()
    try:
        with stop_on_signals():
            objects = run_demo(workdir)
    except Interrupted as interrupted:
        print(f"\n{interrupted}: stopped the emulator, the S3 server and Airflow.", file=sys.stderr)
        return 128 + interrupted.signum
    except StackError as error:
        print(f"\ndemo failed: {error}\nlogs: {workdir / 'logs'}", file=sys.stderr)
        return 1
    print_landed(DEMO_BUCKET, objects)
    print(f"\nstopped the emulator, the S3 server and Airflow; done in {time.monotonic() - started:.0f} s.")
    return 0 if objects else 1


if __name__ == "__main__":
    sys.exit(main())
