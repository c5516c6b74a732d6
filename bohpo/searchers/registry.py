"""Short names for searchers (``"random"``, ``"grid"``...), for configs, benchmark suites and the command line."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from bohpo._checks import from_import_path, is_import_path, unknown_name
from bohpo.acquisition.analytic import (
    ExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
)
from bohpo.acquisition.propose import AcquisitionFactory, default_surrogate
from bohpo.objectives import ConstraintsArg, ObjectivesArg
from bohpo.searchers.asha import AsyncSuccessiveHalving
from bohpo.searchers.base import Direction, Searcher
from bohpo.searchers.bayesian import BayesianOptimizer
from bohpo.searchers.cma import CMAES
from bohpo.searchers.fidelity import MultiFidelitySearcher
from bohpo.searchers.genetic import GeneticAlgorithm
from bohpo.searchers.grid import GridSearch
from bohpo.searchers.hyperband import BOHB, Hyperband, SuccessiveHalving, bohb_proposer
from bohpo.searchers.peers import BoTorchLoop, OptunaSearcher, optuna_available
from bohpo.searchers.random import RandomSearch, SobolSearch
from bohpo.seeding import SeedLike
from bohpo.space import Space
from bohpo.surrogates.tpe import TPE

__all__ = [
    "Budgets",
    "SearcherFactory",
    "make_fidelity_searcher",
    "make_searcher",
    "outcome_searcher_names",
    "register_searcher",
    "registered_here",
    "searcher_names",
    "searcher_needs_budgets",
]

Budgets = tuple[float, float]
SearcherFactory = Callable[[Space, SeedLike, Direction, "int | None", "Budgets | None"], Searcher]
"""``factory(space, seed, direction, n_trials, budgets) -> Searcher``; ``n_trials`` is the planned number of trials,
or ``None``; ``budgets`` the problem's ``(min_budget, max_budget)``, or ``None`` for a problem without fidelities."""


def _gp(acquisition: AcquisitionFactory) -> SearcherFactory:
    def build(
        space: Space, seed: SeedLike, direction: Direction, n_trials: int | None, budgets: Budgets | None
    ) -> Searcher:
        return BayesianOptimizer(space, acquisition=acquisition, seed=seed, direction=direction)

    return build


def _tpe(*, multivariate: bool) -> SearcherFactory:
    def build(
        space: Space, seed: SeedLike, direction: Direction, n_trials: int | None, budgets: Budgets | None
    ) -> Searcher:
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
    "random": lambda space, seed, direction, n_trials, budgets: RandomSearch(space, seed=seed, direction=direction),
    "sobol": lambda space, seed, direction, n_trials, budgets: SobolSearch(space, seed=seed, direction=direction),
    "cmaes": lambda space, seed, direction, n_trials, budgets: CMAES(space, seed=seed, direction=direction),
    "genetic": lambda space, seed, direction, n_trials, budgets: GeneticAlgorithm(
        space, seed=seed, direction=direction
    ),
    "grid": lambda space, seed, direction, n_trials, budgets: (
        GridSearch.for_budget(space, n_trials, seed=seed, direction=direction)
        if n_trials is not None
        else GridSearch(space, seed=seed, direction=direction)
    ),
}


def _optuna(sampler: str) -> SearcherFactory:
    def build(
        space: Space, seed: SeedLike, direction: Direction, n_trials: int | None, budgets: Budgets | None
    ) -> Searcher:
        return OptunaSearcher(space, sampler, seed=seed, direction=direction)

    return build


_FACTORIES["botorch-logei"] = lambda space, seed, direction, n_trials, budgets: BoTorchLoop(
    space, seed=seed, direction=direction
)
if optuna_available():  # the peers join the registry only where Optuna is installed (bohpo[peers])
    for _sampler in ("tpe", "gp", "cmaes", "nsga2"):
        _FACTORIES[f"optuna-{_sampler}"] = _optuna(_sampler)
    _FACTORIES["optuna-tpe-univariate"] = lambda space, seed, direction, n_trials, budgets: OptunaSearcher(
        space, "tpe", seed=seed, direction=direction, multivariate=False
    )


def _bohb_gp(
    space: Space, min_budget: float, max_budget: float, eta: float = 3, *, seed: SeedLike, direction: Direction
) -> Searcher:
    """BOHB driven by bohpo's default GP with LogEI instead of TPE."""
    return BOHB(
        space, min_budget, max_budget, eta, surrogate=default_surrogate(), acquisition=LogExpectedImprovement,
        seed=seed, direction=direction,
    )  # fmt: skip


