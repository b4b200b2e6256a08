"""Planning: which files to fetch from which items (and where they go), and how a file splits into parts."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from airflow_provider_capella.transfer.naming import filename_from_url, sanitize_name
from airflow_provider_capella.transfer.selection import selected_assets
from airflow_provider_capella.transfer.settings import S3_MAX_PARTS
from airflow_provider_capella.transfer.targets import Target, target_in


@dataclass(frozen=True)
class AssetJob:
    """One file to download: which asset of which product, and its target.

    Example::

        AssetJob("CAPELLA_C13_SP_GEO_HH_20240101000000_20240101000010", "HH", "CAPELLA_...tif", target)
    """

    stac_id: str
    asset_key: str
    filename: str
    target: Target
    media_type: str | None = None


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` (inclusive) to ``end`` (exclusive) of a file; ``index`` orders the parts.

    Example::

        ByteRange(index=0, start=0, end=8 * 1024 * 1024)
    """

    index: int
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start

    def header(self, offset: int = 0) -> str:
        """Return the ``Range`` header value for this range, skipping the first ``offset`` bytes."""
        return f"bytes={self.start + offset}-{self.end - 1}"


def plan_jobs(
    items: list[dict[str, Any]],
    destination: str,
    *,
    include: list[str] | None,
    exclude: list[str] | None,
    separate_dirs: bool,
) -> tuple[list[AssetJob], dict[str, dict[str, str]]]:
    """Plan the jobs for every selected asset of every item, and the result mapping stac id -> key -> target.

    Raises ValueError when two assets would land on the same file, or an item has no id.
    """
    jobs: list[AssetJob] = []
    results: dict[str, dict[str, str]] = {}
    seen_targets: dict[str, str] = {}
    for item in items:
        stac_id = str(item.get("id") or "")
        if not stac_id:
            raise ValueError("a presigned STAC item has no `id`")
        if stac_id in results:
            continue
        folder = sanitize_name(stac_id, fallback="product")
        results[stac_id] = {}
        for key, asset in selected_assets(item.get("assets") or {}, include, exclude).items():
            filename = filename_from_url(asset["href"], fallback=f"{folder}_{key}")
            target = (
                target_in(destination, folder, filename)
                if separate_dirs
                else target_in(destination, filename)
            )
            where = str(target)
            if where in seen_targets:
                raise ValueError(
                    f"assets {seen_targets[where]} and {stac_id}/{key} would both be saved as {where}; "
                    "use separate_dirs=True"
                )
            seen_targets[where] = f"{stac_id}/{key}"
            jobs.append(AssetJob(stac_id, key, filename, target, asset.get("type")))
            results[stac_id][key] = where
    return jobs, results


def effective_part_size(total: int, part_size: int) -> int:
    """Return ``part_size``, grown when needed so ``total`` bytes fit in S3's 10,000 parts (one spare)."""
    return max(part_size, math.ceil(total / (S3_MAX_PARTS - 1))) if total else part_size


def plan_ranges(total: int, part_size: int, *, first_end: int | None = None) -> list[ByteRange]:
    """Split ``total`` bytes into consecutive ranges of ``part_size`` (the first may end at ``first_end``).

    Example::

        plan_ranges(20, 8)  # [ByteRange(0, 0, 8), ByteRange(1, 8, 16), ByteRange(2, 16, 20)]
    """
    if total <= 0:
        return [ByteRange(0, 0, 0)]
    size = effective_part_size(total, part_size)
    bounds = [0]
    if first_end is not None and 0 < first_end < total:
        bounds.append(first_end)
    while bounds[-1] < total:
        bounds.append(min(total, bounds[-1] + size))
    return [ByteRange(index, start, end) for index, (start, end) in enumerate(itertools.pairwise(bounds))]
