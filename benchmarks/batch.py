"""Batches: bohpo's kriging believer against a joint q-batch acquisition, both on bohpo's fitted GP.

Every method asks ``--q`` points at a time, evaluates them, tells them, and asks again, until the budget is spent.
    - ``kb``: ``BayesianOptimizer.ask(q)``: q points one by one, the GP conditioned on each at its posterior mean.
    - ``qlogei``: the same searcher with the library's joint batch rule (``bohpo.acquisition.JointBatch``): the batch
      is the maximiser of BoTorch's ``qLogExpectedImprovement`` over all q points jointly (quasi-Monte Carlo,
      ``optimize_acqf`` with 10 restarts and 512 raw samples), computed on the same fitted GP (its BoTorch
      ``SingleTaskGP``); pending points enter as BoTorch's ``X_pending``.
    - ``sequential``: ``ask(1)``, the reference a batch method gives away some efficiency to;
    - ``random``: random search, the scale of the normalised regret.
Continuous problems only (the joint rule relaxes ints and categoricals and snaps them afterwards, which would measure
the relaxation as much as the batch rule).

    python benchmarks/batch.py --seeds 10 --budget 60 --q 4 --workers 2 --out benchmarks/results/batch.md
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import torch
from quality import PROBLEMS, report

from bohpo import BayesianOptimizer, RandomSearch
from bohpo.acquisition import JointBatch, Proposer
from bohpo.problems import Problem
from bohpo.searchers import Searcher

CONTINUOUS = ["branin", "hartmann6", "ackley-5", "levy-8", "rosenbrock-4", "styblinski-tang-8"]
METHODS = ["kb", "qlogei", "sequential", "random"]


def _run(searcher: Searcher, problem: Problem, budget: int, q: int) -> list[float]:
    values: list[float] = []
    while len(values) < budget:
        trials = searcher.ask(min(q, budget - len(values)))
        for trial in trials:
            value = problem(trial.params)
            searcher.tell(trial, value)
            values.append(value)
    return values


def run_one(method: str, problem_name: str, seed: int, budget: int, q: int) -> dict[str, Any]:
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    problem = PROBLEMS[problem_name]()
    space = problem.space
    searcher: Searcher = {
        "kb": lambda: BayesianOptimizer(space, seed=seed),
        "qlogei": lambda: BayesianOptimizer(space, proposer=Proposer(space, batch=JointBatch()), seed=seed),
        "sequential": lambda: BayesianOptimizer(space, seed=seed),
        "random": lambda: RandomSearch(space, seed=seed),
    }[method]()
    start = time.perf_counter()
    values = _run(searcher, problem, budget, 1 if method == "sequential" else q)
    return {
        "method": method,
        "problem": problem_name,
        "seed": seed,
        "values": values,
        "optimum": problem.optimum,
        "seconds": time.perf_counter() - start,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--q", type=int, default=4)
    parser.add_argument("--problems", default=",".join(CONTINUOUS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    problems, methods = args.problems.split(","), args.methods.split(",")
    for name in problems:
        if name not in CONTINUOUS:
            parser.error(f"unknown problem {name!r}; known: {', '.join(CONTINUOUS)}")
    for name in methods:
        if name not in METHODS:
            parser.error(f"unknown method {name!r}; known: {', '.join(METHODS)}")
    if args.q < 2 or args.budget < 1 or args.seeds < 1:
        parser.error("--q must be >= 2, --budget and --seeds >= 1")
    jobs = [(m, p, s, args.budget, args.q) for p in problems for s in range(args.seeds) for m in methods]
    runs: list[dict[str, Any]] = []
    raw = args.out.with_suffix(".json") if args.out is not None else None
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for i, run in enumerate(pool.map(run_one, *zip(*jobs, strict=True))):
            runs.append(run)
            print(f"[{i + 1}/{len(jobs)}] {run['problem']} {run['method']} seed {run['seed']}: "
                  f"{run['seconds']:.1f} s", file=sys.stderr, flush=True)  # fmt: skip
            if raw is not None:
                raw.parent.mkdir(parents=True, exist_ok=True)
                raw.write_text(json.dumps(runs))
    text = report(runs, budget=args.budget, order=METHODS)
    print(text)
    if args.out is not None:
        command = "python benchmarks/batch.py " + " ".join(sys.argv[1:] if argv is None else argv)
        args.out.write_text(
            f"# Batches: kriging believer against a joint q-batch acquisition\n\nProduced by `{command}`, batches "
            f"of q = {args.q}.\n\n{text}\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
