"""The operators that read or decide rather than search or download report lineage too: the archive
export's files, the feasibility check's access request, the quote and approval operators' request and cost.

Each runs as a user would call it outside a DAG (``execute`` on a connection to the emulator), then the
OpenLineage provider's call ``get_openlineage_facets_on_complete`` is made."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from airflow_provider_capella.hooks.capella import CapellaHook
from airflow_provider_capella.operators.approval import (
    ApproveTaskingRequestOperator,
    RejectRepeatRequestOperator,
    TaskingQuoteOperator,
)
from airflow_provider_capella.operators.archive import ArchiveExportOperator
from airflow_provider_capella.operators.feasibility import CheckFeasibilityOperator
from tests.triggers.support import create_repeat, repeat_in_review

ROTTERDAM = {"type": "Point", "coordinates": [4.05, 51.95]}


def test_an_archive_export_reports_the_file_it_wrote(
    capella_connection: Any, capella_emulator: Any, tmp_path: Path
) -> None:
    export = ArchiveExportOperator(task_id="export", export_type="latest", destination=str(tmp_path))

    written = Path(export.execute({}))  # type: ignore[arg-type]
    lineage = export.get_openlineage_facets_on_complete(None)

    [output] = lineage.outputs
    assert output.namespace.startswith("file://") and output.name == str(written)
    assert output.outputFacets["outputStatistics"].size == written.stat().st_size
    assert output.facets["capellaFile"].checksum == hashlib.sha256(written.read_bytes()).hexdigest()


def test_a_feasibility_check_reports_its_access_request(
    capella_connection: Any, capella_emulator: Any
) -> None:
    opens = datetime.now(timezone.utc)
    check = CheckFeasibilityOperator(
        task_id="feasible",
        geometry=ROTTERDAM,
        window_open=opens.isoformat(),
        window_close=(opens + timedelta(days=3)).isoformat(),
        poll_interval=0.05,
        timeout=60,
    )

    summary = check.execute({})  # type: ignore[arg-type]
    facet = check.get_openlineage_facets_on_complete(None).run_facets["capella"]

    assert summary is not None
    assert facet.accessRequestId == summary["access_request_id"]


def test_quote_and_approval_report_the_request_and_its_quoted_cost(
    capella_connection: Any, capella_emulator: Any
) -> None:
    hook = CapellaHook()
    request_id = hook.create_tasking_request(geometry=ROTTERDAM, name="lineage")["properties"][
        "taskingrequestId"
    ]
    quote = TaskingQuoteOperator(
        task_id="quote", tasking_request_id=request_id, poll_interval=0.05, timeout=60
    )
    approve = ApproveTaskingRequestOperator(task_id="approve", tasking_request_id=request_id)

    quoted = quote.execute({})  # type: ignore[arg-type]
    quote_facet = quote.get_openlineage_facets_on_complete(None).run_facets["capella"]
    assert approve.execute({}) == request_id  # type: ignore[arg-type]
    approve_facet = approve.get_openlineage_facets_on_complete(None).run_facets["capella"]

    assert quote_facet.taskingRequestId == approve_facet.taskingRequestId == request_id
    assert quote_facet.cost == {"amount": quoted["quote"], "basis": "quoted"}
    assert approve_facet.cost == {"amount": quoted["quote"], "basis": "quoted"}
    assert approve_facet.consoleUrl and approve_facet.consoleUrl.endswith(f"/tasking/{request_id}")


def test_a_repeat_rejection_reports_the_repeat_request(
    capella_connection: Any, capella_emulator: Any
) -> None:
    repeat_id = create_repeat(capella_emulator, held=True)
    reject = RejectRepeatRequestOperator(task_id="reject", repeat_request_id=repeat_id)
    repeat_in_review(capella_emulator, repeat_id)

    reject.execute({})  # type: ignore[arg-type]
    facet = reject.get_openlineage_facets_on_complete(None).run_facets["capella"]

    assert facet.repeatRequestId == repeat_id
    assert facet.cost and facet.cost["basis"] == "estimated per image"
