"""Runs ``download_products`` in a child process (so a test can SIGKILL it, or read its peak memory).

Reads ``{"items", "destination", "part_size", "concurrency", "include"?, "enable_resume"?}`` as JSON
on stdin; prints a JSON line ``{"peak_rss_bytes": ...}`` on stdout when done.
"""

from __future__ import annotations

import json
import logging
import signal
import sys

from airflow_provider_capella.transfer import TransferSettings, download_products


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    # Airflow stops a task by raising in its main thread; SystemExit stands in for that here.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    request = json.load(sys.stdin)
    settings = TransferSettings(
        part_size=request["part_size"],
        concurrency=request["concurrency"],
        adaptive=request.get("adaptive", False),
    )
    download_products(
        request["items"],
        request["destination"],
        include=request.get("include"),
        override=request.get("override", False),
        enable_resume=request.get("enable_resume", True),
        settings=settings,
    )
    print(json.dumps({"peak_rss_bytes": peak_rss_bytes()}))


def peak_rss_bytes() -> int:
    """This process's peak resident memory (``VmHWM``; ``ru_maxrss`` would include the forking parent's)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    main()
