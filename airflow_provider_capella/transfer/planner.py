"""Planning: which files to fetch from which items (and where they go), and how a file splits into parts."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_capella.transfer.settings import S3_MAX_PARTS
from airflow_provider_capella.transfer.targets import Target, filename_from_url, sanitize_name, target_in

RASTER_KEYS = ("HH", "VV")
NEVER_DOWNLOADED = frozenset({"license"})


@dataclass(frozen=True)
class AssetJob:
    """One file to download: which asset of which product, and its target."""

    stac_id: str
    asset_key: str
    filename: str
    target: Target
    media_type: str | None = None


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` (inclusive) to ``end`` (exclusive) of a file; ``index`` orders the parts."""

    index: int
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start

    def header(self, offset: int = 0) -> str:
        """Return the ``Range`` header value for this range, skipping the first ``offset`` bytes."""
        return f"bytes={self.start + offset}-{self.end - 1}"


@dataclass(frozen=True)
class SourceVersion:
    """What identifies the bytes being copied: the URL's path (no signature), size and validator."""

    path: str
    size: int
    validator: str | None


@dataclass
class ResumeState:
    """What a previous, interrupted run already wrote: the object's size and validator, the parts done."""

    size: int
    validator: str | None
    ranges: list[ByteRange]
    done: set[int] = field(default_factory=set)

    @property
    def missing(self) -> list[ByteRange]:
        return [byte_range for byte_range in self.ranges if byte_range.index not in self.done]

    @property
    def bytes_done(self) -> int:
        return sum(byte_range.length for byte_range in self.ranges if byte_range.index in self.done)


def _asset_keys(keys: Iterable[str] | str | None) -> frozenset[str]:
    """Expand the asset keys a user's include/exclude list stands for (``raster``: ``HH``, ``VV``)."""
    keys = [keys] if isinstance(keys, str) else keys or ()
    return frozenset(k for key in keys for k in (RASTER_KEYS if key == "raster" else (key,)))


def plan_jobs(
    items: list[dict[str, Any]],
    destination: str,
    *,
    include: list[str] | None,
    exclude: list[str] | None,
    separate_dirs: bool,
) -> tuple[list[AssetJob], dict[str, dict[str, str]]]:
    """Plan a job per selected asset, and ``{stac_id: {key: target}}``; ValueError on a clash or no id."""
    jobs: list[AssetJob] = []
    results: dict[str, dict[str, str]] = {}
    seen_targets: dict[str, str] = {}
    allowed, denied = _asset_keys(include), NEVER_DOWNLOADED | _asset_keys(exclude)
    for item in items:
        stac_id = str(item.get("id") or "")
        if not stac_id:
            raise ValueError("a presigned STAC item has no `id`")
        if stac_id in results:
            continue
        folder = sanitize_name(stac_id, fallback="product")
        results[stac_id] = {}
        for key, asset in (item.get("assets") or {}).items():
            if key in denied or (allowed and key not in allowed) or not isinstance(asset, dict):
                continue
            if not asset.get("href"):
                continue
            filename = filename_from_url(asset["href"], fallback=f"{folder}_{key}")
            target = target_in(destination, *((folder,) if separate_dirs else ()), filename)
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
    """Split ``total`` bytes into consecutive ranges of ``part_size`` (the first may end at ``first_end``)."""
    if total <= 0:
        return [ByteRange(0, 0, 0)]
    size = effective_part_size(total, part_size)
    bounds = [0]
    if first_end is not None and 0 < first_end < total:
        bounds.append(first_end)
    while bounds[-1] < total:
        bounds.append(min(total, bounds[-1] + size))
    return [ByteRange(index, start, end) for index, (start, end) in enumerate(itertools.pairwise(bounds))]
