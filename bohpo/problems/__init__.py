"""Benchmark problems: synthetic functions with known optima, real scikit-learn models on bundled datasets, and
multi-fidelity versions of both."""

from __future__ import annotations

from collections.abc import Callable

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

__all__ = [
    "Ackley",
    "BoostingTrees",
    "Branin",
    "DataFraction",
    "FidelityBiased",
    "Hartmann3",
    "Hartmann6",
    "Levy",
    "MLPEpochs",
    "Michalewicz",
    "MixedBranin",
    "MultiFidelityProblem",
    "Problem",
    "Rosenbrock",
    "SixHumpCamel",
    "SklearnProblem",
    "StyblinskiTang",
    "SyntheticProblem",
    "make_problem",
    "problem_names",
]

_FIXED: dict[str, Callable[[], Problem]] = {
    "branin": Branin,
    "hartmann3": Hartmann3,
    "hartmann6": Hartmann6,
    "mixed-branin": MixedBranin,
    "six-hump-camel": SixHumpCamel,
}
_FREE_DIM: dict[str, Callable[[int], Problem]] = {
    "ackley": Ackley,
    "levy": Levy,
    "michalewicz": Michalewicz,
    "rosenbrock": Rosenbrock,
    "styblinski-tang": StyblinskiTang,
}


_SKLEARN: dict[str, tuple[str, str]] = {
    f"{model}-{dataset}": (model, dataset) for model in MODELS for dataset in DATASETS
}


def problem_names() -> list[str]:
    """Registered problem names, sorted."""
    return sorted({*_FIXED, *_FREE_DIM, *sklearn_problem_names(), *multifidelity_problem_names()})


def make_problem(name: str, *, dim: int | None = None) -> Problem:
    """Build a problem by name; ``dim`` only for those whose dimension is free (default 2).

    Example:
        >>> make_problem("ackley", dim=5)
        Ackley(dim=5, optimum=0.0)
    """
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
    raise ValueError(f"unknown problem {name!r}; known: {', '.join(problem_names())}")
