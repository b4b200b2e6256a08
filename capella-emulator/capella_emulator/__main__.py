"""``python -m capella_emulator``: same as the ``capella-emulator`` command."""

from __future__ import annotations

import sys

from capella_emulator.cli import main

sys.exit(main())
