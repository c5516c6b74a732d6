"""Problems on conditional (tree-structured) spaces, with a known optimum.

- ``jenatton``: the synthetic tree of Jenatton et al. (2017), "Bayesian optimization with tree-structured
  dependencies" (ICML): two levels of binary choices, each leaf a one-dimensional quadratic of its own parameter plus
  a shared offset parameter per first-level branch.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bohpo.problems.base import Problem
from bohpo.problems.traps import _no_budget
from bohpo.space import Categorical, Float, Space

__all__ = ["Jenatton"]


class Jenatton(Problem):
    """Jenatton et al.'s tree: 3 binary choices, 6 floats on [0, 1], at most 4 of the 9 parameters active at once.

    x1 = 0 activates x2 and r8; x1 = 1 activates x3 and r9. Below them:

    - x1 = 0, x2 = 0: f = x4^2 + 0.1 + r8;   x1 = 0, x2 = 1: f = x5^2 + 0.2 + r8;
    - x1 = 1, x3 = 0: f = x6^2 + 0.3 + r9;   x1 = 1, x3 = 1: f = x7^2 + 0.4 + r9.

    The optimum 0.1 is at x1 = x2 = 0, x4 = r8 = 0, a corner of the best leaf. Each leaf's floor (0.1-0.4) lies below
    the worse leaves' values over most of their range, so a flattened search that pools the leaves is misled.

    Example:
        >>> problem = Jenatton()
        >>> problem({"x1": 0, "x2": 0, "x4": 0.0, "r8": 0.0})
        0.1
        >>> problem({"x1": 1, "x3": 1, "x7": 0.5, "r9": 0.25})
        0.9
    """

    name = "jenatton"
    optimum = 0.1
    minimizer: Mapping[str, Any] = MappingProxyType({"x1": 0, "x2": 0, "x4": 0.0, "r8": 0.0})

    def __init__(self) -> None:
        params: dict[str, Any] = {f"x{i}": Categorical([0, 1]) for i in (1, 2, 3)}
        params |= {name: Float(0.0, 1.0) for name in ("x4", "x5", "x6", "x7", "r8", "r9")}
        conditions = {
            "x2": {"x1": 0},
            "r8": {"x1": 0},
            "x3": {"x1": 1},
            "r9": {"x1": 1},
            "x4": {"x2": 0},
            "x5": {"x2": 1},
            "x6": {"x3": 0},
            "x7": {"x3": 1},
        }
        self.space = Space(params, conditions=conditions)

    def __repr__(self) -> str:
        return f"Jenatton(optimum={self.optimum})"

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        _no_budget(self, budget)
        p = self.space.validate(params)
        if p["x1"] == 0:
            leaf = p["x4"] ** 2 + 0.1 if p["x2"] == 0 else p["x5"] ** 2 + 0.2
            return float(leaf + p["r8"])
        leaf = p["x6"] ** 2 + 0.3 if p["x3"] == 0 else p["x7"] ** 2 + 0.4
        return float(leaf + p["r9"])
