"""Serving the emulator: in a background thread (tests, demo) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from capella_emulator.config import EmulatorConfig
    from capella_emulator.state import EmulatorState


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


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
    """Start an emulator on ``host:port`` (a free port when ``None``) and wait until it accepts requests."""
    import uvicorn

    from capella_emulator.app import create_app

    port = port or free_port(host)
    app = create_app(config)
    server = uvicorn.Server(uvicorn_config(app, host, port))
    thread = threading.Thread(target=server.run, name=f"capella-emulator-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the Capella emulator did not start on {host}:{port}")
        time.sleep(0.02)
    return RunningEmulator(
        url=f"http://{host}:{port}", state=app.state.emulator, server=server, thread=thread
    )
