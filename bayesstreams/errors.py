"""The package's exception types.

Every error a user can cause carries one or more :class:`Violation` records that name
the file, row and column, so the CLI can print one located line per problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Violation:
    """One located problem in the input.

    ``row`` is the 1-based line of the file (the header is row 1 of a CSV), ``None`` when
    the problem concerns the whole file; ``column`` is the column or key name.

    ``kind`` and ``subject`` (a case or factor id) let a caller group repeated warnings of
    one kind into one line; they take no part in equality.

    Printed as ``file:row:column: message``; parts that are not known are left out
    rather than left empty (``file:row: message``, ``file: message``), so a location never
    reads ``file::: message``.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    kind: str = field(default="", compare=False)
    subject: str = field(default="", compare=False)

    @property
    def location(self) -> str:
        """``file:row:column`` with the unknown parts left out."""
        parts = [self.file]
        if self.row is not None:
            parts.append(str(self.row))
        if self.column:
            parts.append(_one_line(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        return f"{self.location}: {_one_line(self.message)}"


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


class UsageError(InputError):
    """A mistake in what was asked for (an option's value, a case that does not exist, a missing choice).

    The CLI prints it with the usage line of the command; ``option`` names the option.
    """

    def __init__(self, option: str, message: str):
        super().__init__(Violation("<command line>", None, option, message))
        self.option = option
        self.message = message

    def __str__(self) -> str:
        return f"{self.option}: {self.message}" if self.option else self.message

    def lines(self) -> list[str]:
        return [str(self)]


class RunError(BayesStreamsError):
    """A saved run is missing, incomplete or incompatible with this version or dataset."""

    exit_code = 2


class DependencyError(BayesStreamsError):
    """An optional dependency (a sampler backend, a browser) is not available."""

    exit_code = 3
