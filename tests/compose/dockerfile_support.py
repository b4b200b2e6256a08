"""Reading the Dockerfile and .dockerignore without a Docker engine: stages, ARGs, COPY and RUN lines.

Example::

    dockerfile = Dockerfile.parse()
    wheel_stage = dockerfile.stage("provider-wheel")
    wheel_stage.runs          # ['uv build --wheel --out-dir "${CAPELLA_DIST}" "${CAPELLA_SRC}"']
    excluded(".venv/bin/python")  # True: the virtual environments stay out of the build context
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from tests.compose.compose_support import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


@dataclass
class Copy:
    """A ``COPY`` instruction: ``sources`` relative to the build context (or to stage ``from_stage``).

    Example::

        Copy(sources=["pyproject.toml", "README.md"], destination="${CAPELLA_SRC}/", from_stage=None)
    """

    sources: list[str]
    destination: str
    from_stage: str | None


@dataclass
class Stage:
    """One ``FROM`` stage: its base image, its ARG defaults, its COPY and RUN instructions in order.

    Example::

        stage = Dockerfile.parse().final
        stage.base, stage.runs[0]
    """

    base: str
    name: str | None
    args: dict[str, str] = field(default_factory=dict)
    copies: list[Copy] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)


@dataclass
class Dockerfile:
    """The Dockerfile's global ARGs (those before the first FROM) and its stages.

    Example::

        Dockerfile.parse().global_args["AIRFLOW_VERSION"]  # '3.3.2'
    """

    global_args: dict[str, str]
    stages: list[Stage]

    @classmethod
    def parse(cls, path: Path = DOCKERFILE) -> Dockerfile:
        global_args: dict[str, str] = {}
        stages: list[Stage] = []
        for keyword, rest in _instructions(path.read_text()):
            if keyword == "FROM":
                words = rest.split()
                name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
                stages.append(Stage(base=words[0], name=name))
            elif keyword == "ARG":
                key, _, default = rest.partition("=")
                (stages[-1].args if stages else global_args)[key.strip()] = default.strip().strip('"')
            elif keyword == "COPY":
                stages[-1].copies.append(_copy(rest))
            elif keyword == "RUN":
                stages[-1].runs.append(_strip_run_flags(rest))
        return cls(global_args, stages)

    def stage(self, name: str) -> Stage:
        return next(stage for stage in self.stages if stage.name == name)

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def expand(self, text: str, stage: Stage | None = None) -> str:
        """``${ARG}`` references replaced with the ARG defaults in scope (the stage's, else the globals)."""
        scope = {**self.global_args, **(stage.args if stage else {})}
        return re.sub(r"\$\{(\w+)\}", lambda match: scope.get(match[1], match[0]), text)


def _instructions(text: str) -> list[tuple[str, str]]:
    """``(KEYWORD, arguments)`` pairs: comments dropped, backslash continuations joined."""
    joined: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        joined.append(pending + stripped)
        pending = ""
    pairs = []
    for instruction in joined:
        keyword, _, rest = instruction.partition(" ")
        pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _copy(arguments: str) -> Copy:
    words = shlex.split(arguments)
    flags = [word for word in words if word.startswith("--")]
    paths = [word for word in words if not word.startswith("--")]
    from_stage = next((flag.split("=", 1)[1] for flag in flags if flag.startswith("--from=")), None)
    return Copy(sources=paths[:-1], destination=paths[-1], from_stage=from_stage)


def _strip_run_flags(arguments: str) -> str:
    """A RUN line's shell command, without BuildKit's ``--mount=``/``--network=`` options."""
    command = arguments
    while command.startswith("--"):
        command = command.split(" ", 1)[1].lstrip()
    return re.sub(r"\s+", " ", command)


def dockerignore_patterns(path: Path = DOCKERIGNORE) -> list[str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax: ``*`` and ``?`` within one path segment, ``**`` across segments."""
    parts = []
    for token in re.split(r"(\*\*/?|\*|\?)", pattern.strip("/")):
        if token.startswith("**"):
            parts.append("(?:.*/)?" if token.endswith("/") else ".*")
        elif token == "*":
            parts.append("[^/]*")
        elif token == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts))


def excluded(relative_path: str, patterns: list[str] | None = None) -> bool:
    """Whether Docker leaves ``relative_path`` out of the build context: the last matching pattern wins,
    and a pattern matches a path when it matches the path or one of its parent directories."""
    patterns = dockerignore_patterns() if patterns is None else patterns
    segments = relative_path.strip("/").split("/")
    candidates = ["/".join(segments[: index + 1]) for index in range(len(segments))]
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern[1:] if negated else pattern)
        if any(regex.fullmatch(candidate) for candidate in candidates):
            verdict = not negated
    return verdict
