"""``python -m bayesstreams.cli``: the command line without the console script (same entry, same exit)."""

from bayesstreams.cli.console import run

run()
