"""Every Python snippet in README.md and docs/*.md that defines a DAG compiles, imports and loads into a
DagBag without import errors: the DAGs a user copies from the docs are DAGs Airflow accepts.

A snippet defines a DAG when it opens ``with DAG(`` or decorates with ``@dag``. Each is written to its
own DAGs folder and parsed the way the dag-processor does (``DagBag``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
DEFINES_A_DAG = re.compile(r"^\s*(with DAG\(|@dag\b|\w+ = DAG\()", re.MULTILINE)


def dag_snippets() -> list[tuple[str, str]]:
    """``(page:line, source)`` of every DAG-defining Python block."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in BLOCK.finditer(text):
            if DEFINES_A_DAG.search(match.group(1)):
                line = text.count("\n", 0, match.start()) + 2
                found.append((f"{page.relative_to(ROOT)}:{line}", match.group(1)))
    return found


SNIPPETS = dag_snippets()


def test_the_docs_have_dag_snippets_to_check() -> None:
    assert len(SNIPPETS) >= 3, SNIPPETS


@pytest.mark.parametrize(("where", "source"), SNIPPETS, ids=[where for where, _ in SNIPPETS])
def test_the_snippet_compiles_imports_and_loads_as_a_dag(where: str, source: str, tmp_path: Path) -> None:
    compile(source, where, "exec")
    dag_file = tmp_path / "snippet_dag.py"
    dag_file.write_text(source)
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 3.1
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    bag = DagBag(dag_folder=str(tmp_path))

    assert not bag.import_errors, f"{where}: {bag.import_errors}"
    assert bag.dags, f"{where} defines no DAG Airflow finds"


def test_the_daily_search_snippet_searches_one_whole_day(tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from airflow.timetables.base import TimeRestriction

    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 3.1
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    [source] = [source for _, source in SNIPPETS if '"capella_daily"' in source]
    (tmp_path / "daily.py").write_text(source)
    dag = DagBag(dag_folder=str(tmp_path)).dags["capella_daily"]
    start = dag.start_date
    timetable = dag.timetable
    assert type(timetable).__name__ == "CronDataIntervalTimetable"
    if not hasattr(
        timetable, "next_dagrun_info"
    ):  # Airflow 3.2+: the SDK's definition, scheduled by the core's
        from airflow.timetables.interval import CronDataIntervalTimetable

        timetable = CronDataIntervalTimetable(timetable.expression, timetable.timezone)

    first = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=start, latest=None, catchup=True),
    )

    assert first is not None
    assert first.data_interval.start == datetime(2024, 4, 1, tzinfo=timezone.utc)
    assert first.data_interval.end - first.data_interval.start == timedelta(days=1)
    assert dag.get_task("search").datetime == "{{ data_interval_start | ts }}/{{ data_interval_end | ts }}"
