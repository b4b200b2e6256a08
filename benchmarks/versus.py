"""``make bench``, part two: the engine against aria2c and curl, and into S3 against the server's intake.

nginx (Debian package) serves the files from tmpfs, ``/capped/`` at 25 MB/s per connection (as S3 caps
one connection) and ``/open/`` uncapped; every tool writes into tmpfs, so no disk decides the race.
Scenarios: 1 GiB capped and uncapped (ours, ``aria2c -x16 -s16 -k8M``, curl's one stream uncapped),
the same with the product digest checked (the CPU verification costs), the S3 server's own intake
(boto3 uploading the bytes from RAM) and ours from the capped server into S3, and our peak memory for
2 GiB into S3. Tools take turns within each round (the machine's load drifts); the row of a tool is its
median run. Results: the ``versus`` section of ``benchmarks/RESULTS.md`` and ``benchmarks/results.png``.

Usage::

    uv run python -m benchmarks.versus            # the full run
    uv run python -m benchmarks.versus --quick    # small sizes, to check the harness
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.services import MotoS3, child_environment
from benchmarks.static_server import Nginx, ensure_tools, log
from benchmarks.versus_report import Row, write_versus

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MiB = 1024 * 1024
GiB = 1024 * MiB
RATE = 25_000_000
ARIA2 = ["aria2c", "-x16", "-s16", "-k8M"]
ARIA2_QUIET = ["--file-allocation=none", "--allow-overwrite=true", "--auto-file-renaming=false", "-q"]


@dataclass(frozen=True)
class Sizes:
    large: int
    huge: int
    rounds: int


FULL = Sizes(large=GiB, huge=2 * GiB, rounds=3)
QUICK = Sizes(large=128 * MiB, huge=256 * MiB, rounds=1)


def run_process(command: list[str], env: dict[str, str], stdin: str | None = None) -> dict[str, Any]:
    """Run a tool; its wall time, CPU time (user + system, from ``wait4``) and peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    if stdin is not None:
        assert process.stdin is not None
        process.stdin.write(stdin.encode())
        process.stdin.close()
    out = process.stdout.read() if process.stdout else b""
    err = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({process.returncode}): {err.decode()[-3000:]}")
    report = {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
    }
    lines = out.decode().strip().splitlines()
    if lines and lines[-1].startswith("{"):
        report.update(json.loads(lines[-1]))  # a driver's own figures: the transfer call only
    return report


def make_file(path: Path, size: int) -> tuple[str, str]:
    """Write ``size`` pseudo-random bytes; their sha256 and CRC32 (hex)."""
    block = hashlib.shake_256(path.name.encode()).digest(16 * MiB)
    sha, crc = hashlib.sha256(), 0
    with path.open("wb") as handle:
        for offset in range(0, size, len(block)):
            piece = block[: min(len(block), size - offset)]
            handle.write(piece)
            sha.update(piece)
            crc = zlib.crc32(piece, crc)
    return sha.hexdigest(), f"{crc:08x}"


