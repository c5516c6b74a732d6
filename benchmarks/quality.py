"""Sample efficiency: bohpo's GP-LogEI and TPE against Optuna's GPSampler and TPESampler, the canonical BoTorch
loop and random search.

Every method runs on every problem for every seed with the same budget; the report gives the mean log10 regret
(best value so far minus the known optimum) at several budgets with standard errors, and the mean *normalised*
regret: final regret divided by random search's median final regret on that problem, averaged over seeds and then
problems (below 1 beats random search; lower is better). Real objectives (scikit-learn models scored by
cross-validation) have no known optimum: their regret is measured from the best value any run found, and their rows
give the mean best cross-validated loss instead of a log regret.

TPE: bohpo's ``BayesianOptimizer(space, surrogate=TPE(multivariate=...), acquisition=ExpectedImprovement)`` against
Optuna's ``TPESampler(multivariate=...)`` (Optuna 5's default is multivariate), both with their defaults otherwise.
With ``--pairs A:B``, each problem also gets a two-sided Mann–Whitney test of A's final regrets against B's.

The BoTorch loop is the canonical one: a Sobol initial design of the same size as bohpo's, then ``SingleTaskGP`` (its
defaults) + ``fit_gpytorch_mll`` + ``LogExpectedImprovement`` + ``optimize_acqf`` (10 restarts, 512 raw samples) on
the encoded unit cube, the candidate rounded onto the space's lattice before evaluation. Optuna's GPSampler runs
with its defaults (seeded), on the same space declared through Optuna's distributions.

``--problems`` takes problem names and group names, comma-separated: ``standard`` (the default: the smooth synthetic
problems and three real models; ``all`` in the results recorded before the traps existed means these), ``traps``
(a flat penalty region, flag plateaus, exact ties, an optimum on the boundary, shifted categories, and the real models
that show them), ``conditional`` (tree-structured spaces: Jenatton et al.'s tree, a model-family choice, an MLP's
depth) and ``all``. On a conditional problem Optuna's samplers run define-by-run (``optuna-tpe-group`` with
``group=True``), and the ``-flat`` methods run bohpo's searchers on the space with its conditions dropped.

    python benchmarks/quality.py --seeds 10 --budget 60 --workers 2 --out benchmarks/results/quality.md
    python benchmarks/quality.py --seeds 10 --budget 60 --problems traps --methods bohpo,optuna,botorch,random \
        --out benchmarks/results/traps_quality.md
    python benchmarks/quality.py --seeds 10 --budget 60 --methods bohpo,bohpo-flat,bohpo-tpe,bohpo-tpe-flat,\
        optuna-tpe-group,optuna-tpe,optuna,random --problems conditional --out benchmarks/results/conditional.md
    python benchmarks/quality.py --seeds 10 --budget 100 --methods bohpo-tpe,bohpo-tpe-univariate,optuna-tpe,\
        optuna-tpe-univariate,random --problems standard --pairs bohpo-tpe:optuna-tpe,\
        bohpo-tpe-univariate:optuna-tpe-univariate --out benchmarks/results/tpe_quality.md
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import torch
from scipy.stats import mannwhitneyu

from bohpo import BayesianOptimizer, Categorical, Float, Int, RandomSearch, Space, make_searcher, minimize
from bohpo.acquisition import (
    ExpectedImprovement,
    ModelOnly,
    MultiStartOptimizer,
    Proposer,
    SobolDesign,
    TieStagnation,
)
from bohpo.problems import ObjectiveProblem, Problem, make_problem
from bohpo.surrogates import GP, TPE

PROBLEMS: dict[str, Callable[[], Problem]] = {
    "branin": lambda: make_problem("branin"),
    "hartmann6": lambda: make_problem("hartmann6"),
    "ackley-5": lambda: make_problem("ackley", dim=5),
    "levy-8": lambda: make_problem("levy", dim=8),
    "rosenbrock-4": lambda: make_problem("rosenbrock", dim=4),
    "styblinski-tang-8": lambda: make_problem("styblinski-tang", dim=8),
    "mixed-branin": lambda: make_problem("mixed-branin"),
    # real objectives: cross-validated losses, mixed float / int / categorical spaces
    "svm-wine": lambda: make_problem("svm-wine"),
    "knn-breast-cancer": lambda: make_problem("knn-breast-cancer"),
    "decision-tree-diabetes": lambda: make_problem("decision-tree-diabetes"),
    # traps: a flat penalty region, flag plateaus, exact ties, an optimum on the boundary, shifted categories
    "schwefel-5": lambda: make_problem("schwefel", dim=5),
    "flag-plateau": lambda: make_problem("flag-plateau"),
    "step-6": lambda: make_problem("step-function"),
    "boundary-4": lambda: make_problem("boundary", dim=4),
    "categorical-offsets": lambda: make_problem("categorical-offsets"),
    "linear-flags-breast-cancer": lambda: make_problem("linear-flags-breast-cancer"),
    "linear-flags-wine": lambda: make_problem("linear-flags-wine"),
    "linear-flags-iris": lambda: make_problem("linear-flags-iris"),
    # conditional (tree-structured) spaces
    "jenatton": lambda: make_problem("jenatton"),
    "model-selection-wine": lambda: make_problem("model-selection-wine"),
    "mlp-depth-wine": lambda: make_problem("mlp-depth-wine"),
    # the same trees on another dataset: fresh problems for what was measured on the ones above
    "model-selection-breast-cancer": lambda: make_problem("model-selection-breast-cancer"),
    "mlp-depth-breast-cancer": lambda: make_problem("mlp-depth-breast-cancer"),
}
SYNTHETIC = ("branin", "hartmann6", "ackley-5", "levy-8", "rosenbrock-4", "styblinski-tang-8", "mixed-branin")
GROUPS: dict[str, tuple[str, ...]] = {
    "standard": (*SYNTHETIC, "svm-wine", "knn-breast-cancer", "decision-tree-diabetes"),
    # plateaus, ties, categories and boundaries, with the real models that show them: a decision tree's and a
    # k-NN's tied CV losses, an SVM's kernel choice, a linear model's three flags
    "traps": (
        "schwefel-5",
        "flag-plateau",
        "step-6",
        "boundary-4",
        "categorical-offsets",
        "mixed-branin",
        "linear-flags-breast-cancer",
        "decision-tree-diabetes",
        "knn-breast-cancer",
        "svm-wine",
    ),
    "conditional": ("jenatton", "model-selection-wine", "mlp-depth-wine"),
    "all": tuple(PROBLEMS),
}
CHECKPOINTS = (20, 40, 60, 100, 250, 500)


def _values_bohpo(problem: Problem, seed: int, budget: int, **gp_options: Any) -> list[float]:
    """bohpo's GP-LogEI; with ``gp_options``, on ``GP(**gp_options)`` instead of the default surrogate."""
    surrogate = GP(**gp_options) if gp_options else None
    searcher = minimize(
        problem, problem.space, BayesianOptimizer(problem.space, seed=seed, surrogate=surrogate), budget
    )
    return [t.value for t in searcher.history if t.value is not None]


