"""Typed problems and exceptions of the content pipeline; only the CLI turns them into exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "erreur"
    WARNING = "avertissement"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in the content, located at `path:line:col` (1-based)."""

    path: str
    line: int
    col: int
    message: str
    severity: Severity = Severity.ERROR

    def format(self) -> str:
        prefix = "" if self.severity is Severity.ERROR else "avertissement : "
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.message}"


class ContentError(Exception):
    """Raised when the catalogue has errors and cannot be rendered."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problème(s) dans le contenu")


class BuildError(Exception):
    """Raised when the static site cannot be built (mkdocs or the search indexer failed)."""


class ReferentialError(Exception):
    """Raised when the communes referential (the npm package's files or the extracted file) is unusable."""
