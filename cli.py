"""Run the bayesstreams command line from a checkout: ``python cli.py validate data/...``."""

import sys

from bayesstreams.cli import main

if __name__ == "__main__":
    sys.exit(main())
