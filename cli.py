"""Run the bayesstreams command line from a checkout: ``python cli.py validate data/...``."""

from bayesstreams.cli.console import run

if __name__ == "__main__":
    run()
