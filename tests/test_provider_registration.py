"""Airflow sees the provider: valid provider info, and the Capella connection form on every supported Airflow.

Airflow 3.2+ builds the form from ``conn-fields``/``ui-field-behaviour``; 3.1 from the hook's classmethods.
The suite runs on both (``make test``), so each path is exercised for real through ``ProvidersManager``.
"""

from __future__ import annotations

import json
from importlib import resources

import jsonschema

from airflow_provider_capella import get_provider_info


def test_provider_info_matches_airflows_schema() -> None:
    schema = json.loads(resources.files("airflow").joinpath("provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_connection_form_shows_the_capella_fields() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    widgets = manager.connection_form_widgets
    for field in ("search_url", "timeout", "verify", "token"):
        assert f"extra__capella__{field}" in widgets, sorted(name for name in widgets if "capella" in name)
    assert widgets["extra__capella__token"].is_sensitive
    behaviour = manager.field_behaviours["capella"]
    assert behaviour["relabeling"]["password"] == "API key"
    assert behaviour["relabeling"]["host"] == "Base URL"
    assert "login" in behaviour["hidden_fields"]
