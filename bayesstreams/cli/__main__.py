"""``python -m bayesstreams.cli``: the command line without the console script."""

import sys

from bayesstreams.cli import main

sys.exit(main())
