"""The base of the Capella triggers: one read per poll until a verdict or a deadline, then one event."""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import AsyncIterator
from dataclasses import Field, fields
from typing import Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_capella.exceptions import CapellaError
from airflow_provider_capella.hooks.capella_async import CapellaAsyncHook
from airflow_provider_capella.tasking_status import TRANSIENT_ERRORS

EXECUTION_LATE = "did not finish before the task's execution_timeout"


class PollingTrigger(BaseTrigger):
    """Poll ``read`` until ``verdict`` gives a payload; a subclass's dataclass fields are its arguments."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    capella_conn_id: str
    poll_interval: float
    end_time: float | None
    execution_deadline: float | None = None  # a field of the sensors' triggers only
    noun: ClassVar[str]  # what waits, e.g. ``Tasking request``
    late: ClassVar[str] = "was not ready in time"  # how ``end_time`` passing is told
    blank: ClassVar[dict[str, Any]] = {}  # keys every event carries, errors included

    def __post_init__(self) -> None:
        super().__init__()
        self.poll_interval = float(self.poll_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the classpath and the arguments that rebuild this trigger in the triggerer."""
        arguments = {field.name: getattr(self, field.name) for field in fields(self)}
        return f"{type(self).__module__}.{type(self).__qualname__}", arguments

    @property
    def subject(self) -> str:
        """What is waited on, e.g. ``Tasking request <id>`` (the first field is the id)."""
        return f"{self.noun} {getattr(self, fields(self)[0].name)}"

    @abstractmethod
    async def read(self, hook: CapellaAsyncHook) -> Any:
        """Return one answer of the API."""

    @abstractmethod
    def verdict(self, answer: Any) -> dict[str, Any] | None:
        """Return the event payload once ``answer`` ends the wait, else None."""

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until there is an outcome (the HTTP pool is released first); fire one event."""
        self.polls = 0
        try:
            async with CapellaAsyncHook(self.capella_conn_id) as hook:
                outcome = await self._loop(hook)
        except CapellaError as error:  # past the hook's retries: ``failed`` if no retry can fix it
            outcome = {"status": "error" if error.retryable else "failed", "message": str(error)}
        except Exception as error:  # reported to the task instead of crashing the triggerer's loop
            outcome = {"status": "error", "message": f"{type(error).__name__}: {error}"}
        first = fields(self)[0].name  # the id waited on
        yield TriggerEvent({first: getattr(self, first), **self.blank, **outcome, "polls": self.polls})

    async def _loop(self, hook: CapellaAsyncHook) -> dict[str, Any]:
        deadlines = [
            (self.execution_deadline, "execution_timeout", EXECUTION_LATE),
            (self.end_time, "timeout", self.late),
        ]
        last_problem = ""
        while True:
            now = time.time()
            for at, status, message in deadlines:
                if at is not None and now >= at:
                    return {"status": status, "message": f"{self.subject} {message}{last_problem}"}
            self.polls += 1
            try:
                answer = await asyncio.wait_for(self.read(hook), timeout=self._remaining())
            except asyncio.TimeoutError:
                continue  # a deadline passed while waiting for the API: reported at the top
            except TRANSIENT_ERRORS as error:
                last_problem = f" (last API error: {error})"
                self.log.warning("%s: %s; polling again", self.subject, error)
            else:
                last_problem = ""
                payload = self.verdict(answer)
                if payload is not None:
                    return payload
            remaining = self._remaining()
            await asyncio.sleep(
                self.poll_interval if remaining is None else min(remaining, self.poll_interval)
            )

    def _remaining(self) -> float | None:
        limits = [at for at in (self.execution_deadline, self.end_time) if at is not None]
        return max(0.0, min(limits) - time.time()) if limits else None
