"""`incidentbus …` run as an operator runs it: a process of its own, on a test's topics."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from incidentbus.kernel.settings import BusSettings
from tests.integration.waits import PROCESS_CEILING


def run_cli(
    settings: BusSettings, *args: str, columns: int = 250, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI on the settings' topic prefix (in `env`, default this process's environment)."""
    base = dict(os.environ if env is None else env)
    return subprocess.run(
        [sys.executable, "-m", "incidentbus.cli", *args],
        env=base | {"INCIDENTBUS_TOPIC_PREFIX": settings.topic_prefix, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=PROCESS_CEILING,
        check=False,
    )
