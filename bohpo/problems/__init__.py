"""Benchmark problems: synthetic functions with known optima, trap problems (plateaus, ties, categories,
boundaries), real scikit-learn models on bundled datasets, and multi-fidelity versions of both.

A problem whose dimension is free is also named with its dimension: ``"ackley-5"`` is ``make_problem("ackley",
dim=5)``, so benchmark suites and stored runs can name it in one string."""

from __future__ import annotations

from collections.abc import Callable

from bohpo._checks import unknown_name
from bohpo.problems.base import Problem, SyntheticProblem
from bohpo.problems.multifidelity import (
    BoostingTrees,
    DataFraction,
    FidelityBiased,
    MLPEpochs,
    MultiFidelityProblem,
    make_multifidelity_problem,
    multifidelity_problem_names,
)
from bohpo.problems.sklearn import DATASETS, MODELS, SklearnProblem, sklearn_problem_names
from bohpo.problems.synthetic import (
    Ackley,
    Branin,
    Hartmann3,
    Hartmann6,
    Levy,
    Michalewicz,
    MixedBranin,
    Rosenbrock,
    SixHumpCamel,
    StyblinskiTang,
)
from bohpo.problems.traps import Boundary, CategoricalOffsets, FlagPlateau, Schwefel, StepFunction

__all__ = [
    "Ackley",
    "BoostingTrees",
    "Boundary",
    "Branin",
    "CategoricalOffsets",
    "DataFraction",
    "FidelityBiased",
    "FlagPlateau",
    "Hartmann3",
    "Hartmann6",
    "Levy",
    "MLPEpochs",
    "Michalewicz",
    "MixedBranin",
    "MultiFidelityProblem",
    "Problem",
    "Rosenbrock",
    "Schwefel",
    "SixHumpCamel",
    "SklearnProblem",
    "StepFunction",
    "StyblinskiTang",
    "SyntheticProblem",
    "is_problem_name",
    "make_problem",
    "problem_names",
]

_FIXED: dict[str, Callable[[], Problem]] = {
    "branin": Branin,
    "categorical-offsets": CategoricalOffsets,
    "flag-plateau": FlagPlateau,
    "hartmann3": Hartmann3,
    "hartmann6": Hartmann6,
    "mixed-branin": MixedBranin,
    "six-hump-camel": SixHumpCamel,
    "step-function": StepFunction,
}
_FREE_DIM: dict[str, Callable[[int], Problem]] = {
    "ackley": Ackley,
    "boundary": Boundary,
    "levy": Levy,
    "michalewicz": Michalewicz,
    "rosenbrock": Rosenbrock,
    "schwefel": Schwefel,
    "styblinski-tang": StyblinskiTang,
}


_SKLEARN: dict[str, tuple[str, str]] = {
    f"{model}-{dataset}": (model, dataset) for model in MODELS for dataset in DATASETS
}


def problem_names() -> list[str]:
    """Registered problem names, sorted."""
    return sorted({*_FIXED, *_FREE_DIM, *sklearn_problem_names(), *multifidelity_problem_names()})


def _with_dim(name: str) -> tuple[str, int] | None:
    """``("ackley", 5)`` for ``"ackley-5"`` when ``ackley`` is a free-dimension problem, else ``None``."""
    base, _, digits = name.rpartition("-")
    if base in _FREE_DIM and digits.isdigit() and digits.isascii() and not digits.startswith("0"):
        return base, int(digits)
    return None


def is_problem_name(name: str) -> bool:
    """Whether ``make_problem(name)`` builds a problem: a registered name, or a free-dimension one with its dimension
    (``"schwefel-5"``)."""
    return isinstance(name, str) and (name in problem_names() or _with_dim(name) is not None)


def make_problem(name: str, *, dim: int | None = None) -> Problem:
    """Build a problem by name; ``dim`` only for those whose dimension is free (default 2), which can also be named
    with it (``"ackley-5"``).

    Example:
        >>> make_problem("ackley", dim=5)
        Ackley(dim=5, optimum=0.0)
        >>> make_problem("schwefel-5")
        Schwefel(dim=5, optimum=0.0)
    """
    if (named := _with_dim(name)) is not None:
        if dim is not None:
            raise ValueError(f"problem {name!r} names its dimension already; dim must be None, got {dim!r}")
        name, dim = named
    if name in _FIXED:
        if dim is not None:
            raise ValueError(f"problem {name!r} has a fixed dimension; dim must be None, got {dim!r}")
        return _FIXED[name]()
    if name in _FREE_DIM:
        return _FREE_DIM[name](2 if dim is None else dim)
    if name in multifidelity_problem_names():
        if dim is not None:
            raise ValueError(f"problem {name!r} has a fixed dimension; dim must be None, got {dim!r}")
        return make_multifidelity_problem(name)
    if name in _SKLEARN:
        if dim is not None:
            raise ValueError(f"problem {name!r} has a fixed dimension; dim must be None, got {dim!r}")
        return SklearnProblem(*_SKLEARN[name])
    raise unknown_name("problem", name, problem_names())
