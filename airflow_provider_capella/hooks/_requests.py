"""Tasking and repeat requests, one implementation for both: create, search, get, update, cancel.

A :class:`RequestKind` names the paths and id field of one kind; every function takes it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_capella._answers import api_time, organization_id
from airflow_provider_capella._payloads import RequestSearch, checks, request_ids, update_properties
from airflow_provider_capella._payloads import tasking_rules as rules
from airflow_provider_capella._payloads import vocabulary as vocab
from airflow_provider_capella.exceptions import CapellaError, CapellaTaskNotCompleteError
from airflow_provider_capella.hooks._api import MAX_CONCURRENCY
from airflow_provider_capella.tasking_status import FINAL_FAILURES, is_completed, latest_status

FINALIZED_STATUSES = FINAL_FAILURES | {"completed"}
"""Statuses after which a request can no longer be changed (the API answers ``FINALIZED_CODE``)."""

FINALIZED_CODE = "UNABLE_TO_UPDATE_FINALIZED_TRANSACTION"

if TYPE_CHECKING:
    from collections.abc import Mapping

    from airflow_provider_capella.hooks._api import CapellaApi


@dataclass(frozen=True)
class RequestKind:
    """The API shape of one request kind (tasking or repeat); the rest of the paths follow from these.

    Example::

        created = create(api, TASKING, body)
    """

    label: str
    collection_path: str
    search_path: str
    id_field: str
    updatable: Mapping[str, str]
    cancel_body: Mapping[str, str]

    @property
    def item_path(self) -> str:
        """Return the path template of one request, e.g. ``/task/{}``."""
        return self.collection_path + "/{}"

    @property
    def id_argument(self) -> str:
        """Return the hook's argument naming one request, e.g. ``tasking_request_id``."""
        return self.label.replace(" ", "_") + "_id"


TASKING = RequestKind(
    "tasking request",
    "/task",
    "/tasks/search",
    "taskingrequestId",
    vocab.TASKING_UPDATABLE,
    cancel_body={"status": "canceled"},
)
REPEAT = RequestKind(
    "repeat request",
    "/repeat-requests",
    "/repeat-requests/search",
    "repeatrequestId",
    vocab.REPEAT_UPDATABLE,
    cancel_body={"code": "canceled"},  # the docs' and Postman's form for repeat requests
)


def create(api: CapellaApi, kind: RequestKind, body: dict[str, Any]) -> dict[str, Any]:
    """Send the (billable) create once; never re-sent after an ambiguous failure."""
    created = api.call("POST", kind.collection_path, json=body)
    api.log.info("Created %s %s (billable)", kind.label, feature_property(created, kind.id_field))
    return created


def get(api: CapellaApi, kind: RequestKind, request_id: str) -> dict[str, Any]:
    """Fetch one request by id (the id checked first)."""
    checked = checks.uuid_text(kind.id_argument, request_id)
    return api.call("GET", kind.item_path.format(checked))


def collects_for_task(api: CapellaApi, tasking_request_id: str) -> list[dict[str, Any]]:
    """Return the collects of a completed tasking request; raise when it has not completed."""
    task = get(api, TASKING, tasking_request_id)
    task_id = feature_property(task, TASKING.id_field) or checks.uuid_text(
        "tasking_request_id", tasking_request_id
    )
    if not is_completed(task):
        raise CapellaTaskNotCompleteError(
            f"tasking request {task_id} is not completed (latest status: {latest_status(task) or 'unknown'})"
        )
    return list(api.call("GET", f"/collects/list/{task_id}") or [])


def search(api: CapellaApi, kind: RequestKind, search: RequestSearch) -> list[dict[str, Any]]:
    """Return every page of a request search, pages 2..N concurrently when ``threaded``, de-duplicated."""
    body = search.body(scoped_query(api, search))

    def fetch(page: int) -> dict[str, Any]:
        params = {"page": page, "limit": search.page_size}
        return api.call("POST", kind.search_path, json=body, params=params) or {}

    first = fetch(1)
    total_pages = int(first.get("totalPages") or 1)
    pages = [first]
    rest = list(range(2, total_pages + 1))
    if rest and search.threaded:
        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(rest))) as pool:
            pages.extend(pool.map(fetch, rest))
    else:
        pages.extend(fetch(page) for page in rest)
    results = _unique_results(pages, kind.id_field)
    api.log.info("Found %d %s(s) on %d page(s)", len(results), kind.label, max(1, total_pages))
    return results


