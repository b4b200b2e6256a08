"""Routes for assets (placeholder until implemented)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