def _asha_gp(
    space: Space, min_budget: float, max_budget: float, eta: float = 3, *, seed: SeedLike, direction: Direction
) -> Searcher:
    """ASHA whose new configurations come from bohb-gp's model (GP, LogEI, a third random)."""
    proposer = bohb_proposer(space, surrogate=default_surrogate(), acquisition=LogExpectedImprovement)
    return AsyncSuccessiveHalving(space, min_budget, max_budget, eta, proposer=proposer, seed=seed, direction=direction)


_FIDELITY: dict[str, Callable[..., Searcher]] = {
    "successive-halving": SuccessiveHalving,
    "hyperband": Hyperband,
    "asha": AsyncSuccessiveHalving,
    "asha-gp": _asha_gp,
    "bohb": BOHB,
    "bohb-gp": _bohb_gp,
}


def make_fidelity_searcher(
    name: str,
    space: Space,
    *,
    budgets: Budgets,
    eta: float = 3,
    seed: SeedLike = None,
    direction: Direction = "minimize",
) -> MultiFidelitySearcher:
    """Build the built-in multi-fidelity searcher named ``name`` with a halving rate of choice (the registry's
    factories use the default, 3).

    Args:
        name: ``"successive-halving"``, ``"hyperband"``, ``"asha"``, ``"asha-gp"``, ``"bohb"`` or ``"bohb-gp"``.
        space, seed, direction: Passed to the searcher.
        budgets: ``(min_budget, max_budget)``.
        eta: Halving rate, > 1 (the searcher checks it, with the budgets).

    Returns:
        The searcher, with no trials yet.

    Example:
        >>> from bohpo.space import Float, Space
        >>> searcher = make_fidelity_searcher("hyperband", Space({"x": Float(0.0, 1.0)}), budgets=(1, 16), eta=2)
        >>> searcher.eta, [t.budget for t in searcher.ask(3)]
        (2.0, [1.0, 1.0, 1.0])
    """
    if name not in _FIDELITY:
        raise ValueError(f"{name!r} is not a multi-fidelity searcher; known: {', '.join(sorted(_FIDELITY))}")
    searcher = _FIDELITY[name](space, budgets[0], budgets[1], eta, seed=seed, direction=direction)
    assert isinstance(searcher, MultiFidelitySearcher)
    return searcher


def _fidelity(name: str) -> SearcherFactory:
    def build(
        space: Space, seed: SeedLike, direction: Direction, n_trials: int | None, budgets: Budgets | None
    ) -> Searcher:
        if budgets is None:
            raise ValueError(
                f"{name} chooses budgets, so it needs a multi-fidelity problem (one with min_budget and max_budget)"
            )
        return make_fidelity_searcher(name, space, budgets=budgets, seed=seed, direction=direction)

    return build


for _name in _FIDELITY:
    _FACTORIES[_name] = _fidelity(_name)


_OutcomeFactory = Callable[[Space, SeedLike, "int | None", dict[str, Any]], Searcher]
_OUTCOMES: dict[str, _OutcomeFactory] = {
    "random": lambda space, seed, n_trials, options: RandomSearch(space, seed=seed, **options),
    "sobol": lambda space, seed, n_trials, options: SobolSearch(space, seed=seed, **options),
    "grid": lambda space, seed, n_trials, options: (
        GridSearch.for_budget(space, n_trials, seed=seed, **options)
        if n_trials is not None
        else GridSearch(space, seed=seed, **options)
    ),
    "genetic": lambda space, seed, n_trials, options: GeneticAlgorithm(space, seed=seed, **options),
    "gp-logei": lambda space, seed, n_trials, options: BayesianOptimizer(space, seed=seed, **options),
    "tpe": lambda space, seed, n_trials, options: BayesianOptimizer(
        space, surrogate=TPE(multivariate=True), acquisition=ExpectedImprovement, seed=seed, **options
    ),
    "tpe-univariate": lambda space, seed, n_trials, options: BayesianOptimizer(
        space, surrogate=TPE(multivariate=False), acquisition=ExpectedImprovement, seed=seed, **options
    ),
}
"""The registered searchers that take several objectives and outcome constraints, built with them."""


def outcome_searcher_names() -> list[str]:
    """The registered searchers that take several objectives and outcome constraints, sorted."""
    return sorted(_OUTCOMES)


