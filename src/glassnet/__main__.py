"""``python -m glassnet ...`` is the same as ``glassnet ...``."""

import sys

from glassnet.interfaces.cli import main

sys.exit(main())
