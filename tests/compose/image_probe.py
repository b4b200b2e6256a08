"""Run by the Python of an environment built like the image; reports as JSON what the compose file relies on.

Reads a JSON request on stdin, ``{"airflow_commands": [[...], ...], "celery_apps": ["module.attr", ...]}``,
and answers on stdout with: which Airflow CLI commands parse (and the error of those that don't), the
registered provider and its hook, whether each Celery app exists, the ports the scheduler's health server
and the api-server listen on, and the unauthenticated REST paths. The environment is the compose file's
Airflow environment, so the parser holds exactly the commands the containers have (celery, users, ...).

Example::

    echo '{"airflow_commands": [["scheduler"]], "celery_apps": []}' | python image_probe.py
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
from typing import Any


def parse_errors(commands: list[list[str]]) -> dict[str, str]:
    from airflow.cli.cli_parser import get_parser

    parser = get_parser()
    errors = {}
    for command in commands:
        output = io.StringIO()
        try:
            with contextlib.redirect_stderr(output), contextlib.redirect_stdout(io.StringIO()):
                parser.parse_args(command)
        except SystemExit:
            errors[" ".join(command)] = output.getvalue().strip()
    return errors


def provider() -> dict[str, Any]:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    info = manager.providers.get("airflow-provider-capella")
    connection_types = info.data.get("connection-types", []) if info else []
    return {
        "version": info.version if info else None,
        "connection_types": {
            entry["connection-type"]: entry["hook-class-name"] for entry in connection_types
        },
        "providers": sorted(manager.providers),
    }


def celery_apps(references: list[str]) -> dict[str, bool]:
    found = {}
    for reference in references:
        module, _, attribute = reference.rpartition(".")
        try:
            found[reference] = hasattr(importlib.import_module(module), attribute)
        except ImportError:
            found[reference] = False
    return found


def open_rest_paths() -> list[str]:
    from airflow.api_fastapi.core_api.routes.public import authenticated_router, public_router

    authenticated = {route.path for route in authenticated_router.routes}  # type: ignore[attr-defined]
    public = {route.path for route in public_router.routes}  # type: ignore[attr-defined]
    return sorted(path for path in public if path.removeprefix("/api/v2") not in authenticated)


def main() -> None:
    request = json.load(sys.stdin)
    from airflow.configuration import conf

    report = {
        "parse_errors": parse_errors(request["airflow_commands"]),
        "provider": provider(),
        "celery_apps": celery_apps(request["celery_apps"]),
        "scheduler_health_port": conf.getint("scheduler", "scheduler_health_check_server_port"),
        "api_port": conf.getint("api", "port"),
        "open_rest_paths": open_rest_paths(),
    }
    print("\n" + json.dumps(report))


if __name__ == "__main__":
    main()