def searcher_needs_budgets(name: str) -> bool:
    """Whether the searcher registered as ``name`` chooses budgets (and so needs a multi-fidelity problem); one named
    by its import path does when the path names a :class:`MultiFidelitySearcher` subclass."""
    if is_import_path(name):
        found = from_import_path(name, "searcher")
        return isinstance(found, type) and issubclass(found, MultiFidelitySearcher)
    return name in _FIDELITY


def searcher_names() -> list[str]:
    """The registered names, sorted."""
    return sorted(_FACTORIES)


_REGISTERED_HERE: set[str] = set()  # register_searcher's names, in this process only


def register_searcher(name: str, factory: SearcherFactory, *, replace: bool = False) -> None:
    """Make ``make_searcher(name, ...)`` build searchers with ``factory``.

    Worker processes and Dask workers do not see what is registered here: name the searcher there by the import
    path of its factory instead, ``"package.module:factory"`` (``run_suite`` refuses a registered name with workers,
    saying so).
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"a searcher name must be a non-empty string, got {name!r}")
    if ":" in name:
        raise ValueError(f"a searcher name must not contain ':' (import paths have one), got {name!r}")
    if name in _FACTORIES and not replace:
        raise ValueError(f"a searcher named {name!r} is registered already; pass replace=True to override it")
    _FACTORIES[name] = factory
    _REGISTERED_HERE.add(name)


def registered_here(name: str) -> bool:
    """Whether ``name`` was registered in this process by :func:`register_searcher` (other processes lack it)."""
    return name in _REGISTERED_HERE


def make_searcher(
    name: str,
    space: Space,
    *,
    seed: SeedLike = None,
    direction: Direction = "minimize",
    n_trials: int | None = None,
    budgets: Budgets | None = None,
    objectives: ObjectivesArg = None,
    constraints: ConstraintsArg = None,
) -> Searcher:
    """Build the searcher registered as ``name``.

    Args:
        name: One of :func:`searcher_names`, or an import path ``"package.module:attribute"`` to a
            :class:`Searcher` subclass (built as ``cls(space, seed=, direction=)``; a multi-fidelity one also gets
            ``min_budget, max_budget``) or to a factory ``(space, seed, direction, n_trials, budgets) -> Searcher``.
        space, seed, direction: Passed to the searcher.
        n_trials: The planned number of trials, if known (a grid is sized to it).
        budgets: ``(min_budget, max_budget)`` of a multi-fidelity problem; the multi-fidelity searchers
            (``"hyperband"``...) need it, the others run every trial at the full budget and ignore it.
        objectives, constraints: Several objectives and outcome constraints (see :class:`Searcher`); only the
            searchers of :func:`outcome_searcher_names` take them (``gp-logei`` then maximises LogEHVI).

    Example:
        >>> from bohpo.space import Float, Space
        >>> make_searcher("sobol", Space({"x": Float(0.0, 1.0)}), seed=0)
        SobolSearch(n_trials=0, n_pending=0, direction='minimize', seed=0)
    """
    if objectives is not None or constraints is not None:
        if name not in _OUTCOMES:
            raise ValueError(
                f"searcher {name!r} takes one objective without constraints; with several objectives or outcome "
                f"constraints use one of {', '.join(sorted(_OUTCOMES))}"
            )
        options = {"direction": direction, "objectives": objectives, "constraints": constraints}
        return _OUTCOMES[name](space, seed, n_trials, options)
    if is_import_path(name):
        found = from_import_path(name, "searcher")
        if isinstance(found, type) and issubclass(found, MultiFidelitySearcher):
            if budgets is None:
                raise ValueError(f"searcher {name!r} chooses budgets, so it needs a multi-fidelity problem")
            built: object = found(space, budgets[0], budgets[1], seed=seed, direction=direction)  # type: ignore[call-arg]
        elif isinstance(found, type) and issubclass(found, Searcher):
            built = found(space, seed=seed, direction=direction)
        elif callable(found):
            built = found(space, seed, direction, n_trials, budgets)
        else:
            raise TypeError(f"searcher {name!r} is neither a Searcher class nor a factory")
        if not isinstance(built, Searcher):
            raise TypeError(f"searcher {name!r} built a {type(built).__name__}, not a Searcher")
        return built
    if name not in _FACTORIES:
        raise unknown_name("searcher", name, searcher_names())
    return _FACTORIES[name](space, seed, direction, n_trials, budgets)
