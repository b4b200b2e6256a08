"""The ``versus`` section of ``benchmarks/RESULTS.md`` (the transfer issue's targets) and its chart."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.results_file import RESULTS, read_sections, write_section

CHART = Path(__file__).resolve().parent / "results.png"
DOCS_CHART = Path(__file__).resolve().parents[1] / "docs" / "img" / "benchmark-results.png"
SCENARIOS = {
    "capped": "1 GiB, 25 MB/s per connection, into tmpfs",
    "uncapped": "1 GiB, uncapped, into tmpfs",
    "s3": "1 GiB into S3 (source capped)",
    "huge-s3": "2 GiB into S3 (source capped)",
}
TOOLS = {
    "ours": "airflow-provider-capella",
    "ours_digest": "airflow-provider-capella, digest checked (sha256)",
    "aria2c": "aria2c -x16 -s16 -k8M",
    "curl": "curl (one stream)",
    "boto3_intake": "S3 server intake (boto3 from RAM)",
}


@dataclass
class Row:
    """One tool in one scenario: its median run."""

    scenario: str
    tool: str
    seconds: float
    bytes: int
    cpu_seconds: float
    peak_rss_bytes: int | None
    runs: int

    @property
    def mb_per_s(self) -> float:
        return self.bytes / self.seconds / 1e6

    @property
    def cpu_per_gb(self) -> float:
        return self.cpu_seconds / (self.bytes / 1e9)


def _find(rows: list[Row], scenario: str, tool: str) -> Row | None:
    return next((row for row in rows if row.scenario == scenario and row.tool == tool), None)


def _check(target: str, measured: str, met: bool | None) -> str:
    return f"| {target} | {measured} | {'n/a' if met is None else ('yes' if met else 'NO')} |"


def targets(rows: list[Row]) -> list[str]:
    """The issue's targets, each with what was measured and whether it was met."""
    lines = ["| Target | Measured | Met |", "|---|---|:---:|"]
    ours, aria = _find(rows, "capped", "ours"), _find(rows, "capped", "aria2c")
    if ours and aria:
        ratio = ours.mb_per_s / aria.mb_per_s
        text = f"{ours.mb_per_s:.0f} vs {aria.mb_per_s:.0f} MB/s ({100 * ratio:.0f}%)"
        lines.append(_check("capped: at least aria2c's throughput", text, ratio >= 1.0))
    ours, aria, curl = (_find(rows, "uncapped", tool) for tool in ("ours", "aria2c", "curl"))
    if ours and aria and curl:
        best = max(aria, curl, key=lambda row: row.mb_per_s)
        ratio = ours.mb_per_s / best.mb_per_s
        text = f"{ours.mb_per_s:.0f} vs {best.mb_per_s:.0f} MB/s ({best.tool}): {100 * ratio:.0f}%"
        lines.append(_check("uncapped: >= 90% of the best of aria2c and curl", text, ratio >= 0.9))
        cpu = ours.cpu_per_gb / aria.cpu_per_gb
        text = f"{ours.cpu_per_gb:.2f} vs {aria.cpu_per_gb:.2f} CPU-s/GB ({cpu:.2f}x)"
        lines.append(_check("uncapped: CPU per GB within 1.5x of aria2c's", text, cpu <= 1.5))
    ours, intake = _find(rows, "s3", "ours"), _find(rows, "s3", "boto3_intake")
    fetch = max((row for row in rows if row.scenario == "capped"), key=lambda row: row.mb_per_s, default=None)
    if ours and intake and fetch:
        limit = min(fetch.mb_per_s, intake.mb_per_s)
        ratio = ours.mb_per_s / limit
        text = (
            f"{ours.mb_per_s:.0f} MB/s; limit {limit:.0f} MB/s (capped fetch {fetch.mb_per_s:.0f}, "
            f"S3 intake {intake.mb_per_s:.0f}): {100 * ratio:.0f}%"
        )
        lines.append(_check("into S3: >= 80% of min(capped fetch, S3 intake)", text, ratio >= 0.8))
    huge = _find(rows, "huge-s3", "ours")
    if huge and huge.peak_rss_bytes:
        peak = huge.peak_rss_bytes / 1e6
        lines.append(_check("peak RSS <= 300 MB for 2 GiB into S3", f"{peak:.0f} MB", peak <= 300))
    return lines


