"""Every public operator, the sensors and the triggers document each of their arguments with ``:param``."""

from __future__ import annotations

import inspect
import re

import pytest

from airflow_provider_capella.operators.approval import (
    ApproveRepeatRequestOperator,
    ApproveTaskingRequestOperator,
    RejectRepeatRequestOperator,
    RejectTaskingRequestOperator,
    TaskingQuoteOperator,
)
from airflow_provider_capella.operators.download import DownloadProductsOperator
from airflow_provider_capella.operators.orders import SubmitOrderOperator
from airflow_provider_capella.operators.repeat import (
    CancelRepeatRequestsOperator,
    CreateRepeatRequestOperator,
    UpdateRepeatRequestsOperator,
)
from airflow_provider_capella.operators.search import CapellaSearchOperator
from airflow_provider_capella.operators.tasking import (
    CancelTaskingRequestsOperator,
    CreateTaskingRequestOperator,
    UpdateTaskingRequestsOperator,
)
from airflow_provider_capella.sensors.repeat import DerivedRequestsSensor
from airflow_provider_capella.sensors.tasking import TaskCompletedSensor
from airflow_provider_capella.triggers.repeat import DerivedRequestsTrigger
from airflow_provider_capella.triggers.tasking import TaskCompletedTrigger

PUBLIC = [
    CapellaSearchOperator,
    SubmitOrderOperator,
    DownloadProductsOperator,
    CreateTaskingRequestOperator,
    CancelTaskingRequestsOperator,
    UpdateTaskingRequestsOperator,
    CreateRepeatRequestOperator,
    CancelRepeatRequestsOperator,
    UpdateRepeatRequestsOperator,
    TaskCompletedSensor,
    TaskCompletedTrigger,
    ApproveRepeatRequestOperator,
    RejectRepeatRequestOperator,
    ApproveTaskingRequestOperator,
    RejectTaskingRequestOperator,
    TaskingQuoteOperator,
    DerivedRequestsSensor,
    DerivedRequestsTrigger,
]


def own_arguments(cls: type) -> set[str]:
    """The keyword arguments the provider's classes in ``cls``'s MRO add (Airflow's own are not ours)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("airflow_provider_capella") or "__init__" not in vars(klass):
            continue
        for parameter in list(inspect.signature(vars(klass)["__init__"]).parameters.values())[1:]:
            if parameter.kind not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
                names.add(parameter.name)
    return names


@pytest.mark.parametrize("cls", PUBLIC, ids=[cls.__name__ for cls in PUBLIC])
def test_every_argument_has_its_own_param_line(cls: type) -> None:
    doc = inspect.getdoc(cls) or ""
    missing = sorted(name for name in own_arguments(cls) if f":param {name}:" not in doc)
    assert not missing, f"{cls.__name__} does not document {missing}"
    assert "Example::" in doc


@pytest.mark.parametrize("cls", PUBLIC, ids=[cls.__name__ for cls in PUBLIC])
def test_every_documented_argument_is_a_real_one_so_partial_and_expand_accept_it(cls: type) -> None:
    real: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            real |= set(inspect.signature(vars(klass)["__init__"]).parameters)
    documented = set(re.findall(r":param (\w+):", inspect.getdoc(cls) or ""))
    assert documented <= real, f"{cls.__name__} takes {sorted(documented - real)} only through **kwargs"
