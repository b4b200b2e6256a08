"""The Capella connection form on Airflow 3.1, built from the same description 3.2+ reads directly.

Airflow 3.2+ builds the form from ``conn-fields`` / ``ui-field-behaviour`` in the provider info without
importing the hook; 3.1 asks ``CapellaHook.get_connection_form_widgets`` / ``get_ui_field_behaviour``,
which answer with these functions.
"""

from __future__ import annotations

from typing import Any


def widgets() -> dict[str, Any]:
    """Return a WTForms field per ``CONN_FIELDS`` entry: checkbox, password box or text box."""
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, PasswordField, StringField

    from airflow_provider_capella.get_provider_info import CONN_FIELDS

    fields: dict[str, Any] = {}
    for name, spec in CONN_FIELDS.items():
        schema = spec.get("schema", {})
        types = schema.get("type", "string")
        label = lazy_gettext(spec.get("label", name))
        description = spec.get("description", "")
        if "boolean" in types:
            fields[name] = BooleanField(label, description=description, default=schema.get("default"))
        elif schema.get("format") == "password":
            fields[name] = PasswordField(label, description=description, widget=BS3PasswordFieldWidget())
        else:
            fields[name] = StringField(label, description=description, widget=BS3TextFieldWidget())
    return fields


def field_behaviour() -> dict[str, Any]:
    """Return ``UI_FIELD_BEHAVIOUR`` with Python-style keys (provider info spells them kebab-case)."""
    from airflow_provider_capella.get_provider_info import UI_FIELD_BEHAVIOUR

    return {key.replace("-", "_"): value for key, value in UI_FIELD_BEHAVIOUR.items()}
