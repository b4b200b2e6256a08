"""The adaptive connection count: it backs off when the server throttles, and climbs only while it pays."""

from __future__ import annotations

import re
import threading
import time

from airflow_provider_capella.transfer import TransferSettings, download_products
from airflow_provider_capella.transfer.batch import ConnectionController
from tests.transfer.conftest import MiB, data_requests, expected_sha256, sha256_file

PART = 5 * MiB
THROTTLE = re.compile(r"the server is throttling: (\d+) connections now \(was (\d+)\)")


def test_the_pool_backs_off_under_429s_and_still_completes(capella_emulator, order, tmp_path, caplog):
    placed = order(asset_size=10 * PART)
    item = placed.items[0]
    capella_emulator.set_faults(bandwidth=2_000_000, scope="asset", retry_after=0)
    caplog.set_level("INFO", logger="airflow_provider_capella")
    settings = TransferSettings(part_size=PART, concurrency=8, max_connections=8)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            download_products(placed.items, str(tmp_path), include=["HH"], settings=settings)
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 30
    while len(data_requests(capella_emulator, "GET")) < 6:
        assert time.monotonic() < deadline, "the download never got going"
        time.sleep(0.05)
    capella_emulator.set_faults(fail_next_status=429, fail_next_count=3)
    worker.join(120)

    assert errors == []
    statuses = [entry["status"] for entry in data_requests(capella_emulator)]
    assert statuses.count(429) == 3
    cuts = [(int(now), int(was)) for now, was in THROTTLE.findall(caplog.text)]
    assert cuts and all(now < was for now, was in cuts), "429s cut the number of connections"
    target = tmp_path / item["id"] / f"{item['id']}.tif"
    assert sha256_file(str(target)) == expected_sha256(capella_emulator, item, "HH")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Pool:
    """A worker pool's limit with ``waiting`` tasks queued (the decisions alone, without threads)."""

    def __init__(self, limit: int, size: int, waiting: int = 100) -> None:
        self.limit, self.size, self.waiting = limit, size, waiting

    def set_limit(self, limit: int) -> int:
        self.limit = max(1, min(limit, self.size))
        return self.limit

    def backlog(self) -> int:
        return self.waiting


def controller(start: int = 8, cap: int = 32) -> tuple[ConnectionController, Pool, Clock]:
    pool, clock = Pool(start, cap), Clock()
    return ConnectionController(pool, lambda: 0, start=start, cap=cap, clock=clock), pool, clock


def test_connections_double_while_each_step_pays_and_step_back_when_one_does_not():
    control, pool, _ = controller()

    control.step(200e6)  # 8 connections at 25 MB/s each
    assert pool.limit == 16
    control.step(400e6)  # twice the connections, twice the throughput
    assert pool.limit == 32
    control.step(420e6)  # barely more: not worth 16 more connections
    assert pool.limit == 16
    control.step(400e6)
    assert pool.limit == 16, "and stays there"
    assert control.summary() == "8 -> 16 -> 32 -> 16"


def test_no_growth_without_work_waiting():
    control, pool, _ = controller()
    pool.waiting = 0

    control.step(200e6)

    assert pool.limit == 8


def test_fewer_connections_are_kept_when_they_are_as_fast():
    control, pool, _ = controller()

    control.step(1000e6)  # 8 connections, a fast source
    assert pool.limit == 16
    control.step(990e6)  # 16 do not help: back to 8, then try fewer
    assert pool.limit == 8
    control.step(1000e6)
    assert pool.limit == 4
    control.step(980e6)  # 4 are as fast as 8: keep going down
    assert pool.limit == 2
    control.step(600e6)  # 2 are slower: back to 4, and stay
    assert pool.limit == 4
    control.step(1000e6)
    assert pool.limit == 4


def test_a_throttle_halves_once_per_burst_and_growth_waits():
    control, pool, clock = controller(start=16)

    control.throttled()
    control.throttled()  # the same burst of 429s
    assert pool.limit == 8
    control.step(100e6)
    assert pool.limit == 8, "no growth right after the server pushed back"
    clock.now += 60
    control.step(100e6)
    control.step(200e6)
    assert pool.limit > 8, "growth resumes once the hold is over"
