"""``make bench``: this provider's download engine side by side with the official SDK, against the emulator.

Every tool runs in its own process (the SDK in its own virtual environment) against a ``capella-emulator``
process capped at 25 MB/s per connection, as S3 caps one connection; S3 is a moto server process.
Scenarios: one 1 GiB asset to disk and into S3; 200 small assets; our peak memory for a 2 GiB asset;
uncapped, ours against ``curl`` on the same URL. Results go to ``benchmarks/RESULTS.md``.

Usage::

    uv run python -m benchmarks.run            # the full run (a few minutes)
    uv run python -m benchmarks.run --quick    # small sizes, to check the harness
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.report import write_report
from benchmarks.services import API_KEY, Emulator, MotoS3, child_environment
from tests.uv_support import sdk_python

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GiB = 1024**3
MiB = 1024**2
BANDWIDTH = 25_000_000


@dataclass(frozen=True)
class Sizes:
    large: int
    huge: int
    small_products: int
    small_raster: int
    repeats: int


FULL = Sizes(large=1 * GiB, huge=2 * GiB, small_products=50, small_raster=256 * 1024, repeats=3)
QUICK = Sizes(large=64 * MiB, huge=128 * MiB, small_products=10, small_raster=64 * 1024, repeats=1)


@dataclass
class Trial:
    """One run of one tool: its report, the bytes it moved, and what it wrote (files or S3 keys)."""

    outcome: dict[str, Any]
    moved: int
    files: list[Path] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    bucket: str | None = None


Check = Callable[[Trial], None]


@dataclass
class Measurement:
    """One tool's result in one scenario: the median of ``runs`` runs."""

    scenario: str
    tool: str
    seconds: float
    bytes: int
    peak_rss_bytes: int | None
    runs: int = 1

    @property
    def mb_per_s(self) -> float:
        return self.bytes / self.seconds / 1e6


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_json(command: list[str], request: dict[str, Any], environment: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        command,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[-1]} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def local_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def s3_client(environment: dict[str, str]) -> Any:
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        region_name=environment["AWS_DEFAULT_REGION"],
    )


def s3_objects(environment: dict[str, str], bucket: str) -> dict[str, int]:
    pages = s3_client(environment).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {entry["Key"]: entry["Size"] for page in pages for entry in page.get("Contents", [])}


def s3_sha256(environment: dict[str, str], bucket: str, key: str) -> str:
    body = s3_client(environment).get_object(Bucket=bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    for block in iter(lambda: body.read(8 * MiB), b""):
        digest.update(block)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(8 * MiB), b""):
            digest.update(block)
    return digest.hexdigest()


