"""``python -m cnnlab``: the ``cnnlab`` command line (see cnnlab/cli.py)."""

import sys

from cnnlab.cli import main

if __name__ == "__main__":
    sys.exit(main())
