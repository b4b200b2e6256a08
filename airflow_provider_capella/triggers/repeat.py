"""``DerivedRequestsTrigger``: wait in the triggerer until a repeat request has derived tasking requests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.constants import DEFAULT_CONN_ID
from airflow_provider_capella.operators._base import capella_hook
from airflow_provider_capella.sensors.repeat import derived, derived_verdict
from airflow_provider_capella.triggers._polling import PollingTrigger

if TYPE_CHECKING:
    from airflow_provider_capella.hooks.capella import CapellaHook
    from airflow_provider_capella.hooks.capella_async import CapellaAsyncHook


@dataclass(eq=False, repr=False)
class DerivedRequestsTrigger(PollingTrigger):
    """Polls a repeat request until it derived ``count`` tasking requests, ended short, or a deadline passed.

    :param repeat_request_id: the repeat request.
    :param count: how many derived tasking requests to wait for.
    :param capella_conn_id: the Airflow connection id (default ``capella_default``).
    :param poll_interval: seconds between polls.
    :param end_time: epoch seconds after which the wait ends with ``timeout`` (the sensor's timeout).
    :param execution_deadline: epoch seconds after which it ends with ``execution_timeout``.

    Example::

        DerivedRequestsTrigger(repeat_id, 2, poll_interval=300, end_time=time.time() + 86400)
    """

    repeat_request_id: str
    count: int = 1
    capella_conn_id: str = DEFAULT_CONN_ID
    poll_interval: float = 60.0
    end_time: float | None = None
    execution_deadline: float | None = None
    late = "did not finish before the sensor's timeout"

    @cached_property
    def hook(self) -> CapellaHook:
        """The blocking hook the polls use (built in a poll's thread)."""
        return capella_hook(self.capella_conn_id)

    noun = "Repeat request"

    async def read(
        self, hook: CapellaAsyncHook
    ) -> tuple[str | None, dict[str, str]]:  # the search is sync only
        return await asyncio.to_thread(derived, self.hook, self.repeat_request_id)

    def verdict(self, answer: tuple[str | None, dict[str, str]]) -> dict[str, Any] | None:
        status, found = answer
        outcome = derived_verdict(self.repeat_request_id, self.count, status, found)
        if outcome is None:
            self.log.info("%s is %s with %d derived tasking request(s)", self.subject, status, len(found))
            return None
        return {"status": outcome[0], "message": outcome[1], "derived": found}
