"""The emulator's cross-cutting behaviour over real HTTP: auth, request log, faults, control surface, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from capella_emulator.server import wait_for_port_file

from tests.emulator.test_assets import presigned_item, raster_key


def get_user(emulator: Any, authorization: str | None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(f"{emulator.url}/user", headers=headers, timeout=10)


@pytest.mark.parametrize("scheme", ["ApiKey", "apikey", "APIKEY", "Bearer", "bearer"])
def test_the_key_is_accepted_with_either_scheme_in_any_case(capella_emulator, scheme: str) -> None:
    response = get_user(capella_emulator, f"{scheme} {capella_emulator.api_key}")
    assert response.status_code == 200
    assert response.json()["id"] == capella_emulator.state.config.user_id


@pytest.mark.parametrize("authorization", [None, "ApiKey wrong", "Basic abc", "test-api-key", "ApiKey"])
def test_anything_else_gets_the_gateways_401(capella_emulator, authorization: str | None) -> None:
    response = get_user(capella_emulator, authorization)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_the_request_log_records_requests_with_the_key_redacted(capella_emulator) -> None:
    get_user(capella_emulator, f"ApiKey {capella_emulator.api_key}")
    requests.post(
        f"{capella_emulator.url}/catalog/search?page=1",
        json={"limit": 1},
        headers=capella_emulator.auth_headers,
        timeout=10,
    )
    entries = capella_emulator.requests()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in entries] == [
        ("GET", "/user", 200),
        ("POST", "/catalog/search", 200),
    ]
    assert entries[1]["query"] == "page=1"
    assert entries[0]["headers"]["authorization"] == "ApiKey ***"
    assert capella_emulator.api_key not in json.dumps(entries)
    capella_emulator.clear_requests()
    assert capella_emulator.requests() == []


def test_fail_next_returns_gateway_errors_then_recovers(capella_emulator) -> None:
    capella_emulator.set_faults(fail_next_status=503, fail_next_count=2)
    statuses = [get_user(capella_emulator, f"ApiKey {capella_emulator.api_key}") for _ in range(3)]
    assert [response.status_code for response in statuses] == [503, 503, 200]
    assert statuses[0].headers["Content-Type"].startswith("text/html")  # a gateway page, not JSON


def test_fail_next_can_let_some_requests_pass_first(capella_emulator) -> None:
    capella_emulator.set_faults(fail_next_after=1, fail_next_status=500, fail_next_count=1)
    statuses = [get_user(capella_emulator, f"ApiKey {capella_emulator.api_key}") for _ in range(3)]
    assert [response.status_code for response in statuses] == [200, 500, 200]


def test_rate_limits_carry_retry_after(capella_emulator) -> None:
    capella_emulator.set_faults(fault_429_rate=1.0, retry_after=3)
    response = get_user(capella_emulator, f"ApiKey {capella_emulator.api_key}")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"


def test_the_5xx_rate_draws_gateway_errors(capella_emulator) -> None:
    capella_emulator.set_faults(fault_5xx_rate=1.0)
    key = f"ApiKey {capella_emulator.api_key}"
    statuses = {get_user(capella_emulator, key).status_code for _ in range(8)}
    assert statuses <= {500, 502, 503, 504}


def test_latency_delays_every_response(capella_emulator) -> None:
    capella_emulator.set_faults(latency_ms=300)
    started = time.monotonic()
    assert get_user(capella_emulator, f"ApiKey {capella_emulator.api_key}").status_code == 200
    assert time.monotonic() - started >= 0.3


def read_streamed(url: str) -> tuple[int, Exception | None]:
    """Bytes received from ``url`` and the error that ended the read early, if any."""
    received = 0
    try:
        with requests.get(url, stream=True, timeout=10) as response:
            for chunk in response.iter_content(64 * 1024):
                received += len(chunk)
    except requests.exceptions.RequestException as error:
        return received, error
    return received, None


def test_a_dropped_connection_cuts_the_body_short(capella_emulator) -> None:
    item = presigned_item(capella_emulator)
    capella_emulator.set_faults(fault_drop_rate=1.0, scope="asset")
    received, error = read_streamed(item["assets"][raster_key(item)]["href"])
    assert error is not None
    assert received < capella_emulator.state.config.asset_size
    assert get_user(capella_emulator, f"ApiKey {capella_emulator.api_key}").status_code == 200  # scoped


def test_the_bandwidth_cap_paces_each_connection(capella_emulator) -> None:
    item = presigned_item(capella_emulator)
    size = capella_emulator.state.config.asset_size  # 256 KiB in the test fixture
    capella_emulator.set_faults(bandwidth=size * 2, scope="asset")  # 0.5 s per download
    started = time.monotonic()
    response = requests.get(item["assets"][raster_key(item)]["href"], timeout=30)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and len(response.content) == size
    assert elapsed >= 0.4


def test_control_rejects_unknown_settings_and_resets_the_world(capella_emulator) -> None:
    bad = requests.post(f"{capella_emulator.url}/_emulator/faults", json={"fault_rate": 1}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"
    bad = requests.post(f"{capella_emulator.url}/_emulator/settings", json={"seed": 3}, timeout=10)
    assert bad.status_code == 400 and "accepted" in bad.json()["error"]["detail"][0]["message"]
    assert capella_emulator.settings(budget=5)["budget"] == 5
    presigned_item(capella_emulator)  # places an order
    assert capella_emulator.state.orders.list_for(capella_emulator.state.config.user_id)
    reset = requests.post(f"{capella_emulator.url}/_emulator/reset", timeout=10)
    assert reset.json() == {"status": "reset"}
    assert capella_emulator.state.orders.list_for(capella_emulator.state.config.user_id) == []
    assert capella_emulator.requests() == []
    health = requests.get(f"{capella_emulator.url}/_emulator/health", timeout=10)
    assert health.json() == {"status": "ok", "pid": os.getpid()}  # in-process: this test's own pid


def test_unknown_paths_get_the_api_error_shape(capella_emulator) -> None:
    response = requests.get(f"{capella_emulator.url}/nothing-here", headers=capella_emulator.auth_headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def start_cli(*flags: str) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m capella_emulator`` on a port it binds itself and announces (``--port 0 --port-file``)."""
    port_file = Path(tempfile.mkdtemp()) / "port"
    command = [sys.executable, "-m", "capella_emulator", "--port", "0", "--port-file", str(port_file), *flags]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{wait_for_port_file(port_file, process, timeout=30)}"
        health = requests.get(f"{url}/_emulator/health", timeout=10).json()
    except Exception:
        process.kill()
        raise
    assert health == {"status": "ok", "pid": process.pid}  # the server that answers is the one started
    return process, url


def test_the_module_entry_point_serves_with_its_flags() -> None:
    process, url = start_cli(
        "--api-key", "cli-key", "--catalog-size", "300", "--fault-429-rate", "1", "--retry-after", "2"
    )
    try:
        faults = requests.get(f"{url}/_emulator/faults", timeout=10).json()
        assert faults["fault_429_rate"] == 1.0 and faults["retry_after"] == 2.0
        limited = requests.get(f"{url}/user", headers={"Authorization": "ApiKey cli-key"}, timeout=10)
        assert limited.status_code == 429
        requests.post(f"{url}/_emulator/faults", json={"fault_429_rate": 0}, timeout=10)
        headers = {"Authorization": "ApiKey cli-key"}
        search = requests.post(f"{url}/catalog/search", json={"limit": 1}, headers=headers, timeout=10)
        assert search.json()["numberMatched"] == 300
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_console_script_rejects_a_bad_flag_by_name() -> None:
    script = Path(sys.executable).parent / "capella-emulator"
    assert script.exists(), "the capella-emulator console script is not installed"
    result = subprocess.run(
        [str(script), "--fault-5xx-rate", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert "--fault-5xx-rate" in result.stderr and "probability" in result.stderr
