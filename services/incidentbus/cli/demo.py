"""`incidentbus demo`: the whole bus at work on a compressed day (what `make demo` runs)."""

from __future__ import annotations

from typing import Annotated

import typer

from incidentbus.kernel.settings import BusSettings


def demo(
    scale: Annotated[
        float, typer.Option(help="demo minutes per real minute (360: the day takes 2 minutes)")
    ] = 360.0,
    keep: Annotated[
        bool,
        typer.Option(
            help="keep the demo's topics (and its services' local state) afterwards, to trace or replay them"
        ),
    ] = False,
) -> None:
    """Start four agency services and the correlator as processes, play a day, summarise, trace a case."""
    from incidentbus.demo.runner import run_demo

    raise typer.Exit(run_demo(BusSettings(), scale, keep))
