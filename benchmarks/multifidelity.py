"""Multi-fidelity search: random search, Hyperband, ASHA, BOHB and bohpo's GP against the budget they spend.

Every method runs on every multi-fidelity problem for every seed, one trial at a time, until it has spent
``--budget`` full-budget evaluations: a trial at budget b costs b / max_budget. Random search and the GP evaluate
every configuration at the full budget. The incumbent of a run is its best value among full-budget evaluations (a
value at a smaller budget is a cheaper, biased estimate); a run has no incumbent before its first one.

The report gives, per problem, the median incumbent over seeds (regret where the optimum is known) after several
amounts of budget, and the speed-up: random search's total budget divided by the budget at which a method's median
incumbent first reaches random search's final median; "-" when it never does. A figure shows the median curves with
their inter-quartile bands.

    python benchmarks/multifidelity.py --seeds 10 --budget 30 --workers 2 --out benchmarks/results/multifidelity.md
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bohpo import BOHB, AsyncSuccessiveHalving, BayesianOptimizer, Hyperband, RandomSearch, Searcher
from bohpo.problems import MultiFidelityProblem, make_problem

PROBLEMS = ("mf-branin", "mf-hartmann6", "mlp-epochs-digits", "boosting-trees-breast-cancer", "svm-fraction-digits")
REAL = ("mlp-epochs-digits", "boosting-trees-breast-cancer", "svm-fraction-digits")
METHODS: dict[str, Callable[[MultiFidelityProblem, int], Searcher]] = {
    "random": lambda p, seed: RandomSearch(p.space, seed=seed),
    "gp": lambda p, seed: BayesianOptimizer(p.space, seed=seed),
    "hyperband": lambda p, seed: Hyperband(p.space, p.min_budget, p.max_budget, seed=seed),
    "asha": lambda p, seed: AsyncSuccessiveHalving(p.space, p.min_budget, p.max_budget, seed=seed),
    "bohb": lambda p, seed: BOHB(p.space, p.min_budget, p.max_budget, seed=seed),
}
FRACTIONS = (0.1, 0.2, 0.5, 1.0)  # of the total budget, where the table reads the curves


def run_one(method: str, problem_name: str, seed: int, budget: float) -> dict[str, Any]:
    """One run: each trial's budget, value and the cost spent once it was told."""
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    problem = make_problem(problem_name)
    assert isinstance(problem, MultiFidelityProblem)
    searcher = METHODS[method](problem, seed)
    spent, rows = 0.0, []
    start = time.perf_counter()
    while spent < budget - 1e-9:
        trial = searcher.ask()
        fidelity = problem.max_budget if trial.budget is None else trial.budget
        value = problem(trial.params, fidelity)
        searcher.tell(trial, value)
        spent += fidelity / problem.max_budget
        rows.append({"budget": fidelity, "value": value, "spent": spent})
    return {
        "method": method,
        "problem": problem_name,
        "seed": seed,
        "trials": rows,
        "max_budget": problem.max_budget,
        "optimum": problem.optimum,
        "seconds": time.perf_counter() - start,
    }


def incumbent_curve(run: dict[str, Any], grid: np.ndarray) -> np.ndarray:
    """(len(grid),) the run's best full-budget value once ``grid[k]`` budget was spent; NaN before the first."""
    spent = np.array([t["spent"] for t in run["trials"]])
    full = np.array([t["budget"] >= run["max_budget"] * (1 - 1e-9) for t in run["trials"]])
    values = np.where(full, [t["value"] for t in run["trials"]], np.nan)
    best = np.fmin.accumulate(values)
    index = np.searchsorted(spent, grid + 1e-9, side="right") - 1  # the last trial told by then
    return np.where(index >= 0, best[np.clip(index, 0, None)], np.nan)


def _median_curve(runs: list[dict[str, Any]], grid: np.ndarray, reference: float) -> np.ndarray:
    curves = np.array([incumbent_curve(r, grid) - reference for r in runs])  # (seeds, len(grid))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no incumbent yet
        # a seed without an incumbent counts as worse than any value
        return np.nanmedian(np.where(np.isnan(curves), np.inf, curves), axis=0)


def speed_up(method_curve: np.ndarray, target: float, grid: np.ndarray, total: float) -> float | None:
    """total / the first budget where the median curve is at most ``target``; None if it never is."""
    reached = np.nonzero(method_curve <= target + 1e-12)[0]
    return None if reached.size == 0 else total / grid[reached[0]]


