"""Without the ``openlineage`` extra a run behaves as before: no event, nothing of OpenLineage imported."""

from __future__ import annotations

import json

import pytest

from tests.e2e.local_world import LocalWorld
from tests.lineage.conftest import EVENTS_FILE
from tests.lineage.environments import DRIVER, finished_states, python_without_openlineage, run_to_end

pytestmark = pytest.mark.e2e


def test_without_the_extra_the_same_run_emits_and_imports_nothing_of_openlineage(
    lineage_world: LocalWorld,
) -> None:
    python = python_without_openlineage()
    events = lineage_world.home / EVENTS_FILE
    events.unlink(missing_ok=True)
    report = lineage_world.home / "imports.json"
    env = {**lineage_world.env, "CAPELLA_IMPORT_REPORT": str(report)}  # the OpenLineage transport stays set

    command = [str(python), str(DRIVER), "dags", "test", "capella_tasking_to_s3"]
    returncode, log = run_to_end(lineage_world, "no-openlineage", command, env)

    assert returncode == 0 and finished_states(log, "capella_tasking_to_s3") == ["success"], log[-4000:]
    assert "Emitted asset events through the alias 'capella-imagery'" in log
    assert not events.exists()
    imports = json.loads(report.read_text())
    assert imports == {"loaded": [], "looked_for": []}
