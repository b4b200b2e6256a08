"""Runs this provider's download engine once, in its own process; prints its time, CPU and peak memory.

Usage: ``python -m benchmarks.ours_driver < request.json`` with ``{"items", "destination", "include"}``
(and optionally ``"concurrency"``, ``"part_size"``). Prints ``{"seconds", "cpu_seconds", "peak_rss_bytes"}``:
wall and CPU time (every thread of the process) of the download call only, and the process's ``VmHWM``.
"""

from __future__ import annotations

import json
import sys
import time


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (``VmHWM``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def warm_imports(destination: str) -> None:
    """Import what the call will import, so the clock measures the download and not module loading."""
    import requests  # noqa: F401
    import urllib3  # noqa: F401

    if destination.startswith("s3://"):
        import boto3  # noqa: F401


def main() -> None:
    from airflow_provider_capella.transfer import download_products

    request = json.load(sys.stdin)
    warm_imports(request["destination"])
    started, cpu = time.perf_counter(), time.process_time()
    download_products(
        request["items"],
        request["destination"],
        include=request.get("include"),
        concurrency=request.get("concurrency"),
        part_size=request.get("part_size"),
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_bytes": peak_rss_bytes()}))


if __name__ == "__main__":
    main()
