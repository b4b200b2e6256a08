"""Reading docker-compose.yaml as Compose does: YAML (merge keys included), then ``${VAR}`` interpolation.

Nothing here needs a Docker engine. :func:`load_compose` returns the file with every ``${...}`` resolved
from the given variables (defaults otherwise), so tests check what the containers would really get.

Example::

    compose = load_compose({"CAPELLA_API_KEY": "my-key"})
    connection = compose.connection("airflow-worker", "capella_default")
    assert connection["password"] == "my-key"
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yaml"
REAL_API_ENV_EXAMPLE = REPO / "capella-real-api.env.example"
COMPOSE_DOCS = REPO / "docs" / "docker-compose.md"

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:-|-|:\?|\?|:\+|\+)(?P<arg>.*))?$", re.S)
SHELL_SEPARATORS = {"||", "&&", ";", "|"}
README_SECTION = re.compile(r"^## [^\n]*Docker Compose[^\n]*\n(?P<body>.*?)(?=^## |\Z)", re.S | re.M)


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Compose's interpolation of one string: ``$$``, ``$VAR``, ``${VAR}`` and the ``:-``, ``-``, ``:?``,
    ``?``, ``:+`` and ``+`` forms."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["bare"]:
            return variables.get(match["bare"], "")
        braced = _BRACED.match(match["braced"])
        if braced is None:
            raise ValueError(f"compose cannot interpolate ${{{match['braced']}}}")
        name, op, arg = braced["name"], braced["op"], braced["arg"]
        value = variables.get(name)
        if op in (":?", "?") and (value is None or (op == ":?" and not value)):
            raise ValueError(f"${{{name}}} is required: {arg}")
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        if op in (":+", "+"):
            return arg if (value if op == ":+" else value is not None) else ""
        return value or ""

    return _VARIABLE.sub(substitute, text)


def _interpolate_tree(node: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [_interpolate_tree(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, variables) for key, value in node.items()}
    return node


def raw_compose() -> dict[str, Any]:
    """The YAML as written (merge keys resolved, ``${...}`` untouched)."""
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def load_compose(variables: Mapping[str, str] | None = None) -> Compose:
    """The compose file as Compose resolves it with ``variables`` as the shell environment / ``.env``."""
    return Compose(_interpolate_tree(raw_compose(), variables or {}))


def pyproject(path: str = "pyproject.toml") -> dict[str, Any]:
    with (REPO / path).open("rb") as handle:
        return tomllib.load(handle)


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a Compose ``--env-file`` (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, separator, value = stripped.partition("=")
        assert separator, f"{path.name}: not KEY=VALUE: {line!r}"
        values[key.strip()] = value.strip().strip("'\"")
    return values


def readme_compose_section(text: str | None = None) -> str | None:
    """The Docker Compose documentation: the page ``docs/docker-compose.md`` (``None`` when it is missing),
    or, given ``text``, the body of its ``## ... Docker Compose ...`` section."""
    if text is None:
        return COMPOSE_DOCS.read_text() if COMPOSE_DOCS.is_file() else None
    found = README_SECTION.search(text)
    return found["body"] if found else None


def readme_shell_commands(section: str) -> list[list[str]]:
    """The commands of the section's ``bash`` code blocks (continuations joined, comments dropped)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
    return commands


def readme_exec_commands(section: str | None) -> list[tuple[str, list[str]]]:
    """``(service, argv)`` of each ``docker compose exec SERVICE ...`` in the section."""
    found = []
    for words in readme_shell_commands(section or ""):
        if words[:3] == ["docker", "compose", "exec"]:
            found.append((words[3], words[4:]))
    return found


def argv(value: str | list[str] | None) -> list[str]:
    """A service's ``command``/``entrypoint`` as an argument vector (Compose splits strings shell-style)."""
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(item) for item in value]


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a one-line shell script, split at ``||``, ``&&``, ``;`` and ``|``."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in SHELL_SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [command for command in commands if command]


@dataclass
class Port:
    """One ``ports:`` entry: ``published`` on this machine, ``target`` in the container.

    Example::

        Port(published=8080, target=8080)  # from "${AIRFLOW_HOST_PORT:-8080}:8080"
    """

    published: int
    target: int


