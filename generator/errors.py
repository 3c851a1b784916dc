"""Errors that name the file, the line and what to do.

Every problem an editor can cause is reported as a `SiteError`, never as a traceback.
The build gathers them all before it stops, so one run shows every mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the site's input: where, what, and how to fix it."""

    path: Path | str
    line: int | None
    message: str
    hint: str = ""
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        text = f"{where}: {self.severity}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class SiteError(Exception):
    """One or more problems that stop the build."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ProblemList:
    """Collects problems while a phase runs, so all of them are reported together."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: Path | str, line: int | None, message: str, hint: str = "") -> None:
        self.items.append(Problem(path, line, message, hint))

    def warn(self, path: Path | str, line: int | None, message: str, hint: str = "") -> None:
        self.items.append(Problem(path, line, message, hint, severity="warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise SiteError(self.errors)
