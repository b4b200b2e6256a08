"""Every public CapellaHook method has an explicit, typed, documented signature (no hidden **kwargs)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_capella._payloads import REPEAT_ARGUMENTS, TASKING_ARGUMENTS
from airflow_provider_capella.hooks.capella import CapellaHook

FILTER_GRAMMAR = {"search", "search_tasking_requests", "search_repeat_requests"}
"""The searches keep ``**filters`` for the SDK's filter grammar (``field__operator=value``)."""

VARIADIC_IDS = {
    "list_orders",
    "update_tasking_requests",
    "cancel_tasking_requests",
    "update_repeat_requests",
    "cancel_repeat_requests",
}
"""The SDK's variadic ids: ``cancel_tasking_requests(*ids)``."""


def public_methods() -> list[tuple[str, Callable[..., Any]]]:
    methods = []
    for name, member in inspect.getmembers(CapellaHook, inspect.isfunction):
        if name.startswith("_") or not member.__module__.startswith("airflow_provider_capella"):
            continue
        methods.append((name, member))
    return methods


def test_the_hook_is_one_class_on_base_hook() -> None:
    from airflow.sdk import BaseHook

    assert CapellaHook.__mro__[1] is BaseHook
    assert [cls for cls in CapellaHook.__mro__ if cls.__module__.startswith("airflow_provider_capella")] == [
        CapellaHook
    ]


def test_the_class_docstring_shows_the_main_calls() -> None:
    doc = inspect.getdoc(CapellaHook) or ""
    assert "Example::" in doc
    assert all(f"hook.{call}(" in doc for call in ("search", "submit_order", "download_products"))


def test_every_sdk_operation_is_a_method() -> None:
    sdk = [
        "cancel_repeat_requests",
        "cancel_tasking_requests",
        "create_repeat_request",
        "create_tasking_request",
        "download_asset",
        "download_product",
        "download_products",
        "get_asset_bytesize",
        "get_collects_for_task",
        "get_presigned_assets",
        "get_presigned_items",
        "get_stac_items_of_order",
        "get_task",
        "is_task_completed",
        "list_orders",
        "search",
        "search_repeat_requests",
        "search_tasking_requests",
        "submit_order",
        "update_repeat_requests",
        "update_tasking_requests",
        "whoami",
    ]
    assert set(sdk) <= {name for name, _ in public_methods()}


@pytest.mark.parametrize(("name", "method"), public_methods(), ids=[name for name, _ in public_methods()])
def test_signature_is_explicit_typed_and_documented(name: str, method: Callable[..., Any]) -> None:
    signature = inspect.signature(method)
    parameters = list(signature.parameters.values())[1:]  # self
    doc = inspect.getdoc(method) or ""
    for parameter in parameters:
        assert parameter.annotation is not inspect.Parameter.empty, f"{name}({parameter.name}) has no type"
        assert f":param {parameter.name}:" in doc, f"{name} does not document {parameter.name}"
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            assert name in FILTER_GRAMMAR and parameter.name == "filters", f"{name} takes **{parameter.name}"
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            assert name in VARIADIC_IDS, f"{name} takes *{parameter.name}"
    positional = [p for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert len(positional) <= 1, f"{name}: only the one required id or object may be positional"
    assert all(p.default is inspect.Parameter.empty for p in positional), f"{name}: optional positional"
    assert signature.return_annotation is not inspect.Signature.empty
    if signature.return_annotation not in (None, "None"):
        summary = doc.splitlines()[0].lower()
        assert ":return:" in doc or "return" in summary, f"{name} does not say what it returns"
    assert ":param kwargs" not in doc and "**kwargs" not in str(signature)


@pytest.mark.parametrize(
    ("method", "names"),
    [("create_tasking_request", TASKING_ARGUMENTS), ("create_repeat_request", REPEAT_ARGUMENTS)],
)
def test_operator_request_options_accept_what_the_hook_accepts(method: str, names: tuple[str, ...]) -> None:
    accepted = list(inspect.signature(getattr(CapellaHook, method)).parameters)[1:]
    assert sorted(accepted) == sorted(names)
