"""The retry-safe create shared by ``CreateTaskingRequestOperator`` and ``CreateRepeatRequestOperator``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_provider_capella._payloads import checks
from airflow_provider_capella._payloads.checks import without_none
from airflow_provider_capella.lineage.operators import RequestLineage, records_lineage
from airflow_provider_capella.operators import _arguments, _idempotency
from airflow_provider_capella.operators._base import CapellaBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class CreateRequestOperator(RequestLineage, CapellaBaseOperator):
    """Create one billable request per task instance, however often the task is retried.

    Subclasses name the request kind and its API fields, and map ``create``/``search_recent`` onto the
    hook. Arguments given both explicitly and in ``request_options`` are an error.

    Example::

        class CreateThingOperator(CreateRequestOperator):
            kind, id_field, description_field = "thing", "thingId", "thingDescription"
    """

    kind: ClassVar[str] = "request"
    accepted_arguments: ClassVar[tuple[str, ...]] = ()
    id_field: ClassVar[str] = ""
    description_field: ClassVar[str] = ""
    id_xcom_key: ClassVar[str] = ""
    common_template_fields: ClassVar[Sequence[str]] = (
        "capella_conn_id",
        "geometry",
        "name",
        "description",
        "collection_type",
        "collection_tier",
        "product_types",
        "custom_attribute_1",
        "custom_attribute_2",
        "contract_id",
        "local_time",
        "request_options",
        "idempotency_key",
    )

    def __init__(
        self,
        *,
        geometry: dict[str, Any] | str,
        name: str | None = None,
        description: str | None = None,
        collection_type: str | None = None,
        collection_tier: str | None = None,
        product_types: list[str] | str | None = None,
        custom_attribute_1: str | None = None,
        custom_attribute_2: str | None = None,
        contract_id: str | None = None,
        local_time: str | list[Any] | None = None,
        request_options: dict[str, Any] | str | None = None,
        idempotency_key: str | None = None,
        idempotency_lookback: timedelta = _idempotency.DEFAULT_LOOKBACK,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.geometry = geometry
        self.name = name
        self.description = description
        self.collection_type = collection_type
        self.collection_tier = collection_tier
        self.product_types = product_types
        self.custom_attribute_1 = custom_attribute_1
        self.custom_attribute_2 = custom_attribute_2
        self.contract_id = contract_id
        self.local_time = local_time
        self.request_options = request_options
        self.idempotency_key = idempotency_key
        self.idempotency_lookback = idempotency_lookback

    # --- what subclasses provide ------------------------------------------------------------------

    def specific_arguments(self) -> dict[str, Any]:
        """Return the subclass's own explicit arguments (window, repetition, ...), ``None`` for unset."""
        return {}

    def create(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Create the request through the hook; return the created Feature."""
        raise NotImplementedError

    def search_recent(self, since: str) -> list[dict[str, Any]]:
        """Return the caller's requests of this kind submitted since ``since`` (ISO 8601)."""
        raise NotImplementedError

    # --- the flow ---------------------------------------------------------------------------------

    @records_lineage
    def execute(self, context: Context) -> str:
        arguments = self.request_arguments()
        tag = _idempotency.tag_for(self.idempotency_key or _idempotency.task_instance_key(context))
        arguments["description"] = _idempotency.tagged(arguments.get("description"), tag)
        request_id = self.earlier_request_id(tag) if _idempotency.is_retry(context) else None
        if request_id is None:
            request_id = self.create_tagged(arguments, tag)
        self.push(context, self.id_xcom_key, request_id)
        return request_id

    def request_arguments(self) -> dict[str, Any]:
        """Return the hook's keyword arguments: explicit ones (JSON parsed) and ``request_options``."""
        explicit = without_none(
            {
                "geometry": _arguments.structured("geometry", self.geometry),
                "name": self.name,
                "description": self.description,
                "collection_type": self.collection_type,
                "collection_tier": self.collection_tier,
                "product_types": _arguments.structured("product_types", self.product_types),
                "custom_attribute_1": self.custom_attribute_1,
                "custom_attribute_2": self.custom_attribute_2,
                "contract_id": self.contract_id,
                "local_time": _arguments.structured("local_time", self.local_time),
                **self.specific_arguments(),
            }
        )
        options = _arguments.mapping("request_options", self.request_options)
        checks.reject_unknown(options, self.accepted_arguments, "request_options")
        twice = sorted(set(options) & set(explicit))
        if twice:
            checks.fail("request_options", f"repeats argument(s) given explicitly: {', '.join(twice)}")
        return {**explicit, **options}

    def earlier_request_id(self, tag: str) -> str | None:
        """Return the id of the request an earlier try of this task instance created, if any."""
        since = _idempotency.submitted_since(self.idempotency_lookback)
        self.log.info("Retry: looking for a %s tagged %s submitted since %s", self.kind, tag, since)
        found = _idempotency.find_tagged(self.search_recent(since), self.description_field, tag)
        if found is None:
            self.log.info("No earlier %s found; creating one", self.kind)
            return None
        request_id = str(found["properties"][self.id_field])
        self.log.info("Reusing %s %s created by an earlier try (no new request sent)", self.kind, request_id)
        return request_id

    def create_tagged(self, arguments: dict[str, Any], tag: str) -> str:
        from airflow_provider_capella.exceptions import CapellaAmbiguousCreateError

        try:
            created = self.create(arguments)
        except CapellaAmbiguousCreateError:
            self.log.error(
                "The %s may have been created although no answer came back. It was not re-sent. A retry "
                "of this task looks for it by its description tag %s and reuses it; without retries, "
                "search your %ss for that tag before creating another.",
                self.kind,
                tag,
                self.kind,
            )
            raise
        request_id = str((created.get("properties") or {}).get(self.id_field))
        self.log.info("Created %s %s (tag %s)", self.kind, request_id, tag)
        return request_id
