"""`python -m cloud_ingest`: the same as `axolotl-ingest`."""

import sys

from cloud_ingest.cli import main

sys.exit(main())
