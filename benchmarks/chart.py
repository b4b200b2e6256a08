"""``benchmarks/results.png``: throughput and CPU per GB, one bar per tool, grouped by scenario."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any


def draw(rows: list[Any], path: Path, scenarios: dict[str, str], tools: dict[str, str]) -> None:
    """Draw two panels (MB/s, CPU-s/GB) of grouped bars and save them as a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = [scenario for scenario in scenarios if any(row.scenario == scenario for row in rows)]
    names = [tool for tool in tools if any(row.tool == tool for row in rows)]
    figure, axes = plt.subplots(1, 2, figsize=(14, 6.5))
    width = 0.8 / max(len(names), 1)
    colours = plt.get_cmap("tab10")
    for panel, (metric, label) in zip(
        axes, (("mb_per_s", "MB/s"), ("cpu_per_gb", "CPU seconds per GB")), strict=True
    ):
        for index, tool in enumerate(names):
            positions, values = [], []
            for group, scenario in enumerate(order):
                row = next((row for row in rows if row.scenario == scenario and row.tool == tool), None)
                if row is not None:
                    positions.append(group + (index - (len(names) - 1) / 2) * width)
                    values.append(getattr(row, metric))
            bars = panel.bar(positions, values, width, label=tools[tool], color=colours(index))
            panel.bar_label(bars, fmt="%.0f" if metric == "mb_per_s" else "%.2f", fontsize=7)
        labels = [textwrap.fill(scenarios[scenario], 18) for scenario in order]
        panel.set_xticks(range(len(order)), labels, fontsize=8)
        panel.set_ylabel(label)
        panel.grid(axis="y", alpha=0.3)
    axes[0].set_title("Throughput (higher is better)")
    axes[1].set_title("CPU per GB moved (lower is better)")
    handles, names_shown = axes[0].get_legend_handles_labels()
    figure.legend(handles, names_shown, fontsize=8, loc="lower center", ncol=3)
    figure.tight_layout(rect=(0, 0.1, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)
