"""The connection: base URL rules, credentials (API key, token), test_connection, UI metadata."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_capella.exceptions import CapellaAuthenticationError
from airflow_provider_capella.hooks.capella import CapellaHook


def test_a_capella_connection_resolves_to_this_hook_under_its_listed_name(
    hook: CapellaHook, capella_emulator: Any
) -> None:
    import warnings

    from airflow.providers_manager import ProvidersManager
    from airflow.sdk import BaseHook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ProvidersManager.hooks moves to the task SDK in Airflow 3.2
        listed = ProvidersManager().hooks["capella"]
    assert listed is not None
    assert (listed.hook_name, listed.connection_testable) == ("Capella Space", True)
    resolved = BaseHook.get_hook("capella_default")  # what Airflow builds for a "capella" connection
    assert isinstance(resolved, CapellaHook)
    assert resolved.whoami()["email"] == "emulator@example.com"
    assert [entry["path"] for entry in capella_emulator.requests()] == ["/user"]


def test_test_connection_succeeds_via_get_user(hook: CapellaHook, capella_emulator: Any) -> None:
    ok, message = hook.test_connection()
    assert ok, message
    assert "emulator@example.com" in message
    assert [entry["path"] for entry in capella_emulator.requests()] == ["/user"]


def test_wrong_key_fails_test_connection_without_leaking_it(connect: Callable[..., CapellaHook]) -> None:
    hook = connect(password="wrong-secret-key-123")
    ok, message = hook.test_connection()
    assert not ok
    assert "401" in message and "API key" in message
    assert "wrong-secret-key-123" not in message


def test_wrong_key_raises_authentication_error(
    connect: Callable[..., CapellaHook], capella_emulator: Any
) -> None:
    hook = connect(password="wrong-secret-key-123")
    capella_emulator.clear_requests()
    with pytest.raises(CapellaAuthenticationError) as raised:
        hook.whoami()
    assert raised.value.status == 401
    assert raised.value.code == "INVALID_API_KEY"
    assert "wrong-secret-key-123" not in str(raised.value) and "wrong-secret-key-123" not in repr(
        raised.value
    )
    assert len(capella_emulator.requests(path="/user")) == 1  # a 401 is not retried


def test_missing_credentials_fail_before_any_request(
    connect: Callable[..., CapellaHook], capella_emulator: Any
) -> None:
    hook = connect(password="")
    capella_emulator.clear_requests()
    with pytest.raises(CapellaAuthenticationError, match="no API key"):
        hook.whoami()
    assert capella_emulator.requests() == []


@pytest.mark.parametrize("password", ["ApiKey {key}", "apikey {key}", "  {key}  "])
def test_key_prefix_is_added_only_when_missing(
    connect: Callable[..., CapellaHook], capella_emulator: Any, password: str
) -> None:
    hook = connect(password=password.format(key=capella_emulator.api_key))
    assert hook.whoami()["id"]


def test_token_extra_is_sent_as_bearer(connect: Callable[..., CapellaHook], capella_emulator: Any) -> None:
    hook = connect(password="", token=capella_emulator.api_key)
    capella_emulator.clear_requests()
    assert hook.whoami()["email"]
    assert capella_emulator.requests(path="/user")[0]["headers"]["authorization"] == "Bearer ***"


def test_api_key_takes_precedence_over_token(
    connect: Callable[..., CapellaHook], capella_emulator: Any
) -> None:
    hook = connect(token="some-jwt")
    capella_emulator.clear_requests()
    hook.whoami()
    assert capella_emulator.requests(path="/user")[0]["headers"]["authorization"] == "ApiKey ***"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("api.example.com", "https://api.example.com"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        ("https://api.example.com/v1", "https://api.example.com/v1"),
        ("", "https://api.capellaspace.com"),
    ],
)
def test_base_url_from_host(monkeypatch: pytest.MonkeyPatch, host: str, expected: str) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_CAPELLA_DEFAULT",
        json.dumps({"conn_type": "capella", "host": host, "password": "k" * 12}),
    )
    hook = CapellaHook()
    assert hook.base_url == expected
    assert hook.search_url == f"{expected}/catalog/search"


def test_extras_configure_search_url_timeout_and_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = {
        "conn_type": "capella",
        "password": "k" * 12,
        "extra": {
            "search_url": "https://search.example.com/stac/search",
            "timeout": "5,30",
            "verify": "false",
        },
    }
    monkeypatch.setenv("AIRFLOW_CONN_CAPELLA_DEFAULT", json.dumps(connection))
    settings = CapellaHook().settings
    assert settings.search_url == "https://search.example.com/stac/search"
    assert settings.timeout == (5.0, 30.0)
    assert settings.verify is False
    assert "k" * 12 not in repr(settings)


def test_ui_field_behaviour_relabels_host_and_password() -> None:
    behaviour = CapellaHook.get_ui_field_behaviour()
    assert behaviour["relabeling"]["password"] == "API key"
    assert behaviour["relabeling"]["host"] == "Base URL"


def test_connection_form_widgets_cover_the_extras() -> None:
    pytest.importorskip("flask_appbuilder")
    widgets = CapellaHook.get_connection_form_widgets()
    assert {"token", "search_url", "timeout", "verify"} <= set(widgets)
