"""OpenLineage facets from an operator's ``self.lineage``, for its ``get_openlineage_facets_on_*`` methods."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast
from urllib.parse import urlsplit

from airflow_provider_capella.exceptions import CapellaError
from airflow_provider_capella.lineage.describe import describe_products
from airflow_provider_capella.lineage.record import ErrorFacts, LineageRecord
from airflow_provider_capella.links import console_url

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_provider_capella.hooks.capella import CapellaHook

log = logging.getLogger(__name__)
Execute = TypeVar("Execute", bound=Callable[..., Any])
Enrich = Callable[[LineageRecord, "CapellaHook"], None]

DEFAULT_API_HOST = "api.capellaspace.com"
CONSOLE_PATHS = (
    ("tasking_request_id", "tasking"),
    ("repeat_request_id", "repeat-requests"),
    ("order_id", "orders"),
)


class Reporting(Protocol):
    """What lineage reads of an operator: its connection, its record, and a hook of its own."""

    capella_conn_id: str
    lineage: LineageRecord

    def new_hook(self) -> CapellaHook: ...


def records(execute: Execute) -> Execute:
    """Give ``execute`` (or ``execute_complete``) a fresh record; record a :class:`CapellaError` ending it."""

    @functools.wraps(execute)
    def run(self: Reporting, *args: Any, **kwargs: Any) -> Any:
        self.lineage = LineageRecord()
        try:
            return execute(self, *args, **kwargs)
        except CapellaError as error:
            self.lineage.error = ErrorFacts.of(error)
            raise

    return cast("Execute", run)


def facets_on_start(
    operator: Reporting, at_start: Callable[[], LineageRecord] = LineageRecord
) -> OperatorLineage:
    """Report what the rendered arguments name (``at_start``'s record) before anything runs."""
    record = _safely("reading the arguments", at_start) or LineageRecord()
    return _operator_lineage(operator, record)


def facets_on_complete(operator: Reporting, enrich: Enrich = describe_products) -> OperatorLineage:
    """Report the products read, the files written, the ids and cost, completed by ``enrich`` first."""
    record = operator.lineage
    _safely("looking up catalog facts and cost", lambda: enrich(record, operator.new_hook()))
    return _operator_lineage(operator, record)


def facets_on_failure(operator: Reporting) -> OperatorLineage:
    """Report what was recorded before the failure, and the API's status, code and message."""
    return _operator_lineage(operator, operator.lineage)


def no_lookup(record: LineageRecord, hook: CapellaHook) -> None:
    """Enrich nothing: the ids recorded are the facts (cancel and update operators)."""


def _operator_lineage(operator: Reporting, record: LineageRecord) -> OperatorLineage:
    from airflow_provider_capella.lineage.facets import operator_lineage  # lazy: OpenLineage is optional

    base_url = _safely("reading the connection", lambda: operator.new_hook().base_url)
    host = urlsplit(base_url).netloc if base_url and "://" in base_url else (base_url or "")
    named = [(path, getattr(record, name)) for name, path in CONSOLE_PATHS if getattr(record, name)]
    console = f"{console_url(operator.capella_conn_id)}/{named[0][0]}/{named[0][1]}" if named else None
    return operator_lineage(record, f"capella://{host.strip('/') or DEFAULT_API_HOST}", console)


def _safely(doing: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except Exception as error:  # lineage never fails the task, nor hides its events
        log.warning("OpenLineage: %s failed (%s); the event carries what is known", doing, error)
        return None
