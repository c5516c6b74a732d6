"""A researcher's own problem and searchers, which the runner's tests name by import path."""

from __future__ import annotations

import math
import time
from typing import Any

from bohpo.problems import ObjectiveProblem, Problem
from bohpo.searchers import RandomSearch, Searcher
from bohpo.space import Categorical, Float, Int, Space


def _shifted_bowl(params: dict[str, Any]) -> float:
    return (params["a"] - 0.3) ** 2 + (params["b"] + 0.2) ** 2 + 0.1 * abs(params["k"] - 2)


SPACE = Space({"a": Float(-1.0, 1.0), "b": Float(-1.0, 1.0), "k": Int(0, 4)})
bowl = ObjectiveProblem(_shifted_bowl, SPACE, optimum=0.0, name="shifted bowl")


def _model_choice(params: dict[str, Any]) -> float:
    if params["model"] == "knn":
        return abs(params["k"] - 7) / 10 + 0.05
    return (params["C"] - 1.0) ** 2 + (0.1 * abs(params["degree"] - 3) if params["kernel"] == "poly" else 0.2)


TREE_SPACE = Space(
    {"model": Categorical(["svm", "knn"]), "kernel": Categorical(["rbf", "poly"]), "degree": Int(2, 5),
     "C": Float(0.0, 2.0), "k": Int(1, 30)},
    conditions={"kernel": {"model": "svm"}, "degree": {"kernel": "poly"}, "C": {"model": "svm"}, "k": {"model": "knn"}},
)  # fmt: skip
tree = ObjectiveProblem(_model_choice, TREE_SPACE, optimum=0.0, name="model choice")


def make_bowl() -> ObjectiveProblem:
    return ObjectiveProblem(_shifted_bowl, SPACE, optimum=0.0, name="shifted bowl")


def random_factory(space: Space, seed: Any, direction: Any, n_trials: int | None, budgets: Any) -> Searcher:
    return RandomSearch(space, seed=seed, direction=direction)


class LatticeSearch(RandomSearch):
    """Random search snapped to a coarse lattice: a searcher class of the user's own."""

    def _propose(self, n: int, generator: Any) -> list[dict[str, Any]]:
        configs = super()._propose(n, generator)
        return [{k: round(v, 1) if isinstance(v, float) else v for k, v in c.items()} for c in configs]


not_a_problem = 42


def broken_factory(space: Space, seed: Any, direction: Any, n_trials: int | None, budgets: Any) -> Searcher:
    raise RuntimeError("this searcher is broken")


class _Curves(Problem):
    """A learning curve per configuration, steps 1..9: (a - 0.3)^2 + (b + 0.2)^2 + 1 / step (a loss that falls as it
    trains, its ranking the same at every step), with a short pause per step so a kill lands inside a trial."""

    name = "curves"
    space = Space({"a": Float(-1.0, 1.0), "b": Float(-1.0, 1.0)})
    max_step = 9

    def __call__(self, params: Any, budget: float | None = None) -> float:
        return self.curve(params, lambda step, value: None, budget)

    def curve(self, params: Any, report: Any, budget: float | None = None) -> float:
        value = math.inf
        for step in range(1, self.max_step + 1):
            time.sleep(0.002)
            value = (params["a"] - 0.3) ** 2 + (params["b"] + 0.2) ** 2 + 1.0 / step
            report(step, value)
        return value


curves = _Curves()
