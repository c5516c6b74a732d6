"""Seconds per suggestion: bohpo's GP-LogEI against Optuna's GPSampler and the canonical BoTorch loop, and bohpo's
TPE against Optuna's TPESampler.

Each optimizer gets the same n observations of a smooth test function on [0, 1]^d, makes one untimed suggestion (so
warm starts are in place, as in a running study), then ``--reps`` timed suggestions, each told before the next. One
thread, one process; the median time per suggestion is reported, with the ratios bohpo / peer. (Each ``time_*``
function returns the seconds of all reps + 1 asks, the untimed first one first.)

The BoTorch loop is the canonical one: ``SingleTaskGP`` (its defaults) + ``fit_gpytorch_mll`` +
``LogExpectedImprovement`` + ``optimize_acqf`` with 10 restarts and 512 raw samples.

With ``--space mixed`` the d parameters are floats, ints and categoricals (:func:`mixed_space`: d = 5 is 2 floats,
a log-scale int and categoricals of 3 and 2 choices; d = 9 is 4 floats, 2 ints and categoricals of 3, 2 and 4
choices), and the objective is smooth in the numbers with an offset per category (:func:`mixed_objective`). Both
libraries are given the same space (Optuna's Float, Int and Categorical distributions); the BoTorch loop, which has
no categoricals, is not timed there.

The GP tables, continuous and mixed:

    python benchmarks/overhead.py --dims 2,6,10,20 --sizes 25,50,100,200,400,800 --out benchmarks/results/overhead.md
    python benchmarks/overhead.py --space mixed --dims 5,9 --sizes 25,50,100,200,400 --peers bohpo,optuna \
        --out benchmarks/results/overhead_mixed.md

At n = 1000 and 2000, with the first ask after the n observations reported too:

    python benchmarks/overhead.py --dims 10 --sizes 1000,2000 --peers bohpo,optuna --first-ask \
        --out benchmarks/results/overhead_large.md

TPE (both libraries at their defaults, 24 candidates drawn from l(x)) in its multivariate and univariate forms:

    python benchmarks/overhead.py --dims 5,20 --sizes 100,1000,5000 --peers bohpo-tpe,optuna-tpe,\
        bohpo-tpe-univariate,optuna-tpe-univariate --pairs bohpo-tpe:optuna-tpe,\
        bohpo-tpe-univariate:optuna-tpe-univariate --out benchmarks/results/tpe_overhead.md
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch

from bohpo import BayesianOptimizer, Categorical, Float, Int, Space
from bohpo.acquisition import ExpectedImprovement, MultiStartOptimizer, Proposer
from bohpo.space import Config
from bohpo.surrogates import GP, TPE

Objective = Callable[[torch.Tensor], torch.Tensor]

_CATEGORY_WIDTHS = (3, 2, 4)  # choices of the mixed spaces' categoricals, in turn
_CATEGORY_OFFSETS = (0.0, 0.4, 0.15, 0.7)  # what each choice adds to the mixed objective


def objective(X: torch.Tensor) -> torch.Tensor:
    """A smooth, multimodal function on the unit cube: X (n, d) -> (n,)."""
    return ((X - 0.35) ** 2).sum(-1) + 0.1 * torch.sin(9 * X).sum(-1)


def mixed_space(d: int) -> Space:
    """d parameters: (d + 1) // 3 categoricals (3, 2, 4, ... choices), (d - 1) // 4 ints (log-scale 1..64, then
    0..10, in turn) and floats on [0, 1] for the rest (d = 5: 2 floats, 1 int, 2 categoricals; d = 9: 4, 2, 3)."""
    n_categorical, n_int = (d + 1) // 3, (d - 1) // 4
    n_float = d - n_categorical - n_int
    if n_float < 1:
        raise ValueError(f"a mixed space needs d >= 2, got {d}")
    params: dict[str, Float | Int | Categorical] = {f"x{i}": Float(0.0, 1.0) for i in range(n_float)}
    for i in range(n_int):
        params[f"n{i}"] = Int(1, 64, log=True) if i % 2 == 0 else Int(0, 10)
    for i in range(n_categorical):
        params[f"c{i}"] = Categorical([f"c{i}_{j}" for j in range(_CATEGORY_WIDTHS[i % len(_CATEGORY_WIDTHS)])])
    return Space(params)


def mixed_objective(space: Space, config: Config) -> float:
    """:func:`objective` of the floats and the ints (each read on [0, 1], log-scale ints by their log), plus an
    offset for each categorical's choice."""
    numbers, offset = [], 0.0
    for name, param in space.items():
        value = config[name]
        if isinstance(param, Categorical):
            offset += _CATEGORY_OFFSETS[param.choices.index(value) % len(_CATEGORY_OFFSETS)]
        elif isinstance(param, Int):
            low, high = (math.log(param.low), math.log(param.high)) if param.log else (param.low, param.high)
            numbers.append(((math.log(value) if param.log else value) - low) / (high - low))
        else:
            numbers.append(float(value))
    return float(objective(torch.tensor([numbers], dtype=torch.float64))[0]) + offset


