"""Run a local cluster in the foreground: ``python -m dev.cluster``.

``make cluster`` runs it.

Example::

    python -m dev.cluster --dir .cluster --dags-folder example_dags --workers 3
    AIRFLOW__CORE__PARALLELISM=64 make cluster CLUSTER_WORKERS=4     # AIRFLOW__* settings pass through
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dev.cluster.launcher import Cluster
from dev.cluster.settings import ClusterConfig, airflow_overrides_from
from dev.stack import Interrupted, ProcessStack, StackError, stop_on_signals


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make cluster",
        description="PostgreSQL, Redis, Airflow (api-server, scheduler, dag-processor, triggerer, Celery "
        "workers), the Capella emulator and an S3 server, as local processes; Ctrl-C stops them all.",
    )
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("CLUSTER_DIR", ".cluster")),
                        help="state, logs and cluster.json (CLUSTER_DIR, default .cluster)")  # fmt: skip
    dags = Path(os.environ.get("DAGS_FOLDER", "example_dags"))
    parser.add_argument("--dags-folder", type=Path, default=dags,
                        help="the DAGs folder (DAGS_FOLDER, default example_dags)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=int(os.environ.get("CLUSTER_WORKERS", "2")),
                        help="Celery workers (CLUSTER_WORKERS, default 2)")  # fmt: skip
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("CLUSTER_API_PORT", "0")),
                        help="the api-server's port (CLUSTER_API_PORT; default: a free port)")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = ClusterConfig(
            cluster_dir=args.dir,
            dags_folder=args.dags_folder,
            workers=args.workers,
            api_port=args.api_port,
            airflow_overrides=airflow_overrides_from(os.environ),
        )
    except ValueError as error:
        print(f"make cluster: {error}", file=sys.stderr)
        return 2
    config.logs.mkdir(parents=True, exist_ok=True)
    try:
        with ProcessStack(log_dir=config.logs) as stack, stop_on_signals():
            try:
                cluster = Cluster.start(stack, config, say=_say)
                cluster.supervise(say=_say)
            finally:
                config.cluster_json.unlink(missing_ok=True)
                _say("cluster: stopping every process")
    except Interrupted as interrupted:
        _say("cluster: stopped")
        return 128 + interrupted.signum
    except StackError as error:
        print(f"make cluster: {error}", file=sys.stderr)
        return 1
    return 0


def _say(message: str) -> None:
    print(message, flush=True)


if __name__ == "__main__":
    sys.exit(main())
