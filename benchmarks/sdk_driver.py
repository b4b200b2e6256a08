"""Runs the official SDK's ``download_products`` once, in the SDK's own virtual environment.

Imports nothing from this project. Usage: ``<sdk-venv>/bin/python benchmarks/sdk_driver.py < request.json``
with ``{"url", "api_key", "items", "destination", "include"}``; prints ``{"seconds", "peak_rss_bytes"}``.
"""

from __future__ import annotations

import json
import logging
import sys
import time


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (``VmHWM``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    import httpx  # noqa: F401
    from capella_console_client import CapellaConsoleClient

    logging.disable(logging.INFO)
    request = json.load(sys.stdin)
    if request["destination"].startswith("s3://"):
        import boto3  # noqa: F401
        import cloudpathlib  # noqa: F401
    client = CapellaConsoleClient(api_key=request["api_key"], base_url=request["url"])
    started = time.perf_counter()
    client.download_products(
        items_presigned=request["items"], local_dir=request["destination"], include=request.get("include")
    )
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_rss_bytes": peak_rss_bytes()}))


if __name__ == "__main__":
    main()
