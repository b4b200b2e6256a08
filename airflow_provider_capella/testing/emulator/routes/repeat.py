"""Routes for repeat (placeholder until implemented)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
