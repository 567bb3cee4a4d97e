"""Command-line mistakes as three lines: the usage line, ``error: ...`` with a suggestion, and where help is.

Typer (through its copy of click) raises usage errors for unknown commands and options,
missing options and bad values; the package raises :class:`~bayesstreams.errors.UsageError`
for mistakes only a command can see (``--lang fr``, ``--case`` and ``--profile`` together).
Both are printed here in one shape and exit with code 2::

    Usage: bayesstreams score [OPTIONS] RUN PROFILE
    error: no such option --jsn (did you mean --json?)
    Try 'bayesstreams score --help' for help.
"""

from __future__ import annotations

import difflib
import re

import typer
import typer.main

PROG = "bayesstreams"
USAGE_EXIT = 2


def is_usage_error(exc: BaseException) -> bool:
    """Whether ``exc`` is one of typer's (click's) command-line errors: they carry an exit code and a message.

    Typer 0.29 (the locked version) raises those of its own copy of click (subclasses of ``typer.TyperException``);
    older releases raise click's, which are caught too.
    """
    kinds: tuple[type, ...] = (typer.TyperException,)
    try:
        import click

        kinds += (click.ClickException,)
    except ImportError:  # typer's vendored click needs no separate install
        pass
    return isinstance(exc, kinds) and hasattr(exc, "format_message")


def _command_names(args: list[str]) -> list[str]:
    """The words of ``args`` before the first option: the command path the user typed."""
    names = []
    for arg in args:
        if arg.startswith("-"):
            break
        names.append(arg)
    return names


def resolve(app: typer.Typer, args: list[str]):
    """The deepest (command, context) that ``args`` name, without running or validating anything."""
    command = typer.main.get_command(app)
    context = command.make_context(PROG, [], resilient_parsing=True)
    for name in _command_names(args):
        sub = command.get_command(context, name) if hasattr(command, "get_command") else None
        if sub is None:
            break
        context = sub.make_context(name, [], parent=context, resilient_parsing=True)
        command = sub
    return command, context


def suggest(word: str, options: list[str]) -> str:
    """`` (did you mean X?)`` for the closest of ``options``, or an empty string."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _message(exc: BaseException, command, context) -> str:
    """The error text of a usage error, with a suggestion where one helps."""
    name = type(exc).__name__
    if name == "NoSuchOption":
        options = sorted({opt for param in command.params for opt in getattr(param, "opts", [])
                          if opt.startswith("-")} | {"--help"})
        return f"no such option {exc.option_name}{suggest(exc.option_name, options)}"
    text = exc.format_message()
    unknown = re.match(r"No such command '(.+?)'", text)
    if unknown and hasattr(command, "list_commands"):
        commands = command.list_commands(context)
        hint = suggest(unknown.group(1), commands) or f" (commands: {', '.join(commands)})"
        return f"no such command {unknown.group(1)!r}{hint}"
    if text == "Missing command.":
        return f"missing command (one of: {', '.join(command.list_commands(context))})"
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def usage_lines(app: typer.Typer, args: list[str], exc: BaseException) -> list[str]:
    """What to print for a command-line mistake ``exc`` made in ``args``."""
    from bayesstreams.errors import UsageError

    if type(exc).__name__ == "NoArgsIsHelpError":  # a bare command: its help is the answer
        return [exc.format_message()]
    command, context = resolve(app, args)
    message = str(exc) if isinstance(exc, UsageError) else _message(exc, command, context)
    return [context.get_usage(), f"error: {message}", f"Try '{context.command_path} --help' for help."]