def _values_bohpo_each(problem: Problem, seed: int, budget: int) -> list[float]:
    """bohpo's default GP, its acquisition optimizer refining each restart by its own L-BFGS-B run."""
    proposer = Proposer(problem.space, optimizer=MultiStartOptimizer(refine="each"))
    searcher = minimize(problem, problem.space, BayesianOptimizer(problem.space, seed=seed, proposer=proposer), budget)
    return [t.value for t in searcher.history if t.value is not None]


def _values_bohpo_policy(problem: Problem, seed: int, budget: int, *, policy: str) -> list[float]:
    """bohpo's default GP with another exploration policy: ``model-only`` (every point from the model) or
    ``ties-near`` (:class:`TieStagnation` counting near ties, within 1e-3 of median - best, as ties)."""
    policies = {"model-only": ModelOnly, "ties-near": lambda: TieStagnation(tolerance=1e-3)}
    exploration = policies[policy]()
    proposer = Proposer(problem.space, exploration=exploration)
    searcher = minimize(problem, problem.space, BayesianOptimizer(problem.space, seed=seed, proposer=proposer), budget)
    return [t.value for t in searcher.history if t.value is not None]


class _SobolInDeclaredOrder:
    """The Sobol design with the parameters in the space's declared order (the default before categoricals took the
    sequence's leading dimensions): a design that is never bound to the space."""

    def __call__(self, n: int, d: int, *, seed: int, start: int) -> torch.Tensor:
        return SobolDesign()(n, d, seed=seed, start=start)


