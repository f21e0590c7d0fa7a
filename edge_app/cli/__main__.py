"""`python -m edge_app.cli`: the same as `axolotl-edge`."""

import sys

from edge_app.cli.main import main

sys.exit(main())
