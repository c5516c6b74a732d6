"""Synthetic test functions with known optima, vectorised on tensors.

Every problem evaluates ``X (n, d) -> (n,)`` in its own coordinates (``evaluate_true``) and one configuration
``{"x0": ..., "x1": ...} -> float`` (``__call__``), on any device and dtype. Formulas, domains and optima follow the
Virtual Library of Simulation Experiments (Surjanovic & Bingham) and BoTorch's test functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
from scipy.optimize import minimize_scalar
from torch import Tensor

from bohpo._checks import check_count
from bohpo.problems.base import Problem, SyntheticProblem
from bohpo.space import Categorical, Float, Int, Space

__all__ = [
    "Ackley",
    "Branin",
    "Hartmann3",
    "Hartmann6",
    "Levy",
    "Michalewicz",
    "MixedBranin",
    "Rosenbrock",
    "SixHumpCamel",
    "StyblinskiTang",
]


def _dimension(dim: int, name: str, *, minimum: int = 1) -> int:
    return check_count(dim, f"{name} dim", minimum=minimum)


class Branin(SyntheticProblem):
    """Branin–Hoo, d = 2.

    f(x) = (x1 - 5.1 x0^2 / (4 pi^2) + 5 x0 / pi - 6)^2 + 10 (1 - 1/(8 pi)) cos(x0) + 10
    on x0 in [-5, 10], x1 in [0, 15]; three minimisers (-pi, 12.275), (pi, 2.275), (9.42478, 2.475);
    optimum 0.397887.

    Example:
        >>> round(Branin()({"x0": math.pi, "x1": 2.275}), 6)
        0.397887
    """

    name = "branin"

    def __init__(self) -> None:
        super().__init__(
            [(-5.0, 10.0), (0.0, 15.0)],
            optimum=0.39788735772973816,
            minimizers=[(-math.pi, 12.275), (math.pi, 2.275), (3 * math.pi, 2.475)],
        )

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        x0, x1 = X[..., 0], X[..., 1]
        b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
        return (x1 - b * x0**2 + c * x0 - 6) ** 2 + 10 * (1 - t) * torch.cos(x0) + 10


class _Hartmann(SyntheticProblem):
    """f(x) = -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2) on [0, 1]^d."""

    _alpha = (1.0, 1.2, 3.0, 3.2)
    _A: tuple[tuple[float, ...], ...]
    _P: tuple[tuple[float, ...], ...]

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        alpha = X.new_tensor(self._alpha)  # (4,)
        A = X.new_tensor(self._A)  # (4, d)
        P = X.new_tensor(self._P) * 1e-4  # (4, d)
        inner = (A * (X.unsqueeze(-2) - P) ** 2).sum(-1)  # (n, 4)
        return -(alpha * torch.exp(-inner)).sum(-1)


class Hartmann3(_Hartmann):
    """Hartmann, d = 3, on [0, 1]^3; minimiser (0.114589, 0.555649, 0.852547), optimum -3.86278.

    Example:
        >>> round(Hartmann3()({"x0": 0.114614, "x1": 0.555649, "x2": 0.852547}), 5)
        -3.86278
    """

    name = "hartmann3"
    _A = ((3.0, 10.0, 30.0), (0.1, 10.0, 35.0), (3.0, 10.0, 30.0), (0.1, 10.0, 35.0))
    _P = ((3689, 1170, 2673), (4699, 4387, 7470), (1091, 8732, 5547), (381, 5743, 8828))

    def __init__(self) -> None:
        minimizer = (0.11458888932421674, 0.5556488889726049, 0.8525469795448206)
        super().__init__([(0.0, 1.0)] * 3, optimum=-3.862779787332659, minimizers=[minimizer])


class Hartmann6(_Hartmann):
    """Hartmann, d = 6, on [0, 1]^6; minimiser (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573),
    optimum -3.32237.

    Example:
        >>> round(Hartmann6().evaluate_true(Hartmann6().minimizers).item(), 5)
        -3.32237
    """

    name = "hartmann6"
    _A = (
        (10.0, 3.0, 17.0, 3.5, 1.7, 8.0),
        (0.05, 10.0, 17.0, 0.1, 8.0, 14.0),
        (3.0, 3.5, 1.7, 10.0, 17.0, 8.0),
        (17.0, 8.0, 0.05, 10.0, 0.1, 14.0),
    )
    _P = (
        (1312, 1696, 5569, 124, 8283, 5886),
        (2329, 4135, 8307, 3736, 1004, 9991),
        (2348, 1451, 3522, 2883, 3047, 6650),
        (4047, 8828, 8732, 5743, 1091, 381),
    )

    def __init__(self) -> None:
        super().__init__(
            [(0.0, 1.0)] * 6,
            optimum=-3.32236801141551,
            minimizers=[(0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054)],
        )


class Ackley(SyntheticProblem):
    """Ackley, any d: f(x) = -20 exp(-0.2 sqrt(mean x^2)) - exp(mean cos(2 pi x)) + 20 + e
    on [-32.768, 32.768]^d; minimiser 0, optimum 0.

    Example:
        >>> Ackley(dim=4).evaluate_true(torch.zeros(1, 4, dtype=torch.float64)).abs().item() < 1e-12
        True
    """

    name = "ackley"

    def __init__(self, dim: int = 2) -> None:
        dim = _dimension(dim, "Ackley")
        super().__init__([(-32.768, 32.768)] * dim, optimum=0.0, minimizers=[[0.0] * dim])

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        root = (X**2).mean(-1).sqrt()
        return -20 * torch.exp(-0.2 * root) - torch.exp(torch.cos(2 * math.pi * X).mean(-1)) + 20 + math.e


class Levy(SyntheticProblem):
    """Levy, any d: with w = 1 + (x - 1) / 4,
    f(x) = sin^2(pi w_1) + sum_{i<d} (w_i - 1)^2 (1 + 10 sin^2(pi w_i + 1)) + (w_d - 1)^2 (1 + sin^2(2 pi w_d))
    on [-10, 10]^d; minimiser 1, optimum 0.

    Example:
        >>> Levy(dim=3)({"x0": 1.0, "x1": 1.0, "x2": 1.0}) < 1e-12
        True
    """

    name = "levy"

    def __init__(self, dim: int = 2) -> None:
        dim = _dimension(dim, "Levy")
        super().__init__([(-10.0, 10.0)] * dim, optimum=0.0, minimizers=[[1.0] * dim])

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        w = 1 + (X - 1) / 4
        head = torch.sin(math.pi * w[..., 0]) ** 2
        body = ((w[..., :-1] - 1) ** 2 * (1 + 10 * torch.sin(math.pi * w[..., :-1] + 1) ** 2)).sum(-1)
        tail = (w[..., -1] - 1) ** 2 * (1 + torch.sin(2 * math.pi * w[..., -1]) ** 2)
        return head + body + tail


class Rosenbrock(SyntheticProblem):
    """Rosenbrock, d >= 2: f(x) = sum_{i<d} 100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2 on [-5, 10]^d;
    minimiser 1, optimum 0.

    Example:
        >>> Rosenbrock(dim=4)({"x0": 1.0, "x1": 1.0, "x2": 1.0, "x3": 1.0})
        0.0
    """

    name = "rosenbrock"

    def __init__(self, dim: int = 2) -> None:
        dim = _dimension(dim, "Rosenbrock", minimum=2)
        super().__init__([(-5.0, 10.0)] * dim, optimum=0.0, minimizers=[[1.0] * dim])

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        head, tail = X[..., :-1], X[..., 1:]
        return (100 * (tail - head**2) ** 2 + (head - 1) ** 2).sum(-1)


class StyblinskiTang(SyntheticProblem):
    """Styblinski–Tang, any d: f(x) = 0.5 sum (x^4 - 16 x^2 + 5 x) on [-5, 5]^d;
    minimiser x_i = -2.903534, optimum -39.16617 d.

    Example:
        >>> round(StyblinskiTang(dim=2).optimum, 4)
        -78.3323
    """

    name = "styblinski-tang"
    _x_star = -2.903534027771178  # root of 4 x^3 - 32 x + 5

    def __init__(self, dim: int = 2) -> None:
        dim = _dimension(dim, "StyblinskiTang")
        one_d = 0.5 * (self._x_star**4 - 16 * self._x_star**2 + 5 * self._x_star)
        super().__init__([(-5.0, 5.0)] * dim, optimum=one_d * dim, minimizers=[[self._x_star] * dim])

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        return 0.5 * (X**4 - 16 * X**2 + 5 * X).sum(-1)


class Michalewicz(SyntheticProblem):
    """Michalewicz, any d: f(x) = -sum_i sin(x_i) sin^(2m)(i x_i^2 / pi), m = 10, on [0, pi]^d.

    The function is a sum of one-dimensional terms, so its minimiser is found coordinate by coordinate (a dense
    grid, then a bounded Brent search): optimum -1.8013 (d = 2), -4.687658 (d = 5), -9.66015 (d = 10).

    Example:
        >>> round(Michalewicz(dim=5).optimum, 5)
        -4.68766
    """

    name = "michalewicz"
    _m = 10

    def __init__(self, dim: int = 2) -> None:
        dim = _dimension(dim, "Michalewicz")
        coords, values = zip(*(self._minimise_term(i) for i in range(1, dim + 1)), strict=True)
        super().__init__([(0.0, math.pi)] * dim, optimum=sum(values), minimizers=[coords])

    @classmethod
    def _term(cls, x: np.ndarray | float, i: int) -> np.ndarray | float:
        return -np.sin(x) * np.sin(i * np.square(x) / np.pi) ** (2 * cls._m)

    @classmethod
    def _minimise_term(cls, i: int) -> tuple[float, float]:
        grid = np.linspace(0.0, np.pi, 200_001)
        j = int(np.argmin(cls._term(grid, i)))
        lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
        found = minimize_scalar(lambda x: cls._term(x, i), bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
        return float(found.x), float(found.fun)

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        i = torch.arange(1, self.dim + 1, dtype=X.dtype, device=X.device)  # (d,)
        return -(torch.sin(X) * torch.sin(i * X**2 / math.pi) ** (2 * self._m)).sum(-1)


class SixHumpCamel(SyntheticProblem):
    """Six-hump camel, d = 2: f(x) = (4 - 2.1 x0^2 + x0^4 / 3) x0^2 + x0 x1 + (-4 + 4 x1^2) x1^2
    on x0 in [-3, 3], x1 in [-2, 2]; minimisers (0.0898, -0.7126) and (-0.0898, 0.7126), optimum -1.031628.

    Example:
        >>> round(SixHumpCamel()({"x0": 0.0898420131, "x1": -0.7126564030}), 6)
        -1.031628
    """

    name = "six-hump-camel"

    def __init__(self) -> None:
        x0, x1 = 0.08984201310031806, -0.7126564030207396
        super().__init__([(-3.0, 3.0), (-2.0, 2.0)], optimum=-1.0316284534898774, minimizers=[(x0, x1), (-x0, -x1)])

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        x0, x1 = X[..., 0], X[..., 1]
        return (4 - 2.1 * x0**2 + x0**4 / 3) * x0**2 + x0 * x1 + (-4 + 4 * x1**2) * x1**2


class MixedBranin(Problem):
    """Branin with an integer and a categorical input: a mixed space with a known optimum.

    f(x0, x1, k, c) = branin(x0, x1) + 0.1 (k - 7)^2 + offset(c), offsets {a: 1, b: 0, c: 0.5, d: 2},
    on x0 in [-5, 10], x1 in [0, 15], k in 0..10, c in {a, b, c, d}; optimum 0.397887 at Branin's minimisers with
    k = 7 and c = "b".

    Example:
        >>> round(MixedBranin()({"x0": math.pi, "x1": 2.275, "k": 7, "c": "b"}), 6)
        0.397887
    """

    name = "mixed-branin"
    _offsets: Mapping[str, float] = MappingProxyType({"a": 1.0, "b": 0.0, "c": 0.5, "d": 2.0})

    def __init__(self) -> None:
        self._branin = Branin()
        self.optimum = self._branin.optimum
        self.space = Space(
            {
                "x0": Float(-5.0, 10.0),
                "x1": Float(0.0, 15.0),
                "k": Int(0, 10),
                "c": Categorical(list(self._offsets)),
            }
        )

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        if budget is not None:
            raise ValueError(f"{self.name} has no fidelity; budget must be None, got {budget!r}")
        p = self.space.validate(params)
        smooth = self._branin({"x0": p["x0"], "x1": p["x1"]})
        return smooth + 0.1 * (p["k"] - 7) ** 2 + self._offsets[p["c"]]
