"""Numerical torture: every model-based searcher against the data that breaks models.

Each scenario is a space and a rule for the told values; each searcher runs it for a small budget in this process.
What is recorded per (searcher, scenario): whether it crashed (any exception out of ask or tell), trials outside the
space, proposals that repeat a configuration asked before, and the median seconds per ask. All but the last should
be zero: a model that cannot cope must fall back, warn and go on.

    python benchmarks/torture.py --out benchmarks/results/torture.md [--trials 14] [--searchers gp-logei,tpe]

Scenarios: constant values; the same configuration told again and again (evaluated elsewhere, besides the asked
trials); values of size 1e-12 and 1e12, and one of 1e300; 90% failures; NaN and infinite values (failed trials); a
1-D space; a 50-D space; an integer-only space; a space with a one-choice categorical.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bohpo.searchers import make_searcher, searcher_names, searcher_needs_budgets
from bohpo.space import Categorical, Float, Int, Space

MIXED = Space({"x": Float(0.0, 1.0), "lr": Float(1e-4, 1.0, log=True), "k": Int(1, 40), "c": Categorical(["a", "b"])})


def _bowl(params: dict[str, Any]) -> float:
    total = 0.0
    for name, value in params.items():
        if isinstance(value, str):
            total += 0.5 * (value != "a")
        elif isinstance(value, (int, float)):
            total += (math.log10(value) if name == "lr" else float(value) / 40 if name == "k" else float(value)) ** 2
    return total


Rule = Callable[[int, dict[str, Any]], Any]
SCENARIOS: dict[str, tuple[Space, Rule]] = {
    # name: (space, the value told for trial i with params p)
    "constant values": (MIXED, lambda i, p: 1.0),
    "the same configuration again": (MIXED, lambda i, p: _bowl(p)),
    "values of 1e-12": (MIXED, lambda i, p: 1e-12 * (1 + _bowl(p))),
    "values of 1e12": (MIXED, lambda i, p: 1e12 * (1 + _bowl(p))),
    "one value of 1e300": (MIXED, lambda i, p: 1e300 if i == 3 else _bowl(p)),
    "90% failures": (MIXED, lambda i, p: _bowl(p) if i % 10 == 0 else float("nan")),
    "NaN and infinities": (MIXED, lambda i, p: [float("nan"), math.inf, -math.inf, _bowl(p)][i % 4]),
    "1-D": (Space({"x": Float(-5.0, 5.0)}), lambda i, p: (p["x"] - 1) ** 2),
    "50-D": (Space({f"x{j}": Float(0.0, 1.0) for j in range(50)}), lambda i, p: sum(v * v for v in p.values())),
    "integers only": (Space({"a": Int(0, 60), "b": Int(1, 500, log=True)}), lambda i, p: (p["a"] - 20) ** 2),
    "a one-choice categorical": (Space({"x": Float(0.0, 1.0), "only": Categorical(["it"])}),
                                 lambda i, p: (p["x"] - 0.3) ** 2),
}  # fmt: skip
MODEL_BASED = ("gp-logei", "gp-ei", "gp-pi", "gp-ucb", "tpe", "tpe-univariate", "botorch-logei", "bohb", "bohb-gp",
               "asha-gp")  # fmt: skip


def torture(name: str, scenario: str, trials: int) -> dict[str, Any]:
    space, rule = SCENARIOS[scenario]
    budgets = (1.0, 9.0) if searcher_needs_budgets(name) else None
    searcher = make_searcher(name, space, seed=0, n_trials=trials, budgets=budgets)
    asked: set[tuple[Any, ...]] = set()
    outside = repeats = 0
    seconds: list[float] = []
    crash = None
    first: dict[str, Any] | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # warnings are the fallbacks at work; what is counted is below
            for i in range(trials):
                start = time.perf_counter()
                trial = searcher.ask()
                seconds.append(time.perf_counter() - start)
                try:
                    space.validate(trial.params)
                except (ValueError, TypeError):
                    outside += 1
                key = (space.key(trial.params), trial.budget)
                new = trial.config_id is None or all(
                    t.config_id != trial.config_id for t in searcher.trials if t.id != trial.id
                )
                repeats += int(new and key in asked)
                asked.add(key)
                if scenario == "the same configuration again":
                    first = first or dict(trial.params)
                    searcher.tell(first, rule(i, first))  # told as a configuration evaluated elsewhere
                searcher.tell(trial, rule(i, trial.params))
    except Exception as err:  # the finding: a crash of the searcher on this data
        crash = f"{type(err).__name__}: {err}"[:200]
    return {
        "searcher": name, "scenario": scenario, "asks": len(seconds), "crash": crash, "outside": outside,
        "repeats": repeats, "median_seconds_per_ask": statistics.median(seconds) if seconds else math.nan,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=14)
    parser.add_argument("--searchers", default=",".join(MODEL_BASED))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    names = [n for n in args.searchers.split(",") if n]
    unknown = [n for n in names if n not in searcher_names()]
    if unknown:
        parser.error(f"unknown searchers {unknown}; known: {', '.join(searcher_names())}")
    rows = []
    for name in names:
        for scenario in SCENARIOS:
            row = torture(name, scenario, args.trials)
            rows.append(row)
            print(f"{name:16s} {scenario:30s} crash={row['crash']} outside={row['outside']} "
                  f"repeats={row['repeats']} {row['median_seconds_per_ask']:.3f} s/ask", file=sys.stderr)  # fmt: skip
    table = [
        "| searcher | scenario | asks | crash | outside the space | repeated proposals | median s / ask |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: |",
    ]
    table += [
        f"| {r['searcher']} | {r['scenario']} | {r['asks']} | {r['crash'] or 'none'} | {r['outside']} | "
        f"{r['repeats']} | {r['median_seconds_per_ask']:.3f} |"
        for r in rows
    ]
    crashes = sum(r["crash"] is not None for r in rows)
    summary = (
        f"{len(rows)} cells ({len(names)} searchers x {len(SCENARIOS)} scenarios, {args.trials} trials each): "
        f"{crashes} crashes, {sum(r['outside'] for r in rows)} trials outside the space, "
        f"{sum(r['repeats'] for r in rows)} repeated proposals."
    )
    print(summary)
    if args.out is not None:
        command = "python benchmarks/torture.py " + " ".join(sys.argv[1:] if argv is None else argv)
        text = f"# Numerical torture\n\nProduced by `{command}` ({__doc__.split(chr(10) + chr(10))[0]}).\n\n"
        args.out.write_text(text + summary + "\n\n" + "\n".join(table) + "\n")
        args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
