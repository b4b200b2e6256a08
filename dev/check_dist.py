"""``make dist``'s check: each built distribution holds what it should and nothing else.

The provider's wheel holds ``airflow_provider_capella`` alone (no tests, emulator, benchmarks or
developer tooling, no pytest plugin, no console script) and requires only apache-airflow, requests,
tenacity and boto3 outside its extras; the emulator's wheel holds ``capella_emulator`` with its command
and pytest plugin, and nothing of the provider. Run::

    python -m dev.check_dist dist/
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

PROVIDER_REQUIRES = {"apache-airflow", "requests", "tenacity", "boto3"}
TOOLING = ("tests/", "dev/", "benchmarks/", "example_dags/", "docs/")  # in the repository, in no wheel


def wheel_contents(wheel: Path) -> tuple[list[str], str, dict[str, list[str]]]:
    """Return a wheel's file names, its ``entry_points.txt`` and its METADATA headers (all values)."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
        metadata = Parser().parsestr(
            archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        )
        headers: dict[str, list[str]] = {}
        for key, value in metadata.items():
            headers.setdefault(key, []).append(value)
        return names, archive.read(entry_points).decode() if entry_points else "", headers


def required_outside_extras(headers: dict[str, list[str]]) -> set[str]:
    """Return the names a wheel requires whatever extras are chosen."""
    names = set()
    for requirement in headers.get("Requires-Dist", []):
        if "extra ==" not in requirement:
            name = requirement.split(";")[0].strip()
            for stop in "<>=!~[ (":
                name = name.split(stop)[0]
            names.add(name.lower())
    return names


def problems_with_provider_wheel(wheel: Path) -> list[str]:
    names, entry_points, headers = wheel_contents(wheel)
    packages = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    problems = [f"provider wheel holds {name}" for name in names if name.startswith((*TOOLING, "capella_"))]
    if packages != {"airflow_provider_capella"}:
        problems.append(f"provider wheel holds the packages {sorted(packages)}")
    if "[apache_airflow_provider]" not in entry_points:
        problems.append("provider wheel registers no apache_airflow_provider entry point")
    for section in ("[pytest11]", "[console_scripts]"):
        if section in entry_points:
            problems.append(f"provider wheel declares {section} (it belongs to capella-emulator)")
    required = required_outside_extras(headers)
    if required != PROVIDER_REQUIRES:
        problems.append(f"provider wheel requires {sorted(required)}, not {sorted(PROVIDER_REQUIRES)}")
    return problems


def problems_with_emulator_wheel(wheel: Path) -> list[str]:
    names, entry_points, _ = wheel_contents(wheel)
    shipped_elsewhere = (*TOOLING, "airflow_provider_capella/")
    problems = [f"emulator wheel holds {name}" for name in names if name.startswith(shipped_elsewhere)]
    for needed in ("capella-emulator = capella_emulator.cli:main", "capella_emulator.pytest_plugin"):
        if needed not in entry_points:
            problems.append(f"emulator wheel lacks the entry point {needed!r}")
    return problems


def problems_with_sdists(dist: Path) -> list[str]:
    problems = []
    for sdist in dist.glob("*.tar.gz"):
        with tarfile.open(sdist) as archive:
            names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
        problems += [f"{sdist.name} holds {name}" for name in names if name.startswith(TOOLING)]
        if "LICENSE" not in names:
            problems.append(f"{sdist.name} lacks LICENSE")
    return problems


def check(dist: Path) -> list[str]:
    """Return what is wrong with the distributions in ``dist`` (an empty list: nothing)."""
    provider = sorted(dist.glob("airflow_provider_capella-*.whl"))
    emulator = sorted(dist.glob("capella_emulator-*.whl"))
    if len(provider) != 1 or len(emulator) != 1:
        return [f"expected one wheel of each distribution in {dist}, found {provider + emulator}"]
    return [
        *problems_with_provider_wheel(provider[0]),
        *problems_with_emulator_wheel(emulator[0]),
        *problems_with_sdists(dist),
    ]


if __name__ == "__main__":
    found = check(Path(sys.argv[1] if len(sys.argv) > 1 else "dist"))
    for problem in found:
        print(f"dist: {problem}", file=sys.stderr)
    if not found:
        print("dist: each distribution holds what it should")
    sys.exit(1 if found else 0)
