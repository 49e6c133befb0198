"""`python -m warroom` runs the command line."""

import sys

from warroom.cli import main

sys.exit(main())
