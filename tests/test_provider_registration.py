"""Airflow sees the provider: valid provider info, and the Capella connection form on every supported Airflow.

Airflow 3.2+ builds the form from ``conn-fields``/``ui-field-behaviour``; 3.1 from the hook's classmethods.
The suite runs on both (``make test``), so each path is exercised for real through ``ProvidersManager``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from typing import Any

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


def test_the_cost_caps_are_declared_and_read_from_the_environment(monkeypatch: Any) -> None:
    from airflow.providers_manager import ProvidersManager

    from airflow_provider_capella.hooks._quotes import (
        ORDER_COST_SETTING,
        TASKING_COST_SETTING,
        configured_cap,
    )

    options = ProvidersManager().provider_configs
    capella = dict(options)["airflow-provider-capella"]["capella"]["options"]
    assert set(capella) == {ORDER_COST_SETTING, TASKING_COST_SETTING}
    assert all(option["default"] is None and option["description"] for option in capella.values())
    assert configured_cap(ORDER_COST_SETTING) is None
    monkeypatch.setenv("AIRFLOW__CAPELLA__MAX_ORDER_COST", "500")
    assert configured_cap(ORDER_COST_SETTING) == 500.0


def test_airflow_config_list_shows_the_cost_caps_with_their_description() -> None:
    command = [sys.executable, "-m", "airflow", "config", "list", "--section", "capella", "-d"]
    usage = subprocess.run([*command, "--help"], capture_output=True, text=True, check=True).stdout
    if "--show-values" in usage:  # newer Airflow hides values unless asked; 3.1 shows them and lacks the flag
        command.append("--show-values")
    listed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "AIRFLOW__CAPELLA__MAX_ORDER_COST": "500"},
    ).stdout
    assert "max_order_cost = 500" in listed
    assert "# max_tasking_cost" in listed
    assert "The most one order" in listed and "The most one tasking request" in listed
