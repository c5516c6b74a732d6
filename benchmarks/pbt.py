"""Population-based training against random search and ASHA at equal compute, on an MLP's training.

The problem is ``mlp-epochs-digits`` with its architecture fixed (``MLPEpochs.architecture``: 64 ReLU units) and the
hyperparameters that may change between epochs searched (``MLPEpochs.schedule_space``: L2 penalty, Adam's learning
rate, batch size). Every method has ``population * 27`` epochs:

- ``pbt``: ``PopulationBasedTraining`` with ``population`` members, ready every ``interval`` epochs, each trained to
  epoch 27 (checkpoints are the networks themselves, ``MLPEpochs.train``);
- ``random``: ``population`` configurations, each trained for 27 epochs;
- ``asha``: ``AsyncSuccessiveHalving`` over 1 to 27 epochs (eta 3) until the epochs are spent, a promoted
  configuration continuing from its checkpoint at the rung below (so a promotion costs only the extra epochs).

The score is the best validation error of a network trained to epoch 27, mean ± standard error over seeds, with the
two-sided Mann–Whitney p-value of PBT against each other method.

    python benchmarks/pbt.py --seeds 10 --population 8 --interval 3 --workers 2 --out benchmarks/results/pbt/pbt.md
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from scipy.stats import mannwhitneyu

from bohpo import AsyncSuccessiveHalving, PopulationBasedTraining, RandomSearch
from bohpo.problems import MLPEpochs

METHODS = ("pbt", "random", "asha")
EPOCHS = 27


def run_one(method: str, seed: int, population: int, interval: int) -> dict[str, Any]:
    """One run of ``population * 27`` epochs: the best full-length validation error and the epochs spent."""
    import torch

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    problem = MLPEpochs()
    space = problem.schedule_space
    compute, spent, best = population * EPOCHS, 0, math.inf
    states: dict[int, Any] = {}
    start = time.perf_counter()
    if method == "pbt":
        pbt = PopulationBasedTraining(space, population_size=population, interval=interval, max_step=EPOCHS, seed=seed)
        while not pbt.finished:
            trial = pbt.ask()
            until = int(trial.budget or 0)
            checkpoint = states.get(trial.checkpoint) if trial.checkpoint is not None else None
            states[trial.id], error = problem.train(trial.params, checkpoint, until=until)
            spent += until - (0 if checkpoint is None else checkpoint[1])
            pbt.tell(trial, error)
            if until == EPOCHS:
                best = min(best, error)
    elif method == "random":
        searcher = RandomSearch(space, seed=seed)
        for trial in searcher.ask(population):
            _, error = problem.train(trial.params, None, until=EPOCHS)
            spent += EPOCHS
            searcher.tell(trial, error)
            best = min(best, error)
    elif method == "asha":
        asha = AsyncSuccessiveHalving(space, 1, EPOCHS, 3, seed=seed)
        by_config: dict[int, Any] = {}  # config_id -> its network at its last rung
        while spent < compute:
            trial = asha.ask()
            until = round(trial.budget or EPOCHS)
            checkpoint = by_config.get(trial.config_id)  # type: ignore[arg-type]
            by_config[trial.config_id], error = problem.train(trial.params, checkpoint, until=until)  # type: ignore[index]
            spent += until - (0 if checkpoint is None else checkpoint[1])
            asha.tell(trial, error)
            if until == EPOCHS:
                best = min(best, error)
    else:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    return {"method": method, "seed": seed, "best": best, "epochs": spent, "seconds": time.perf_counter() - start}


def report(runs: list[dict[str, Any]], command: str, population: int) -> str:
    lines = [
        "# Population-based training at equal compute: an MLP on digits",
        "",
        f"Produced by `{command}`.",
        "",
        f"Best validation error of a network trained to epoch {EPOCHS} (mean ± standard error over seeds), the epochs "
        f"each run trained (budget {population * EPOCHS}), and PBT against each method (two-sided Mann–Whitney). A "
        "run without a network trained to the end scores nothing and is counted apart.",
        "",
        "| method | seeds | best validation error | runs without a full-length network | epochs per run | "
        "seconds per run | p against pbt |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    pbt = [r["best"] for r in runs if r["method"] == "pbt"]
    for method in METHODS:
        mine = [r for r in runs if r["method"] == method]
        if not mine:
            continue
        best = [r["best"] for r in mine if math.isfinite(r["best"])]
        se = statistics.stdev(best) / math.sqrt(len(best)) if len(best) > 1 else 0.0
        p = "—" if method == "pbt" or not pbt else f"{mannwhitneyu(pbt, [r['best'] for r in mine]).pvalue:.3f}"
        lines.append(
            f"| {method} | {len(mine)} | {statistics.fmean(best):.4f} ± {se:.4f} | {len(mine) - len(best)} | "
            f"{statistics.fmean(r['epochs'] for r in mine):.0f} | {statistics.fmean(r['seconds'] for r in mine):.1f} "
            f"| {p} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--interval", type=int, default=3)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, help="markdown report; the runs go beside it as JSON")
    args = parser.parse_args(argv)
    jobs = [(m, s, args.population, args.interval) for m in args.methods.split(",") for s in range(args.seeds)]
    runs = []
    with ProcessPoolExecutor(args.workers) as pool:
        for i, run in enumerate(pool.map(run_one, *zip(*jobs, strict=True)), 1):
            runs.append(run)
            print(f"[{i}/{len(jobs)}] {run['method']} seed {run['seed']}: {run['best']:.4f} in {run['seconds']:.1f} s")
    command = "python benchmarks/pbt.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(runs, command, args.population)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
