"""``CapellaHook``: the whole Capella Space API from an Airflow connection.

One method per operation of the official SDK (``capella-console-client``), with the same names,
arguments and semantics, returning plain JSON-serializable values; every argument is validated before
any request, and every request goes through the one HTTP policy in :mod:`airflow_provider_capella._http`.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_capella.exceptions import CapellaError
from airflow_provider_capella.hooks._downloads import DownloadsMixin


class CapellaHook(DownloadsMixin):
    """Interact with the Capella Space API: catalog search, orders, downloads, tasking, repeat requests.

    The connection (type ``capella``): host = API base URL (default ``https://api.capellaspace.com``;
    ``https://`` is added when no scheme is given, ``http://`` is kept), password = API key; extras
    ``token`` (JWT, used when there is no API key), ``search_url``, ``timeout`` (read seconds or
    ``[connect, read]``), ``verify`` (bool or CA bundle path), and the retry knobs ``max_retries``
    (default 4), ``retry_base_seconds`` (default 0.5), ``retry_cap_seconds``, ``retry_after_cap_seconds``.

    :param capella_conn_id: the Airflow connection id (default ``capella_default``).

    Example::

        hook = CapellaHook()  # AIRFLOW_CONN_CAPELLA_DEFAULT='{"conn_type": "capella", "password": "KEY"}'
        items = hook.search(product_type="GEO", bbox=[12.35, 41.78, 12.61, 42.0], limit=10)
        order_id = hook.submit_order(items=items, check_active_orders=True)
        paths = hook.download_products(order_id=order_id, local_dir="/data/capella", include=["raster"])
    """

    def __init__(self, capella_conn_id: str = DownloadsMixin.default_conn_name, **kwargs: Any) -> None:
        super().__init__(capella_conn_id=capella_conn_id, **kwargs)

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra fields of the connection form (Airflow 3.1; 3.2+ reads ``conn-fields`` instead)."""
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, PasswordField, StringField

        from airflow_provider_capella.get_provider_info import CONN_FIELDS

        widgets: dict[str, Any] = {}
        for name, spec in CONN_FIELDS.items():
            schema = spec.get("schema", {})
            types = schema.get("type", "string")
            label = lazy_gettext(spec.get("label", name))
            description = spec.get("description", "")
            if "boolean" in types:
                widgets[name] = BooleanField(label, description=description, default=schema.get("default"))
            elif schema.get("format") == "password":
                widgets[name] = PasswordField(label, description=description, widget=BS3PasswordFieldWidget())
            else:
                widgets[name] = StringField(label, description=description, widget=BS3TextFieldWidget())
        return widgets

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabelled/hidden standard fields of the connection form (Airflow 3.1)."""
        from airflow_provider_capella.get_provider_info import UI_FIELD_BEHAVIOUR

        # provider info spells the keys kebab-case; the classmethod contract wants Python names
        return {key.replace("-", "_"): value for key, value in UI_FIELD_BEHAVIOUR.items()}

    def test_connection(self) -> tuple[bool, str]:
        """``(True, message)`` when ``GET /user`` accepts the credential, else ``(False, reason)``."""
        try:
            user = self.whoami()
        except CapellaError as error:
            return False, str(error)
        except Exception as error:  # a test must report, not raise
            return False, f"{type(error).__name__}: could not reach the Capella API"
        return True, f"Connected to {self.base_url} as {user.get('email') or user.get('id')}"

    def whoami(self) -> dict[str, Any]:
        """The user the credential belongs to (``GET /user``): id, organizationId, email, ...

        Example::

            user_id = hook.whoami()["id"]
        """
        user = self._api("GET", "/user")
        self._user = user
        return user
