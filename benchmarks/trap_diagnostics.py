"""Why the default GP stays behind on Hartmann6 and Levy-8: the acquisition maximiser, or the model?

Two diagnostics behind ``benchmarks/results/traps/variants_not_kept.md``:

``maximiser``: one run of the default ``BayesianOptimizer`` on Hartmann6 with an acquisition optimizer that, at every
model step, also maximises the same acquisition with a 32 times larger pool and 64 restarts (the same pool of Sobol
points and perturbed incumbents, from a fixed seed; without the default's warm start from the best point and its
steps scaled by the lengthscales), and reads it at the known global minimiser x*. It prints, per step, the log
expected improvement of the chosen point, of the larger search's point and of x*, their max-abs distances to x* in
the unit cube, and the posterior (mean, variance) at x* in the original units. If the larger search or x* scored
higher than the chosen point, the maximiser would be at fault; if x* scores far lower, the model is.

``priors``: the first ``n`` points of a default run on a problem, fitted by the GP under each lengthscale prior: the
fitted lengthscales, output scale and noise, and the log marginal likelihood (the data term) at each fit. It separates
what a prior does to one fit from what it does to the points a run goes on to choose.

``modes``: the first ``n`` points of a run whose GP was only ever warm-started (the default before
``restart_from_prior``), fitted warm along them as that run's GP was and fitted from the priors' modes: their log
posteriors show where a warm start alone stays in a worse mode (``benchmarks/results/traps/restart.md``).

``refine``: the acquisition optimizer's gradient refinement, each restart by its own L-BFGS-B run
(``refine="each"``, ``bohpo.acquisition.lbfgsb``) against one L-BFGS-B run on the restarts stacked into one vector,
the sum of their acquisitions as its loss (the default, as BoTorch's ``gen_candidates_scipy``): at every ask of default
runs on ``overhead.py``'s objective (four asks after n Sobol points, three problems per cell), both refine the same
starts of the same acquisition; it reports how often each ends with a higher acquisition than the other (by more than
0.01 in log EI), their mean gain over the best start, and their acquisition calls (``benchmarks/results/traps/
refine.md``).

``variants``: Levy-8 (or any ``quality.py`` problem) under one change to the default at a time:
    - ``no-incumbents``: the acquisition optimizer's pool without the perturbed incumbents and without the warm start
      from the best point (Sobol points only, as BoTorch's ``optimize_acqf`` starts);
    - ``noise-lognormal``: BoTorch's default noise prior, log-normal(-4, 1), instead of Gamma(1.1, 30);
    - ``box``: the box lengthscale prior (``GP(lengthscale_prior="box")``, Optuna's);
    - ``log-space-prior``: the dimension-scaled log-normal read as a normal density of log l, the coordinate the fit
      searches in (no Jacobian term: its mode is then its median, exp(sqrt(2) + log(D) / 2), not exp(sqrt(2) +
      log(D) / 2 - 3)), the first fit starting there;
    - ``short-penalty``: the dimension-scaled log-normal plus the short side of the box prior, -0.1 / l^2, which rules
      out lengthscales far below the spacing of the points (a kernel matrix that is nearly diagonal, noise in disguise)
      and leaves long ones to the log-normal;
    - ``default``: the default, for problems ``quality.py`` has no recorded runs of;
    - ``botorch``: the canonical BoTorch loop of ``quality.py``.
``--problem`` also takes any name ``bohpo.problems.make_problem`` knows (``michalewicz-5``, ``levy-4``...).
The runs are written as ``quality.py`` writes them (so ``quality.py --merge`` reports them).

    python benchmarks/trap_diagnostics.py maximiser --seed 0
    python benchmarks/trap_diagnostics.py priors --problem levy-8 --seed 0 --n 20
    python benchmarks/trap_diagnostics.py modes --problem levy-8 --seed 2 --n 20
    python benchmarks/trap_diagnostics.py refine --cells 2:25,4:30,6:40,10:30,20:60
    python benchmarks/trap_diagnostics.py variants --variant noise-lognormal --problem levy-8 --seeds 10 \
        --out /tmp/levy_noise.json

The variants noise-lognormal, log-space-prior and short-penalty patch the GP's private functions (``_gamma``,
``_lengthscale_log_prior``, ``_prior_mode``), ``refine`` the acquisition optimizer's ``_refine``: these are
measurements, not features, and break if those are renamed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from gpytorch.priors import GammaPrior, LogNormalPrior, Prior
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parent))

import overhead  # the benchmarks beside this file
import quality

from bohpo.acquisition import MultiStartOptimizer, Proposer
from bohpo.acquisition import optimize as optimize_module
from bohpo.loop import minimize
from bohpo.searchers import BayesianOptimizer
from bohpo.space import Space
from bohpo.surrogates import GP
from bohpo.surrogates import gp as gp_module

VARIANTS = ("no-incumbents", "noise-lognormal", "box", "log-space-prior", "short-penalty", "default", "botorch")


class _ProbeAtMinimiser(MultiStartOptimizer):
    """The default acquisition optimizer, printing what a larger search and the known minimiser score."""

    def __init__(self, minimiser: Tensor) -> None:
        super().__init__()
        self.minimiser = minimiser  # (D,) encoded

    def __call__(
        self, acquisition: Any, model: Any, *, space: Space, exclude: Tensor, incumbents: Tensor,
        generator: torch.Generator,
    ) -> Tensor:  # fmt: skip
        x = super().__call__(acquisition, model, space=space, exclude=exclude, incumbents=incumbents,
                             generator=generator)  # fmt: skip
        larger, larger_value = optimize_module.optimize_acquisition(
            acquisition, space, generator=torch.Generator().manual_seed(12345), exclude=exclude,
            incumbents=incumbents, n_raw=32 * self.n_raw, n_restarts=64, dtype=exclude.dtype,
        )  # fmt: skip
        star = self.minimiser.to(exclude)
        with torch.no_grad():
            chosen_value, star_value = float(acquisition(x[None])), float(acquisition(star[None]))
            mean, var = model.predict(star[None])
        print(
            f"n={exclude.shape[0]:3d}  chosen {chosen_value:8.3f}  larger search {float(larger_value):8.3f}  "
            f"at x* {star_value:8.3f}  |chosen - x*| {float((x - star).abs().max()):.2f}  "
            f"|larger - x*| {float((larger - star).abs().max()):.2f}  posterior at x* "
            f"({float(mean[0]):.3f}, {float(var[0]):.3f})",
            flush=True,
        )
        return x


def maximiser(seed: int, budget: int) -> None:
    problem = quality.PROBLEMS["hartmann6"]()
    space = problem.space
    star = space.encode([dict(zip(space, problem.minimizers[0].tolist(), strict=True))])[0]
    proposer = Proposer(space, optimizer=_ProbeAtMinimiser(star))
    searcher = minimize(problem, space, BayesianOptimizer(space, seed=seed, proposer=proposer), budget)
    best = min(t.value for t in searcher.history if t.value is not None)
    print(f"final regret {best - problem.optimum:.4f}")


def priors(problem_name: str, seed: int, n: int) -> None:
    problem = quality.PROBLEMS[problem_name]()
    space = problem.space
    history = minimize(problem, space, BayesianOptimizer(space, seed=seed), n).history
    X = space.encode([t.params for t in history])
    y = torch.tensor([t.value for t in history], dtype=torch.float64)
    for prior in ("dimension-scaled", "box"):
        gp = GP(output_transform="yeo-johnson", lengthscale_prior=prior).fit(X, y)
        log_posterior = -float(gp.negative_log_posterior(X, y)) * n
        log_prior = float(gp_module._log_prior(gp.model, (y - gp._mu) / gp._sigma, gp._blocks(X.shape[-1])))
        lengthscales = ", ".join(f"{v:.2f}" for v in gp.lengthscale.tolist())
        print(
            f"{problem_name} seed {seed} n={n} {prior:16s} lengthscales [{lengthscales}] output scale "
            f"{float(gp_module._outputscale(gp.model)):.2f} noise {float(gp.model.likelihood.noise):.1e} "
            f"log likelihood {log_posterior - log_prior:.1f}"
        )


def modes(problem_name: str, seed: int, n: int) -> None:
    """The first ``n`` points of a run with warm-started fits only (``GP(restart_from_prior=False)``, the default
    before restarts): the GP refitted warm along them, as that run's GP was, against one fitted from the priors' modes
    (what ``restart_from_prior`` adds), each with its log posterior (the loss ``fit`` minimises, times n)."""
    problem = quality.problem_named(problem_name)
    space = problem.space
    warm_only = BayesianOptimizer(
        space, seed=seed, surrogate=GP(output_transform="yeo-johnson", restart_from_prior=False)
    )  # fmt: skip
    history = minimize(problem, space, warm_only, n).history
    X = space.encode([t.params for t in history])
    y = torch.tensor([t.value for t in history], dtype=torch.float64)
    warm = GP(output_transform="yeo-johnson", restart_from_prior=False)
    for m in range(warm_only.n_initial, n + 1):
        warm.fit(X[:m], y[:m])
    cold = GP(output_transform="yeo-johnson", warm_start=False).fit(X, y)
    for name, gp in (("warm-started", warm), ("from the priors", cold)):
        lengthscales = ", ".join(f"{v:.2f}" for v in gp.lengthscale.tolist())
        log_posterior = -float(gp.negative_log_posterior(X, y)) * n
        print(
            f"{problem_name} seed {seed} n={n} {name:15s} log posterior {log_posterior:7.2f} "
            f"lengthscales [{lengthscales}] output scale {float(gp_module._outputscale(gp.model)):.2f} "
            f"noise {float(gp.model.likelihood.noise):.1e}"
        )


class _NoIncumbents(MultiStartOptimizer):
    """Sobol points only in the pool, no warm start from the best point."""

    def __call__(
        self, acquisition: Any, model: Any, *, space: Space, exclude: Tensor, incumbents: Tensor,
        generator: torch.Generator,
    ) -> Tensor:  # fmt: skip
        x, _ = optimize_module.optimize_acquisition(
            acquisition, space, generator=generator, exclude=exclude, n_raw=self.n_raw, n_restarts=self.n_restarts,
            scales=optimize_module._lengthscales(model, space.dim), dtype=exclude.dtype, device=exclude.device,
        )  # fmt: skip
        return x


def _use_lognormal_noise_prior() -> None:
    """Patch the GP so its noise variance has BoTorch's default prior, log-normal(-4, 1)."""
    gamma, build = gp_module._gamma, gp_module._build_model

    def log_prior(prior: Prior, x: Tensor) -> tuple[Tensor, Tensor]:
        if isinstance(prior, LogNormalPrior):
            return gp_module._log_normal(prior, x)
        assert isinstance(prior, GammaPrior)
        return gamma(prior, x)

    def build_with_lognormal_noise(*args: Any, **kwargs: Any) -> Any:
        model = build(*args, **kwargs)
        model.likelihood.noise_covar.register_prior("noise_prior", LogNormalPrior(-4.0, 1.0), "noise")
        return model

    gp_module._gamma = log_prior  # type: ignore[assignment]
    gp_module._build_model = build_with_lognormal_noise


