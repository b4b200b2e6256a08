"""Tasking and repeat requests: create, search (bounded concurrent paging), get, update, cancel."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow_provider_capella._payloads import (
    RequestSearch,
    build_repeat_request,
    build_tasking_request,
    checks,
    repeat_request_search,
    request_ids,
    tasking_request_search,
    update_properties,
)
from airflow_provider_capella._payloads import vocabulary as vocab
from airflow_provider_capella.exceptions import CapellaError, CapellaTaskNotCompleteError
from airflow_provider_capella.hooks._core import MAX_CONCURRENCY, HookCore


class TaskingMixin(HookCore):
    """Tasking requests (``/task``, ``/tasks/search``, ``/collects/list``) and repeat requests."""

    # --- tasking requests -------------------------------------------------------------------------

    def create_tasking_request(self, **kwargs: Any) -> dict[str, Any]:
        """Create a tasking request (billable); return the created tasking request Feature.

        Arguments (the SDK's): ``geometry`` (GeoJSON Point or Polygon, required), ``name``,
        ``description``, ``collection_type`` (default ``spotlight``), ``collection_tier`` (``urgent``,
        ``priority``, ``standard`` (default), ``flexible``), ``window_open`` (default now),
        ``window_close`` (default open + 7 days; aware datetimes are converted to UTC), ``local_time``
        (``day``/``night``/``anytime`` or ``[[start, end], ...]`` seconds of the day),
        ``product_types``, ``off_nadir_min``/``off_nadir_max``, ``image_width``, ``orbital_planes``
        (45, 53, 97), ``asc_dsc``, ``look_direction``, ``polarization`` (HH, VV), ``archive_holdback``,
        ``custom_attribute_1``/``custom_attribute_2``, ``pre_approval``, ``azimuth_angle_min``/
        ``azimuth_angle_max``, ``squint``, ``max_squint_angle``, ``contract_id``.

        Never re-sent on an ambiguous failure: a ``CapellaAmbiguousCreateError`` says to check first.

        Example::

            task = hook.create_tasking_request(
                geometry={"type": "Point", "coordinates": [-105.2, 40.0]}, name="boulder",
                window_open="2025-01-01T00:00:00Z", window_close="2025-01-08T00:00:00Z")
            task_id = task["properties"]["taskingrequestId"]
        """
        body = build_tasking_request(kwargs)
        created = self._api("POST", "/task", json=body)
        self.log.info("Created tasking request %s", _property(created, "taskingrequestId"))
        return created

    def search_tasking_requests(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Search tasking requests (the caller's own by default); return the matching Features.

        Filters: ``collection_type``, ``collection_tier``, ``instrument_mode``, ``status``,
        ``tasking_request_id``, ``user_id``, ``org_id``, and the datetimes ``last_status_time``,
        ``submission_time``, ``window_open``, ``window_close`` (with ``__gt __gte __lt __lte``); a list
        value matches any of its values. Options: ``for_org``, ``page_size`` (250..500), ``threaded``
        (pages 2..N fetched concurrently, at most 8 at once), ``show_progress`` (accepted, ignored),
        ``include_repeating_tasks`` (default False, as in the SDK: also match the requests that repeat
        requests derived; they carry ``repeatrequestId``).

        Example::

            completed = hook.search_tasking_requests(status="completed", submission_time__gte="2024-01-01")
        """
        search = tasking_request_search(kwargs)
        return self._search_requests("/tasks/search", search, "taskingrequestId")

    def get_task(self, tasking_request_id: str) -> dict[str, Any]:
        """Fetch one tasking request Feature (``GET /task/{id}``).

        Example::

            task = hook.get_task("6a8e5c2f-2a0e-4d3b-9d5f-0f1e2d3c4b5a")
        """
        task_id = checks.uuid_text("tasking_request_id", tasking_request_id)
        return self._api("GET", f"/task/{task_id}")

    def is_task_completed(self, task: dict[str, Any]) -> bool:
        """Whether ``completed`` appears anywhere in the task's status history (the SDK's rule:
        a request can go completed → accepted → completed).

        Example::

            hook.is_task_completed(hook.get_task(task_id))
        """
        return "completed" in status_codes(task)

    def get_collects_for_task(self, tasking_request_id: str) -> list[dict[str, Any]]:
        """The collects of a completed tasking request (``GET /collects/list/{id}``).

        Raises ``CapellaTaskNotCompleteError`` when the task has not completed yet.

        Example::

            collect_ids = [c["collectId"] for c in hook.get_collects_for_task(task_id)]
        """
        task = self.get_task(tasking_request_id)
        task_id = _property(task, "taskingrequestId") or checks.uuid_text(
            "tasking_request_id", tasking_request_id
        )
        if not self.is_task_completed(task):
            latest = next(iter(status_codes(task)), "unknown")
            raise CapellaTaskNotCompleteError(
                f"tasking request {task_id} is not completed (latest status: {latest})"
            )
        return list(self._api("GET", f"/collects/list/{task_id}") or [])

    def update_tasking_requests(self, *tasking_request_ids: str, **kwargs: Any) -> dict[str, Any]:
        """Update several tasking requests with the same values (``name``, ``description``,
        ``custom_attribute_1``, ``custom_attribute_2``, ``product_types``), at most 8 at once.

        Returns ``{id: updated Feature}`` or ``{id: {"success": False, "error": {...}}}`` per id.

        Example::

            hook.update_tasking_requests(task_id, name="renamed")
        """
        ids = request_ids("tasking_request_ids", tasking_request_ids)
        body = update_properties(kwargs, vocab.TASKING_UPDATABLE, "update_tasking_requests")
        return self._per_id(ids, lambda task_id: self._api("PATCH", f"/task/{task_id}", json=body))

    def cancel_tasking_requests(self, *tasking_request_ids: str) -> dict[str, Any]:
        """Cancel tasking requests, at most 8 at once (cancellation fees may apply).

        Returns ``{id: {"success": True}}`` or ``{id: {"success": False, "error": {...}}}`` per id.

        Example::

            results = hook.cancel_tasking_requests(task_id_1, task_id_2)
        """
        ids = request_ids("tasking_request_ids", tasking_request_ids)
        return self._cancel_each(ids, "/task/{}/status")

    # --- repeat requests --------------------------------------------------------------------------

    def create_repeat_request(self, **kwargs: Any) -> dict[str, Any]:
        """Create a repeat request (billable); return the created repeat request Feature.

        Arguments: as ``create_tasking_request`` (without the window and ``pre_approval``), plus
        ``collection_tier`` (``routine`` (default), ``flexible``, ...), ``repeat_start`` (default now),
        ``repeat_end`` xor ``repetition_count``, ``repetition_interval`` (days, default 7),
        ``maintain_scene_framing``, ``look_angle_tolerance``, ``azimuth_angle_tolerance``,
        ``window_duration`` (seconds), ``insar_orbit``.

        Example::

            repeat = hook.create_repeat_request(
                geometry={"type": "Point", "coordinates": [-105.2, 40.0]}, name="weekly",
                repetition_interval=7, repetition_count=4)
        """
        body = build_repeat_request(kwargs)
        created = self._api("POST", "/repeat-requests", json=body)
        self.log.info("Created repeat request %s", _property(created, "repeatrequestId"))
        return created

    def get_repeat_request(self, repeat_request_id: str) -> dict[str, Any]:
        """Fetch one repeat request (``GET /repeat-requests/{id}``).

        Example::

            repeat = hook.get_repeat_request(repeat_id)
        """
        repeat_id = checks.uuid_text("repeat_request_id", repeat_request_id)
        return self._api("GET", f"/repeat-requests/{repeat_id}")

    def search_repeat_requests(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Search repeat requests; filters as ``search_tasking_requests`` plus ``repeat_request_id``,
        ``repeat_start``, ``repeat_end``, ``repetition_interval``.

        Example::

            active = hook.search_repeat_requests(status="active")
        """
        search = repeat_request_search(kwargs)
        return self._search_requests("/repeat-requests/search", search, "repeatrequestId")

    def update_repeat_requests(self, *repeat_request_ids: str, **kwargs: Any) -> dict[str, Any]:
        """Update several repeat requests with the same values; per-id results as for tasking.

        Example::

            hook.update_repeat_requests(repeat_id, description="monthly monitoring")
        """
        ids = request_ids("repeat_request_ids", repeat_request_ids)
        body = update_properties(kwargs, vocab.REPEAT_UPDATABLE, "update_repeat_requests")
        return self._per_id(
            ids, lambda repeat_id: self._api("PATCH", f"/repeat-requests/{repeat_id}", json=body)
        )

    def cancel_repeat_requests(self, *repeat_request_ids: str) -> dict[str, Any]:
        """Cancel repeat requests; per-id ``{"success": ...}`` results as for tasking.

        Example::

            hook.cancel_repeat_requests(repeat_id)
        """
        ids = request_ids("repeat_request_ids", repeat_request_ids)
        return self._cancel_each(ids, "/repeat-requests/{}/status")

    # --- shared -----------------------------------------------------------------------------------

    def _search_requests(self, path: str, search: RequestSearch, id_key: str) -> list[dict[str, Any]]:
        body = {"query": self._scoped_query(search)}

        def fetch(page: int) -> dict[str, Any]:
            return self._api("POST", path, json=body, params={"page": page, "limit": search.page_size}) or {}

        first = fetch(1)
        total_pages = int(first.get("totalPages") or 1)
        pages = [first]
        rest = list(range(2, total_pages + 1))
        if rest and search.threaded:
            with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(rest))) as pool:
                pages.extend(pool.map(fetch, rest))
        else:
            pages.extend(fetch(page) for page in rest)
        results = _unique_results(pages, id_key)
        self.log.info("Found %d request(s) on %d page(s) of %s", len(results), max(1, total_pages), path)
        return results

    def _scoped_query(self, search: RequestSearch) -> dict[str, Any]:
        query = dict(search.query)
        if search.scope == "user":
            query["userId"] = self._user_info()["id"]
        elif search.scope == "org":
            query["organizationIds"] = [self._user_info()["organizationId"]]
        return query

    def _cancel_each(self, ids: list[str], path_template: str) -> dict[str, Any]:
        def cancel(request_id: str) -> dict[str, Any]:
            self._api("PATCH", path_template.format(request_id), json={"status": "canceled"})
            return {"success": True}

        return self._per_id(ids, cancel)

    def _per_id(self, ids: list[str], action: Callable[[str], Any]) -> dict[str, Any]:
        def guarded(request_id: str) -> Any:
            try:
                return action(request_id)
            except CapellaError as error:
                return {"success": False, "error": error_summary(error)}

        results = self._run_bounded(guarded, ids)
        failed = [
            key for key, value in results.items() if isinstance(value, dict) and value.get("success") is False
        ]
        if failed:
            self.log.warning("%d of %d request(s) failed: %s", len(failed), len(ids), ", ".join(failed))
        return results


def status_codes(task: Any) -> list[str]:
    """The status codes of a tasking/repeat request's history (newest first, as the API sends them)."""
    history = task.get("properties", {}).get("statusHistory") if isinstance(task, dict) else None
    if not isinstance(history, list):
        checks.fail("task", "must be a tasking request dict with properties.statusHistory (see get_task)")
    return [str(entry.get("code", "")).lower() for entry in history if isinstance(entry, dict)]


def error_summary(error: CapellaError) -> dict[str, Any]:
    """A JSON-ready description of an API error for per-id results."""
    summary: dict[str, Any] = {"status": error.status, "code": error.code, "message": error.message}
    if error.detail:
        summary["detail"] = error.detail
    return summary


def _unique_results(pages: list[dict[str, Any]], id_key: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    results = []
    for page in pages:
        for result in page.get("results") or []:
            key = _property(result, id_key)
            if key is not None and key in seen:
                continue
            if key is not None:
                seen.add(key)
            results.append(result)
    return results


def _property(feature: Any, key: str) -> str | None:
    if not isinstance(feature, dict):
        return None
    value = feature.get("properties", {}).get(key, feature.get(key))
    return None if value is None else str(value)
