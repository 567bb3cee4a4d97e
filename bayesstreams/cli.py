"""The command-line interface: parse, call one library function, print.

Heavy libraries (PyMC, ArviZ) are imported inside the commands that need them, so that
``--help`` and ``validate`` start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from bayesstreams.errors import BayesStreamsError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Bayesian analysis of Kingdon's multiple streams: agenda setting (phase 1) and institutionalisation (phase 2).",
)
_DEBUG = {"on": False}

DatasetArg = Annotated[Path, typer.Argument(help="dataset folder, wide CSV or xlsx workbook")]
CodebookOpt = Annotated[Optional[Path], typer.Option("--codebook", help="codebook.toml (for a wide CSV)")]


@app.callback()
def _root() -> None:
    """Bayesian analysis of Kingdon's multiple streams (add --debug anywhere for tracebacks)."""


def echo_err(line: str) -> None:
    typer.echo(line, err=True)


@app.command()
def validate(dataset: DatasetArg, codebook: CodebookOpt = None) -> None:
    """Check a dataset against the data contract and print a summary (exit 2 on errors)."""
    from bayesstreams.dataset import load_dataset
    from bayesstreams.describe import describe_dataset

    data = load_dataset(dataset, codebook=codebook)
    for line in describe_dataset(data):
        typer.echo(line)
    if data.warnings:
        typer.echo("")
        typer.echo(f"{len(data.warnings)} warning(s):")
        for warning in data.warnings:
            typer.echo(f"warning: {warning}")
    typer.echo("")
    typer.echo("valid")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``--debug`` anywhere shows tracebacks; errors otherwise print one line each."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:
        args.remove("--debug")
        _DEBUG["on"] = True
    try:
        app(args=args, prog_name="bayesstreams", standalone_mode=False)
    except BayesStreamsError as exc:
        if _DEBUG["on"]:
            raise
        for line in exc.lines():
            echo_err(f"error: {line}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        echo_err("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort,):
        sys.exit(1)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if _DEBUG["on"]:
            raise
        echo_err(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)")
        sys.exit(1)


if __name__ == "__main__":
    main()
