"""The task-instance hostname of a cluster worker (Airflow's ``[core] hostname_callable``).

All workers of ``make cluster`` share one machine; each gets its own name (``capella-worker-1``, ...)
through the ``CAPELLA_CLUSTER_HOSTNAME`` variable, so the UI and the REST API tell which worker ran a
task, as they do for workers on separate machines.
"""

from __future__ import annotations

import os
import socket


def worker_hostname() -> str:
    """``CAPELLA_CLUSTER_HOSTNAME`` when set, else this machine's fully qualified name."""
    return os.environ.get("CAPELLA_CLUSTER_HOSTNAME") or socket.getfqdn()
