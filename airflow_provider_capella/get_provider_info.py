"""Provider registration read by Airflow; 3.2+ builds the connection form from ``conn-fields`` here."""

from __future__ import annotations

from typing import Any

from airflow_provider_capella import __version__
from airflow_provider_capella.constants import CONN_TYPE, DEFAULT_BASE_URL, HOOK_NAME

PACKAGE = "airflow_provider_capella"


def _field(
    label: str, kind: str, default: Any = None, description: str = "", **schema: Any
) -> dict[str, Any]:
    """Return one ``conn-fields`` entry: a nullable ``kind`` with ``default`` when given."""
    defaults = {"default": default} if default is not None else {}
    described = {"description": description} if description else {}
    return {"label": label, **described, "schema": {"type": [kind, "null"], **defaults, **schema}}


CONN_FIELDS: dict[str, dict[str, Any]] = {
    "search_url": _field(
        "Search URL",
        "string",
        description="Catalog search endpoint override (default: <base URL>/catalog/search).",
    ),
    "timeout": _field("Timeout (seconds)", "number", 60, "Read timeout of each API call."),
    "verify": _field("Verify TLS certificates", "boolean", True),
    "max_retries": _field(
        "Max retries",
        "integer",
        4,
        "Retries of a failed call (429, 5xx, dropped connections); never of other 4xx.",
    ),
    "retry_base_seconds": _field(
        "Retry backoff base (seconds)", "number", 0.5, "First backoff; it doubles per attempt, with jitter."
    ),
    "retry_cap_seconds": _field("Retry backoff cap (seconds)", "number", 30),
    "retry_after_cap_seconds": _field(
        "Retry-After cap (seconds)", "number", 60, "Longest wait honoured from a 429's Retry-After header."
    ),
    "console_url": _field(
        "Console URL",
        "string",
        "https://console.capellaspace.com",
        "Base of the Capella console, for the operators' extra links.",
    ),
    "token": _field(
        "JWT token",
        "string",
        description="Used instead of the API key when no API key is set.",
        format="password",
    ),
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


def _cap(what: str, example: str) -> dict[str, Any]:
    """Return one cost-cap option of the ``[capella]`` section: a float, unset by default."""
    return {
        "description": f"The most {what} may cost, in the quote's currency, for every DAG of this "
        "deployment: the API's quote is checked before anything billable is sent, and a higher quote is "
        "refused with CapellaCostLimitError. An operator's or hook method's max_cost can only lower it. "
        "Unset: no cap. 0: only what is free.",
        "version_added": "0.2.0",
        "type": "float",
        "example": example,
        "default": None,
    }


CONFIG: dict[str, Any] = {
    "capella": {
        "description": "Cost caps for every billable call of the Capella provider (docs: Cost safety).",
        "options": {
            "max_order_cost": _cap(
                "one order (submit_order, a download's order, an expired order's reorder)", "500"
            ),
            "max_tasking_cost": _cap(
                "one tasking request, or one collection of a repeat request (checked before approval; "
                "pre_approval is then refused)",
                "5000",
            ),
        },
    }
}
OPERATORS = ("search", "orders", "download", "tasking", "repeat", "archive", "feasibility", "approval")
LINKS = ("CapellaTaskingRequestLink", "CapellaRepeatRequestLink", "CapellaOrderLink")


def _modules(package: str, *names: str) -> list[dict[str, Any]]:
    return [
        {"integration-name": HOOK_NAME, "python-modules": [f"{PACKAGE}.{package}.{name}" for name in names]}
    ]


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
        "hooks": _modules("hooks", "capella"),
        "operators": _modules("operators", *OPERATORS),
        "sensors": _modules("sensors", "tasking", "repeat"),
        "triggers": _modules("triggers", "tasking", "repeat", "feasibility", "review"),
        "extra-links": [f"{PACKAGE}.links.{name}" for name in LINKS],
        "config": CONFIG,
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": f"{PACKAGE}.hooks.capella.CapellaHook",
                "hook-name": HOOK_NAME,
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }
