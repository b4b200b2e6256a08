"""Times on the tasking wire: ISO 8601 in, ``2026-05-01T10:30:00.000Z`` out, epoch seconds inside."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from capella_emulator.errors import validation_error

EARLIEST = 0.0
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc).timestamp()
_ISO_PATTERN = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)


def iso(timestamp: float) -> str:
    """Epoch seconds as the API writes times: UTC, milliseconds, ``Z``."""
    millis = round(timestamp * 1000)
    moment = datetime.fromtimestamp(millis // 1000, tz=timezone.utc)
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def parse_stored_time(value: Any, path: str) -> float:
    """Like :func:`parse_time`, for a time the emulator keeps: it must fall in 1970..8999."""
    timestamp = parse_time(value, path)
    if not EARLIEST <= timestamp < LATEST:
        raise validation_error(f"{path} must be between 1970 and 8999, got {value!r}", path)
    return timestamp


def to_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def parse_time(value: Any, path: str) -> float:
    """Epoch seconds of an ISO 8601 date or date-time (no zone means UTC); 400 naming ``path`` otherwise.

    Example::

        parse_time("2026-05-01T10:30:00Z", "properties.windowOpen")
    """
    if not isinstance(value, str):
        raise validation_error(
            f"{path} must be an ISO 8601 date-time string, got {value!r}", path, "invalid_type"
        )
    match = _ISO_PATTERN.match(value.strip())
    if match is None:
        raise validation_error(f"{path} is not an ISO 8601 date-time: {value!r}", path, "invalid_string")
    try:
        moment = datetime.strptime(match["date"], "%Y-%m-%d").replace(
            hour=int(match["hour"] or 0),
            minute=int(match["minute"] or 0),
            second=int(match["second"] or 0),
            microsecond=int((match["fraction"] or "0")[:6].ljust(6, "0")),
            tzinfo=_zone(match["zone"]),
        )
    except ValueError as exc:
        raise validation_error(
            f"{path} is not a valid date-time: {value!r} ({exc})", path, "invalid_string"
        ) from None
    return moment.timestamp()


def _zone(text: str | None) -> timezone:
    if not text or text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad UTC offset {text}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
