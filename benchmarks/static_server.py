"""nginx serving a directory twice: ``/capped/`` at 25 MB/s per connection, ``/open/`` uncapped.

nginx (from Debian packages), aria2 and curl are what the engine is compared with; :func:`ensure_tools`
installs the missing ones with ``apt-get`` and says so.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from dev.stack import free_port

PACKAGES = {"nginx": "nginx-light", "aria2c": "aria2", "curl": "curl"}
NGINX_CONF = """
worker_processes 2;
daemon off;
user root;
error_log {work}/nginx-error.log warn;
pid {work}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log {work}/nginx-access.log;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    default_type application/octet-stream;
    client_body_temp_path {work}/client_body;
    server {{
        listen 127.0.0.1:{port};
        location /capped/ {{ alias {root}/; limit_rate {rate}; }}
        location /open/ {{ alias {root}/; }}
    }}
}}
"""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (str(path) for path in (Path("/usr/sbin/nginx"),) if path.exists()), None
    )


def ensure_tools() -> None:
    """Install nginx, aria2 and curl from Debian packages when one is missing (needs root and apt-get)."""
    missing = [
        package
        for tool, package in PACKAGES.items()
        if (nginx_binary() if tool == "nginx" else shutil.which(tool)) is None
    ]
    if not missing:
        return
    log(f"make bench: {', '.join(missing)} missing; installing them from Debian packages with apt-get")
    if shutil.which("apt-get") is None:
        raise RuntimeError(
            f"install {' '.join(missing)} (the comparison tools of the benchmark) and run again"
        )
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )


@dataclass
class Nginx:
    """An nginx process serving ``root``.

    Example::

        server = Nginx.start(Path("/dev/shm/files"), Path(".work"), rate=25_000_000)
        url = server.url("raster.tif", capped=True)
    """

    port: int
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, root: Path, work: Path, *, rate: int) -> Nginx:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed")
        port = free_port()
        work.mkdir(parents=True, exist_ok=True)
        (work / "client_body").mkdir(exist_ok=True)
        conf = work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(work=work.resolve(), port=port, root=root.resolve(), rate=rate))
        process = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(work.resolve())],
            stdout=subprocess.DEVNULL,
            stderr=(work / "nginx-stderr.log").open("wb"),
        )
        server = cls(port, process)
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(work / 'nginx-stderr.log').read_text()[-2000:]}")
            try:
                requests.get(f"http://127.0.0.1:{port}/open/", timeout=2)
                return server
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not come up") from None
                time.sleep(0.1)

    def url(self, name: str, *, capped: bool) -> str:
        return f"http://127.0.0.1:{self.port}/{'capped' if capped else 'open'}/{name}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