def _values_bohpo_declared_order(problem: Problem, seed: int, budget: int) -> list[float]:
    """bohpo's default GP, its initial design's dimensions in the space's declared order."""
    proposer = Proposer(problem.space, design=_SobolInDeclaredOrder())
    searcher = minimize(problem, problem.space, BayesianOptimizer(problem.space, seed=seed, proposer=proposer), budget)
    return [t.value for t in searcher.history if t.value is not None]


def flattened(problem: Problem) -> Problem:
    """``problem`` on its space without the conditions: every parameter is always searched, and the objective is
    given the active ones only (what a user without conditional spaces would write)."""
    space = problem.space
    flat = Space(dict(space.items()))
    return ObjectiveProblem(
        lambda params: problem({k: params[k] for k in space.active_names(params)}),
        flat,
        optimum=problem.optimum,
        name=f"{problem.name}-flattened",
    )


def _values_flattened(problem: Problem, seed: int, budget: int, *, method: str) -> list[float]:
    """``method``'s values on :func:`flattened` ``problem``."""
    return METHODS[method](flattened(problem), seed, budget)


def _values_searcher(problem: Problem, seed: int, budget: int, *, name: str) -> list[float]:
    """The registered searcher ``name`` (``bohpo.make_searcher``) with its defaults."""
    searcher = minimize(problem, problem.space, make_searcher(name, problem.space, seed=seed), budget)
    return [t.value for t in searcher.history if t.value is not None]


def _values_random(problem: Problem, seed: int, budget: int) -> list[float]:
    searcher = minimize(problem, problem.space, RandomSearch(problem.space, seed=seed), budget)
    return [t.value for t in searcher.history if t.value is not None]


def _values_bohpo_tpe(problem: Problem, seed: int, budget: int, *, multivariate: bool) -> list[float]:
    searcher = BayesianOptimizer(
        problem.space, surrogate=TPE(multivariate=multivariate), acquisition=ExpectedImprovement, seed=seed
    )
    minimize(problem, problem.space, searcher, budget)
    return [t.value for t in searcher.history if t.value is not None]


