"""Tasking and repeat requests (placeholder until implemented)."""

from __future__ import annotations

from typing import Any


class TaskingBook:
    def __init__(self, state: Any) -> None:
        self.state = state

    def advance(self, now: float) -> None:
        return None
