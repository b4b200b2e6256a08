"""Names every part of the provider agrees on: the default connection, its type, the default API host."""

from __future__ import annotations

DEFAULT_CONN_ID = "capella_default"
"""The Airflow connection hooks, operators, the sensor and the trigger use unless told otherwise."""

CONN_TYPE = "capella"
"""The connection type registered with Airflow."""

HOOK_NAME = "Capella Space"
"""The connection type's label in the Airflow UI."""

DEFAULT_BASE_URL = "https://api.capellaspace.com"
"""The API host when the connection names none."""
