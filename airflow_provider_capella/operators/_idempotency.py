"""Safe retries for billable creates: tag each request with its task instance; find the tag, then create.

A tasking or repeat request carries a short tag, ``[airflow:<16 hex>]``, at the end of its description
(a field the API echoes back and that tasking outcomes never depend on). The tag is a hash of
``(dag_id, task_id, run_id, map_index)``, so every try of one task instance computes the same tag; a
retry searches the user's recent requests for it before creating anything, and reuses what it finds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.sdk import Context

TAG_PREFIX = "[airflow:"
DEFAULT_LOOKBACK = timedelta(days=30)


def task_instance_key(context: Context) -> str:
    """Return a stable 16-hex-digit key for the running task instance (the same on every try).

    Example::

        task_instance_key(context)  # '3f9a0c1b2d4e5f60'
    """
    ti = context["ti"]
    parts = (ti.dag_id, ti.task_id, ti.run_id, str(ti.map_index if ti.map_index is not None else -1))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def tag_for(key: str) -> str:
    """Return the text appended to the request's description, e.g. ``[airflow:3f9a0c1b2d4e5f60]``."""
    return f"{TAG_PREFIX}{key}]"


def tagged(description: str | None, tag: str) -> str:
    """Return ``description`` with ``tag`` appended (once), or the tag alone.

    Example::

        tagged("weekly port watch", "[airflow:3f9a0c1b2d4e5f60]")
    """
    text = (description or "").rstrip()
    if tag in text:
        return text
    return f"{text} {tag}" if text else tag


def is_retry(context: Context) -> bool:
    """Whether an earlier try of this task instance may already have sent the create request."""
    return int(getattr(context["ti"], "try_number", 1) or 1) > 1


def submitted_since(lookback: timedelta) -> str:
    """Return the ``submission_time__gte`` bound of the search for an earlier try's request."""
    return (datetime.now(timezone.utc) - lookback).isoformat()


def find_tagged(
    requests: Iterable[dict[str, Any]], description_field: str, tag: str
) -> dict[str, Any] | None:
    """Return the earliest-submitted request whose description carries ``tag``, or ``None``."""
    matches = [
        request
        for request in requests
        if tag in str((request.get("properties") or {}).get(description_field) or "")
    ]
    if not matches:
        return None
    return min(matches, key=lambda request: str(request["properties"].get("submissionTime") or ""))
