"""The package's exception types.

Every error a user can cause carries one or more :class:`Violation` records that name
the file, row and column, so the CLI can print one located line per problem.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One located problem in the input.

    ``row`` is the 1-based line of the file (the header is row 1 of a CSV), ``None`` when
    the problem concerns the whole file; ``column`` is the column or key name.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "" if self.row is None else str(self.row)
        column = _one_line(self.column or "")
        return f"{self.file}:{row}:{column}: {_one_line(self.message)}"


def _one_line(text: str) -> str:
    """Keep a violation on one printed line even when user text holds line breaks."""
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


class BayesStreamsError(Exception):
    """Base class of every error the package raises on purpose."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The message as the lines the CLI prints."""
        return [str(self)]


class InputError(BayesStreamsError):
    """Invalid user input: a dataset, a profile, a model file.  Carries all violations."""

    exit_code = 2

    def __init__(self, violations: list[Violation] | Violation):
        if isinstance(violations, Violation):
            violations = [violations]
        self.violations = list(violations)
        super().__init__("\n".join(str(v) for v in self.violations))

    def lines(self) -> list[str]:
        return [str(v) for v in self.violations]


class RunError(BayesStreamsError):
    """A saved run is missing, incomplete or incompatible with this version or dataset."""

    exit_code = 2


class DependencyError(BayesStreamsError):
    """An optional dependency (a sampler backend, a browser) is not available."""

    exit_code = 3
