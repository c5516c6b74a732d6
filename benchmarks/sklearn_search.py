"""BayesSearchCV against RandomizedSearchCV: an SVC on digits, the same n_iter, folds and seeds.

Each search tunes C (log-uniform on [1e-2, 1e3]), gamma (log-uniform on [1e-5, 1e1]) and the kernel (rbf, poly,
sigmoid) of ``SVC`` on scikit-learn's digits, with 3-fold stratified cross-validation (accuracy), and reports its
best mean CV score; random_state is the seed of both the searcher and nothing else (the folds are fixed). The report
gives each seed's best score, the mean ± standard error, and the mean number of evaluations each search needed to
reach RandomizedSearchCV's final best score of the same seed. Optuna's GP and TPE samplers run inside the same
BayesSearchCV (bohpo's Optuna adapter; the same folds and scoring) where Optuna is installed, as a reference.
With ``--workers 2`` two searches share the cores, so the seconds saved in the JSON are not timings.

    python benchmarks/sklearn_search.py --seeds 10 --n-iter 50 --workers 2 --out benchmarks/results/sklearn_search.md
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
from sklearn.svm import SVC

from bohpo.searchers.peers import optuna_available
from bohpo.sklearn import BayesSearchCV
from bohpo.space import Categorical, Float

KERNELS = ["rbf", "poly", "sigmoid"]
SPACE: dict[str, Any] = {"C": Float(1e-2, 1e3, log=True), "gamma": Float(1e-5, 1e1, log=True),
                         "kernel": Categorical(KERNELS)}  # fmt: skip
DISTRIBUTIONS: dict[str, Any] = {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e1), "kernel": KERNELS}
METHODS = ("RandomizedSearchCV", "BayesSearchCV gp-logei", "BayesSearchCV tpe") + (
    ("BayesSearchCV optuna-gp", "BayesSearchCV optuna-tpe") if optuna_available() else ()
)


def run_one(method: str, seed: int, n_iter: int, rbf_only: bool = False) -> dict[str, Any]:
    X, y = load_digits(return_X_y=True)
    space = {k: v for k, v in SPACE.items() if k != "kernel"} if rbf_only else SPACE
    distributions = {k: v for k, v in DISTRIBUTIONS.items() if k != "kernel"} if rbf_only else DISTRIBUTIONS
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    common: dict[str, Any] = {"n_iter": n_iter, "cv": cv, "random_state": seed, "refit": False}
    if method == "RandomizedSearchCV":
        search: Any = RandomizedSearchCV(SVC(), distributions, **common)
    else:
        search = BayesSearchCV(SVC(), space, searcher=method.split()[-1], **common)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    scores = np.nan_to_num(np.asarray(search.cv_results_["mean_test_score"], dtype=float), nan=0.0)
    return {"method": method, "seed": seed, "scores": scores.tolist(), "seconds": time.perf_counter() - start}


def report(runs: list[dict[str, Any]]) -> str:
    seeds = sorted({r["seed"] for r in runs})
    by = {(r["method"], r["seed"]): r for r in runs}
    lines = [
        "| method | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± se | evaluations to random's best |",
        "| --- | " + " | ".join("---:" for _ in seeds) + " | ---: | ---: |",
    ]
    for method in METHODS:
        rows = [by[(method, s)] for s in seeds if (method, s) in by]
        if not rows:
            continue
        best = [max(r["scores"]) for r in rows]
        mean = statistics.fmean(best)
        se = statistics.stdev(best) / math.sqrt(len(best)) if len(best) > 1 else 0.0
        reach = []
        for r in rows:
            target = max(by[("RandomizedSearchCV", r["seed"])]["scores"])
            hit = next((i + 1 for i, v in enumerate(np.maximum.accumulate(r["scores"])) if v >= target - 1e-12), None)
            reach.append(hit)
        reached = [h for h in reach if h is not None]
        text = f"{statistics.fmean(reached):.1f}" + (f" ({len(reached)}/{len(reach)} seeds)" if None in reach else "")
        lines.append(f"| {method} | " + " | ".join(f"{b:.4f}" for b in best) + f" | {mean:.4f} ± {se:.4f} | {text} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-iter", type=int, default=30)
    parser.add_argument("--rbf-only", action="store_true", help="tune C and gamma of the RBF kernel only")
    parser.add_argument("--workers", type=int, default=1, help="searches run side by side")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    jobs = [(method, seed, args.n_iter, args.rbf_only) for seed in range(args.seeds) for method in METHODS]
    runs = []
    # Fresh interpreters (spawn), not forks: a fork of a process whose torch thread pool is running can hang.
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for run in pool.map(run_one, *zip(*jobs, strict=True)):
            runs.append(run)
            print(
                f"{run['method']} seed {run['seed']}: {max(run['scores']):.4f} ({run['seconds']:.0f} s)",
                file=sys.stderr,
            )
    text = report(runs)
    print(text)
    if args.out is not None:
        command = "python benchmarks/sklearn_search.py " + " ".join(sys.argv[1:] if argv is None else argv)
        tuned = "C and gamma of the RBF kernel" if args.rbf_only else "C, gamma, kernel"
        intro = (
            f"Best mean 3-fold CV accuracy of an SVC on digits after {args.n_iter} evaluations ({tuned}), "
            "per seed; the last column is the mean number of evaluations a search needed to reach "
            "RandomizedSearchCV's final best score of the same seed."
        )
        args.out.write_text(
            f"# BayesSearchCV against RandomizedSearchCV\n\nProduced by `{command}`.\n\n{intro}\n\n{text}\n"
        )
        args.out.with_suffix(".json").write_text(json.dumps(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
