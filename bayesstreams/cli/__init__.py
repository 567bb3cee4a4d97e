"""The command line: a thin typer layer over the Python API."""

from bayesstreams.cli.app import main

__all__ = ["main"]