class Versus:
    """Runs the scenarios; collects one :class:`Row` per tool and scenario."""

    def __init__(self, sizes: Sizes, work: Path) -> None:
        self.sizes = sizes
        self.work = work
        self.rows: list[Row] = []
        self.notes: dict[str, Any] = {}
        shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
        self.source = Path(tempfile.mkdtemp(prefix="capella-versus-src-", dir=shm))
        self.out = Path(tempfile.mkdtemp(prefix="capella-versus-out-", dir=shm))
        self.notes["tmpfs"] = shm is not None
        log("writing the source files into tmpfs ...")
        self.sha, self.crc = make_file(self.source / "raster.tif", sizes.large)
        make_file(self.source / "huge.tif", sizes.huge)
        digest = {"algorithm": "sha256", "files": {"raster.tif": self.sha}}
        (self.source / "raster_digest.json").write_text(json.dumps(digest))
        self.nginx = Nginx.start(self.source, work / "nginx", rate=RATE)
        self.s3 = MotoS3.start(log_path=work / "moto.log")
        self.env = child_environment(self.s3.environment)

    def close(self) -> None:
        self.nginx.stop()
        self.s3.stop()
        shutil.rmtree(self.source, ignore_errors=True)
        shutil.rmtree(self.out, ignore_errors=True)

    # --- tools -------------------------------------------------------------------------------------------
    def items(self, name: str, *, capped: bool, digest: bool = False) -> list[dict[str, Any]]:
        assets = {"HH": {"href": self.nginx.url(name, capped=capped), "type": "image/tiff"}}
        if digest:
            assets["digest"] = {"href": self.nginx.url("raster_digest.json", capped=False)}
        return [{"id": "BENCH", "assets": assets}]

    def ours(self, name: str, destination: str, *, capped: bool, digest: bool = False) -> dict[str, Any]:
        request = {"items": self.items(name, capped=capped, digest=digest), "destination": destination}
        request["include"] = ["HH"]
        command = [sys.executable, "-m", "benchmarks.ours_driver"]
        return run_process(command, self.env, json.dumps(request))

    def fresh_dir(self, tool: str) -> Path:
        target = self.out / tool
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        return target

    def disk_tool(self, tool: str, *, capped: bool, digest: bool = False) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            target = self.fresh_dir(tool)
            url = self.nginx.url("raster.tif", capped=capped)
            if tool == "ours":
                report = self.ours("raster.tif", str(target), capped=capped, digest=digest)
            elif tool == "aria2c":
                report = run_process(
                    [*ARIA2, *ARIA2_QUIET, "-d", str(target), "-o", "raster.tif", url], self.env
                )
            else:
                report = run_process(
                    ["curl", "-sS", "--fail", "-o", str(target / "raster.tif"), url], self.env
                )
            written = [path for path in target.rglob("*") if path.is_file()]
            if [path.stat().st_size for path in written] != [self.sizes.large]:
                raise RuntimeError(f"{tool} wrote {[(p.name, p.stat().st_size) for p in written]}")
            shutil.rmtree(target, ignore_errors=True)
            return report

        return run

    def s3_tool(self, tool: str, name: str, size: int) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            bucket = f"versus-{tool.replace('_', '-')}"
            self.s3.fresh_bucket(bucket)
            if tool == "boto3_intake":
                request = {"bucket": bucket, "key": name, "size": size}
                command = [sys.executable, "-m", "benchmarks.s3_intake_driver"]
                report = run_process(command, self.env, json.dumps(request))
            else:
                report = self.ours(name, f"s3://{bucket}/", capped=True)
            stored = self.s3_sizes(bucket)
            if list(stored.values()) != [size]:
                raise RuntimeError(f"{tool} stored {stored}")
            return report

        return run

    def s3_sizes(self, bucket: str) -> dict[str, int]:
        from benchmarks.run import s3_objects

        return s3_objects(self.env, bucket)

    # --- measuring ---------------------------------------------------------------------------------------
    def rounds(
        self, scenario: str, tools: dict[str, Callable[[], dict[str, Any]]], size: int, rounds: int
    ) -> None:
        samples: dict[str, list[dict[str, Any]]] = {tool: [] for tool in tools}
        for number in range(1, rounds + 1):
            for tool, run in tools.items():
                log(f"{scenario}: {tool} (round {number} of {rounds}) ...")
                samples[tool].append(run())
        for tool, runs in samples.items():
            middle = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
            peak = max(run.get("peak_rss_bytes") or 0 for run in runs)
            row = Row(scenario, tool, middle["seconds"], size, middle["cpu_seconds"], peak or None, len(runs))
            self.rows.append(row)
            log(
                f"{scenario}: {tool}: {row.mb_per_s:.0f} MB/s, {row.cpu_per_gb:.2f} CPU-s/GB, "
                f"{peak / 1e6:.0f} MB"
            )

    def checksum_costs(self) -> None:
        """CPU seconds per GB of the checksums themselves, in this process (no I/O)."""
        data = (self.source / "raster.tif").read_bytes()[: 256 * MiB]
        for name, digest in (
            ("crc32", lambda: zlib.crc32(data)),
            ("sha256", lambda: hashlib.sha256(data).digest()),
        ):
            cpu = time.process_time()
            digest()
            self.notes[f"{name}_cpu_per_gb"] = (time.process_time() - cpu) / (len(data) / 1e9)

    def run(self, steps: list[str]) -> None:
        large, rounds = self.sizes.large, self.sizes.rounds
        if "capped" in steps:
            tools = {tool: self.disk_tool(tool, capped=True) for tool in ("ours", "aria2c")}
            self.rounds("capped", tools, large, rounds)
        if "uncapped" in steps:
            tools = {tool: self.disk_tool(tool, capped=False) for tool in ("ours", "aria2c", "curl")}
            tools["ours_digest"] = self.disk_tool("ours", capped=False, digest=True)
            self.rounds("uncapped", tools, large, rounds)
        if "s3" in steps:
            tools = {tool: self.s3_tool(tool, "raster.tif", large) for tool in ("boto3_intake", "ours")}
            self.rounds("s3", tools, large, rounds)
            self.rounds(
                "huge-s3", {"ours": self.s3_tool("ours", "huge.tif", self.sizes.huge)}, self.sizes.huge, 1
            )
            self.s3.fresh_bucket("versus-empty")
        self.checksum_costs()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the harness")
    parser.add_argument("--only", default="capped,uncapped,s3", help="comma-separated: capped, uncapped, s3")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite report and chart from the last run"
    )
    args = parser.parse_args(argv)
    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    saved_path = work / "versus.json"
    if args.report_only:
        saved = json.loads(saved_path.read_text())
        write_versus([Row(**row) for row in saved["rows"]], saved["notes"], quick=saved["quick"])
        return 0
    ensure_tools()
    sizes = QUICK if args.quick else FULL
    started, load_at_start = time.monotonic(), os.getloadavg()[0]
    bench = Versus(sizes, work)
    try:
        bench.run([step.strip() for step in args.only.split(",")])
    finally:
        bench.close()
    notes = {**bench.notes, "sizes": asdict(sizes), "total_seconds": round(time.monotonic() - started)}
    notes.update(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), cpus=os.cpu_count(), rate=RATE)
    notes["load"] = f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    notes["tools"] = tool_versions()
    saved_path.write_text(
        json.dumps({"notes": notes, "quick": args.quick, "rows": [asdict(r) for r in bench.rows]})
    )
    write_versus(bench.rows, notes, quick=args.quick)
    log(f"wrote benchmarks/RESULTS.md and benchmarks/results.png in {notes['total_seconds']} s")
    return 0


def tool_versions() -> dict[str, str]:
    versions = {}
    for tool, flag in (("nginx", "-v"), ("aria2c", "--version"), ("curl", "--version")):
        binary = shutil.which(tool) or ("/usr/sbin/nginx" if tool == "nginx" else tool)
        done = subprocess.run([binary, flag], capture_output=True, text=True, check=False)
        versions[tool] = ((done.stdout or done.stderr).strip().splitlines() or ["?"])[0]
    return versions


if __name__ == "__main__":
    raise SystemExit(main())
