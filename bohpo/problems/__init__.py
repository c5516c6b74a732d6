"""Benchmark problems: synthetic functions with known optima, trap problems (plateaus, ties, categories,
boundaries), real scikit-learn models on bundled datasets, and multi-fidelity versions of both.

A problem whose dimension is free is also named with its dimension: ``"ackley-5"`` is ``make_problem("ackley",
dim=5)``, so benchmark suites and stored runs can name it in one string."""

from __future__ import annotations

from collections.abc import Callable

from bohpo._checks import from_import_path, is_import_path, unknown_name
from bohpo.problems.base import ObjectiveProblem, Problem, SyntheticProblem
from bohpo.problems.conditional import Jenatton
from bohpo.problems.multi_objective import (
    MultiObjectiveProblem,
    Outcome,
    make_multi_objective_problem,
    multi_objective_problem_names,
)
from bohpo.problems.multifidelity import (
    BoostingTrees,
    DataFraction,
    FidelityBiased,
    MLPEpochs,
    MultiFidelityProblem,
    make_multifidelity_problem,
    multifidelity_problem_names,
)
from bohpo.problems.pbt_toy import PBTToy
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
    "Jenatton",
    "Levy",
    "MLPEpochs",
    "Michalewicz",
    "MixedBranin",
    "MultiFidelityProblem",
    "MultiObjectiveProblem",
    "ObjectiveProblem",
    "Outcome",
    "PBTToy",
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
    "register_problem",
    "registered_here",
]

_FIXED: dict[str, Callable[[], Problem]] = {
    "branin": Branin,
    "categorical-offsets": CategoricalOffsets,
    "flag-plateau": FlagPlateau,
    "hartmann3": Hartmann3,
    "hartmann6": Hartmann6,
    "jenatton": Jenatton,
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


_REGISTERED: dict[str, Callable[[], Problem]] = {}  # register_problem's, in this process only


def problem_names() -> list[str]:
    """Registered problem names, sorted (the built-in ones and those of :func:`register_problem`)."""
    return sorted(
        {
            *_FIXED, *_FREE_DIM, *sklearn_problem_names(), *multifidelity_problem_names(),
            *multi_objective_problem_names(), *_REGISTERED,
        }
    )  # fmt: skip


def register_problem(name: str, problem: Problem | Callable[[], Problem], *, replace: bool = False) -> None:
    """Make ``make_problem(name)`` (and so ``run_suite`` and the reports, in this process) build ``problem``: a
    :class:`Problem` (such as an :class:`ObjectiveProblem`) or a function without arguments that builds one.

    Worker processes and Dask workers do not see what is registered here: name the problem there by its import path
    instead, ``"package.module:attribute"`` (``run_suite`` refuses a registered name with workers, saying so).
    """
    if not isinstance(name, str) or not name or ":" in name:
        raise ValueError(f"a problem name must be a non-empty string without ':' (import paths have one), got {name!r}")
    builtin = {
        *_FIXED, *_FREE_DIM, *sklearn_problem_names(), *multifidelity_problem_names(), *multi_objective_problem_names()
    }  # fmt: skip
    if name in builtin or _with_dim(name) is not None:
        raise ValueError(f"{name!r} is a built-in problem; register yours under another name")
    if name in _REGISTERED and not replace:
        raise ValueError(f"a problem named {name!r} is registered already; pass replace=True to override it")
    if not isinstance(problem, Problem) and not callable(problem):
        raise TypeError(f"problem must be a Problem or a function that builds one, got {type(problem).__name__}")
    _REGISTERED[name] = (lambda: problem) if isinstance(problem, Problem) else problem


def registered_here(name: str) -> bool:
    """Whether ``name`` was registered in this process by :func:`register_problem` (other processes lack it)."""
    return name in _REGISTERED


def _with_dim(name: str) -> tuple[str, int] | None:
    """``("ackley", 5)`` for ``"ackley-5"`` when ``ackley`` is a free-dimension problem, else ``None``."""
    base, _, digits = name.rpartition("-")
    if base in _FREE_DIM and digits.isdigit() and digits.isascii() and not digits.startswith("0"):
        return base, int(digits)
    return None


def is_problem_name(name: str) -> bool:
    """Whether ``name`` names a problem: a registered name, a free-dimension one with its dimension
    (``"schwefel-5"``), or an import path (``"package.module:attribute"``; whether it imports is
    :func:`make_problem`'s to say)."""
    return isinstance(name, str) and (name in problem_names() or _with_dim(name) is not None or is_import_path(name))


def make_problem(name: str, *, dim: int | None = None) -> Problem | MultiObjectiveProblem:
    """Build a problem by name; ``dim`` only for those whose dimension is free (default 2), which can also be named
    with it (``"ackley-5"``). A name ``"package.module:attribute"`` imports the attribute: a :class:`Problem`, or a
    function without arguments that builds one.

    Example:
        >>> make_problem("ackley", dim=5)
        Ackley(dim=5, optimum=0.0)
        >>> make_problem("schwefel-5")
        Schwefel(dim=5, optimum=0.0)
    """
    if is_import_path(name) or name in _REGISTERED:
        if dim is not None:
            raise ValueError(f"problem {name!r} is built as it is named; dim must be None, got {dim!r}")
        found = from_import_path(name, "problem") if is_import_path(name) else _REGISTERED[name]
        built = found if isinstance(found, Problem) else found() if callable(found) else found
        if not isinstance(built, Problem):
            raise ValueError(f"problem {name!r} is not a Problem nor builds one: got {type(built).__name__}")
        return built
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
    if name in multi_objective_problem_names():
        if dim is not None:
            raise ValueError(f"problem {name!r} has a fixed dimension; dim must be None, got {dim!r}")
        return make_multi_objective_problem(name)
    raise unknown_name("problem", name, problem_names())
