"""Reading a request's JSON body, the one way every emulator route does it."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from capella_emulator.errors import validation_error


async def json_body(request: Request, empty: Any = None) -> Any:
    """Return the parsed JSON body (``empty`` when there is none); a 400 when it is not JSON.

    Example::

        body = await json_body(request, empty={})  # an empty search body searches everything
    """
    raw = await request.body()
    if not raw.strip():
        return empty
    try:
        return json.loads(raw)
    except ValueError:
        raise validation_error("the request body is not valid JSON", "body") from None