def measurements(rows: list[Row]) -> list[str]:
    lines = [
        "| Scenario | Tool | Seconds | MB/s | CPU-s | CPU-s/GB | Peak RSS (MB) | Runs |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        rss = f"{row.peak_rss_bytes / 1e6:.0f}" if row.peak_rss_bytes else "n/a"
        lines.append(
            f"| {SCENARIOS.get(row.scenario, row.scenario)} | {TOOLS.get(row.tool, row.tool)} | "
            f"{row.seconds:.2f} | "
            f"{row.mb_per_s:.0f} | {row.cpu_seconds:.2f} | {row.cpu_per_gb:.2f} | {rss} | {row.runs} |"
        )
    return lines


def write_versus(rows: list[Row], notes: dict[str, Any], *, quick: bool, path: Path = RESULTS) -> None:
    """Write the ``versus`` section and the chart."""
    from benchmarks.chart import draw

    draw(rows, CHART, SCENARIOS, TOOLS)
    DOCS_CHART.parent.mkdir(parents=True, exist_ok=True)
    DOCS_CHART.write_bytes(CHART.read_bytes())  # the same picture, where the documentation site finds it
    tools = "; ".join(f"{name}: {version}" for name, version in notes.get("tools", {}).items())
    checksums = (
        f"CRC32 (zlib) {notes.get('crc32_cpu_per_gb', 0):.2f} and sha256 "
        f"{notes.get('sha256_cpu_per_gb', 0):.2f} CPU-s/GB"
    )
    lines = [
        "# Transfer engine vs aria2c and curl, and into S3 vs the server's own intake",
        "",
        "Generated by `make bench` (`uv run python -m benchmarks.versus`)"
        + (" with `--quick` (reduced sizes: not the reference numbers)." if quick else "."),
        "",
        f"- Date: {notes.get('date')}; {notes.get('cpus')} CPUs, shared with whatever else the machine ran "
        f"(load average {notes.get('load', 'not recorded')}): absolute numbers move with that load.",
        f"- Source: nginx serving tmpfs; `/capped/` at {notes.get('rate', 0) / 1e6:.0f} MB/s per connection "
        "(`limit_rate`, as S3 caps one connection), `/open/` uncapped. Tools: " + tools + ".",
        "- Every tool writes into tmpfs. S3 is the moto server of `benchmarks/moto_server.py`; its intake is "
        "boto3 uploading the same bytes from RAM (16 threads, 8 MiB parts, CRC32 checksums).",
        "- Ours runs with its defaults. Seconds and CPU of ours are the download call only (all threads); "
        "aria2c's and curl's are the whole process (`wait4`). Each row is the median of its rounds; tools "
        "take turns within a round.",
        f"- What checking costs: {checksums} on this CPU. Into S3 every part's CRC32 is computed as it "
        "arrives (always on); a product digest in sha256 costs one more read of each file (the "
        "`digest checked` row).",
        f"- Total time: {notes.get('total_seconds', '?')} s.",
        "",
        "The chart of these rows (throughput and CPU per GB) is `benchmarks/results.png`, also shown on "
        "the documentation's transfer page.",
        "",
        "## Targets",
        "",
        *targets(rows),
        "",
        "## Measurements",
        "",
        *measurements(rows),
        "",
        "MB = 10^6 bytes; CPU-s/GB = CPU seconds per 10^9 bytes moved.",
    ]
    write_section(path, "versus", "\n".join(lines))
    assert "versus" in read_sections(path)