@dataclass(frozen=True)
class Problem:
    """One cell's space (bohpo's, with Optuna's distributions of the same parameters), its first n observations and
    the objective of a configuration."""

    space: Space
    distributions: dict[str, Any]
    configs: list[Config]
    values: list[float]
    evaluate: Callable[[Config], float]


def _data(d: int, n: int) -> torch.Tensor:
    return torch.quasirandom.SobolEngine(d, scramble=True, seed=d * 1000 + n).draw(n, dtype=torch.float64)


def continuous_problem(d: int, n: int) -> Problem:
    """[0, 1]^d, :func:`objective`, n scrambled Sobol points."""
    import optuna

    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(d)})
    X = _data(d, n)
    configs = [dict(zip(space.names, x.tolist(), strict=True)) for x in X]

    def evaluate(config: Config) -> float:
        return float(objective(torch.tensor([[config[k] for k in space.names]], dtype=torch.float64))[0])

    dists = {name: optuna.distributions.FloatDistribution(0.0, 1.0) for name in space.names}
    return Problem(space, dists, configs, objective(X).tolist(), evaluate)


def mixed_problem(d: int, n: int) -> Problem:
    """:func:`mixed_space`, :func:`mixed_objective`, n scrambled Sobol points of the parameters' unit cube."""
    import optuna

    space = mixed_space(d)
    configs = space.from_unit(_data(d, n))
    dists: dict[str, Any] = {}
    for name, param in space.items():
        if isinstance(param, Categorical):
            dists[name] = optuna.distributions.CategoricalDistribution(param.choices)
        elif isinstance(param, Int):
            dists[name] = optuna.distributions.IntDistribution(param.low, param.high, log=param.log)
        else:
            dists[name] = optuna.distributions.FloatDistribution(param.low, param.high, log=param.log)
    evaluate = partial(mixed_objective, space)
    return Problem(space, dists, configs, [evaluate(c) for c in configs], evaluate)


def time_bohpo(
    problem: Problem,
    reps: int,
    *,
    tpe: dict[str, Any] | None = None,
    gp: dict[str, Any] | None = None,
    optimizer: dict[str, Any] | None = None,
) -> list[float]:
    """bohpo's default GP-LogEI (with ``gp`` options, on ``GP(**gp)``; with ``optimizer`` options, maximised by
    ``MultiStartOptimizer(**optimizer)``), or with ``tpe`` options its TPE with EI."""
    space = problem.space
    if optimizer is not None:
        proposer = Proposer(space, optimizer=MultiStartOptimizer(**optimizer))
        searcher = BayesianOptimizer(space, seed=0, proposer=proposer)
    elif tpe is None:
        searcher = BayesianOptimizer(space, seed=0, surrogate=None if gp is None else GP(**gp))
    else:
        searcher = BayesianOptimizer(space, surrogate=TPE(**tpe), acquisition=ExpectedImprovement, seed=0)
    for config, value in zip(problem.configs, problem.values, strict=True):
        searcher.tell(config, value)
    times = []
    for _ in range(reps + 1):
        start = time.perf_counter()
        trial = searcher.ask()
        elapsed = time.perf_counter() - start
        searcher.tell(trial, problem.evaluate(trial.params))
        times.append(elapsed)
    return times