def _use_log_space_lengthscale_prior() -> None:
    """Patch the GP so the log-normal lengthscale prior is a normal density of log l (the fit's coordinate)."""
    density, mode = gp_module._lengthscale_log_prior, gp_module._prior_mode

    def log_prior(prior: Prior, x: Tensor) -> tuple[Tensor, Tensor]:
        value, slope = density(prior, x)
        if isinstance(prior, LogNormalPrior):  # log N(log l) = log LN(l) + log l
            return value + x.log(), slope + 1 / x
        return value, slope

    def start(prior: Prior) -> float:
        if isinstance(prior, LogNormalPrior):
            return float(prior.loc.exp())
        return mode(prior)

    gp_module._lengthscale_log_prior = log_prior
    gp_module._prior_mode = start


def _use_short_lengthscale_penalty() -> None:
    """Patch the GP's log-normal lengthscale prior with the box prior's short side, -0.1 / l^2."""
    density = gp_module._lengthscale_log_prior

    def log_prior(prior: Prior, x: Tensor) -> tuple[Tensor, Tensor]:
        value, slope = density(prior, x)
        if isinstance(prior, LogNormalPrior):
            return value - 0.1 / x.square(), slope + 0.2 / x.pow(3)
        return value, slope

    gp_module._lengthscale_log_prior = log_prior


