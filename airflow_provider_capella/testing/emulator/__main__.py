"""``python -m airflow_provider_capella.testing.emulator``: same as the ``capella-emulator`` command."""

from __future__ import annotations

import sys

from airflow_provider_capella.testing.emulator.cli import main

sys.exit(main())