def time_optuna(problem: Problem, reps: int, *, tpe: dict[str, Any] | None = None) -> list[float]:
    """Optuna's GPSampler, or with ``tpe`` options its TPESampler."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = problem.distributions
    sampler = optuna.samplers.GPSampler(seed=0) if tpe is None else optuna.samplers.TPESampler(seed=0, **tpe)
    study = optuna.create_study(sampler=sampler)
    for config, value in zip(problem.configs, problem.values, strict=True):
        study.add_trial(optuna.trial.create_trial(params=dict(config), distributions=dists, value=value))
    times = []
    for _ in range(reps + 1):
        start = time.perf_counter()
        trial = study.ask(dists)
        elapsed = time.perf_counter() - start
        study.tell(trial, problem.evaluate(trial.params))
        times.append(elapsed)
    return times


def time_botorch(problem: Problem, reps: int) -> list[float]:
    from botorch.acquisition import LogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood

    names = problem.space.names
    X = torch.tensor([[c[k] for k in names] for c in problem.configs], dtype=torch.float64)
    y = objective(X)
    d = len(names)
    bounds = torch.stack([torch.zeros(d), torch.ones(d)]).double()
    times = []
    for _ in range(reps + 1):
        start = time.perf_counter()
        model = SingleTaskGP(X, -y.unsqueeze(-1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        acquisition = LogExpectedImprovement(model, best_f=(-y).max())
        candidate, _ = optimize_acqf(acquisition, bounds=bounds, q=1, num_restarts=10, raw_samples=512)
        elapsed = time.perf_counter() - start
        X, y = torch.cat([X, candidate]), torch.cat([y, objective(candidate)])
        times.append(elapsed)
    return times


PEERS: dict[str, Callable[[Problem, int], list[float]]] = {
    "bohpo": time_bohpo,
    "optuna": time_optuna,
    "botorch": time_botorch,
    # the default's GP fitted from the last fit's hyperparameters only (the default before restarts from the priors)
    "bohpo-warm-only": partial(time_bohpo, gp={"output_transform": "yeo-johnson", "restart_from_prior": False}),
    # the acquisition optimizer's restarts refined by an L-BFGS-B run each (benchmarks/results/traps/refine.md)
    "bohpo-each": partial(time_bohpo, optimizer={"refine": "each"}),
    "bohpo-tpe": partial(time_bohpo, tpe={"multivariate": True}),
    "bohpo-tpe-univariate": partial(time_bohpo, tpe={"multivariate": False}),
    "optuna-tpe": partial(time_optuna, tpe={"multivariate": True}),
    "optuna-tpe-univariate": partial(time_optuna, tpe={"multivariate": False}),
}
CONTINUOUS_ONLY = ("botorch",)  # peers without categoricals
SPACES: dict[str, Callable[[int, int], Problem]] = {"continuous": continuous_problem, "mixed": mixed_problem}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", choices=tuple(SPACES), default="continuous")
    parser.add_argument("--dims", default="2,6,10,20")
    parser.add_argument("--sizes", default="25,50,100,200,400,800")
    parser.add_argument("--reps", type=int, default=3, help="timed suggestions per cell (after one untimed)")
    parser.add_argument("--peers", help="default: bohpo,optuna,botorch; bohpo,optuna with --space mixed")
    parser.add_argument("--pairs", default="", help="A:B,...: the ratios reported (default: bohpo / each other peer)")
    parser.add_argument("--first-ask", action="store_true", help="also report each peer's first (untimed) ask")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    dims = [int(v) for v in args.dims.split(",")]
    sizes = [int(v) for v in args.sizes.split(",")]
    default_peers = ["bohpo", "optuna"] + (["botorch"] if args.space == "continuous" else [])
    peers = args.peers.split(",") if args.peers else default_peers
    for peer in peers:
        if peer not in PEERS:
            parser.error(f"unknown peer {peer!r}; known: {', '.join(PEERS)}")
        if args.space != "continuous" and peer in CONTINUOUS_ONLY:
            parser.error(
                f"peer {peer!r} times continuous spaces only; leave it out of --peers with --space {args.space}"
            )
    if args.pairs:
        pairs = [tuple(pair.split(":", 1)) for pair in args.pairs.split(",")]
    else:
        pairs = [("bohpo", p) for p in peers if p != "bohpo" and "bohpo" in peers]
    for pair in pairs:
        if len(pair) != 2 or not all(p in peers for p in pair):
            parser.error(f"--pairs takes A:B items of peers being timed, got {':'.join(pair)!r}")
    firsts = [f"{p}, first ask" for p in peers] if args.first_ask else []
    columns = peers + [f"{a} / {b}" for a, b in pairs] + firsts
    lines = [
        "Median seconds per suggestion (one thread), and the ratios A / B of the pairs compared."
        + (
            " The first ask of each peer, after the n observations are told, is not in the median; it is given "
            "alone, in seconds (its GP fitted with no earlier fit to start from; later asks start from the last one)."
            if args.first_ask
            else ""
        ),
        "",
        "| d | n | " + " | ".join(columns) + " |",
        "| ---: | ---: | " + " | ".join("---:" for _ in columns) + " |",
    ]
    if args.space != "continuous":
        spaces = "; ".join(f"d = {d}: {_describe(mixed_space(d))}" for d in dims)
        lines[:0] = [f"Spaces: {spaces}.", ""]
    print("\n".join(lines), flush=True)
    for d in dims:
        for n in sizes:
            problem = SPACES[args.space](d, n)
            times = {peer: PEERS[peer](problem, args.reps) for peer in peers}  # the first ask, then the timed ones
            medians = {peer: statistics.median(times[peer][1:]) for peer in peers}
            cells = [f"{medians[p]:.3f}" for p in peers] + [f"{medians[a] / medians[b]:.2f}" for a, b in pairs]
            cells += [f"{times[p][0]:.2f}" for p in peers] if args.first_ask else []
            line = f"| {d} | {n} | " + " | ".join(cells) + " |"
            lines.append(line)
            print(line, flush=True)
    if args.out is not None:
        command = "python benchmarks/overhead.py " + " ".join(sys.argv[1:] if argv is None else argv)
        title = "Overhead per suggestion" + ("" if args.space == "continuous" else f", {args.space} spaces")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"# {title}\n\nProduced by `{command}`.\n\n" + "\n".join(lines) + "\n")
    return 0


def _describe(space: Space) -> str:
    """The parameters of a space, in short: ``x0, x1 float; n0 int (log); c0 categorical (3)``."""
    parts = []
    for name, param in space.items():
        if isinstance(param, Categorical):
            parts.append(f"{name} categorical ({param.width})")
        elif isinstance(param, Int):
            parts.append(f"{name} int {param.low}..{param.high}" + (" (log)" if param.log else ""))
        else:
            parts.append(f"{name} float")
    return ", ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
