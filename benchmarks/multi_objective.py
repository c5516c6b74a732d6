"""Multi-objective and constrained optimization: hypervolume regret of bohpo's searchers and Optuna's samplers.

Each run evaluates one problem of ``bohpo.problems.multi_objective`` ``--budget`` times with one method and seed, and
keeps every outcome (objective and constraint values, in evaluation order). The report gives, after 20, 40, ...
evaluations, the hypervolume regret of the feasible trials found so far: the hypervolume of the true front
(``max_hypervolume``, BoTorch's) less theirs, as log10 (floored at 1e-12) for the test functions; for the real
problems, whose fronts are unknown, the regret against the largest hypervolume any run reached. Then the mean
normalised regret (each run's final regret over random search's median on the problem) and Mann–Whitney tests of
chosen pairs.

Methods at their defaults, seeded:
    bohpo-gp       BayesianOptimizer: a GP per objective and constraint, exact LogEHVI x probability of feasibility
    bohpo-tpe      BayesianOptimizer(surrogate=TPE()): the good group by feasibility and Pareto front, a front cut
                   by hypervolume subset selection
    bohpo-genetic  GeneticAlgorithm: NSGA-II's order (feasibility, front, crowding) for its population
    random         RandomSearch
    optuna-gp      GPSampler (LogEHVI for several objectives; constraints_func)
    optuna-tpe     TPESampler (MOTPE for several objectives; constraints_func)
    optuna-nsga2   NSGAIISampler (population 50; constraints_func)

Variants measured against the defaults: bohpo-gp-front (the reference point from the front's worst values: the
default since reference_point_refined.md, so runs before that differ from bohpo-gp), bohpo-gp-observed (from every
feasible point's worst values, the default before),
bohpo-gp-qlognehvi (BoTorch's qLogNEHVI on the same GPs), bohpo-gp-yeo-johnson (every output through Yeo-Johnson,
the default before output_scale.md), bohpo-gp-box-prior (the objectives' GPs under the box lengthscale prior,
box_prior.md), bohpo-tpe-univariate (TPE(multivariate=False)).

    python benchmarks/multi_objective.py --seeds 10 --budget 60 --out benchmarks/results/multi_objective/mo.md

``--ask-seconds N`` instead times the asks of bohpo-gp and optuna-gp after N evaluations of each problem (random
trials told, then 5 timed asks, one thread), the cost target of a model-based ask.
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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import torch
from scipy.stats import mannwhitneyu

from bohpo.acquisition import LogExpectedHypervolumeImprovement
from bohpo.objectives import hypervolume
from bohpo.problems.multi_objective import (
    MultiObjectiveProblem,
    Outcome,
    make_multi_objective_problem,
    multi_objective_problem_names,
)
from bohpo.searchers import BayesianOptimizer, GeneticAlgorithm, RandomSearch, Searcher
from bohpo.space import Categorical, Float, Int
from bohpo.surrogates import GP, TPE, IndependentOutputs

CHECKPOINTS = (20, 40, 60, 100, 200)
Record = dict[str, list[float]]  # {"values": [...], "constraints": [...]} of one evaluation (user's directions)


def _record(outcome: Outcome) -> Record:
    return {"values": list(outcome.values.values()), "constraints": list(outcome.constraints.values())}


def _bohpo(make: Callable[..., Searcher]) -> Callable[[MultiObjectiveProblem, int, int], list[Record]]:
    def run(problem: MultiObjectiveProblem, seed: int, budget: int) -> list[Record]:
        searcher = make(problem.space, seed=seed, **problem.searcher_options())
        records = []
        for _ in range(budget):
            trial = searcher.ask()
            outcome = problem(trial.params)
            searcher.tell(trial, list(outcome.values.values()), constraints=outcome.constraints or None)
            records.append(_record(outcome))
        return records

    return run


def _optuna_sampler(kind: str, seed: int, constrained: bool) -> Any:
    import optuna

    constraints: dict[str, Any] = {"constraints_func": _constraints} if constrained else {}
    if kind == "gp":
        return optuna.samplers.GPSampler(seed=seed, **constraints)
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, **constraints)
    if kind == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, **constraints)
    return optuna.samplers.RandomSampler(seed=seed)


def _constraints(trial: Any) -> list[float]:
    return list(trial.user_attrs["constraints"])


def _suggest(trial: Any, problem: MultiObjectiveProblem) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, p in problem.space.items():
        if isinstance(p, Float):
            params[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
        elif isinstance(p, Int):
            params[name] = trial.suggest_int(name, p.low, p.high, log=p.log)
        elif isinstance(p, Categorical):
            params[name] = trial.suggest_categorical(name, list(p.choices))
    return params


def _optuna(kind: str) -> Callable[[MultiObjectiveProblem, int, int], list[Record]]:
    def run(problem: MultiObjectiveProblem, seed: int, budget: int) -> list[Record]:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        constrained = bool(problem.objectives.constraints)
        sampler = _optuna_sampler(kind, seed, constrained)
        study = optuna.create_study(directions=list(problem.objectives.directions), sampler=sampler)
        records: list[Record] = []

        def objective(trial: Any) -> Any:
            outcome = problem(_suggest(trial, problem))
            trial.set_user_attr("constraints", list(outcome.constraints.values()))
            records.append(_record(outcome))
            values = list(outcome.values.values())
            return values[0] if len(values) == 1 else values

        study.optimize(objective, n_trials=budget)
        return records

    return run


class BoTorchLogNEHVI(torch.nn.Module):
    """BoTorch's ``qLogNoisyExpectedHypervolumeImprovement`` (q = 1, 128 quasi-Monte Carlo samples) on the BoTorch
    models of an :class:`~bohpo.surrogates.IndependentOutputs` (a ``ModelListGP`` of the outputs' ``SingleTaskGP``,
    each on its standardised, transformed scale), the constraints as BoTorch's sigmoid-relaxed callables and the
    reference point by bohpo's rule: the alternative to bohpo's closed-form LogEHVI that issue 17 asks to measure.
    For sequential asks only (a kriging believer's fantasies do not reach the BoTorch models)."""

    def __init__(self, model: IndependentOutputs) -> None:
        super().__init__()
        from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
        from botorch.acquisition.multi_objective.objective import WeightedMCMultiOutputObjective
        from botorch.models import ModelListGP
        from botorch.sampling import SobolQMCNormalSampler

        m, k = model.n_objectives, model.n_constraints
        gps = model.outputs
        z = torch.stack([gp._z for gp in gps], -1)  # (n, o) what each BoTorch model was fitted on
        # each output's 0 (feasibility) on its standardised scale
        zero = model.to_model_scale(torch.zeros(m + k, dtype=z.dtype))
        thresholds = [float((zero[m + i] - gps[m + i]._mu) / gps[m + i]._sigma) for i in range(k)]
        feasible = (
            (z[:, m:] <= torch.tensor(thresholds, dtype=z.dtype)).all(-1) if k else torch.ones(len(z), dtype=torch.bool)
        )
        objectives = z[:, :m]
        span = (objectives.max(0).values - objectives.min(0).values).clamp_min(1e-9)
        worst = (objectives[feasible] if feasible.any() else objectives).max(0).values
        reference = -(worst + 0.1 * span)  # BoTorch maximises -z
        self.acquisition = qLogNoisyExpectedHypervolumeImprovement(
            ModelListGP(*[gp.model for gp in gps]),
            ref_point=reference.tolist(),
            X_baseline=gps[0]._X,
            sampler=SobolQMCNormalSampler(torch.Size([128]), seed=0),
            objective=WeightedMCMultiOutputObjective(
                weights=-torch.ones(m, dtype=z.dtype), outcomes=list(range(m)), num_outcomes=m + k
            ),
            constraints=[lambda Z, i=i: Z[..., m + i] - thresholds[i] for i in range(k)] or None,
            prune_baseline=True,
            cache_root=False,
        )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """X (b, D) -> (b,)."""
        return self.acquisition(X.unsqueeze(-2))


def _objectives_box_prior(space: Any, **options: Any) -> IndependentOutputs:
    """The default IndependentOutputs with the objectives' GPs under the box lengthscale prior (Optuna's)."""
    m = len(options["objectives"]) if "objectives" in options else 1
    k = len(options.get("constraints") or [])
    model = IndependentOutputs(n_objectives=m, n_constraints=k)
    model.outputs[:m] = [GP(lengthscale_prior="box") for _ in range(m)]
    return model


METHODS: dict[str, Callable[[MultiObjectiveProblem, int, int], list[Record]]] = {
    "bohpo-gp": _bohpo(BayesianOptimizer),
    "bohpo-gp-front": _bohpo(
        lambda space, **kw: BayesianOptimizer(
            space, acquisition=partial(LogExpectedHypervolumeImprovement, reference="front"), **kw
        )
    ),
    "bohpo-gp-observed": _bohpo(
        lambda space, **kw: BayesianOptimizer(
            space, acquisition=partial(LogExpectedHypervolumeImprovement, reference="observed"), **kw
        )
    ),
    "bohpo-gp-qlognehvi": _bohpo(lambda space, **kw: BayesianOptimizer(space, acquisition=BoTorchLogNEHVI, **kw)),
    "bohpo-gp-yeo-johnson": _bohpo(
        lambda space, **kw: BayesianOptimizer(space, surrogate=GP(output_transform="yeo-johnson"), **kw)
    ),
    "bohpo-gp-box-prior": _bohpo(
        lambda space, **kw: BayesianOptimizer(space, surrogate=_objectives_box_prior(space, **kw), **kw)
    ),
    "bohpo-tpe": _bohpo(lambda space, **kw: BayesianOptimizer(space, surrogate=TPE(), **kw)),
    "bohpo-tpe-univariate": _bohpo(
        lambda space, **kw: BayesianOptimizer(space, surrogate=TPE(multivariate=False), **kw)
    ),
    "bohpo-genetic": _bohpo(GeneticAlgorithm),
    "random": _bohpo(RandomSearch),
    "optuna-gp": _optuna("gp"),
    "optuna-tpe": _optuna("tpe"),
    "optuna-nsga2": _optuna("nsga2"),
}


def run_one(method: str, problem_name: str, seed: int, budget: int) -> dict[str, Any]:
    """One run: every outcome in evaluation order, and the seconds it took (one thread)."""
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    problem = make_multi_objective_problem(problem_name)
    start = time.perf_counter()
    records = METHODS[method](problem, seed, budget)
    return {
        "method": method, "problem": problem_name, "seed": seed, "records": records[:budget],
        "seconds": time.perf_counter() - start,
    }  # fmt: skip


def hypervolume_after(problem: MultiObjectiveProblem, records: list[Record], n: int) -> float:
    """The hypervolume of the feasible outcomes among the first n, against the problem's reference point."""
    objectives = problem.objectives
    rows = [objectives.minimised(r["values"]) for r in records[:n] if all(c <= 0 for c in r["constraints"])]
    if not rows:
        return 0.0
    reference = torch.tensor(
        objectives.minimised([problem.reference[k] for k in objectives.names]), dtype=torch.float64
    )
    return hypervolume(torch.tensor(rows, dtype=torch.float64), reference)


def _mean_se(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0)


def report(runs: list[dict[str, Any]], *, budget: int, pairs: list[tuple[str, str]]) -> str:
    """The markdown tables."""
    methods = [m for m in METHODS if any(r["method"] == m for r in runs)]
    methods += sorted({r["method"] for r in runs} - set(methods))  # variants merged from other files
    names = [p for p in multi_objective_problem_names() if any(r["problem"] == p for r in runs)]
    checkpoints = [c for c in CHECKPOINTS if c < budget] + [budget]
    seeds = sorted({r["seed"] for r in runs})
    lines = [
        "Hypervolume regret (the true front's hypervolume less that of the feasible trials so far; log10, floored at "
        "1e-12, for the test functions; for the real problems, the largest hypervolume any run reached less theirs, "
        f"not logged) ± standard error over seeds {seeds[0]}..{seeds[-1]}, after "
        f"{', '.join(map(str, checkpoints))} evaluations. Lower is better. Seconds per run: two runs side by side on "
        "2 cores.",
        "",
        "| problem | method | seeds | " + " | ".join(f"@{c}" for c in checkpoints) + " | seconds / run |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in checkpoints) + " | ---: |",
    ]
    final: dict[tuple[str, str], list[float]] = {}
    normalised: dict[str, list[float]] = {m: [] for m in methods}
    for name in names:
        problem = make_multi_objective_problem(name)
        mine = [r for r in runs if r["problem"] == name]
        volumes = {
            (r["method"], r["seed"], c): hypervolume_after(problem, r["records"], c) for r in mine for c in checkpoints
        }
        known = problem.max_hypervolume is not None
        top = problem.max_hypervolume if known else max(volumes.values())

        def regret(method: str, seed: int, c: int) -> float:
            return max(top - volumes[(method, seed, c)], 1e-12)  # noqa: B023 (used within this iteration)

        random_final = [regret("random", r["seed"], budget) for r in mine if r["method"] == "random"]
        scale = statistics.median(random_final) if random_final else None
        for method in methods:
            seeds_run = sorted(r["seed"] for r in mine if r["method"] == method)
            if not seeds_run:
                continue
            cells = []
            for c in checkpoints:
                values = [regret(method, s, c) for s in seeds_run]
                mean, se = _mean_se([math.log10(v) for v in values] if known else values)
                cells.append(f"{mean:.2f} ± {se:.2f}" if known else f"{mean:.4f} ± {se:.4f}")
            seconds = statistics.fmean(r["seconds"] for r in mine if r["method"] == method)
            lines.append(f"| {name} | {method} | {len(seeds_run)} | " + " | ".join(cells) + f" | {seconds:.1f} |")
            final[(method, name)] = [regret(method, s, budget) for s in seeds_run]
            if scale and scale > 1e-12:
                normalised[method].append(statistics.fmean(x / scale for x in final[(method, name)]))
    lines += [
        "",
        f"Mean normalised hypervolume regret after {budget} evaluations (each run's regret / random search's median "
        "on that problem; mean over seeds, then over problems; lower is better):",
        "",
        "| method | mean normalised regret | problems |",
        "| --- | ---: | ---: |",
    ]
    lines += [
        f"| {m} | {statistics.fmean(normalised[m]):.3f} | {len(normalised[m])} |" for m in methods if normalised[m]
    ]
    for a, b in pairs:
        lines += [
            "",
            f"{a} against {b}: final hypervolume regret per problem, median of each, two-sided Mann–Whitney p.",
            "",
            f"| problem | median {a} | median {b} | p | verdict |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for name in names:
            x, y = final.get((a, name)), final.get((b, name))
            if not x or not y:
                continue
            p = float(mannwhitneyu(x, y, alternative="two-sided").pvalue)
            mx, my = statistics.median(x), statistics.median(y)
            verdict = "level" if p >= 0.05 else (f"{a} better" if mx < my else f"{b} better")
            lines.append(f"| {name} | {mx:.3g} | {my:.3g} | {p:.3f} | {verdict} |")
    return "\n".join(lines)


def ask_seconds(problem_name: str, n: int, reps: int = 5) -> dict[str, float]:
    """Median seconds of an ask of bohpo-gp and optuna-gp after n random trials of the problem (one thread)."""
    import optuna

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem = make_multi_objective_problem(problem_name)
    configs = problem.space.sample(n + reps, generator=torch.Generator().manual_seed(0))
    outcomes = [problem(c) for c in configs[:n]]
    searcher = BayesianOptimizer(problem.space, seed=0, **problem.searcher_options())
    for config, outcome in zip(configs, outcomes, strict=False):
        searcher.tell(config, list(outcome.values.values()), constraints=outcome.constraints or None)
    bohpo_times = []
    for _ in range(reps + 1):
        start = time.perf_counter()
        trial = searcher.ask()
        bohpo_times.append(time.perf_counter() - start)
        outcome = problem(trial.params)
        searcher.tell(trial, list(outcome.values.values()), constraints=outcome.constraints or None)
    constrained = bool(problem.objectives.constraints)
    study = optuna.create_study(
        directions=list(problem.objectives.directions), sampler=_optuna_sampler("gp", 0, constrained)
    )
    distributions = {
        name: optuna.distributions.FloatDistribution(p.low, p.high, log=p.log)
        if isinstance(p, Float)
        else optuna.distributions.IntDistribution(p.low, p.high, log=p.log)
        for name, p in problem.space.items()
    }
    for config, outcome in zip(configs, outcomes, strict=False):
        values = list(outcome.values.values())
        study.add_trial(
            optuna.trial.create_trial(
                params=dict(config), distributions=distributions, values=values,
                user_attrs={"constraints": list(outcome.constraints.values())},
                # what constraints_func records for a trial the sampler saw run (added trials skip that step)
                system_attrs={"constraints": list(outcome.constraints.values())} if constrained else {},
            )
        )  # fmt: skip
    optuna_times = []
    for _ in range(reps + 1):
        start = time.perf_counter()
        trial = study.ask(distributions)
        optuna_times.append(time.perf_counter() - start)
        outcome = problem(trial.params)
        trial.set_user_attr("constraints", list(outcome.constraints.values()))
        values = list(outcome.values.values())
        study.tell(trial, values[0] if len(values) == 1 else values)
    return {"bohpo-gp": statistics.median(bohpo_times[1:]), "optuna-gp": statistics.median(optuna_times[1:])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--problems", default=",".join(multi_objective_problem_names()))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="markdown report; the raw runs go beside it as JSON")
    parser.add_argument("--merge", nargs="*", default=[], help="also report the runs of these JSON files")
    parser.add_argument("--pairs", default="bohpo-gp:optuna-gp,bohpo-tpe:optuna-tpe,bohpo-genetic:optuna-nsga2")
    parser.add_argument("--note", default="", help="a paragraph placed under the command in the report")
    parser.add_argument("--ask-seconds", type=int, default=0, help="time asks after this many evaluations instead")
    args = parser.parse_args(argv)
    problems = args.problems.split(",")
    for name in problems:
        if name not in multi_objective_problem_names():
            parser.error(f"unknown problem {name!r}; known: {', '.join(multi_objective_problem_names())}")
    if args.ask_seconds:
        rows = ["| problem | n | bohpo-gp | optuna-gp | bohpo / optuna |", "| --- | ---: | ---: | ---: | ---: |"]
        for name in problems:
            t = ask_seconds(name, args.ask_seconds)
            rows.append(f"| {name} | {args.ask_seconds} | {t['bohpo-gp']:.3f} | {t['optuna-gp']:.3f} | "
                        f"{t['bohpo-gp'] / t['optuna-gp']:.2f} |")  # fmt: skip
            print(rows[-1], file=sys.stderr, flush=True)
        text = "Median seconds per ask (one thread), 5 timed asks after the evaluations.\n\n" + "\n".join(rows)
    else:
        methods = args.methods.split(",")
        for name in methods:
            if name not in METHODS:
                parser.error(f"unknown method {name!r}; known: {', '.join(METHODS)}")
        pairs = [tuple(p.split(":", 1)) for p in args.pairs.split(",") if p]
        seeds = range(args.first_seed, args.first_seed + args.seeds)
        jobs = [(m, p, s, args.budget) for p in problems for s in seeds for m in methods]
        runs: list[dict[str, Any]] = []
        raw = args.out.with_suffix(".json") if args.out is not None else None
        if jobs:
            with ProcessPoolExecutor(max_workers=args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                for i, run in enumerate(pool.map(run_one, *zip(*jobs, strict=True))):
                    runs.append(run)
                    print(f"[{i + 1}/{len(jobs)}] {run['problem']} {run['method']} seed {run['seed']}: "
                          f"{run['seconds']:.1f} s", file=sys.stderr, flush=True)  # fmt: skip
                    if raw is not None:
                        raw.parent.mkdir(parents=True, exist_ok=True)
                        raw.write_text(json.dumps(runs))
        merged = {
            (r["method"], r["problem"], r["seed"]): r for path in args.merge for r in json.loads(Path(path).read_text())
        }
        mine = {(r["method"], r["problem"], r["seed"]) for r in runs}
        runs += [r for key, r in merged.items() if key not in mine]
        if not runs:
            parser.error("no runs: give --seeds above 0, or --merge files with runs")
        text = report(runs, budget=args.budget, pairs=pairs)  # type: ignore[arg-type]
    print(text)
    if args.out is not None:
        words = list(sys.argv[1:] if argv is None else argv)
        if "--note" in words:
            del words[words.index("--note") : words.index("--note") + 2]
        command = "python benchmarks/multi_objective.py " + " ".join(words) + (' --note "..."' if args.note else "")
        note = f"{args.note}\n\n" if args.note else ""
        args.out.parent.mkdir(parents=True, exist_ok=True)
        title = "Cost per ask, multi-objective" if args.ask_seconds else "Multi-objective and constrained optimization"
        args.out.write_text(f"# {title}\n\nProduced by `{command}`.\n\n{note}{text}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
