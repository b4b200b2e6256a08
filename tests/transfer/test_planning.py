"""How files split into parts: contiguous, S3-valid, and within S3's 10,000-part limit for a 61 GB CPHD."""

from __future__ import annotations

import itertools

import pytest

from airflow_provider_capella.transfer import TransferSettings
from airflow_provider_capella.transfer.planner import plan_ranges
from airflow_provider_capella.transfer.settings import S3_MAX_PARTS, S3_MIN_PART_SIZE

MiB = 1024 * 1024


@pytest.mark.parametrize("total", [0, 1, 8 * MiB - 1, 8 * MiB, 8 * MiB + 1, 300 * 10**6, 61 * 10**9])
def test_parts_cover_the_file_and_fit_s3s_limits(total):
    ranges = plan_ranges(total, 8 * MiB, first_end=8 * MiB)

    assert ranges[0].start == 0 and ranges[-1].end == total
    assert all(left.end == right.start for left, right in itertools.pairwise(ranges))
    assert [part.index for part in ranges] == list(range(len(ranges)))
    assert len(ranges) <= S3_MAX_PARTS
    assert all(part.length >= S3_MIN_PART_SIZE for part in ranges[:-1])


def test_a_file_no_larger_than_a_part_is_one_request():
    assert len(plan_ranges(8 * MiB, 8 * MiB)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"part_size": MiB}, "part_size must be at least"), ({"concurrency": 0}, "concurrency must be")],
)
def test_settings_refuse_values_s3_or_the_pool_cannot_take(changes, message):
    with pytest.raises(ValueError, match=message):
        TransferSettings(**changes)