def _values_optuna(problem: Problem, seed: int, budget: int, sampler: str = "gp", **options: Any) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        params: dict[str, Any] = {}
        for name, p in problem.space.items():
            if not problem.space.is_active(name, params):  # a tree, define-by-run: its active parameters only
                continue
            if isinstance(p, Float):
                params[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
            elif isinstance(p, Int):
                params[name] = trial.suggest_int(name, p.low, p.high, log=p.log)
            elif isinstance(p, Categorical):
                params[name] = trial.suggest_categorical(name, list(p.choices))
        return problem(params)

    samplers = {
        "gp": optuna.samplers.GPSampler, "tpe": optuna.samplers.TPESampler,
        "cmaes": optuna.samplers.CmaEsSampler, "nsga2": optuna.samplers.NSGAIISampler,
    }  # fmt: skip
    study = optuna.create_study(sampler=samplers[sampler](seed=seed, **options))
    study.optimize(objective, n_trials=budget)
    return [t.value for t in study.trials if t.value is not None]


def _values_botorch(problem: Problem, seed: int, budget: int) -> list[float]:
    from botorch.acquisition import LogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood

    space = problem.space
    n_initial = BayesianOptimizer(space).n_initial
    configs = space.sobol(n_initial, seed=seed)
    values = [problem(c) for c in configs]
    X = space.encode(configs)
    bounds = torch.stack([torch.zeros(space.dim), torch.ones(space.dim)]).double()
    while len(values) < budget:
        y = -torch.tensor(values, dtype=torch.float64).unsqueeze(-1)
        model = SingleTaskGP(X, y)
        with contextlib.suppress(Exception):  # the canonical loop keeps the prior-mode values when fitting fails
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        acquisition = LogExpectedImprovement(model, best_f=y.max())
        candidate, _ = optimize_acqf(acquisition, bounds=bounds, q=1, num_restarts=10, raw_samples=512)
        x = space.snap(candidate)
        X = torch.cat([X, x])
        values.append(problem(space.decode(x)[0]))
    return values


METHODS: dict[str, Callable[[Problem, int, int], list[float]]] = {
    "bohpo": _values_bohpo,  # the default: Yeo-Johnson output transform
    # the HEBO options, each measured against the default
    "bohpo-plain": partial(_values_bohpo, output_transform=None),
    "bohpo-warp": partial(_values_bohpo, input_warping=True),
    "bohpo-yj-warp": partial(_values_bohpo, input_warping=True, output_transform="yeo-johnson"),
    # categoricals as categories: one capped lengthscale per categorical (the overlap kernel) against one-hot columns
    "bohpo-overlap": partial(_values_bohpo, output_transform="yeo-johnson", categories="overlap"),
    # lengthscales kept near the width of the box (Optuna's GPSampler prior) against the dimension-scaled log-normal
    "bohpo-box": partial(_values_bohpo, output_transform="yeo-johnson", lengthscale_prior="box"),
    # Yeo-Johnson on values standardised by median and interquartile range (huge failure values do not blind it)
    "bohpo-robust-yj": partial(_values_bohpo, output_transform="robust-yeo-johnson"),
    # every fit from the last fit's hyperparameters only (the default before fits were restarted from the priors)
    "bohpo-warm-only": partial(_values_bohpo, output_transform="yeo-johnson", restart_from_prior=False),
    # the acquisition optimizer's restarts refined by an L-BFGS-B run each, not one run on their stacked vector
    # (benchmarks/results/traps/refine.md)
    "bohpo-each": _values_bohpo_each,
    # exploration policies of the BO step: the model alone, and space-filling points on near ties as well
    "bohpo-model-only": partial(_values_bohpo_policy, policy="model-only"),
    "bohpo-ties-near": partial(_values_bohpo_policy, policy="ties-near"),
    # the initial design's categoricals in the space's declared dimensions, not the sequence's leading ones
    "bohpo-declared-order": _values_bohpo_declared_order,
    "bohpo-tpe": partial(_values_bohpo_tpe, multivariate=True),
    "bohpo-tpe-univariate": partial(_values_bohpo_tpe, multivariate=False),
    # the GP on a conditional space reading an inactive parameter's placeholder as a value (before the arcs)
    "bohpo-placeholder": partial(_values_bohpo, output_transform="yeo-johnson", inactive="placeholder"),
    # searchers on a conditional problem with its conditions dropped (every parameter always searched)
    "bohpo-flat": partial(_values_flattened, method="bohpo"),
    "bohpo-tpe-flat": partial(_values_flattened, method="bohpo-tpe"),
    "optuna": _values_optuna,
    "optuna-tpe": partial(_values_optuna, sampler="tpe", multivariate=True),
    # Optuna's TPE on trees: multivariate within each group of parameters that appear together
    "optuna-tpe-group": partial(_values_optuna, sampler="tpe", multivariate=True, group=True),
    "optuna-tpe-univariate": partial(_values_optuna, sampler="tpe", multivariate=False),
    "botorch": _values_botorch,
    # evolutionary search: bohpo's CMA-ES (IPOP) and genetic algorithm, Optuna's CmaEsSampler and NSGA-II sampler
    "cmaes": partial(_values_searcher, name="cmaes"),
    "genetic": partial(_values_searcher, name="genetic"),
    "optuna-cmaes": partial(_values_optuna, sampler="cmaes"),
    "optuna-nsga2": partial(_values_optuna, sampler="nsga2"),
    "random": _values_random,
}


def problem_named(name: str) -> Problem:
    """The problem of :data:`PROBLEMS` called ``name``, or any other ``bohpo.problems.make_problem`` takes."""
    return PROBLEMS[name]() if name in PROBLEMS else make_problem(name)


def run_one(method: str, problem_name: str, seed: int, budget: int) -> dict[str, Any]:
    """One run: the values in evaluation order, and the seconds it took (single thread)."""
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    problem = problem_named(problem_name)
    start = time.perf_counter()
    values = METHODS[method](problem, seed, budget)
    return {
        "method": method,
        "problem": problem_name,
        "seed": seed,
        "values": values[:budget],
        "optimum": problem.optimum,
        "seconds": time.perf_counter() - start,
    }


def _reference(runs: list[dict[str, Any]], problem: str) -> float:
    """The value regret is measured from: the known optimum, else the best value any run found."""
    mine = [r for r in runs if r["problem"] == problem]
    if mine[0]["optimum"] is not None:
        return float(mine[0]["optimum"])
    return min(min(r["values"]) for r in mine)


def _regret_at(run: dict[str, Any], n: int, reference: float) -> float:
    best = min(run["values"][:n])
    return max(best - reference, 1e-12)


def _seed_range(seeds: list[int]) -> str:
    return f"seeds {seeds[0]}..{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else f"seeds {seeds}"


def _mean_se(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0)


def report(
    runs: list[dict[str, Any]], *, budget: int, order: list[str] | None = None, pairs: list[tuple[str, str]] = ()
) -> str:
    """The markdown tables; ``order``: the methods in the order they are listed (default: ``METHODS``'s)."""
    methods = [m for m in (order or METHODS) if any(r["method"] == m for r in runs)]
    problems = [p for p in PROBLEMS if any(r["problem"] == p for r in runs)]
    problems += sorted({r["problem"] for r in runs} - set(problems))  # make_problem's names, after the suite's
    checkpoints = [c for c in CHECKPOINTS if c <= budget] or [budget]
    if checkpoints[-1] != budget:
        checkpoints.append(budget)
    seeds = sorted({r["seed"] for r in runs})
    by_key = {(r["method"], r["problem"], r["seed"]): r for r in runs}
    lines = [
        "Mean log10 regret (best so far - known optimum, floored at 1e-12) ± standard error over the seeds of each "
        f"method ({_seed_range(seeds)}), after {', '.join(map(str, checkpoints))} evaluations; for real objectives "
        "(no known optimum) the mean best cross-validated loss instead. Lower is better. Seconds per run were "
        "measured with two runs side by side on 2 cores; benchmarks/overhead.py measures speed properly.",
        "",
        "| problem | method | seeds | " + " | ".join(f"@{c}" for c in checkpoints) + " | seconds / run |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in checkpoints) + " | ---: |",
    ]
    normalised: dict[str, list[float]] = {m: [] for m in methods}
    above_random: dict[str, list[int]] = {m: [0, 0] for m in methods}  # runs worse than random's median, runs
    final: dict[tuple[str, str], list[float]] = {}
    for problem in problems:
        reference = _reference(runs, problem)
        known = next(r for r in runs if r["problem"] == problem)["optimum"] is not None
        random_runs = [by_key[("random", problem, s)] for s in seeds if ("random", problem, s) in by_key]
        random_final = [_regret_at(r, budget, reference) for r in random_runs]
        scale = statistics.median(random_final) if random_final else None
        for method in methods:
            mine = [by_key[(method, problem, s)] for s in seeds if (method, problem, s) in by_key]
            if not mine:  # a method not run on this problem
                continue
            cells = []
            for c in checkpoints:
                if known:
                    mean, se = _mean_se([math.log10(_regret_at(r, c, reference)) for r in mine])
                    cells.append(f"{mean:.2f} ± {se:.2f}")
                else:
                    mean, se = _mean_se([min(r["values"][:c]) for r in mine])
                    cells.append(f"{mean:.4f} ± {se:.4f}")
            seconds = statistics.fmean(r["seconds"] for r in mine)
            lines.append(f"| {problem} | {method} | {len(mine)} | " + " | ".join(cells) + f" | {seconds:.1f} |")
            final[(method, problem)] = [_regret_at(r, budget, reference) for r in mine]
            if scale is not None:
                above_random[method][0] += sum(x > scale for x in final[(method, problem)])
                above_random[method][1] += len(mine)
            if scale and scale > 1e-12:
                normalised[method].append(statistics.fmean(x / scale for x in final[(method, problem)]))
    lines += [
        "",
        f"Mean normalised regret after {budget} evaluations (each run's regret / random search's median on that "
        "problem; mean over seeds, then over problems; lower is better; a problem where random search's median "
        "already found the best value is left out), and how many runs end worse than random search's median final "
        "best on their problem (over every problem random search ran on):",
        "",
        "| method | mean normalised regret | problems | runs worse than random's median |",
        "| --- | ---: | ---: | ---: |",
    ]
    for method in methods:
        if normalised[method]:
            worse, total = above_random[method]
            lines.append(
                f"| {method} | {statistics.fmean(normalised[method]):.3f} | {len(normalised[method])} "
                f"| {worse} of {total} |"
            )
    for a, b in pairs:
        lines += [
            "",
            f"{a} against {b}: final regret per problem, median of each, and a two-sided Mann–Whitney p-value "
            "(p < 0.05 with the worse median marks a significant loss).",
            "",
            f"| problem | median {a} | median {b} | p | verdict |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for problem in problems:
            x, y = final.get((a, problem)), final.get((b, problem))
            if not x or not y:
                continue
            p = float(mannwhitneyu(x, y, alternative="two-sided").pvalue)
            mx, my = statistics.median(x), statistics.median(y)
            verdict = "level" if p >= 0.05 else (f"{a} better" if mx < my else f"{b} better")
            lines.append(f"| {problem} | {mx:.3g} | {my:.3g} | {p:.3f} | {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument(
        "--problems",
        default="standard",
        help=f"problems or groups of them, comma-separated; groups: {', '.join(GROUPS)} (default: standard, the "
        "problems before the traps were added)",
    )
    parser.add_argument("--methods", default="bohpo,optuna,botorch,random")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="markdown report; the raw runs go beside it as JSON, run by run")
    parser.add_argument(
        "--merge", nargs="*", default=[],
        help="also report the runs of these JSON files (a later file wins on the same method, problem and seed); "
        "PATH@OLD=NEW: only that file's runs of method OLD, as method NEW (a former default against a new one)",
    )  # fmt: skip
    parser.add_argument("--note", default="", help="a paragraph placed under the command in the report")
    parser.add_argument("--pairs", default="", help="A:B,C:D: methods compared problem by problem")
    args = parser.parse_args(argv)
    problems = list(dict.fromkeys(p for item in args.problems.split(",") for p in GROUPS.get(item, (item,))))
    methods = args.methods.split(",")
    pairs = [tuple(pair.split(":", 1)) for pair in args.pairs.split(",") if pair]
    for pair in pairs:
        if len(pair) != 2 or not all(m in METHODS for m in pair):
            parser.error(f"--pairs takes METHOD:METHOD items of known methods, got {':'.join(pair)!r}")
    for name in problems:
        if name not in PROBLEMS:
            try:
                problem_named(name)
            except ValueError:
                parser.error(
                    f"unknown problem {name!r}; known: {', '.join(PROBLEMS)}, the groups {', '.join(GROUPS)}, and "
                    "any name bohpo.problems.make_problem takes (such as michalewicz-5)"
                )
    for name in methods:
        if name not in METHODS:
            parser.error(f"unknown method {name!r}; known: {', '.join(METHODS)}")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(m, p, s, args.budget) for p in problems for s in seeds for m in methods]
    runs: list[dict[str, Any]] = []
    raw = args.out.with_suffix(".json") if args.out is not None else None
    if jobs and args.seeds > 0:
        # Fresh interpreters (spawn), not forks: a fork of a process whose torch thread pool is running can hang.
        with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for i, run in enumerate(pool.map(run_one, *zip(*jobs, strict=True))):
                runs.append(run)
                print(f"[{i + 1}/{len(jobs)}] {run['problem']} {run['method']} seed {run['seed']}: "
                      f"{run['seconds']:.1f} s", file=sys.stderr, flush=True)  # fmt: skip
                if raw is not None:  # saved as it goes: an interrupted run still leaves its results
                    raw.parent.mkdir(parents=True, exist_ok=True)
                    raw.write_text(json.dumps(runs))
    merged: dict[tuple[str, str, int], dict[str, Any]] = {}
    for item in args.merge:  # a later file wins on the same (method, problem, seed); this call's runs win over all
        path, _, rename = item.partition("@")
        old, _, new = rename.partition("=")
        if rename and not (old and new):
            parser.error(f"--merge takes PATH or PATH@OLD=NEW, got {item!r}")
        for r in json.loads(Path(path).read_text()):
            if rename and r["method"] != old:
                continue
            r = r | {"method": new} if rename else r
            merged[(r["method"], r["problem"], r["seed"])] = r
    mine = {(r["method"], r["problem"], r["seed"]) for r in runs}
    runs += [r for key, r in merged.items() if key not in mine]
    text = report(runs, budget=args.budget, pairs=pairs)  # type: ignore[arg-type]
    print(text)
    if args.out is not None:
        words = list(sys.argv[1:] if argv is None else argv)
        if "--note" in words:  # the note is printed under the command, not inside it
            del words[words.index("--note") : words.index("--note") + 2]
        command = "python benchmarks/quality.py " + " ".join(words) + (' --note "..."' if args.note else "")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        note = f"{args.note}\n\n" if args.note else ""
        args.out.write_text(f"# Sample efficiency\n\nProduced by `{command}`.\n\n{note}{text}\n")
        if runs and raw is not None:
            raw.write_text(json.dumps(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
