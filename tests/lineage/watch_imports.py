"""Run the ``airflow`` CLI, then write down which OpenLineage modules were imported, or even looked for.

A finder at the head of ``sys.meta_path`` only notes the names asked for and finds nothing itself, so
imports behave exactly as without it. The report goes to ``$CAPELLA_IMPORT_REPORT`` when the CLI exits.

Example::

    CAPELLA_IMPORT_REPORT=/tmp/imports.json python watch_imports.py dags test capella_tasking_to_s3
"""

from __future__ import annotations

import atexit
import importlib.abc
import json
import os
import sys
from typing import Any

WATCHED = ("openlineage", "airflow.providers.openlineage")


class LookedFor(importlib.abc.MetaPathFinder):
    """Notes every watched module name an import asks for; finds nothing."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.startswith(WATCHED):
            self.names.append(fullname)
        return None


def main() -> None:
    watch = LookedFor()
    sys.meta_path.insert(0, watch)

    def report() -> None:
        loaded = sorted(name for name in sys.modules if name.startswith(WATCHED))
        with open(os.environ["CAPELLA_IMPORT_REPORT"], "w") as stream:
            json.dump({"loaded": loaded, "looked_for": sorted(set(watch.names))}, stream)

    atexit.register(report)
    from airflow.__main__ import main as airflow_main

    sys.argv = ["airflow", *sys.argv[1:]]
    airflow_main()


if __name__ == "__main__":
    main()
