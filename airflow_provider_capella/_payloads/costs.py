"""Cost limits and quotes: the caller's limits checked, and the API's money text (``"$3,000.00"``) read."""

from __future__ import annotations

import contextlib
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from airflow_provider_capella._payloads import checks

_MONEY = re.compile(r"^\s*([A-Za-z]{3})?\s*[$€£]?\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*([A-Za-z]{3})?\s*$")


def optional_cost_limit(argument: str, value: Any) -> float | None:
    """Return a limit (a number >= 0, or a string holding one), or ``None`` for ``None`` or ``""``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = math.nan
    if isinstance(value, str):
        with contextlib.suppress(InvalidOperation, ValueError):
            number = float(Decimal(value.strip().replace(",", "")))
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = float(value)
    if not math.isfinite(number):
        checks.fail(argument, f"must be a number (the most you allow to be charged), got {value!r}")
    if number < 0:
        checks.fail(argument, f"must be 0 or more, got {value!r}")
    return number


def amount(value: Any) -> float | None:
    """Return the number in a money value (``"$3,000.00"``, ``"120.00 USD"``, ``42``), else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value) if math.isfinite(float(value)) else None
    match = _MONEY.match(value) if isinstance(value, str) else None
    return float(match.group(2).replace(",", "")) if match else None
