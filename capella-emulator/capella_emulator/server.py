"""Serving the emulator: in a background thread (tests, demo) or in the foreground (CLI)."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from capella_emulator.config import EmulatorConfig
    from capella_emulator.state import EmulatorState


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Bind and listen on ``host:port`` (``0``: the kernel picks one), keeping the socket for the server.

    No other process can take the port between choosing it and serving on it.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)  # connections queue from now on, before the server loop takes over
    except OSError:
        sock.close()
        raise
    return sock


def announce_port(port_file: str | os.PathLike[str] | None, port: int) -> None:
    """Write the port a server is bound to into ``port_file`` (atomically: a reader sees all or nothing)."""
    if port_file is None:
        return
    path = Path(port_file)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(f"{port}\n")
    partial.replace(path)


def wait_for_port_file(path: Path, process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """Return the port a child server announced in ``path`` (:func:`announce_port`) once it bound it.

    :raises RuntimeError: the child exited, or announced nothing within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise RuntimeError(f"the server (pid {process.pid}) exited ({process.returncode}) before binding")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server (pid {process.pid}) bound no port within {timeout:.0f} s")
        time.sleep(0.05)
    return int(path.read_text())


@dataclass
class RunningEmulator:
    """An emulator served from a daemon thread; ``stop()`` shuts it down.

    Example::

        running = start_in_thread(EmulatorConfig(api_key="KEY"))
        print(running.url)
        running.stop()
    """

    url: str
    state: EmulatorState
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def uvicorn_config(app: FastAPI, host: str, port: int, log_level: str = "warning") -> uvicorn.Config:
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=30,
        lifespan="off",
    )


def start_in_thread(
    config: EmulatorConfig, host: str = "127.0.0.1", port: int | None = None
) -> RunningEmulator:
    """Start an emulator on ``host:port`` (its own port when ``None``); wait until it accepts requests."""
    import uvicorn

    from capella_emulator.app import create_app

    sock = bind_socket(host, port or 0)
    port = int(sock.getsockname()[1])
    app = create_app(config)
    server = uvicorn.Server(uvicorn_config(app, host, port))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"capella-emulator-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the Capella emulator did not start on {host}:{port}")
        time.sleep(0.02)
    return RunningEmulator(
        url=f"http://{host}:{port}", state=app.state.emulator, server=server, thread=thread
    )
