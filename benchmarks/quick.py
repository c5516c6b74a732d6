"""The quick benchmark: the baselines and GP-LogEI on a few synthetic problems over several seeds.

Prints (and with ``--out`` writes) a markdown table of the best value found and its regret against the known
optimum, mean ± standard error over seeds. Run by ``make bench``; a few minutes on 2 cores.

    python benchmarks/quick.py --seeds 5 --budget 40 --out benchmarks/results/quick.md
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bohpo import minimize, searcher_names
from bohpo.problems import Problem, make_problem

PROBLEMS: dict[str, Problem] = {
    "branin": make_problem("branin"),
    "six-hump-camel": make_problem("six-hump-camel"),
    "hartmann3": make_problem("hartmann3"),
    "hartmann6": make_problem("hartmann6"),
    "ackley-5": make_problem("ackley", dim=5),
    "michalewicz-5": make_problem("michalewicz", dim=5),
}

DEFAULT_SEARCHERS = ["random", "sobol", "grid", "gp-logei"]


@dataclass(frozen=True)
class Cell:
    """Summary of one searcher on one problem: final best values and regrets over seeds."""

    problem: str
    searcher: str
    best: list[float]
    regret: list[float]
    seconds: float


def run_cell(problem_name: str, searcher: str, seeds: list[int], budget: int) -> Cell:
    problem = PROBLEMS[problem_name]
    best, regret = [], []
    start = time.perf_counter()
    for seed in seeds:
        result = minimize(problem, problem.space, searcher, budget, seed=seed)
        assert result.best is not None and result.best.value is not None
        best.append(result.best.value)
        regret.append(problem.regret(result.best.value) or 0.0)
    return Cell(problem_name, searcher, best, regret, time.perf_counter() - start)


def _mean_se(values: list[float]) -> str:
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return f"{mean:.4g} ± {se:.2g}"


def table(cells: list[Cell], *, seeds: list[int], budget: int) -> str:
    """The markdown report: deterministic for given arguments (no timings), so a rerun leaves the file unchanged."""
    lines = [
        f"Best value after {budget} evaluations; mean ± standard error over {len(seeds)} seeds "
        f"({seeds[0]}..{seeds[-1]}). Regret = best value - known optimum (lower is better).",
        "",
        "Grid search is sized to the budget (the coarsest grid with at least that many points, visited in a seeded "
        "order), so seeds change only which grid points are left out; a grid with an odd number of points per axis "
        "holds the centre of the domain, which is Ackley's optimum.",
        "",
        "| problem | optimum | searcher | best value | regret | median regret |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for cell in cells:
        optimum = PROBLEMS[cell.problem].optimum
        lines.append(
            f"| {cell.problem} | {optimum:.5g} | {cell.searcher} | {_mean_se(cell.best)} | {_mean_se(cell.regret)} "
            f"| {statistics.median(cell.regret):.4g} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (0..N-1)")
    parser.add_argument("--budget", type=int, default=40, help="evaluations per run")
    parser.add_argument("--workers", type=int, default=2, help="processes running cells side by side")
    parser.add_argument("--problems", default=",".join(PROBLEMS), help="comma-separated problem names")
    parser.add_argument("--searchers", default=",".join(DEFAULT_SEARCHERS), help="comma-separated searcher names")
    parser.add_argument("--out", type=Path, help="also write the table (and the command) to this markdown file")
    args = parser.parse_args(argv)
    problems, searchers = args.problems.split(","), args.searchers.split(",")
    for name in problems:
        if name not in PROBLEMS:
            parser.error(f"unknown problem {name!r}; known: {', '.join(PROBLEMS)}")
    for name in searchers:
        if name not in searcher_names():
            parser.error(f"unknown searcher {name!r}; known: {', '.join(searcher_names())}")
    if args.seeds < 1 or args.budget < 1:
        parser.error("--seeds and --budget must be >= 1")

    seeds = list(range(args.seeds))
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    pairs = [(problem, searcher) for problem in problems for searcher in searchers]
    cells: list[Cell] = []
    if args.workers == 1:
        cells = [run_cell(problem, searcher, seeds, args.budget) for problem, searcher in pairs]
        pairs = []
    # Fresh interpreters (spawn), not forks: a fork of a process whose torch thread pool is running can hang.
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = [pool.submit(run_cell, problem, searcher, seeds, args.budget) for problem, searcher in pairs]
        for job in jobs:
            cells.append(job.result())
            print(f"{cells[-1].problem} / {cells[-1].searcher}: {cells[-1].seconds:.1f} s", file=sys.stderr, flush=True)
    report = table(cells, seeds=seeds, budget=args.budget)
    print(report)
    if args.out is not None:
        command = "python benchmarks/quick.py " + " ".join(sys.argv[1:] if argv is None else argv)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# Quick benchmark\n\nProduced by `{command}` (run by `make bench`).\n\n{report}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
