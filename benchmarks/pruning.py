"""Pruning at equal compute: searchers with and without a pruner on problems that report learning curves.

Each run asks and trains trials one after another until it has trained ``--compute`` full trainings' worth of steps
(epochs, trees: ``compute * problem.max_step`` steps; its last trial may go past). A method is a searcher name,
optionally with a pruner (``random+median``, as ``bohpo bench run`` takes it). The report gives, after a quarter, a
half and all of the compute, the best validation error among the complete trials (a pruned trial's value is a
partial training's, not a result), mean ± standard error over the seeds; the trials trained and stopped per run;
and, with ``--pairs A:B``, a two-sided Mann–Whitney test of A's best at half the compute against B's at all of it
(the "same quality with half the compute" question) and at equal compute.

On ``mlp-epochs-digits`` a step is an epoch of ``partial_fit`` and a pruned trial's remaining epochs are never
trained; on ``boosting-trees-breast-cancer`` a step is two trees read from a model fitted whole (see its ``curve``),
so the compute counted there is steps, not seconds.

    python benchmarks/pruning.py --seeds 10 --compute 20 --workers 2 \\
        --methods random,random+median,random+successive-halving,random+hyperband,tpe,tpe+median \\
        --pairs random+median:random,random+successive-halving:random,random+hyperband:random,tpe+median:tpe \\
        --out benchmarks/results/pruning/pruning.md
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

from bohpo.bench.runner import split_pruner
from bohpo.errors import TrialPruned
from bohpo.loop import Reporter
from bohpo.problems import make_problem
from bohpo.pruners import make_pruner
from bohpo.searchers import make_searcher

PROBLEMS = ("mlp-epochs-digits", "boosting-trees-breast-cancer")
FRACTIONS = (0.25, 0.5, 1.0)


def run_one(method: str, problem_name: str, seed: int, compute: float) -> dict[str, Any]:
    """One run to ``compute`` full trainings' worth of steps: each trial's status, value and steps trained."""
    import torch

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    problem = make_problem(problem_name)
    assert problem.max_step is not None, f"{problem_name} reports no learning curve"
    searcher_name, pruner_name = split_pruner(method)
    searcher = make_searcher(searcher_name, problem.space, seed=seed)
    pruner = None if pruner_name is None else make_pruner(pruner_name, max_step=problem.max_step)
    budget, spent, trials = compute * problem.max_step, 0, []
    start = time.perf_counter()
    while spent < budget:
        trial = searcher.ask()
        try:
            searcher.tell(trial, problem.curve(trial.params, Reporter(searcher, trial, pruner)))
        except TrialPruned:
            searcher.tell(trial, pruned=True)
        steps = trial.last_step or 0  # steps are cumulative: epochs, trees trained
        spent += steps
        trials.append({"status": trial.status.value, "value": trial.value, "steps": steps})
    return {
        "method": method, "problem": problem_name, "seed": seed, "compute": compute, "max_step": problem.max_step,
        "trials": trials, "seconds": time.perf_counter() - start,
    }  # fmt: skip


def best_at(run: dict[str, Any], fraction: float) -> float:
    """The best complete value among the trials that ended within ``fraction`` of the run's compute."""
    limit, spent, best = fraction * run["compute"] * run["max_step"], 0, math.inf
    for trial in run["trials"]:
        spent += trial["steps"]
        if spent > limit + 1e-9 and fraction < 1.0:
            break
        if trial["status"] == "complete":
            best = min(best, trial["value"])
    return best


def _mean_se(values: list[float]) -> str:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "—"
    se = statistics.stdev(finite) / math.sqrt(len(finite)) if len(finite) > 1 else 0.0
    missing = f" ({len(values) - len(finite)} without)" if len(finite) < len(values) else ""
    return f"{statistics.fmean(finite):.4f} ± {se:.4f}{missing}"


def report(runs: list[dict[str, Any]], pairs: list[tuple[str, str]], command: str) -> str:
    methods = list(dict.fromkeys(r["method"] for r in runs))
    problems = list(dict.fromkeys(r["problem"] for r in runs))
    seeds = sorted({r["seed"] for r in runs})
    lines = [
        "# Pruning at equal compute",
        "",
        f"Produced by `{command}`.",
        "",
        f"Best validation error among complete trials (mean ± standard error over seeds {seeds[0]}..{seeds[-1]}) "
        "after a quarter, a half and all of each run's compute (full trainings' worth of steps), and the trials each "
        "run trained and the pruner stopped. Lower is better.",
        "",
        "| problem | method | seeds | @25% | @50% | @100% | trials per run | pruned per run | seconds per run |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for problem in problems:
        for method in methods:
            mine = [r for r in runs if r["problem"] == problem and r["method"] == method]
            if not mine:
                continue
            cells = [_mean_se([best_at(r, f) for r in mine]) for f in FRACTIONS]
            n_trials = statistics.fmean(len(r["trials"]) for r in mine)
            n_pruned = statistics.fmean(sum(t["status"] == "pruned" for t in r["trials"]) for r in mine)
            seconds = statistics.fmean(r["seconds"] for r in mine)
            lines.append(
                f"| {problem} | {method} | {len(mine)} | {' | '.join(cells)} | {n_trials:.1f} | {n_pruned:.1f} | "
                f"{seconds:.1f} |"
            )
    for a, b in pairs:
        lines += [
            "",
            f"{a} against {b}: two-sided Mann–Whitney p-values of the best values, {a} with half the compute against "
            f"{b} with all of it, and both with all of it (p < 0.05 with the worse mean marks a significant loss).",
            "",
            f"| problem | {a} @50% | {b} @100% | p | {a} @100% | p |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for problem in problems:
            ra = [best_at(r, 0.5) for r in runs if r["problem"] == problem and r["method"] == a]
            rb = [best_at(r, 1.0) for r in runs if r["problem"] == problem and r["method"] == b]
            fa = [best_at(r, 1.0) for r in runs if r["problem"] == problem and r["method"] == a]
            if not ra or not rb:
                continue
            half = mannwhitneyu(ra, rb).pvalue
            full = mannwhitneyu(fa, rb).pvalue
            lines.append(
                f"| {problem} | {statistics.fmean(ra):.4f} | {statistics.fmean(rb):.4f} | {half:.3f} | "
                f"{statistics.fmean(fa):.4f} | {full:.3f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--compute", type=float, default=20.0, help="full trainings' worth of steps per run")
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--methods", default="random,random+median")
    parser.add_argument("--pairs", default="", help="A:B,C:D")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path, help="markdown report; the runs go beside it as JSON")
    parser.add_argument("--merge", nargs="*", default=[], help="JSON runs to report with (or instead of) new ones")
    args = parser.parse_args(argv)
    pairs = [tuple(p.split(":")) for p in args.pairs.split(",") if p]
    runs: list[dict[str, Any]] = []
    for path in args.merge:
        runs += json.loads(Path(path).read_text())
    jobs = [
        (m, p, s, args.compute)
        for p in args.problems.split(",")
        for m in args.methods.split(",")
        for s in range(args.seeds)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(run_one, *job) for job in jobs]
        for i, future in enumerate(futures, 1):
            run = future.result()
            runs.append(run)
            print(f"[{i}/{len(jobs)}] {run['problem']} {run['method']} seed {run['seed']}: {run['seconds']:.1f} s")
    command = "python benchmarks/pruning.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(runs, pairs, command)  # type: ignore[arg-type]
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        if jobs:
            args.out.with_suffix(".json").write_text(json.dumps(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