def scoped_query(api: CapellaApi, search: RequestSearch) -> dict[str, Any]:
    """Add the caller's user or organization id to a search query, as its scope says."""
    query = dict(search.query)
    if search.scope == "user":
        query["userId"] = api.user()["id"]
    elif search.scope == "org":
        query["organizationIds"] = [organization_id(api.user())]
    return query


def update_each(
    api: CapellaApi, kind: RequestKind, ids: tuple[Any, ...], fields: Mapping[str, Any]
) -> dict[str, Any]:
    """PATCH the same fields onto every id; per id the updated Feature or ``{"success": False, ...}``."""
    checked = request_ids(f"{kind.id_argument}s", ids)
    body = update_properties(fields, kind.updatable, f"update_{kind.label.replace(' ', '_')}s")
    return per_id(
        api, checked, lambda request_id: api.call("PATCH", kind.item_path.format(request_id), json=body)
    )


def cancel_each(api: CapellaApi, kind: RequestKind, ids: tuple[Any, ...]) -> dict[str, Any]:
    """Cancel every id; per id ``{"success": True}`` or ``{"success": False, "error": {...}}``.

    Each request is read first and only an ``accepted`` or ``active`` one is sent the cancel (a tasking
    request also not within 12 hours of its first collect); any other is refused without a PATCH, its
    error naming the rule (a request in review is rejected instead, not canceled).
    """
    checked = request_ids(f"{kind.id_argument}s", ids)

    def cancel(request_id: str) -> dict[str, Any]:
        problem = cancellation_refusal(api, kind, request_id)
        if problem is not None:
            return problem
        api.call("PATCH", kind.item_path.format(request_id) + "/status", json=kind.cancel_body)
        return {"success": True}

    return per_id(api, checked, cancel)


def cancellation_refusal(api: CapellaApi, kind: RequestKind, request_id: str) -> dict[str, Any] | None:
    """Return the per-id failure for a request Capella would not cancel now, or ``None`` to go ahead."""
    status = latest_status(api.call("GET", kind.item_path.format(request_id)))
    if status in FINALIZED_STATUSES:
        message = f"{kind.label} {request_id} is {status}: a finalized request cannot be canceled"
        return _refused(FINALIZED_CODE, message)
    problem = rules.cancellation_problem(kind.label, request_id, status)
    if problem is None and kind is TASKING:
        now = datetime.now(timezone.utc)
        first = first_collect_time(api.call("GET", f"/collects/list/{request_id}"))
        problem = rules.late_cancellation_problem(request_id, first, now)
        notice = rules.cancellation_fee_notice(request_id, first, now)
        if problem is None and notice is not None:
            api.log.warning("%s", notice)
    return None if problem is None else _refused(rules.CANCELLATION_REFUSED, problem)


def first_collect_time(collects: Any) -> datetime | None:
    """Return the earliest scheduled ``windowOpen`` of a request's collects (``None`` without any)."""
    times = [api_time(collect.get("windowOpen")) for collect in collects or [] if isinstance(collect, dict)]
    known = [moment for moment in times if moment is not None]
    return min(known) if known else None


def _refused(code: str, message: str) -> dict[str, Any]:
    return {"success": False, "error": {"status": None, "code": code, "message": message}}


def per_id(api: CapellaApi, ids: list[str], action: Callable[[str], Any]) -> dict[str, Any]:
    """Run ``action`` for every id (bounded concurrency); an API error becomes that id's failure."""

    def guarded(request_id: str) -> Any:
        try:
            return action(request_id)
        except CapellaError as error:
            return {"success": False, "error": error_summary(error)}

    results = api.each(guarded, ids)
    failed = [
        key for key, value in results.items() if isinstance(value, dict) and value.get("success") is False
    ]
    if failed:
        api.log.warning("%d of %d request(s) failed: %s", len(failed), len(ids), ", ".join(failed))
    return results


def error_summary(error: CapellaError) -> dict[str, Any]:
    """Describe an API error for a per-id result, JSON-ready."""
    summary: dict[str, Any] = {"status": error.status, "code": error.code, "message": error.message}
    if error.detail:
        summary["detail"] = error.detail
    return summary


def feature_property(feature: Any, key: str) -> str | None:
    """Return ``feature["properties"][key]`` (or ``feature[key]``) as text, ``None`` when absent."""
    if not isinstance(feature, dict):
        return None
    value = feature.get("properties", {}).get(key, feature.get(key))
    return None if value is None else str(value)


def _unique_results(pages: list[dict[str, Any]], id_field: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    results = []
    for page in pages:
        for result in page.get("results") or []:
            key = feature_property(result, id_field)
            if key is not None and key in seen:
                continue
            if key is not None:
                seen.add(key)
            results.append(result)
    return results