def report(runs: list[dict[str, Any]], budget: float) -> tuple[str, dict[str, Any]]:
    """The markdown tables, and the median curves for the figure."""
    grid = np.linspace(budget / 200, budget, 200)
    methods = [m for m in METHODS if any(r["method"] == m for r in runs)]
    problems = [p for p in PROBLEMS if any(r["problem"] == p for r in runs)]
    lines = [
        f"Median incumbent over seeds after {', '.join(f'{f:g}' for f in FRACTIONS)} of the total budget "
        f"({budget:g} full-budget evaluations): regret (value - optimum) on the synthetic problems, validation "
        "error on the real ones; lower is better; inf while fewer than half the seeds have a full-budget "
        "evaluation. Speed-up: random search's total budget over the budget at which the method's median first "
        "reaches random search's final median (random's own entry shows when it reached it).",
        "",
        "| problem | method | seeds | "
        + " | ".join(f"@{f * budget:g}" for f in FRACTIONS)
        + " | reaches random's final at | speed-up |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in FRACTIONS) + " | ---: | ---: |",
    ]
    curves: dict[str, Any] = {}
    speedups: dict[tuple[str, str], float | None] = {}
    for problem in problems:
        mine = [r for r in runs if r["problem"] == problem]
        reference = mine[0]["optimum"] if mine[0]["optimum"] is not None else 0.0
        medians = {m: _median_curve([r for r in mine if r["method"] == m], grid, reference) for m in methods}
        target = medians["random"][-1] if "random" in medians else None
        curves[problem] = {m: [incumbent_curve(r, grid).tolist() for r in mine if r["method"] == m] for m in methods}
        for method in methods:
            seeds = sum(r["method"] == method for r in mine)
            cells = [medians[method][int(np.searchsorted(grid, f * budget - 1e-9))] for f in FRACTIONS]
            up = speed_up(medians[method], target, grid, budget) if target is not None else None
            speedups[(problem, method)] = up
            text = "- | -" if up is None else f"{budget / up:.1f} | {up:.1f}×"
            lines.append(
                f"| {problem} | {method} | {seeds} | " + " | ".join(f"{c:.4g}" for c in cells) + f" | {text} |"
            )
    lines += ["", "Speed-up over random search on the real problems (target: at least 5× for Hyperband and BOHB):", ""]
    lines += ["| method | " + " | ".join(p for p in REAL if p in problems) + " |"]
    lines += ["| --- | " + " | ".join("---:" for p in REAL if p in problems) + " |"]
    for method in methods:
        cells = [speedups.get((p, method)) for p in REAL if p in problems]
        lines.append(f"| {method} | " + " | ".join("-" if c is None else f"{c:.1f}×" for c in cells) + " |")
    return "\n".join(lines), {"grid": grid.tolist(), "curves": curves}


def figure(data: dict[str, Any], runs: list[dict[str, Any]], path: Path) -> None:
    """Median incumbent against budget spent, inter-quartile band, one panel per problem."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.array(data["grid"])
    problems = list(data["curves"])
    columns = min(3, len(problems))
    n_rows = -(-len(problems) // columns)
    fig, panels = plt.subplots(n_rows, columns, figsize=(4.6 * columns, 3.6 * n_rows), squeeze=False)
    axes = list(panels.flat)
    for ax in axes[len(problems) :]:
        ax.set_visible(False)
    for ax, problem in zip(axes, problems, strict=False):
        optimum = next(r["optimum"] for r in runs if r["problem"] == problem)
        for method, rows in data["curves"][problem].items():
            curves = np.array(rows) - (optimum or 0.0)
            curves = np.where(np.isnan(curves), np.inf, curves)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                low, mid, high = np.nanpercentile(curves, [25, 50, 75], axis=0)
            finite = np.isfinite(mid)
            (line,) = ax.plot(grid[finite], mid[finite], label=method)
            band = np.isfinite(high) & finite
            ax.fill_between(grid[band], low[band], high[band], color=line.get_color(), alpha=0.15)
        ax.set_yscale("log")
        ax.set_title(problem)
        ax.set_xlabel("budget spent (full-budget evaluations)")
        ax.set_ylabel("regret" if optimum is not None else "validation error")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=float, default=30.0, help="total budget, in full-budget evaluations")
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="markdown report; the runs go beside it as JSON, the figure as PNG")
    parser.add_argument("--from-json", type=Path, help="report the runs of this JSON file instead of running")
    args = parser.parse_args(argv)
    problems, methods = args.problems.split(","), args.methods.split(",")
    for name in problems:
        if name not in PROBLEMS:
            parser.error(f"unknown problem {name!r}; known: {', '.join(PROBLEMS)}")
    for name in methods:
        if name not in METHODS:
            parser.error(f"unknown method {name!r}; known: {', '.join(METHODS)}")
    if args.budget <= 0:
        parser.error(f"--budget must be positive, got {args.budget}")
    jobs = [(m, p, s, args.budget) for p in problems for s in range(args.seeds) for m in methods]
    runs: list[dict[str, Any]] = json.loads(args.from_json.read_text()) if args.from_json else []
    raw = args.out.with_suffix(".json") if args.out is not None and not args.from_json else None
    if args.from_json:
        jobs = []
    # Fresh interpreters (spawn), not forks: a fork of a process whose torch thread pool is running can hang.
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for i, run in enumerate(pool.map(run_one, *zip(*jobs, strict=True))):
            runs.append(run)
            print(f"[{i + 1}/{len(jobs)}] {run['problem']} {run['method']} seed {run['seed']}: "
                  f"{len(run['trials'])} trials, {run['seconds']:.1f} s", file=sys.stderr, flush=True)  # fmt: skip
            if raw is not None:  # saved as it goes: an interrupted run still leaves its results
                raw.parent.mkdir(parents=True, exist_ok=True)
                raw.write_text(json.dumps(runs))
    text, data = report(runs, args.budget)
    print(text)
    if args.out is not None:
        words = list(sys.argv[1:] if argv is None else argv)
        if "--from-json" in words:  # a report rebuilt from saved runs names the command that made them
            del words[words.index("--from-json") : words.index("--from-json") + 2]
        command = "python benchmarks/multifidelity.py " + " ".join(words)
        seconds = statistics.fmean(r["seconds"] for r in runs)
        args.out.write_text(
            f"# Multi-fidelity search\n\nProduced by `{command}` (mean {seconds:.1f} s per run, two runs side by "
            f"side on 2 cores).\n\n{text}\n\n![Median incumbent against budget]({args.out.with_suffix('.png').name})\n"
        )
        figure(data, runs, args.out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
