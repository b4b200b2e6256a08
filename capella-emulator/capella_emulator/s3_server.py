"""A moto S3 server that checks part checksums as S3 does: the S3 of the demo, the cluster and the tests.

Stock moto 5 stores the ``x-amz-checksum-*`` header of an ``UploadPart`` without checking it against the
body, and its ``ListParts`` omits each part's checksum. S3 does both: it refuses a part whose bytes do
not match the checksum sent with them (``400 BadDigest``) and lists each part's checksum. The engine
relies on both (a corrupted part must be refused; a resumed upload trusts only listed, checksummed
parts), so this server adds them; everything else is moto unchanged. ``make demo``, ``make cluster``
and the tests start it. Run::

    python -m capella_emulator.s3_server -H 127.0.0.1 -p 5000
    python -m capella_emulator.s3_server -p 0 --port-file s3.port   # a free port, written once bound
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any

from moto.s3.responses import S3Response
from moto.s3.utils import compute_checksum

ALGORITHMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")
BAD_DIGEST = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>BadDigest</Code>'
    "<Message>The {name} you specified did not match the calculated checksum.</Message></Error>"
)
_part_checksums: dict[tuple[str, int], tuple[str, str]] = {}
_lock = threading.Lock()


def _sent_checksum(headers: Any) -> tuple[str, str] | None:
    for algorithm in ALGORITHMS:
        value = headers.get(f"x-amz-checksum-{algorithm}")
        if value:
            return algorithm.upper(), value
    return None


def _upload_part(original: Any) -> Any:
    def upload_part(self: S3Response) -> Any:
        sent = _sent_checksum(self.headers)
        if sent is not None:
            algorithm, value = sent
            computed = compute_checksum(self.body, algorithm=algorithm)
            actual = computed.decode() if isinstance(computed, bytes) else str(computed)
            if actual != value:
                return 400, {"Content-Type": "application/xml"}, BAD_DIGEST.format(name=algorithm)
        result = original(self)
        if sent is not None:
            key = (self._get_param("uploadId"), self._get_int_param("partNumber"))
            with _lock:
                _part_checksums[key] = sent
        return result

    return upload_part


_PART = re.compile(r"<Part>(.*?)</Part>", re.DOTALL)
_NUMBER = re.compile(r"<PartNumber>(\d+)</PartNumber>")


def _list_parts(original: Any) -> Any:
    def list_parts(self: S3Response) -> Any:
        status, headers, body = original(self)
        upload_id = self._get_param("uploadId")
        text = body.decode() if isinstance(body, bytes) else body

        def with_checksum(match: re.Match[str]) -> str:
            inner = match.group(1)
            number = _NUMBER.search(inner)
            with _lock:
                known = _part_checksums.get((upload_id, int(number.group(1)))) if number else None
            if known is None:
                return match.group(0)
            algorithm, value = known
            return f"<Part>{inner}<Checksum{algorithm}>{value}</Checksum{algorithm}></Part>"

        return status, headers, _PART.sub(with_checksum, text)

    return list_parts


def patch_moto() -> None:
    """Make moto's ``UploadPart`` check the part checksum and its ``ListParts`` list it, as S3 does."""
    S3Response.upload_part = _upload_part(S3Response.upload_part)  # type: ignore[method-assign]
    S3Response.list_parts = _list_parts(S3Response.list_parts)  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    """Serve moto's S3 with the behaviour above on a socket it binds itself, until SIGTERM or Ctrl-C."""
    import argparse
    import signal

    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from capella_emulator.server import announce_port, bind_socket

    parser = argparse.ArgumentParser(prog="python -m capella_emulator.s3_server")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000, help="0: a free port, see --port-file")
    parser.add_argument("--port-file", default=None, help="write the port once bound (for launchers)")
    args = parser.parse_args(argv)
    patch_moto()
    sock = bind_socket(args.host, args.port)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, 0, app, threaded=True, fd=sock.fileno())
    port = int(sock.getsockname()[1])
    announce_port(args.port_file, port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"S3 server (moto) on http://{args.host}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
