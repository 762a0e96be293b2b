"""Calibrate the correlator's link threshold and weights on the labelled real data.

Runs `bench.quality`'s sets through the real adapters and core once per candidate (link
threshold x weights of place, category and time), and prints pairwise precision, recall and F1
on each set, best first by the smaller F1 of the two (a rule must hold on both). Each set is
also split in two by time (first and second half of its reports): a candidate is chosen on the
first halves and its figures on the second halves are printed beside it, so a reader sees
whether the choice holds on reports it was not chosen on; the held-out NYC 2024 set
(`bench/nyc2024.py`) is printed last, never used to choose.

    .venv/bin/python -m bench.calibrate [--thresholds 0.55,0.7,0.8] [--top 12]

Prints a table; nothing is written. Takes about (candidates x 15 s) on a 2-core machine.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bench.mix import default_path as montco_default_path
from bench.quality import MONTCO_GAP, NYC_DEFAULT, NYC_GAP, LabelledSet, label, measure, montco_set, nyc_set
from incidentbus.correlator.domain.rules import Rules, Weights
from incidentbus.correlator.rulesfile import load_rules

WEIGHTS = [(0.4, 0.4, 0.2), (0.5, 0.3, 0.2), (0.4, 0.3, 0.3), (0.5, 0.4, 0.1)]
THRESHOLDS = [0.55, 0.65, 0.75, 0.8, 0.85]
GAPS = {"nyc311": NYC_GAP, "montco911": MONTCO_GAP}  # each set's label rule


def halves(labelled: LabelledSet) -> tuple[LabelledSet, LabelledSet]:
    """The set's reports before and after its median time, each relabelled on its own."""
    ordered = sorted(labelled.reports, key=lambda r: r.at)
    middle = len(ordered) // 2
    made = []
    for part, name in ((ordered[:middle], "first"), (ordered[middle:], "second")):
        reports = [replace(r, incident="") for r in part]
        label(reports, GAPS[labelled.name])
        made.append(replace(labelled, name=f"{labelled.name}:{name}", reports=reports))
    return made[0], made[1]


def candidate(rules: Rules, threshold: float, weights: tuple[float, float, float]) -> Rules:
    place, category, time = weights
    merge = max(rules.correlation.merge_threshold, threshold)
    correlation = rules.correlation.model_copy(
        update={
            "threshold": threshold,
            "merge_threshold": merge,
            "weights": Weights(place=place, category=category, time=time),
        }
    )
    return rules.model_copy(update={"correlation": correlation})


def figures(sets: list[LabelledSet], rules: Rules) -> list[dict[str, Any]]:
    return [measure(s, rules) for s in sets]


def _prf(result: dict[str, Any]) -> str:
    return f"{result['precision']:.3f} {result['recall']:.3f} {result['f1']:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--thresholds", default=",".join(map(str, THRESHOLDS)))
    parser.add_argument("--top", type=int, default=12, help="rows to print")
    args = parser.parse_args(argv)
    base = load_rules()
    whole = [nyc_set(NYC_DEFAULT), montco_set(montco_default_path())]
    from bench.nyc2024 import NYC2024_DEFAULT, nyc2024_set  # it imports bench.quality

    holdout = nyc2024_set(NYC2024_DEFAULT)
    split = [halves(s) for s in whole]
    firsts, seconds = [a for a, _ in split], [b for _, b in split]
    rows = []
    for threshold, weights in itertools.product(map(float, args.thresholds.split(",")), WEIGHTS):
        rules = candidate(base, threshold, weights)
        chosen_on, held_out, all_of = figures(firsts, rules), figures(seconds, rules), figures(whole, rules)
        all_of.append(measure(holdout, rules))
        rows.append((min(r["f1"] for r in chosen_on), threshold, weights, chosen_on, held_out, all_of))
    rows.sort(key=lambda row: (-row[0], row[1], row[2]))
    shipped = (base.correlation.threshold, tuple(base.correlation.weights.model_dump().values()))
    print("P R F1 per set: nyc311 | montco911 (| nyc311-2024 holdout, in the whole-sets column)")
    print(f"{'threshold':>9} {'weights p/c/t':>13} | first halves (chosen on) || second halves || whole sets")
    for _, threshold, weights, chosen_on, held_out, all_of in rows[: args.top]:
        mark = " *" if (threshold, weights) == shipped else ""
        cells = [" | ".join(_prf(r) for r in part) for part in (chosen_on, held_out, all_of)]
        print(f"{threshold:>9.2f} {'/'.join(f'{w:g}' for w in weights):>13} | " + " || ".join(cells) + mark)
    print(
        f"\n* = shipped rules. python -m bench.calibrate {' '.join(argv or sys.argv[1:])} "
        f"({datetime.now(UTC).isoformat(timespec='seconds')})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
