"""``python -m bohpo`` is the ``bohpo`` command."""

import sys

from bohpo.cli import main

sys.exit(main())
