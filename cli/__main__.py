"""`python -m cli`: the same as `axolotl-edge`."""

import sys

from cli.main import main

sys.exit(main())
