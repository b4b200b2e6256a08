"""The API's error shapes: every handled failure leaves the emulator as one of these, never as a 500."""

from __future__ import annotations

import re
from typing import Any

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """An error the real API would send: ``{"error": {"message", "code", "detail"?}}`` with an HTTP status.

    Example::

        raise ApiError(404, "NOT_FOUND", f"tasking request {task_id} not found")
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        detail: list[dict[str, Any]] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.data = data
        self.headers = headers

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.detail is not None:
            error["detail"] = self.detail
        if self.data is not None:
            error["data"] = self.data
        return {"error": error}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


VALIDATION_MESSAGE = "Validation Error"
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def zod_path(path: str | list[str | int]) -> list[str | int]:
    """Turn a dotted path (``items[1].granuleId``, ``geometry.coordinates.0``) into zod's segment list.

    Example::

        zod_path("items[1].granuleId")  # ["items", 1, "granuleId"]
    """
    if isinstance(path, list):
        return path
    segments: list[str | int] = []
    for name, index in _PATH_PART.findall(path):
        text = name or index
        segments.append(int(text) if text.isdigit() else text)
    return segments


def issue(message: str, path: str | list[str | int], code: str = "custom") -> dict[str, Any]:
    """Build one zod-style issue ``{message, code, path}`` of a validation error's ``detail``."""
    return {"message": message, "code": code, "path": zod_path(path)}


def validation_error(message: str, path: str = "", code: str = "custom") -> ApiError:
    """Build a 400 ``VALIDATION_ERROR``: ``message`` "Validation Error", the problem in zod-style ``detail``.

    ``code`` is a zod issue code (``invalid_type``, ``invalid_string``, ``invalid_enum_value``,
    ``too_small``, ``too_big``, ``custom``, ...).
    """
    return ApiError(400, "VALIDATION_ERROR", VALIDATION_MESSAGE, detail=[issue(message, path, code)])


def not_found(kind: str, identifier: str) -> ApiError:
    """Build a 404 for an unknown id."""
    return ApiError(404, "NOT_FOUND", f"{kind} {identifier} not found")


def unauthorized() -> JSONResponse:
    """Answer as the gateway does on a bad API key: 401, no code, just a message."""
    return JSONResponse({"message": "Unauthorized"}, status_code=401)
