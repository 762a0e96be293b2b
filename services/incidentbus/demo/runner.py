"""`incidentbus demo`: start every service as its own process, play the day, summarise, trace, stop."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from incidentbus.demo.scenario import DAY, DRAIN_MINUTES, END_MINUTE
from incidentbus.demo.summary import report
from incidentbus.demo.systems import AGENCIES, Systems
from incidentbus.kernel.admin import admin_client, apply_catalog, delete_topics
from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.kafka import producer, read_all
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.query import fold, page_url, sources
from incidentbus.ops.readmodel import ReadModel

console = Console(soft_wrap=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Processes:
    """The services, each a separate `incidentbus run` process with its own log file."""

    settings: BusSettings
    logs: Path
    scale: float
    started: dict[str, tuple[subprocess.Popen[bytes], int]] = field(default_factory=dict)

    def start(self) -> None:
        env = os.environ | {
            "INCIDENTBUS_TOPIC_PREFIX": self.settings.topic_prefix,
            "INCIDENTBUS_LOG_FORMAT": "json",
        }
        for name in (*AGENCIES, "open311", "correlator"):
            port = free_port()
            args = [
                sys.executable,
                "-m",
                "incidentbus.cli",
                "run",
                name,
                "--web-port",
                str(port),
                "--loglevel",
                "warn",
            ]
            if name == "correlator":
                args += ["--time-scale", str(self.scale), "--tick-seconds", "1"]
            self._spawn(name, args, env, port)
        port = free_port()
        self._spawn(
            "query", [sys.executable, "-m", "incidentbus.cli", "query", "--port", str(port)], env, port
        )

    def _spawn(self, name: str, args: list[str], env: dict[str, str], port: int) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.started[name] = (subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT), port)

    def wait_ready(self, timeout: float = 90) -> None:
        """Every service's web port answers (faust starts its web server once the app is up)."""
        deadline = time.monotonic() + timeout
        for name, (process, port) in self.started.items():
            while not _answers(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start; see {self.logs / (name + '.log')}")
                time.sleep(0.3)

    def stop(self) -> None:
        for process, _ in self.started.values():
            process.terminate()
        for name, (process, _) in self.started.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                console.print(f"[yellow]{name} did not stop in time; killing it[/yellow]")
                process.kill()


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def play(settings: BusSettings, scale: float, open311: str) -> Systems:
    """Send the day's reports on time while the simulated systems answer their tasks."""
    systems, stop = Systems(settings, scale, open311), asyncio.Event()
    answering = asyncio.create_task(systems.answer_tasks(stop))
    total = END_MINUTE + DRAIN_MINUTES
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[clock]}"),
        TextColumn("{task.fields[sent]} native messages sent"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("a day in district 310101", total=total, clock="08:00", sent=0)
        start = time.monotonic()
        async with producer(settings) as client:
            for report in DAY:
                await _until(start, systems.seconds(report.minute), progress, bar, systems)
                await systems.report(client, report)
        await _until(start, systems.seconds(total), progress, bar, systems)
    stop.set()
    await answering
    return systems


async def _until(start: float, at: float, progress: Progress, bar: object, systems: Systems) -> None:
    while (elapsed := time.monotonic() - start) < at:
        minute = elapsed * systems.scale / 60
        clock = f"{8 + int(minute // 60):02d}:{int(minute % 60):02d}"
        progress.update(bar, completed=minute, clock=clock, sent=sum(systems.sent.values()))  # type: ignore[arg-type]
        await asyncio.sleep(min(0.25, at - elapsed))


async def read_model(settings: BusSettings) -> ReadModel:
    model = ReadModel()
    for topic in sources(load_catalog(settings.catalog_path)):
        for record in await read_all(settings, settings.topic(topic)):
            fold(model, record, topic)
    return model


def run_demo(base: BusSettings, scale: float, keep: bool) -> int:
    """The whole demo; returns the process exit code."""
    settings = base.model_copy(update={"topic_prefix": f"{base.topic_prefix}demo-{uuid.uuid4().hex[:6]}."})
    catalog = load_catalog(settings.catalog_path)
    logs = Path(os.environ.get("INCIDENTBUS_DEMO_LOGS", "var/demo"))
    logs.mkdir(parents=True, exist_ok=True)
    console.print(
        f"topics under prefix [bold]{settings.topic_prefix}[/bold]; service logs in {logs}/, "
        f"their RocksDB tables in {settings.data_dir}/"
    )
    asyncio.run(apply_catalog(settings, catalog))
    services = Processes(settings, logs, scale)
    try:
        services.start()
        with console.status(
            "starting the agency services, the Open311 gateway, the correlator and the query service ..."
        ):
            services.wait_ready()
            time.sleep(3)  # consumer groups settle
        minutes = (END_MINUTE + DRAIN_MINUTES) / scale
        console.print(
            f"dashboard: [bold]{page_url(settings, services.started['query'][1])}[/bold] "
            f"(open it now to watch the day; it plays for about {minutes:.0f} min and the page stops with it)"
        )
        open311 = f"http://127.0.0.1:{services.started['open311'][1]}/open311/v2"
        systems = asyncio.run(play(settings, scale, open311))
        return report(settings, asyncio.run(read_model(settings)), systems, open311)
    finally:
        services.stop()
        if not keep:
            asyncio.run(_delete_prefixed(settings))
            _delete_local_state(settings)


def _delete_local_state(settings: BusSettings) -> None:
    """The services' data directories (their RocksDB tables), useless without the demo's topics."""
    if settings.data_dir.is_dir():
        for path in settings.data_dir.iterdir():
            if path.name.startswith(settings.topic_prefix):
                shutil.rmtree(path, ignore_errors=True)


async def _delete_prefixed(settings: BusSettings) -> None:
    """The demo's topics, faust's changelogs under its prefix included."""
    async with admin_client(settings) as admin:
        mine = [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
    await delete_topics(settings, mine)