class _Counted(torch.nn.Module):
    """An acquisition that counts its calls."""

    def __init__(self, acquisition: torch.nn.Module) -> None:
        super().__init__()
        self.acquisition, self.calls = acquisition, 0

    def forward(self, X: Tensor) -> Tensor:
        self.calls += 1
        return self.acquisition(X)


def refine(cells: list[tuple[int, int]], problems: int, asks: int) -> None:
    """Per (d, n) cell: both refinements of the same starts at every ask of default runs (see the module docstring);
    the runs go on from the stacked run's point, the default's."""
    own_refine = optimize_module._refine
    print("| d | n | asks | own runs higher | stacked higher | gain over best start, own | stacked | calls, own | "
          "stacked |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")  # fmt: skip
    for d, n in cells:
        rows: list[tuple[float, float, float, int, int]] = []

        def both(
            acquisition: torch.nn.Module,
            space: Space,
            starts: Tensor,
            *,
            rows: list[tuple[float, float, float, int, int]] = rows,
            **options: Any,
        ) -> Tensor:
            own, stacked = _Counted(acquisition), _Counted(acquisition)
            refined = own_refine(own, space, starts, **{**options, "refine": "each"})
            other = own_refine(stacked, space, starts, **{**options, "refine": "stacked"})
            with torch.no_grad():
                best_start = float(acquisition(starts).max())
                rows.append((
                    best_start, max(float(acquisition(refined).max()), best_start),
                    max(float(acquisition(other).max()), best_start), own.calls, stacked.calls,
                ))  # fmt: skip
            return other

        optimize_module._refine = both
        try:
            for k in range(problems):
                problem = overhead.continuous_problem(d, n + k)
                searcher = BayesianOptimizer(problem.space, seed=0)
                for config, value in zip(problem.configs, problem.values, strict=True):
                    searcher.tell(config, value)
                for _ in range(asks):
                    trial = searcher.ask()
                    searcher.tell(trial, problem.evaluate(trial.params))
        finally:
            optimize_module._refine = own_refine
        own_higher = sum(r[1] > r[2] + 0.01 for r in rows)
        stacked_higher = sum(r[2] > r[1] + 0.01 for r in rows)
        gain_own = sum(r[1] - r[0] for r in rows) / len(rows)
        gain_stacked = sum(r[2] - r[0] for r in rows) / len(rows)
        calls_own = sum(r[3] for r in rows) / len(rows)
        calls_stacked = sum(r[4] for r in rows) / len(rows)
        print(f"| {d} | {n} | {len(rows)} | {own_higher} | {stacked_higher} | {gain_own:.3f} | {gain_stacked:.3f} | "
              f"{calls_own:.1f} | {calls_stacked:.1f} |", flush=True)  # fmt: skip


