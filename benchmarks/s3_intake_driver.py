"""The S3 server's own intake: boto3 uploads ``size`` bytes held in RAM; prints seconds, CPU and peak RSS.

Usage: ``python -m benchmarks.s3_intake_driver < {"bucket", "key", "size"}`` with ``AWS_ENDPOINT_URL`` set.
The client is configured as the engine's (16 threads, 8 MiB parts, CRC32 part checksums, no payload
hashing for the signature), so the figure is what the server takes in, not what a slower client sends.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time

from benchmarks.ours_driver import peak_rss_bytes

MiB = 1024 * 1024


def main() -> None:
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    request = json.load(sys.stdin)
    block = os.urandom(16 * MiB)
    data = (block * (request["size"] // len(block) + 1))[: request["size"]]
    client = boto3.session.Session().client(
        "s3", config=Config(max_pool_connections=20, s3={"payload_signing_enabled": False})
    )
    config = TransferConfig(multipart_chunksize=8 * MiB, max_concurrency=16, use_threads=True)
    started, cpu = time.perf_counter(), time.process_time()
    client.upload_fileobj(
        io.BytesIO(data),
        request["bucket"],
        request["key"],
        Config=config,
        ExtraArgs={"ChecksumAlgorithm": "CRC32"},
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_bytes": peak_rss_bytes()}))


if __name__ == "__main__":
    main()
