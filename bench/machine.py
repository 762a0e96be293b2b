"""What the figures were measured on: cores, RAM, CPU, Python, library and Kafka versions, load."""

from __future__ import annotations

import os
import platform
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from incidentbus.kernel.settings import LOCAL_BOOTSTRAP, REPO_ROOT, BusSettings


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else "unknown"


def _ram_gib() -> float:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return round(int(found.group(1)) / 1024 / 1024, 1) if found else 0.0


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def kafka_version(settings: BusSettings) -> str:
    """The local broker's version, from the jar it runs (infra/.kafka/libs, or the libs of
    INCIDENTBUS_KAFKA_HOME, as infra/kafka reads it), else infra/pom.xml."""
    port = os.environ.get("INCIDENTBUS_KAFKA_PORT", "9092")
    local = {LOCAL_BOOTSTRAP, "localhost:9092", f"127.0.0.1:{port}", f"localhost:{port}"}
    if settings.bootstrap_servers not in local:
        return f"unknown (external cluster {settings.bootstrap_servers})"
    home = Path(os.environ.get("INCIDENTBUS_KAFKA_HOME") or REPO_ROOT / "infra" / ".kafka")
    jars = sorted((home / "libs").glob("kafka_2.13-*.jar"))
    if jars:
        return jars[-1].name.removeprefix("kafka_2.13-").removesuffix(".jar") + " (local KRaft broker)"
    pom = REPO_ROOT / "infra" / "pom.xml"
    found = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom.read_text()) if pom.exists() else None
    return f"{found.group(1)} (infra/pom.xml)" if found else "unknown"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def machine(settings: BusSettings) -> dict[str, Any]:
    return {
        "cores": os.cpu_count() or 0,
        "ram_gib": _ram_gib(),
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "kafka": kafka_version(settings),
        "faust_streaming": _version("faust-streaming"),
        "aiokafka": _version("aiokafka"),
        "protobuf": _version("protobuf"),
        "bootstrap": settings.bootstrap_servers,
    }
