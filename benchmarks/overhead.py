"""Seconds per suggestion: bohpo's GP-LogEI against Optuna's GPSampler and the canonical BoTorch loop, and bohpo's
TPE against Optuna's TPESampler.

Each optimizer gets the same n observations of a smooth test function on [0, 1]^d, makes one untimed suggestion (so
warm starts are in place, as in a running study), then ``--reps`` timed suggestions, each told before the next. One
thread, one process; the median time per suggestion is reported, with the ratios bohpo / peer.

The BoTorch loop is the canonical one: ``SingleTaskGP`` (its defaults) + ``fit_gpytorch_mll`` +
``LogExpectedImprovement`` + ``optimize_acqf`` with 10 restarts and 512 raw samples.

TPE (both libraries at their defaults, 24 candidates drawn from l(x)) in its multivariate and univariate forms:

    python benchmarks/overhead.py --dims 2,6,10,20 --sizes 25,50,100,200,400,800 --out benchmarks/results/overhead.md
    python benchmarks/overhead.py --dims 5,20 --sizes 100,1000,5000 --peers bohpo-tpe,optuna-tpe,\
        bohpo-tpe-univariate,optuna-tpe-univariate --pairs bohpo-tpe:optuna-tpe,\
        bohpo-tpe-univariate:optuna-tpe-univariate --out benchmarks/results/tpe_overhead.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import torch

from bohpo import BayesianOptimizer, Float, Space
from bohpo.acquisition import ExpectedImprovement
from bohpo.surrogates import TPE

Objective = Callable[[torch.Tensor], torch.Tensor]


def objective(X: torch.Tensor) -> torch.Tensor:
    """A smooth, multimodal function on the unit cube: X (n, d) -> (n,)."""
    return ((X - 0.35) ** 2).sum(-1) + 0.1 * torch.sin(9 * X).sum(-1)


def _data(d: int, n: int) -> torch.Tensor:
    return torch.quasirandom.SobolEngine(d, scramble=True, seed=d * 1000 + n).draw(n, dtype=torch.float64)


def time_bohpo(d: int, n: int, reps: int, *, tpe: dict[str, Any] | None = None) -> list[float]:
    """bohpo's default GP-LogEI, or with ``tpe`` options its TPE with EI."""
    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(d)})
    if tpe is None:
        searcher = BayesianOptimizer(space, seed=0)
    else:
        searcher = BayesianOptimizer(space, surrogate=TPE(**tpe), acquisition=ExpectedImprovement, seed=0)
    X = _data(d, n)
    for x, y in zip(X, objective(X), strict=True):
        searcher.tell(dict(zip(space.names, x.tolist(), strict=True)), float(y))
    times = []
    for rep in range(reps + 1):
        start = time.perf_counter()
        trial = searcher.ask()
        elapsed = time.perf_counter() - start
        x = torch.tensor([[trial.params[k] for k in space.names]], dtype=torch.float64)
        searcher.tell(trial, float(objective(x)[0]))
        if rep:
            times.append(elapsed)
    return times


def time_optuna(d: int, n: int, reps: int, *, tpe: dict[str, Any] | None = None) -> list[float]:
    """Optuna's GPSampler, or with ``tpe`` options its TPESampler."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {f"x{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(d)}
    sampler = optuna.samplers.GPSampler(seed=0) if tpe is None else optuna.samplers.TPESampler(seed=0, **tpe)
    study = optuna.create_study(sampler=sampler)
    X = _data(d, n)
    for x, y in zip(X, objective(X), strict=True):
        params = {f"x{i}": float(v) for i, v in enumerate(x)}
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=float(y)))
    times = []
    for rep in range(reps + 1):
        start = time.perf_counter()
        trial = study.ask(dists)
        elapsed = time.perf_counter() - start
        x = torch.tensor([[trial.params[f"x{i}"] for i in range(d)]], dtype=torch.float64)
        study.tell(trial, float(objective(x)[0]))
        if rep:
            times.append(elapsed)
    return times


def time_botorch(d: int, n: int, reps: int) -> list[float]:
    from botorch.acquisition import LogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood

    X = _data(d, n)
    y = objective(X)
    bounds = torch.stack([torch.zeros(d), torch.ones(d)]).double()
    times = []
    for rep in range(reps + 1):
        start = time.perf_counter()
        model = SingleTaskGP(X, -y.unsqueeze(-1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        acquisition = LogExpectedImprovement(model, best_f=(-y).max())
        candidate, _ = optimize_acqf(acquisition, bounds=bounds, q=1, num_restarts=10, raw_samples=512)
        elapsed = time.perf_counter() - start
        X, y = torch.cat([X, candidate]), torch.cat([y, objective(candidate)])
        if rep:
            times.append(elapsed)
    return times


PEERS: dict[str, Callable[[int, int, int], list[float]]] = {
    "bohpo": time_bohpo,
    "optuna": time_optuna,
    "botorch": time_botorch,
    "bohpo-tpe": partial(time_bohpo, tpe={"multivariate": True}),
    "bohpo-tpe-univariate": partial(time_bohpo, tpe={"multivariate": False}),
    "optuna-tpe": partial(time_optuna, tpe={"multivariate": True}),
    "optuna-tpe-univariate": partial(time_optuna, tpe={"multivariate": False}),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default="2,6,10,20")
    parser.add_argument("--sizes", default="25,50,100,200,400,800")
    parser.add_argument("--reps", type=int, default=3, help="timed suggestions per cell (after one untimed)")
    parser.add_argument("--peers", default="bohpo,optuna,botorch")
    parser.add_argument("--pairs", default="", help="A:B,...: the ratios reported (default: bohpo / each other peer)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    dims = [int(v) for v in args.dims.split(",")]
    sizes = [int(v) for v in args.sizes.split(",")]
    peers = args.peers.split(",")
    for peer in peers:
        if peer not in PEERS:
            parser.error(f"unknown peer {peer!r}; known: {', '.join(PEERS)}")
    if args.pairs:
        pairs = [tuple(pair.split(":", 1)) for pair in args.pairs.split(",")]
    else:
        pairs = [("bohpo", p) for p in peers if p != "bohpo" and "bohpo" in peers]
    for pair in pairs:
        if len(pair) != 2 or not all(p in peers for p in pair):
            parser.error(f"--pairs takes A:B items of peers being timed, got {':'.join(pair)!r}")
    lines = [
        "Median seconds per suggestion (one thread), and the ratios A / B of the pairs compared.",
        "",
        "| d | n | " + " | ".join(peers) + " | " + " | ".join(f"{a} / {b}" for a, b in pairs) + " |",
        "| ---: | ---: | " + " | ".join("---:" for _ in peers) + " | " + " | ".join("---:" for _ in pairs) + " |",
    ]
    print("\n".join(lines), flush=True)
    for d in dims:
        for n in sizes:
            medians = {peer: statistics.median(PEERS[peer](d, n, args.reps)) for peer in peers}
            ratios = [f"{medians[a] / medians[b]:.2f}" for a, b in pairs]
            line = (
                f"| {d} | {n} | " + " | ".join(f"{medians[p]:.3f}" for p in peers) + " | " + " | ".join(ratios) + " |"
            )
            lines.append(line)
            print(line, flush=True)
    if args.out is not None:
        command = "python benchmarks/overhead.py " + " ".join(sys.argv[1:] if argv is None else argv)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# Overhead per suggestion\n\nProduced by `{command}`.\n\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
