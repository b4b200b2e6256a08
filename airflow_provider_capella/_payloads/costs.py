"""Cost limits and quotes: the caller's limits checked, and the API's money text read as numbers.

The API writes money as text (``"$3,000.00"``, ``"120.00 USD"``) or as a number. A limit is a plain
non-negative number in the quote's currency.

Example::

    limit = cost_limit("max_cost", "2500")   # 2500.0
    amount("$3,000.00")                      # 3000.0
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from airflow_provider_capella._payloads import checks

_MONEY = re.compile(r"^\s*([A-Za-z]{3})?\s*[$€£]?\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*([A-Za-z]{3})?\s*$")


def cost_limit(argument: str, value: Any) -> float:
    """Return a limit as a float: a non-negative finite number, or a string holding one.

    :param argument: the argument's name, for the error message.
    :param value: an int, float, ``Decimal`` or numeric string (templated operator arguments).
    :return: the limit.
    """
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float | Decimal):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(Decimal(value.strip().replace(",", "")))
        except (InvalidOperation, ValueError):
            number = None
    if number is None or not math.isfinite(number):
        checks.fail(argument, f"must be a number (the most you allow to be charged), got {value!r}")
    if number < 0:
        checks.fail(argument, f"must be 0 or more, got {value!r}")
    return number


def optional_cost_limit(argument: str, value: Any) -> float | None:
    """Return :func:`cost_limit` of ``value``, or ``None`` when it is ``None`` or an empty string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return cost_limit(argument, value)


def amount(value: Any) -> float | None:
    """Return the number in a money value (``"$3,000.00"``, ``"120.00 USD"``, ``42``), else ``None``.

    :param value: what the API sent.
    :return: the amount, or ``None`` when it holds no readable number.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, str):
        match = _MONEY.match(value)
        if match:
            return float(match.group(2).replace(",", ""))
    return None