def variant_run(variant: str, problem_name: str, seed: int, budget: int) -> dict[str, Any]:
    problem = quality.problem_named(problem_name)
    start = time.perf_counter()
    if variant == "botorch":
        values = quality._values_botorch(problem, seed, budget)
    else:
        parts: dict[str, Any] = {}
        if variant == "no-incumbents":
            parts["optimizer"] = _NoIncumbents()
        elif variant == "box":
            parts["surrogate"] = GP(output_transform="yeo-johnson", lengthscale_prior="box")
        proposer = Proposer(problem.space, **parts)
        searcher = BayesianOptimizer(problem.space, seed=seed, proposer=proposer)
        values = [t.value for t in minimize(problem, problem.space, searcher, budget).history if t.value is not None]
    return {
        "method": "botorch" if variant == "botorch" else f"bohpo-{variant}",
        "problem": problem_name,
        "seed": seed,
        "values": values[:budget],
        "optimum": problem.optimum,
        "seconds": time.perf_counter() - start,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    probe = sub.add_parser("maximiser")
    probe.add_argument("--seed", type=int, default=0)
    probe.add_argument("--budget", type=int, default=60)
    fits = sub.add_parser("priors")
    fits.add_argument("--problem", default="levy-8", choices=sorted(quality.PROBLEMS))
    fits.add_argument("--seed", type=int, default=0)
    fits.add_argument("--n", type=int, default=20)
    starts = sub.add_parser("modes")
    starts.add_argument("--problem", default="levy-8")
    starts.add_argument("--seed", type=int, default=2)
    starts.add_argument("--n", type=int, default=20)
    both = sub.add_parser("refine")
    both.add_argument("--cells", default="2:25,4:30,6:40,10:30,20:60", help="d:n,...")
    both.add_argument("--problems", type=int, default=3)
    both.add_argument("--asks", type=int, default=4)
    runs = sub.add_parser("variants")
    runs.add_argument("--variant", choices=VARIANTS, required=True)
    runs.add_argument("--problem", default="levy-8", help="problems or quality.py's groups of them, comma-separated")
    runs.add_argument("--seeds", type=int, default=10)
    runs.add_argument("--first-seed", type=int, default=0)
    runs.add_argument("--budget", type=int, default=60)
    runs.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    if args.command == "maximiser":
        maximiser(args.seed, args.budget)
        return 0
    if args.command == "priors":
        priors(args.problem, args.seed, args.n)
        return 0
    if args.command == "modes":
        modes(args.problem, args.seed, args.n)
        return 0
    if args.command == "refine":
        cells = [(int(d), int(n)) for d, n in (cell.split(":") for cell in args.cells.split(","))]
        refine(cells, args.problems, args.asks)
        return 0
    if args.variant == "noise-lognormal":
        _use_lognormal_noise_prior()
    if args.variant == "log-space-prior":
        _use_log_space_lengthscale_prior()
    if args.variant == "short-penalty":
        _use_short_lengthscale_penalty()
    problems = [p for item in args.problem.split(",") for p in quality.GROUPS.get(item, (item,))]
    done = []
    for problem in dict.fromkeys(problems):
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            run = variant_run(args.variant, problem, seed, args.budget)
            done.append(run)
            regret = min(run["values"]) - run["optimum"] if run["optimum"] is not None else min(run["values"])
            print(
                f"{run['method']} {problem} seed {seed}: log10 regret {math.log10(max(regret, 1e-12)):.3f}", flush=True
            )
            args.out.write_text(json.dumps(done))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
