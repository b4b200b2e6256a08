"""Synthetic catalog (placeholder until implemented)."""

from __future__ import annotations

from typing import Any


class Catalog:
    def __init__(self, seed: int, size: int) -> None:
        self.items: list[dict[str, Any]] = []
        self.by_id: dict[str, dict[str, Any]] = {}

    def get(self, item_id: str) -> dict[str, Any] | None:
        return self.by_id.get(item_id)

    def add(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            self.items.append(item)
            self.by_id[item["id"]] = item
