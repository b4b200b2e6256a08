"""Provider registration read by Airflow through the ``apache_airflow_provider`` entry point.

Airflow 3.2+ builds the connection form from ``conn-fields`` / ``ui-field-behaviour`` here without
importing the hook; Airflow 3.1 asks the hook's ``get_connection_form_widgets`` /
``get_ui_field_behaviour`` classmethods instead. Both describe the same form.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_capella import __version__
from airflow_provider_capella.constants import CONN_TYPE as CONNECTION_TYPE
from airflow_provider_capella.constants import DEFAULT_BASE_URL, HOOK_NAME

CONN_FIELDS: dict[str, dict[str, Any]] = {
    "search_url": {
        "label": "Search URL",
        "description": "Catalog search endpoint override (default: <base URL>/catalog/search).",
        "schema": {"type": ["string", "null"]},
    },
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "Read timeout of each API call.",
        "schema": {"type": ["number", "null"], "default": 60},
    },
    "verify": {
        "label": "Verify TLS certificates",
        "schema": {"type": ["boolean", "null"], "default": True},
    },
    "max_retries": {
        "label": "Max retries",
        "description": "Retries of a failed call (429, 5xx, dropped connections); never of other 4xx.",
        "schema": {"type": ["integer", "null"], "default": 4},
    },
    "retry_base_seconds": {
        "label": "Retry backoff base (seconds)",
        "description": "First backoff; it doubles per attempt, with jitter.",
        "schema": {"type": ["number", "null"], "default": 0.5},
    },
    "retry_cap_seconds": {
        "label": "Retry backoff cap (seconds)",
        "schema": {"type": ["number", "null"], "default": 30},
    },
    "retry_after_cap_seconds": {
        "label": "Retry-After cap (seconds)",
        "description": "Longest wait honoured from a 429's Retry-After header.",
        "schema": {"type": ["number", "null"], "default": 60},
    },
    "console_url": {
        "label": "Console URL",
        "description": "Base of the Capella console, for the operators' extra links.",
        "schema": {"type": ["string", "null"], "default": "https://console.capellaspace.com"},
    },
    "token": {
        "label": "JWT token",
        "description": "Used instead of the API key when no API key is set.",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
}

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "port", "login", "extra"],
    "relabeling": {"host": "Base URL", "password": "API key"},
    "placeholders": {
        "host": DEFAULT_BASE_URL,
        "password": "your Capella API key",
        "search_url": f"{DEFAULT_BASE_URL}/catalog/search",
        "timeout": "60",
    },
}


def get_provider_info() -> dict[str, Any]:
    """Describe what this provider offers, in the shape of Airflow's ``provider_info.schema.json``."""
    return {
        "package-name": "airflow-provider-capella",
        "name": "Capella Space",
        "description": "Search, order, download and task Capella Space SAR imagery from Airflow.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": HOOK_NAME,
                "external-doc-url": "https://docs.capellaspace.com/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": HOOK_NAME,
                "python-modules": ["airflow_provider_capella.hooks.capella"],
            }
        ],
        "operators": [
            {
                "integration-name": HOOK_NAME,
                "python-modules": [
                    "airflow_provider_capella.operators.search",
                    "airflow_provider_capella.operators.orders",
                    "airflow_provider_capella.operators.download",
                    "airflow_provider_capella.operators.tasking",
                    "airflow_provider_capella.operators.repeat",
                    "airflow_provider_capella.operators.archive",
                    "airflow_provider_capella.operators.feasibility",
                    "airflow_provider_capella.operators.approval",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": HOOK_NAME,
                "python-modules": ["airflow_provider_capella.sensors.tasking"],
            }
        ],
        "triggers": [
            {
                "integration-name": HOOK_NAME,
                "python-modules": [
                    "airflow_provider_capella.triggers.tasking",
                    "airflow_provider_capella.triggers.feasibility",
                    "airflow_provider_capella.triggers.review",
                ],
            }
        ],
        "extra-links": [
            "airflow_provider_capella.links.CapellaTaskingRequestLink",
            "airflow_provider_capella.links.CapellaRepeatRequestLink",
            "airflow_provider_capella.links.CapellaOrderLink",
        ],
        "connection-types": [
            {
                "connection-type": CONNECTION_TYPE,
                "hook-class-name": "airflow_provider_capella.hooks.capella.CapellaHook",
                "hook-name": HOOK_NAME,
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }
