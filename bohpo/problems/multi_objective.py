"""Multi-objective and constrained benchmark problems: standard test functions with known fronts, and real models.

A :class:`MultiObjectiveProblem` returns an :class:`Outcome` (a value per objective, a value per constraint,
feasible when <= 0) and says how to build a searcher for it (:meth:`~MultiObjectiveProblem.searcher_options`). Its
``reference`` point bounds the hypervolume it is measured by, and ``max_hypervolume`` is the hypervolume of the true
front where it is known (hypervolume regret is measured from it; otherwise from the best front any run found).

Test functions (all minimised, on [0, 1]^d, from BoTorch's ``test_functions.multi_objective``, with BoTorch's
reference points and largest hypervolumes):

    branin-currin   d = 2, two objectives (Belakaria et al. 2019)
    zdt1, zdt2, zdt3   d = 6, two objectives: a convex, a concave and a disconnected front (Zitzler et al. 2000)
    dtlz2           d = 6, two objectives; ``dtlz2-3``, three (Deb et al. 2002)
    constrained-branin-currin   d = 2, two objectives and one constraint (Gelbart et al. 2014)
    c2-dtlz2        d = 6, two objectives and one constraint (Jain and Deb 2014)

Real models, on scikit-learn's bundled breast-cancer data (3-fold stratified cross-validation, seeded):

    boosting-size   gradient-boosted trees: the misclassification rate against the model's size, log10 of its
                    number of leaves (summed over trees, averaged over folds)
    boosting-budget the misclassification rate alone, under a size budget: at most 64 leaves in all
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import Tensor

from bohpo._threads import single_threaded_blas
from bohpo.objectives import Objectives
from bohpo.problems.sklearn import load_dataset
from bohpo.space import Float, Int, Space

__all__ = [
    "BoostingSize",
    "MultiObjectiveProblem",
    "Outcome",
    "TestFunctionProblem",
    "make_multi_objective_problem",
    "multi_objective_problem_names",
]


@dataclass(frozen=True)
class Outcome:
    """What one evaluation returns: ``values`` per objective and ``constraints`` per constraint (feasible when all
    are <= 0), each a mapping by name; told as ``searcher.tell(trial, outcome.values,
    constraints=outcome.constraints)``."""

    values: dict[str, float]
    constraints: dict[str, float]

    @property
    def is_feasible(self) -> bool:
        """Whether every constraint value is <= 0."""
        return all(c <= 0 for c in self.constraints.values())


class MultiObjectiveProblem:
    """A benchmark problem with several objectives, or with outcome constraints.

    Attributes:
        name: Short name (registry key).
        space: The search space.
        objectives: Its :class:`~bohpo.objectives.Objectives` (names, directions, constraint names).
        reference: The reference point of its hypervolume, ``{objective: value}`` in each objective's direction.
        max_hypervolume: The hypervolume of the true front, or ``None`` when unknown.
    """

    name: str = "multi-objective"
    space: Space
    objectives: Objectives
    reference: dict[str, float]
    max_hypervolume: float | None = None
    optimum: float | None = None  # no single optimum; what a benchmark runner reads of every problem
    min_budget: float | None = None  # no fidelities
    max_budget: float | None = None
    max_step: int | None = None  # no learning curve

    def __call__(self, params: Mapping[str, Any]) -> Outcome:
        """Evaluate one configuration."""
        raise NotImplementedError

    def searcher_options(self) -> dict[str, Any]:
        """The ``objectives=`` and ``constraints=`` a searcher for this problem is built with."""
        options: dict[str, Any] = {}
        if self.objectives.is_multi:
            options["objectives"] = dict(zip(self.objectives.names, self.objectives.directions, strict=True))
        else:
            options["direction"] = self.objectives.directions[0]
        if self.objectives.constraints:
            options["constraints"] = list(self.objectives.constraints)
        return options

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, dim={len(self.space)}, objectives={list(self.objectives.names)})"


class TestFunctionProblem(MultiObjectiveProblem):
    """A BoTorch multi-objective test function (minimised, with its reference point and largest hypervolume).

    Objectives are named ``f0, f1, ...``, constraints ``g0, g1, ...`` (BoTorch's slack negated: feasible when
    <= 0), parameters ``x0, ..., x{d-1}``.

    Args:
        function: A ``botorch.test_functions.multi_objective`` problem, built with ``negate=False``.
        name: What reports call it.
    """

    __test__ = False  # not a pytest class

    def __init__(self, function: Any, name: str) -> None:
        self.function, self.name = function, name
        bounds = function.bounds.tolist()
        self.space = Space(
            {f"x{i}": Float(float(lo), float(hi)) for i, (lo, hi) in enumerate(zip(*bounds, strict=True))}
        )
        m, k = function.num_objectives, getattr(function, "num_constraints", 0)
        self.objectives = Objectives.of(objectives=[f"f{j}" for j in range(m)], constraints=[f"g{i}" for i in range(k)])
        self.reference = {f"f{j}": float(v) for j, v in enumerate(function.ref_point.tolist())}
        self.max_hypervolume = float(function.max_hv)

    def evaluate_true(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """X (n, d) -> objective values (n, m) and constraint values (n, k), noise-free."""
        Y = self.function.evaluate_true(X)
        k = len(self.objectives.constraints)
        C = -self.function.evaluate_slack_true(X) if k else X.new_zeros(X.shape[0], 0)
        return Y, C

    def __call__(self, params: Mapping[str, Any]) -> Outcome:
        config = self.space.validate(params)
        X = torch.tensor([[config[n] for n in self.space.names]], dtype=torch.float64)
        Y, C = self.evaluate_true(X)
        return Outcome(
            dict(zip(self.objectives.names, Y[0].tolist(), strict=True)),
            dict(zip(self.objectives.constraints, C[0].tolist(), strict=True)),
        )


_FOLDS = 3
_SIZE_BUDGET = 64  # leaves, for boosting-budget


class BoostingSize(MultiObjectiveProblem):
    """Gradient-boosted trees (scikit-learn's ``GradientBoostingClassifier``) on the breast-cancer data: accuracy
    against model size.

    With ``budget=None``: two objectives, ``error`` (1 - mean accuracy over 3 stratified folds) and ``size``
    (log10 of the number of leaves of all trees, averaged over the folds' models); reference point (0.2, 4.0).
    With a ``budget`` in leaves: one objective, ``error``, and one constraint, ``size`` = leaves - budget (feasible
    when the model has at most ``budget`` leaves); its "hypervolume" is the error's improvement on 0.2.

    Args:
        budget: The size budget in leaves, or ``None`` for two objectives.
        seed: Seeds the folds and the models (the problem is a deterministic function of its configuration).
    """

    def __init__(self, *, budget: int | None = None, seed: int = 0) -> None:
        self.budget, self.seed = budget, seed
        self.name = "boosting-size" if budget is None else "boosting-budget"
        self.space = Space(
            {
                "learning_rate": Float(1e-3, 1.0, log=True),
                "n_estimators": Int(5, 200, log=True),
                "max_leaf_nodes": Int(2, 32, log=True),
                "min_samples_leaf": Int(1, 64, log=True),
                "subsample": Float(0.5, 1.0),
            }
        )
        if budget is None:
            self.objectives = Objectives.of(objectives=["error", "size"])
            self.reference = {"error": 0.2, "size": 4.0}
        else:
            self.objectives = Objectives.of(constraints=["size"])
            self.reference = {"value": 0.2}

    def evaluate(self, params: Mapping[str, Any]) -> tuple[float, float]:
        """(error, mean number of leaves) of one configuration."""
        from sklearn.ensemble import GradientBoostingClassifier
        from sklearn.model_selection import StratifiedKFold, cross_validate

        config = self.space.validate(params)
        X, y = load_dataset("breast-cancer")
        model = GradientBoostingClassifier(**config, random_state=self.seed)
        folds = StratifiedKFold(_FOLDS, shuffle=True, random_state=self.seed)
        with single_threaded_blas(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = cross_validate(model, X, y, cv=folds, scoring="accuracy", return_estimator=True, n_jobs=1)
        leaves = [sum(tree.get_n_leaves() for tree in fitted.estimators_[:, 0]) for fitted in result["estimator"]]
        return 1.0 - float(np.mean(result["test_score"])), float(np.mean(leaves))

    def __call__(self, params: Mapping[str, Any]) -> Outcome:
        error, leaves = self.evaluate(params)
        if self.budget is None:
            return Outcome({"error": error, "size": math.log10(leaves)}, {})
        return Outcome({"value": error}, {"size": leaves - self.budget})


def _test_function(factory: Callable[[], Any], name: str) -> TestFunctionProblem:
    return TestFunctionProblem(factory(), name)


def _botorch(kind: str, **kwargs: Any) -> Callable[[], Any]:
    def build() -> Any:
        from botorch.test_functions import multi_objective

        return getattr(multi_objective, kind)(negate=False, **kwargs)

    return build


_PROBLEMS: dict[str, Callable[[], MultiObjectiveProblem]] = {
    "branin-currin": partial(_test_function, _botorch("BraninCurrin"), "branin-currin"),
    "zdt1": partial(_test_function, _botorch("ZDT1", dim=6), "zdt1"),
    "zdt2": partial(_test_function, _botorch("ZDT2", dim=6), "zdt2"),
    "zdt3": partial(_test_function, _botorch("ZDT3", dim=6), "zdt3"),
    "dtlz2": partial(_test_function, _botorch("DTLZ2", dim=6, num_objectives=2), "dtlz2"),
    "dtlz2-3": partial(_test_function, _botorch("DTLZ2", dim=6, num_objectives=3), "dtlz2-3"),
    "constrained-branin-currin": partial(
        _test_function, _botorch("ConstrainedBraninCurrin"), "constrained-branin-currin"
    ),
    "c2-dtlz2": partial(_test_function, _botorch("C2DTLZ2", dim=6, num_objectives=2), "c2-dtlz2"),
    "boosting-size": BoostingSize,
    "boosting-budget": partial(BoostingSize, budget=_SIZE_BUDGET),
}


def multi_objective_problem_names() -> list[str]:
    """The registered multi-objective and constrained problems."""
    return list(_PROBLEMS)


def make_multi_objective_problem(name: str) -> MultiObjectiveProblem:
    """Build a registered problem by name (:func:`multi_objective_problem_names`)."""
    if name not in _PROBLEMS:
        from bohpo._checks import unknown_name

        raise unknown_name("multi-objective problem", name, _PROBLEMS)
    return _PROBLEMS[name]()