@dataclass
class Compose:
    """An interpolated compose file with the look-ups the tests need.

    Example::

        compose = load_compose()
        compose.published_ports("airflow-apiserver")  # [Port(published=8080, target=8080)]
    """

    data: dict[str, Any]

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        return dict(self.data["services"])

    def service(self, name: str) -> dict[str, Any]:
        assert name in self.data["services"], f"docker-compose.yaml has no service {name!r}"
        return dict(self.data["services"][name])

    def env_files(self, name: str) -> list[Path]:
        """The service's ``env_file`` entries, as paths (relative ones from the compose file's folder)."""
        entries = self.service(name).get("env_file") or []
        entries = [entries] if isinstance(entries, (str, dict)) else entries
        paths = [entry["path"] if isinstance(entry, dict) else entry for entry in entries]
        return [REPO / path for path in paths]

    def environment(self, name: str) -> dict[str, str]:
        """What the container's environment gets: its ``env_file`` files, then ``environment`` over them."""
        merged: dict[str, str] = {}
        for path in self.env_files(name):
            merged.update(read_env_file(path))
        env = self.service(name).get("environment") or {}
        if isinstance(env, list):
            env = dict(entry.partition("=")[::2] for entry in env)
        merged.update({key: "" if value is None else str(value) for key, value in env.items()})
        return merged

    def connection(self, name: str, conn_id: str) -> dict[str, Any]:
        """The ``AIRFLOW_CONN_<CONN_ID>`` JSON a service gets, parsed."""
        variable = f"AIRFLOW_CONN_{conn_id.upper()}"
        env = self.environment(name)
        assert variable in env, f"service {name!r} has no {variable}"
        parsed = json.loads(env[variable])
        assert isinstance(parsed, dict)
        return parsed

    def connection_ids(self, name: str) -> set[str]:
        prefix = "AIRFLOW_CONN_"
        return {key[len(prefix) :].lower() for key in self.environment(name) if key.startswith(prefix)}

    def published_ports(self, name: str) -> list[Port]:
        ports = []
        for entry in self.service(name).get("ports", []):
            published, _, target = str(entry).rpartition(":")
            ports.append(Port(int(published), int(target.split("/")[0])))
        return ports

    def depends_on(self, name: str) -> dict[str, str]:
        """``{dependency: condition}`` (the short list form means ``service_started``)."""
        depends = self.service(name).get("depends_on") or {}
        if isinstance(depends, list):
            return dict.fromkeys(depends, "service_started")
        return {dependency: spec.get("condition", "service_started") for dependency, spec in depends.items()}

    def healthcheck_commands(self, name: str) -> list[list[str]]:
        """The programs a service's health check runs, each as an argument vector."""
        test = (self.service(name).get("healthcheck") or {}).get("test")
        if not test:
            return []
        if isinstance(test, str):
            return shell_commands(test)
        kind, *rest = test
        if kind == "CMD-SHELL":
            return shell_commands(" ".join(rest))
        assert kind == "CMD", f"{name}: health check must be CMD or CMD-SHELL, got {kind!r}"
        return [rest]

    def builds_project_image(self, name: str) -> bool:
        """Whether the service runs the image built from this repository's Dockerfile."""
        build = self.service(name).get("build")
        context = build if isinstance(build, str) else (build or {}).get("context")
        return context is not None and (REPO / context).resolve() == REPO

    def project_services(self) -> Iterator[str]:
        return (name for name in self.services if self.builds_project_image(name))

    def airflow_services(self) -> Iterator[str]:
        """Services of the project image that run Airflow (the image's entrypoint, not another program)."""
        return (name for name in self.project_services() if "entrypoint" not in self.service(name))

    def airflow_commands(self) -> list[list[str]]:
        """Every Airflow CLI command the file runs (commands, health checks), without the word ``airflow``."""
        commands = [argv(self.service(name).get("command")) for name in self.airflow_services()]
        for name in self.project_services():
            commands += [
                command[1:] for command in self.healthcheck_commands(name) if command[0] == "airflow"
            ]
        return commands

    def healthcheck_programs(self, name: str, program: str) -> list[list[str]]:
        return [command for command in self.healthcheck_commands(name) if command[0] == program]

    def healthcheck_urls(self, name: str) -> list[str]:
        """URLs a service's health check fetches with curl."""
        urls = []
        for command in self.healthcheck_programs(name, "curl"):
            urls += [word for word in command[1:] if "://" in word]
        return urls

    def celery_apps(self) -> set[str]:
        """``--app`` values of the Celery commands in health checks."""
        apps = set()
        for name in self.project_services():
            for command in self.healthcheck_programs(name, "celery"):
                apps.add(command[command.index("--app") + 1])
        return apps


def url_parts(url: str) -> SplitResult:
    parts = urlsplit(url)
    assert parts.scheme and parts.hostname, f"not an absolute URL: {url!r}"
    return parts