class Bench:
    """Runs the scenarios in order and collects :class:`Measurement` rows."""

    def __init__(self, sizes: Sizes, work: Path) -> None:
        self.sizes = sizes
        self.work = work
        self.results: list[Measurement] = []
        self.notes: dict[str, Any] = {}
        self.sdk_interpreter = sdk_python()
        self.emulator = Emulator.start(bandwidth=BANDWIDTH, log_path=work / "emulator.log")
        self.s3 = MotoS3.start(log_path=work / "moto.log")
        self.env = child_environment(self.s3.environment)

    def close(self) -> None:
        self.emulator.stop()
        self.s3.stop()

    # --- tools -------------------------------------------------------------------------------------------
    def ours(self, request: dict[str, Any]) -> dict[str, Any]:
        return run_json([sys.executable, "-m", "benchmarks.ours_driver"], request, self.env)

    def sdk(self, request: dict[str, Any]) -> dict[str, Any]:
        request = {**request, "url": self.emulator.url, "api_key": API_KEY}
        return run_json([str(self.sdk_interpreter), str(HERE / "sdk_driver.py")], request, self.env)

    def curl(self, url: str, path: Path) -> dict[str, Any]:
        command = ["curl", "--silent", "--show-error", "--fail", "--output", str(path), url]
        if os.path.exists("/usr/bin/time"):
            command = ["/usr/bin/time", "-f", "%M", *command]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=self.env, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"curl failed: {done.stderr[-2000:]}")
        lines = done.stderr.strip().splitlines()
        peak = int(lines[-1]) * 1024 if lines and lines[-1].isdigit() else None
        return {"seconds": seconds, "peak_rss_bytes": peak}

    # --- trials ------------------------------------------------------------------------------------------
    def disk_trial(
        self,
        label: str,
        run: Callable[[dict[str, Any]], dict[str, Any]],
        request: dict[str, Any],
        root: Path | None = None,
    ) -> Trial:
        target = (root or self.work / "out") / label
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        outcome = run({**request, "destination": str(target)})
        return Trial(outcome, local_bytes(target), files=sorted(p for p in target.rglob("*") if p.is_file()))

    def s3_trial(
        self, tool: str, run: Callable[[dict[str, Any]], dict[str, Any]], request: dict[str, Any]
    ) -> Trial:
        bucket = f"bench-{tool}".lower()
        destination = self.s3.fresh_bucket(bucket)
        outcome = run({**request, "destination": destination})
        objects = s3_objects(self.env, bucket)
        return Trial(outcome, sum(objects.values()), keys=sorted(objects), bucket=bucket)

    def curl_trial(self, url: str, root: Path) -> Trial:
        target = root / "curl"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        outcome = self.curl(url, target / "raster.tif")
        return Trial(outcome, local_bytes(target), files=[target / "raster.tif"])

    def measure(
        self, scenario: str, tool: str, trial: Callable[[], Trial], check: Check, repeats: int
    ) -> None:
        trials = []
        for number in range(1, repeats + 1):
            log(f"{scenario}: {tool} (run {number} of {repeats}) ...")
            result = trial()
            check(result)
            for path in result.files:
                path.unlink()
            trials.append(result)
        self.record(scenario, tool, trials)

    def record(self, scenario: str, tool: str, trials: list[Trial]) -> None:
        """The run of median duration, with the highest peak memory seen over all runs."""
        middle = sorted(trials, key=lambda trial: trial.outcome["seconds"])[len(trials) // 2]
        peaks = [trial.outcome.get("peak_rss_bytes") or 0 for trial in trials]
        row = Measurement(
            scenario, tool, middle.outcome["seconds"], middle.moved, max(peaks) or None, len(trials)
        )
        self.results.append(row)
        peak = f"{row.peak_rss_bytes / 1e6:.0f} MB" if row.peak_rss_bytes else "n/a"
        log(f"{scenario}: {tool}: {row.seconds:.2f} s, {row.mb_per_s:.1f} MB/s, peak RSS {peak}")

    def raster_check(self, expected: str) -> Check:
        def check(trial: Trial) -> None:
            if trial.bucket:
                (key,) = [key for key in trial.keys if key.endswith(".tif")]
                actual = s3_sha256(self.env, trial.bucket, key)
            else:
                (raster,) = [path for path in trial.files if path.suffix == ".tif"]
                actual = sha256_file(raster)
            if actual != expected:
                raise RuntimeError(f"wrong bytes: sha256 {actual}, expected {expected}")

        return check

    def repeats(self, tool: str) -> int:
        return 1 if tool == "sdk" else self.sizes.repeats

    # --- scenarios ---------------------------------------------------------------------------------------
    def large_asset(self, items: list[dict[str, Any]]) -> None:
        from capella_emulator.asset_content import asset_sha256

        self.emulator.set_asset_size(self.sizes.large)
        self.emulator.set_bandwidth(BANDWIDTH)
        request = {"items": items, "include": ["HH"]}
        check = self.raster_check(asset_sha256(items[0]["id"], "HH", self.sizes.large))
        for tool, run in (("ours", self.ours), ("sdk", self.sdk)):
            trial = partial(self.disk_trial, f"large-{tool}", run, request)
            self.measure("large-to-disk", tool, trial, check, self.repeats(tool))
        for tool, run in (("ours", self.ours), ("sdk", self.sdk)):
            trial = partial(self.s3_trial, tool, run, request)
            self.measure("large-to-s3", tool, trial, check, self.repeats(tool))
        self.s3.fresh_bucket("bench-empty")

    def small_assets(self) -> None:
        self.emulator.set_asset_size(self.sizes.small_raster)
        self.emulator.set_bandwidth(BANDWIDTH)
        items = self.emulator.order(self.sizes.small_products)
        request = {"items": items, "include": None}

        def check(trial: Trial) -> None:
            # raster, metadata, thumbnail, preview (and the bundle's checksums document, where listed)
            if len(trial.files) < 4 * len(items):
                raise RuntimeError(f"wrote {len(trial.files)} files, expected at least {4 * len(items)}")

        for tool, run in (("ours", self.ours), ("sdk", self.sdk)):
            trial = partial(self.disk_trial, f"small-{tool}", run, request)
            self.measure("small-assets", tool, trial, check, self.repeats(tool))

    def memory(self, items: list[dict[str, Any]]) -> None:
        self.emulator.set_asset_size(self.sizes.huge)
        self.emulator.set_bandwidth(BANDWIDTH)
        request = {"items": items, "include": ["HH"]}
        size_check = self.size_check(self.sizes.huge)
        self.measure(
            "huge-to-disk", "ours", partial(self.disk_trial, "huge", self.ours, request), size_check, 1
        )
        self.measure("huge-to-s3", "ours", partial(self.s3_trial, "ours", self.ours, request), size_check, 1)
        self.s3.fresh_bucket("bench-empty")

    def size_check(self, size: int) -> Check:
        def check(trial: Trial) -> None:
            if trial.moved != size:
                raise RuntimeError(f"moved {trial.moved} bytes, expected {size}")

        return check

    def uncapped(self, items: list[dict[str, Any]]) -> None:
        """curl and ours take turns on the same URL (the machine's load drifts), median of each.

        Both write to a RAM-backed directory when there is one, so the disk's write-back (which varies
        by seconds from run to run) does not decide the race.
        """
        self.emulator.set_asset_size(self.sizes.large)
        self.emulator.set_bandwidth(None)
        check = self.size_check(self.sizes.large)
        request = {"items": items, "include": ["HH"]}
        root = ram_directory(3 * self.sizes.large) or self.work / "out"
        self.notes["uncapped_destination"] = "tmpfs (RAM)" if root != self.work / "out" else "local disk"
        runs: dict[str, list[Trial]] = {"curl": [], "ours": []}
        for number in range(1, self.sizes.repeats + 1):
            log(f"uncapped: curl and ours (round {number} of {self.sizes.repeats}) ...")
            for tool, trial in (
                ("curl", partial(self.curl_trial, items[0]["assets"]["HH"]["href"], root)),
                ("ours", partial(self.disk_trial, "uncapped", self.ours, request, root)),
            ):
                result = trial()
                check(result)
                for path in result.files:
                    path.unlink()
                runs[tool].append(result)
        for tool, trials in runs.items():
            self.record("uncapped", tool, trials)
        if root != self.work / "out":
            shutil.rmtree(root, ignore_errors=True)


STEPS: dict[str, Callable[[Bench, list[dict[str, Any]]], None]] = {
    "large": Bench.large_asset,
    "small": lambda bench, _: bench.small_assets(),
    "memory": Bench.memory,
    "uncapped": Bench.uncapped,
}


def ram_directory(needed: int) -> Path | None:
    """A fresh directory on /dev/shm when it is a tmpfs with ``needed`` bytes free, else None."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shutil.disk_usage(shm).free < needed:
        return None
    return Path(tempfile.mkdtemp(prefix="capella-bench-", dir=shm))


def environment_notes(sizes: Sizes) -> dict[str, Any]:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "bandwidth_per_connection": BANDWIDTH,
        "sizes": asdict(sizes),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the harness")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from the last run's results.json"
    )
    parser.add_argument(
        "--only", default="large,small,memory,uncapped", help="comma-separated subset of: " + ", ".join(STEPS)
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    if args.report_only:
        saved = json.loads((work / "results.json").read_text())
        rows = [Measurement(**row) for row in saved["rows"]]
        write_report(args.output, rows, saved["notes"], quick=saved["quick"])
        return 0
    started, load_at_start = time.monotonic(), os.getloadavg()[0]
    bench = Bench(sizes, work)
    try:
        items = bench.emulator.order(1)
        for step in args.only.split(","):
            STEPS[step.strip()](bench, items)
    finally:
        bench.close()
        shutil.rmtree(work / "out", ignore_errors=True)
    notes = {**environment_notes(sizes), **bench.notes}
    notes["load"] = f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    notes["total_seconds"] = round(time.monotonic() - started)
    saved = {"notes": notes, "quick": args.quick, "rows": [asdict(row) for row in bench.results]}
    (work / "results.json").write_text(json.dumps(saved, indent=2))
    write_report(args.output, bench.results, notes, quick=args.quick)
    log(f"wrote {args.output} in {notes['total_seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
