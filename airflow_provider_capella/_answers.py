"""Reading the API's answers whatever variant of a shape arrives; an absent or unreadable value is None."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any


def api_time(value: Any) -> datetime | None:
    """Return an API timestamp as an aware UTC datetime; a zone-less time is UTC; ``None`` if unreadable."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(re.sub(r"[Zz]$", "+00:00", value.strip()))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=timezone.utc) if value.utcoffset() is None else value.astimezone(timezone.utc)


def organization_id(user: Any) -> str | None:
    """Return the organization id of a ``GET /user`` answer (``organizationId`` or ``organization.id``)."""
    if not isinstance(user, dict):
        return None
    organization = user.get("organization")
    value = user.get("organizationId") or (organization.get("id") if isinstance(organization, dict) else None)
    return None if value is None else str(value)


def describe_user(user: Any) -> str:
    """Say who a ``GET /user`` answer is: email, organization name and API environment role."""
    if not isinstance(user, dict):
        return "an unknown user"
    who = str(user.get("email") or user.get("id") or "an unknown user")
    organization, role = user.get("organization"), user.get("apiEnvironmentRole")
    name = organization.get("name") if isinstance(organization, dict) else None
    details = [f"organization {name}" if name else "", f"environment {role}" if role else ""]
    shown = ", ".join(detail for detail in details if detail)
    return f"{who} ({shown})" if shown else who
