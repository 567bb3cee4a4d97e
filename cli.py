"""Run the bayesstreams command line from a checkout: ``python cli.py validate data/...``."""

from bayesstreams.cli import main

if __name__ == "__main__":
    main()
