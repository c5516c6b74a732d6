"""Short names for searchers (``"random"``, ``"grid"``...), for configs, benchmark suites and the command line."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bohpo.acquisition.analytic import (
    ExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
)
from bohpo.searchers.base import Direction, Searcher
from bohpo.searchers.bayesian import AcquisitionFactory, BayesianOptimizer
from bohpo.searchers.grid import GridSearch
from bohpo.searchers.peers import BoTorchLoop, OptunaSearcher, optuna_available
from bohpo.searchers.random import RandomSearch, SobolSearch
from bohpo.seeding import SeedLike
from bohpo.space import Space
from bohpo.surrogates.tpe import TPE

__all__ = ["SearcherFactory", "make_searcher", "register_searcher", "searcher_names"]

SearcherFactory = Callable[[Space, SeedLike, Direction, "int | None"], Searcher]
"""``factory(space, seed, direction, n_trials) -> Searcher``; ``n_trials`` is the planned budget, or ``None``."""


def _gp(acquisition: AcquisitionFactory) -> SearcherFactory:
    def build(space: Space, seed: SeedLike, direction: Direction, n_trials: int | None) -> Searcher:
        return BayesianOptimizer(space, acquisition=acquisition, seed=seed, direction=direction)

    return build


def _tpe(*, multivariate: bool) -> SearcherFactory:
    def build(space: Space, seed: SeedLike, direction: Direction, n_trials: int | None) -> Searcher:
        surrogate = TPE(multivariate=multivariate)
        return BayesianOptimizer(
            space, surrogate=surrogate, acquisition=ExpectedImprovement, seed=seed, direction=direction
        )

    return build


_FACTORIES: dict[str, SearcherFactory] = {
    "tpe": _tpe(multivariate=True),
    "tpe-univariate": _tpe(multivariate=False),
    "gp-ei": _gp(ExpectedImprovement),
    "gp-logei": _gp(LogExpectedImprovement),
    "gp-pi": _gp(ProbabilityOfImprovement),
    "gp-ucb": _gp(partial(UpperConfidenceBound, beta=2.0)),
    "random": lambda space, seed, direction, n_trials: RandomSearch(space, seed=seed, direction=direction),
    "sobol": lambda space, seed, direction, n_trials: SobolSearch(space, seed=seed, direction=direction),
    "grid": lambda space, seed, direction, n_trials: (
        GridSearch.for_budget(space, n_trials, seed=seed, direction=direction)
        if n_trials is not None
        else GridSearch(space, seed=seed, direction=direction)
    ),
}


def _optuna(sampler: str) -> SearcherFactory:
    def build(space: Space, seed: SeedLike, direction: Direction, n_trials: int | None) -> Searcher:
        return OptunaSearcher(space, sampler, seed=seed, direction=direction)

    return build


_FACTORIES["botorch-logei"] = lambda space, seed, direction, n_trials: BoTorchLoop(
    space, seed=seed, direction=direction
)
if optuna_available():  # the peers join the registry only where Optuna is installed (bohpo[peers])
    for _sampler in ("tpe", "gp", "cmaes"):
        _FACTORIES[f"optuna-{_sampler}"] = _optuna(_sampler)
    _FACTORIES["optuna-tpe-univariate"] = lambda space, seed, direction, n_trials: OptunaSearcher(
        space, "tpe", seed=seed, direction=direction, multivariate=False
    )


def searcher_names() -> list[str]:
    """The registered names, sorted."""
    return sorted(_FACTORIES)


def register_searcher(name: str, factory: SearcherFactory, *, replace: bool = False) -> None:
    """Make ``make_searcher(name, ...)`` build searchers with ``factory``."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"a searcher name must be a non-empty string, got {name!r}")
    if name in _FACTORIES and not replace:
        raise ValueError(f"a searcher named {name!r} is registered already; pass replace=True to override it")
    _FACTORIES[name] = factory


def make_searcher(
    name: str, space: Space, *, seed: SeedLike = None, direction: Direction = "minimize", n_trials: int | None = None
) -> Searcher:
    """Build the searcher registered as ``name``.

    Args:
        name: One of :func:`searcher_names`.
        space, seed, direction: Passed to the searcher.
        n_trials: The planned number of trials, if known (a grid is sized to it).

    Example:
        >>> from bohpo.space import Float, Space
        >>> make_searcher("sobol", Space({"x": Float(0.0, 1.0)}), seed=0)
        SobolSearch(n_trials=0, n_pending=0, direction='minimize', seed=0)
    """
    if name not in _FACTORIES:
        raise ValueError(f"unknown searcher {name!r}; known: {', '.join(searcher_names())}")
    return _FACTORIES[name](space, seed, direction, n_trials)
