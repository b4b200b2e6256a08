"""Orders (placeholder until implemented)."""

from __future__ import annotations

from typing import Any


class OrderBook:
    def __init__(self, state: Any) -> None:
        self.state = state
