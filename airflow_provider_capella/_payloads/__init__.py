"""The one validation layer: user arguments → API bodies; a ``CapellaValidationError`` before any request."""

from __future__ import annotations

from airflow_provider_capella._payloads.catalog import catalog_search_body
from airflow_provider_capella._payloads.request_search import (
    RequestSearch,
    repeat_request_search,
    request_ids,
    tasking_request_search,
    update_properties,
)
from airflow_provider_capella._payloads.tasking import (
    REPEAT_ARGUMENTS,
    TASKING_ARGUMENTS,
    CollectConstraints,
    Repetition,
    RequestBasics,
    repeat_request_body,
    tasking_request_body,
)

__all__ = [
    "REPEAT_ARGUMENTS", "TASKING_ARGUMENTS", "CollectConstraints", "Repetition", "RequestBasics",
    "RequestSearch", "catalog_search_body", "repeat_request_body", "repeat_request_search", "request_ids",
    "tasking_request_body", "tasking_request_search", "update_properties",
]  # fmt: skip
