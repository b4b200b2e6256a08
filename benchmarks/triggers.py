"""1,000 ``TaskCompletedTrigger``s in one event loop, as a triggerer runs them, against the emulator.

Each trigger waits on its own tasking request (most complete, some are rejected or fail). The script
checks what the issue asks of the trigger and reports the numbers:

- one ``GET /task/{id}`` per trigger per poll (the emulator's request log against each event's count),
  and no other API request;
- the event loop is never blocked for more than 0.2 s by the triggers (the worst lateness of a 10 ms
  ticker, less the garbage collector's runs within that tick: a full collection of Airflow's own heap
  takes what it takes on the machine, measured and reported beside it);
- memory (RSS of this process: before, peak while waiting, per trigger), wall time, open connections,
  and how long after its final status each request's event fired.

The emulator runs in its own process, so its work does not compete with the loop for the GIL.

Usage::

    uv run python -m benchmarks.triggers                      # 1,000 triggers (about a minute)
    uv run python -m benchmarks.triggers --triggers 50 --tasking-step-seconds 1 --poll-interval 1
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from benchmarks.results_file import RESULTS, write_section

API_KEY = "benchmark-api-key"
CONN_ID = "capella_benchmark"
MAX_LAG_SECONDS = 0.2
TICK_SECONDS = 0.01
REQUEST_LOG_LIMIT = 20_000  # the emulator keeps this many requests
OUTCOMES = {"": "success", "emulator:rejected": "failed", "emulator:failed": "failed"}


@dataclass
class Settings:
    triggers: int
    poll_interval: float
    step: float
    output: Path | None


@dataclass
class GcPauses:
    """Durations of the garbage collector's runs (``gc.callbacks``), by generation."""

    pauses: list[tuple[int, float]] = field(default_factory=list)
    intervals: list[tuple[float, float]] = field(default_factory=list)  # (start, end), time.monotonic()
    _started: float = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._record)

    def _record(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.monotonic()
        else:
            ended = time.monotonic()
            self.pauses.append((int(info["generation"]), ended - self._started))
            self.intervals.append((self._started, ended))

    def longest(self) -> tuple[int, float]:
        return max(self.pauses, key=lambda pause: pause[1], default=(0, 0.0))

    def within(self, start: float, end: float) -> float:
        """Seconds the collector ran between ``start`` and ``end`` (time.monotonic())."""
        return sum(max(0.0, min(end, stop) - max(start, begin)) for begin, stop in self.intervals)


def full_collection_seconds(rounds: int = 3) -> float:
    """The median duration of a full collection of this process's heap: the floor of any loop's stalls."""
    durations = []
    for _ in range(rounds):
        started = time.monotonic()
        gc.collect()
        durations.append(time.monotonic() - started)
    return sorted(durations)[rounds // 2]


@dataclass
class Sampler:
    """A background thread sampling this process's RSS and its TCP connections to the emulator."""

    port: int
    interval: float = 0.05
    peak_rss: int = 0
    peak_connections: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        import psutil

        process = psutil.Process()
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, rss_bytes())
            connections = [c for c in process.net_connections("tcp") if c.raddr and c.raddr.port == self.port]
            self.peak_connections = max(self.peak_connections, len(connections))
            self._stop.wait(self.interval)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def start_emulator(step: float) -> tuple[str, subprocess.Popen[bytes]]:
    from benchmarks.services import child_environment, wait_for
    from dev.stack import free_port

    port = free_port()
    command = [str(Path(sys.executable).with_name("capella-emulator")), "--port", str(port)]
    command += ["--api-key", API_KEY, "--catalog-size", "50", "--tasking-step-seconds", str(step)]
    command += ["--log-level", "warning", "--auto-approve-review"]  # the loop is measured, not review
    process = subprocess.Popen(command, env=child_environment(), stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/_emulator/health", process)
    return url, process


async def create_requests(url: str, count: int) -> dict[str, str]:
    """``{tasking request id: expected event status}``; every 20th is rejected, every 20th fails."""
    markers = [
        "emulator:rejected" if i % 20 == 7 else "emulator:failed" if i % 20 == 13 else ""
        for i in range(count)
    ]

    async with httpx.AsyncClient(
        base_url=url,
        headers={"Authorization": f"ApiKey {API_KEY}"},
        limits=httpx.Limits(max_connections=16),
        timeout=httpx.Timeout(60.0, pool=None),  # 1,000 creations queue for 16 connections: no pool deadline
    ) as client:

        async def create(index: int) -> str:
            properties = {"taskingrequestName": f"benchmark {index}", "customAttribute2": markers[index]}
            point = {"type": "Point", "coordinates": [-105.0 + index * 0.001, 40.0]}
            response = await client.post(
                "/task", json={"type": "Feature", "geometry": point, "properties": properties}
            )
            response.raise_for_status()
            return str(response.json()["properties"]["taskingrequestId"])

        ids = await asyncio.gather(*(create(index) for index in range(count)))
        await client.delete("/_emulator/requests")
    return {task_id: OUTCOMES[marker] for task_id, marker in zip(ids, markers, strict=True)}


async def run_triggers(
    task_ids: list[str], poll_interval: float
) -> tuple[list[dict[str, Any]], list[tuple[float, float]], list[float], float]:
    """Every trigger's first event (with the time it fired), the ticker's ticks (start and end,
    ``time.monotonic()``), the loop thread's CPU seconds during each tick, and the wall time."""
    from airflow_provider_capella.triggers.tasking import TaskCompletedTrigger

    ticks: list[tuple[float, float]] = []
    busy: list[float] = []
    finished = asyncio.Event()

    async def ticker() -> None:
        while not finished.is_set():
            before, cpu_before = time.monotonic(), time.thread_time()
            await asyncio.sleep(TICK_SECONDS)
            ticks.append((before, time.monotonic()))
            busy.append(time.thread_time() - cpu_before)

    async def wait(task_id: str) -> dict[str, Any]:
        trigger = TaskCompletedTrigger(
            task_id, CONN_ID, poll_interval=poll_interval, end_time=time.time() + 3600
        )
        async for event in trigger.run():  # it fires once, then its generator ends
            return {**event.payload, "fired_at": time.time()}
        raise RuntimeError(f"the trigger of {task_id} ended without an event")

    ticking = asyncio.ensure_future(ticker())
    started = time.perf_counter()
    payloads = await asyncio.gather(*(wait(task_id) for task_id in task_ids))
    wall = time.perf_counter() - started
    finished.set()
    await ticking
    return list(payloads), ticks, busy, wall


def count_polls(url: str) -> tuple[dict[str, int], int, int]:
    """``{task id: GET /task/{id} requests}``, requests to anything else, and the log's length."""
    entries = httpx.get(f"{url}/_emulator/requests", timeout=120).json()
    polls: dict[str, int] = {}
    others = 0
    for entry in entries:
        if entry["method"] == "GET" and entry["path"].startswith("/task/"):
            task_id = entry["path"].rsplit("/", 1)[-1]
            polls[task_id] = polls.get(task_id, 0) + 1
        else:
            others += 1
    return polls, others, len(entries)


def detection_delays(url: str, payloads: list[dict[str, Any]]) -> list[float]:
    """Seconds from each request's final status (the API's own timestamp) to its trigger's event."""
    delays = []
    with httpx.Client(base_url=url, headers={"Authorization": f"ApiKey {API_KEY}"}) as client:
        for payload in payloads:
            history = client.get(f"/task/{payload['tasking_request_id']}").json()["properties"][
                "statusHistory"
            ]
            final = next(entry for entry in history if entry["code"] == payload["task_status"])
            moment = datetime.fromisoformat(final["time"].replace("Z", "+00:00")).timestamp()
            delays.append(payload["fired_at"] - moment)
    return delays


def percentile(values: list[float] | list[int], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    url, emulator = start_emulator(settings.step)
    try:
        os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"  # the emulator is local
        os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = json.dumps(
            {"conn_type": "capella", "host": url, "password": API_KEY}
        )
        import airflow_provider_capella.triggers.tasking  # noqa: F401  (imports out of the measurement)

        imported = rss_bytes()
        expected = asyncio.run(create_requests(url, settings.triggers))
        sampler = Sampler(port=int(url.rsplit(":", 1)[-1]))
        baseline, heap_objects = rss_bytes(), len(gc.get_objects())
        gc_floor = full_collection_seconds()
        sampler.start()
        with GcPauses() as collections:
            payloads, ticks, busy, wall = asyncio.run(run_triggers(list(expected), settings.poll_interval))
        sampler.stop()
        after = rss_bytes()
        polls, others, logged = count_polls(url)
        delays = detection_delays(url, payloads)
    finally:
        from benchmarks.services import stop

        stop(emulator)
    lags = [end - start - TICK_SECONDS for start, end in ticks]
    report = Report(settings, expected, payloads, lags, busy, wall, polls, others, logged, delays)
    report.memory = (imported, baseline, sampler.peak_rss, after, sampler.peak_connections)
    report.collections, report.heap_objects, report.gc_floor = collections, heap_objects, gc_floor
    report.lags_beyond_gc = [
        end - start - TICK_SECONDS - collections.within(start, end) for start, end in ticks
    ]
    text = report.markdown()
    print(text)
    if settings.output is not None:
        write_section(settings.output, "triggers", text)
    return 0 if report.passed() else 1


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--poll-interval", type=float, default=5.0, help="seconds between a trigger's polls")
    parser.add_argument(
        "--tasking-step-seconds", type=float, default=4.0, help="the emulator's tasking clock"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="'-' for none")
    args = parser.parse_args(argv)
    output = None if str(args.output) == "-" else args.output
    return Settings(args.triggers, args.poll_interval, args.tasking_step_seconds, output)


@dataclass
class Report:
    settings: Settings
    expected: dict[str, str]
    payloads: list[dict[str, Any]]
    lags: list[float]
    busy: list[float]
    wall: float
    polls: dict[str, int]
    others: int
    logged: int
    delays: list[float]
    memory: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    collections: GcPauses = field(default_factory=GcPauses)
    heap_objects: int = 0
    gc_floor: float = 0.0
    lags_beyond_gc: list[float] = field(default_factory=list)

    def checks(self) -> list[tuple[str, str, bool]]:
        outcomes_right = sum(p["status"] == self.expected[p["tasking_request_id"]] for p in self.payloads)
        polls_match = sum(self.polls.get(p["tasking_request_id"], 0) == p["polls"] for p in self.payloads)
        total_polls = sum(p["polls"] for p in self.payloads)
        max_lag = max(self.lags_beyond_gc, default=0.0)
        return [
            (
                "every trigger fired the expected event",
                f"{outcomes_right} of {len(self.payloads)}",
                outcomes_right == len(self.payloads) == len(self.expected),
            ),
            (
                "one `GET /task/{id}` per trigger per poll",
                f"{polls_match} of {len(self.payloads)} triggers; {total_polls} polls, "
                f"{sum(self.polls.values())} requests",
                polls_match == len(self.payloads) and self.logged < REQUEST_LOG_LIMIT,
            ),
            ("no other API request", f"{self.others}", self.others == 0),
            (
                f"event loop never blocked more than {MAX_LAG_SECONDS} s, garbage collections apart",
                f"max {max_lag * 1000:.0f} ms (with them: {max(self.lags, default=0.0) * 1000:.0f} ms)",
                max_lag <= MAX_LAG_SECONDS,
            ),
        ]

    def passed(self) -> bool:
        return all(ok for _, _, ok in self.checks())

    def markdown(self) -> str:
        imported, baseline, peak, after, connections = self.memory
        count = len(self.payloads)
        polls = [p["polls"] for p in self.payloads]
        statuses: dict[str, int] = {}
        for payload in self.payloads:
            statuses[payload["status"]] = statuses.get(payload["status"], 0) + 1
        from airflow_provider_capella.hooks.capella_async import MAX_CONNECTIONS

        mib = 1024 * 1024
        gc_generation, gc_longest = self.collections.longest()
        lines = [
            f"# Trigger benchmark: TaskCompletedTrigger x {count:,} in one event loop",
            "",
            "Generated by `uv run python -m benchmarks.triggers` "
            f"(`--triggers {self.settings.triggers} --poll-interval {self.settings.poll_interval:g} "
            f"--tasking-step-seconds {self.settings.step:g}`).",
            "",
            f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs; "
            f"Python {platform.python_version()}; {platform.platform()}",
            "- The `capella-emulator` runs in its own process; each trigger waits on its own tasking "
            f"request (one status step every {self.settings.step:g} s; 1 in 20 is rejected in review, "
            "1 in 20 fails at collection, the rest complete). The triggers run as a triggerer runs them: "
            "`run()` iterated to its first event, all concurrently in one asyncio loop, sharing one pooled "
            f"`httpx.AsyncClient` per API host and credential, with at most {MAX_CONNECTIONS} requests "
            "in flight.",
            "- Loop lag: a 10 ms ticker in the same loop; its lateness is how long the loop was blocked. "
            "The loop thread's CPU time within a tick tells the loop's own work from time the process "
            "spent descheduled (the machine is shared with the emulator process).",
            "- Garbage collection: a full (generation 2) collection walks every object of the process "
            f"({self.heap_objects:,} with Airflow and the provider imported) and holds the loop while it "
            "runs. A triggerer carries the same heap, so such pauses are the floor of its loop latency "
            f"whatever its triggers do: a full collection took {self.gc_floor * 1000:.0f} ms on this machine "
            "before the triggers started. They are counted below, and the loop check leaves them out.",
            "- Memory: this process's RSS once Airflow and the provider are imported, before the triggers "
            "started (the requests created: memory freed then is reused by the triggers, so the first "
            "per-trigger figure is a lower bound and the second an upper bound), its peak while they "
            "waited (sampled every 50 ms), and after.",
            "",
            "## Checks",
            "",
            "| Check | Measured | Met |",
            "|---|---|:---:|",
        ]
        lines += [
            f"| {name} | {measured} | {'yes' if ok else 'NO'} |" for name, measured, ok in self.checks()
        ]
        lines += [
            "",
            "## Measurements",
            "",
            "| What | Value |",
            "|---|---:|",
            f"| triggers | {count:,} |",
            f"| events | {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))} |",
            f"| wall time, first poll to last event | {self.wall:.1f} s |",
            f"| polls per trigger (min / median / max) | {min(polls)} / {percentile(polls, 0.5):g} / "
            f"{max(polls)} |",
            f"| poll interval | {self.settings.poll_interval:g} s |",
            f"| event after the final status (median / p95 / max) | {percentile(self.delays, 0.5):.2f} / "
            f"{percentile(self.delays, 0.95):.2f} / {max(self.delays, default=0):.2f} s |",
            f"| loop lag (median / p99 / max) | {percentile(self.lags, 0.5) * 1000:.1f} / "
            f"{percentile(self.lags, 0.99) * 1000:.1f} / {max(self.lags, default=0) * 1000:.1f} ms |",
            f"| loop thread's CPU time within one tick (max) | {max(self.busy, default=0) * 1000:.1f} ms |",
            f"| ticks observed | {len(self.lags):,} |",
            f"| garbage collections during the run (longest: generation {gc_generation}) | "
            f"{len(self.collections.pauses)} ({gc_longest * 1000:.0f} ms) |",
            f"| open connections to the API (peak) | {connections} |",
            f"| RSS with Airflow and the provider imported | {imported / mib:.0f} MiB |",
            f"| RSS before the triggers (after creating the requests) | {baseline / mib:.0f} MiB |",
            f"| RSS peak while {count:,} triggers waited | {peak / mib:.0f} MiB |",
            f"| RSS per trigger, (peak - before) / triggers | "
            f"{(peak - baseline) / max(1, count) / 1024:.1f} KiB |",
            f"| RSS per trigger, upper bound: (peak - imported) / triggers | "
            f"{(peak - imported) / max(1, count) / 1024:.1f} KiB |",
            f"| RSS after every trigger finished | {after / mib:.0f} MiB |",
            "",
        ]
        return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
