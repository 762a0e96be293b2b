"""The import rule finds impurity in the core, directly or through what it imports."""

from __future__ import annotations

from pathlib import Path

from incidentbus.devtools.importrule import shell_violations, violations


def write(root: Path, module: str, text: str) -> None:
    path = root / Path(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.parents:
        if parent == root:
            break
        (parent / "__init__.py").touch()
    path.write_text(text)


def test_the_real_core_is_pure() -> None:
    assert violations() == []


def test_direct_transitive_and_clock_violations_are_found(tmp_path: Path) -> None:
    write(
        tmp_path, "incidentbus.correlator.domain.a", "import asyncio\nfrom incidentbus.kernel import helper\n"
    )
    write(tmp_path, "incidentbus.correlator.domain.b", "from datetime import datetime\nx = datetime.now()\n")
    write(tmp_path, "incidentbus.kernel.helper", "import time\n")
    found = violations(tmp_path)
    assert "incidentbus.correlator.domain.a: imports asyncio" in found
    assert "incidentbus.kernel.helper: imports time" in found
    assert "incidentbus.correlator.domain.b: calls datetime.now (wall clock)" in found


def test_relative_imports_are_followed(tmp_path: Path) -> None:
    write(tmp_path, "incidentbus.correlator.domain.a", "from ..shell import run\n")
    write(tmp_path, "incidentbus.correlator.shell", "import faust\n")
    assert violations(tmp_path) == ["incidentbus.correlator.shell: imports faust"]


def test_the_real_tools_load_no_faust_shell() -> None:
    assert shell_violations() == []


def test_a_tool_reaching_a_shell_is_found_and_the_service_starter_is_exempt(tmp_path: Path) -> None:
    write(tmp_path, "incidentbus.ops.replay", "from incidentbus.correlator.engine import input_of\n")
    write(tmp_path, "incidentbus.correlator.engine", "from incidentbus.correlator.service import INPUT\n")
    write(tmp_path, "incidentbus.correlator.service", "import faust\n")
    write(
        tmp_path,
        "incidentbus.cli.run",
        "def run():\n    from incidentbus.agencies.service import build_app\n",
    )
    write(tmp_path, "incidentbus.cli.status", "import faust.types\n")
    assert shell_violations(tmp_path) == [
        "incidentbus.cli.status: imports faust.types (a faust shell)",
        "incidentbus.correlator.engine: imports incidentbus.correlator.service (a faust shell)",
        "incidentbus.correlator.engine: imports incidentbus.correlator.service.INPUT (a faust shell)",
    ]
