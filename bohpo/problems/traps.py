"""Trap problems: plateaus, ties, categories and boundaries, each with an exactly known optimum.

A smooth-function benchmark rewards a stationary GP that trusts its lengthscales. These problems are built to break
that trust the way real tuning problems do, so a default that gets trapped on them shows it:

- ``schwefel``: a rugged function whose best basin borders a flat penalty region (a constant over a slab of the box),
  like configurations that time out or diverge and all score the same;
- ``flag-plateau``: three boolean flags; for almost every setting the loss is a plateau that barely moves with the
  continuous parameters, and one setting hides a basin below it;
- ``step-function``: a quantised bowl over ints and floats, with large regions of exactly tied values, like a decision
  tree's cross-validated loss;
- ``boundary``: a tilted, gently multimodal bowl whose minimiser lies on an edge of the box;
- ``categorical-offsets``: one function per choice of a five-way categorical, each with its minimiser elsewhere and
  its own offset, so pooling the categories misleads.

Glossary:
    n   number of points evaluated at once.
    d   number of parameters of a box problem.
    X   (n, d) points in the problem's own coordinates.
    z   a numeric parameter scaled to [0, 1] (through the log for ``log=True`` parameters).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import torch
from torch import Tensor

from bohpo._checks import check_count
from bohpo.problems.base import Problem, SyntheticProblem
from bohpo.problems.synthetic import Hartmann3
from bohpo.space import Categorical, Float, Int, Space

__all__ = ["Boundary", "CategoricalOffsets", "FlagPlateau", "Schwefel", "StepFunction"]


def _no_budget(problem: Problem, budget: float | None) -> None:
    if budget is not None:
        raise ValueError(f"{problem.name} has no fidelity; budget must be None, got {budget!r}")


def _unit(value: float, low: float, high: float, *, log: bool = False) -> float:
    """``value`` scaled to [0, 1] on ``[low, high]``, through the log when ``log``."""
    if log:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (value - low) / (high - low)


class Schwefel(SyntheticProblem):
    """Schwefel's function with a flat penalty region, any d.

    f(x) = sum_i (c - x_i sin(sqrt|x_i|)) where every x_i <= 440, and f(x) = 1.2 c d where any x_i > 440,
    on [-500, 500]^d, with c = 418.98288727243295 = x* sin(sqrt(x*)), x* = 420.96874878568275 (the minimiser of
    -x sin(sqrt|x|) on [-500, 500], found by a bounded Brent search; the usual constant is 418.9829).

    Each term is >= 0 and 0 only at x*, so the minimiser is x_i = x* for every i and the optimum is 0, as for the
    standard Schwefel function: the penalty region leaves it 19 units inside the rugged part. The penalty region is
    the slab where some coordinate exceeds 440: about 6% of the range per coordinate, 27% of the box for d = 5. It
    is exactly flat, at a level above the function's mean c d over the box (its 73rd percentile under uniform
    sampling for d = 2, 83rd for d = 5, 91st for d = 10), and it borders the best basin: a model that fits the
    plateau's flatness with a long lengthscale smooths the basin away.

    Example:
        >>> problem = Schwefel(dim=3)
        >>> abs(problem({"x0": 420.9687487856, "x1": 420.9687487856, "x2": 420.9687487856})) < 1e-9
        True
        >>> problem({"x0": 0.0, "x1": 450.0, "x2": -300.0}) == problem({"x0": 10.0, "x1": 499.0, "x2": 7.0})
        True
    """

    name = "schwefel"
    x_star = 420.96874878568275
    c = 418.98288727243295
    threshold = 440.0
    plateau_factor = 1.2

    def __init__(self, dim: int = 2) -> None:
        dim = check_count(dim, "Schwefel dim", minimum=1)
        super().__init__([(-500.0, 500.0)] * dim, optimum=0.0, minimizers=[[self.x_star] * dim])
        self.plateau = self.plateau_factor * self.c * dim

    def in_plateau(self, X: Tensor) -> Tensor:
        """Whether each point lies in the flat region. X: (n, d) -> (n,) bool."""
        self._check_input(X)
        return X.gt(self.threshold).any(-1)

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        rugged = (self.c - X * torch.sin(X.abs().sqrt())).sum(-1)  # (n,)
        return torch.where(self.in_plateau(X), torch.full_like(rugged, self.plateau), rugged)


class Boundary(SyntheticProblem):
    """A tilted, gently multimodal bowl whose minimiser lies on an edge of the box (a corner when d <= 2), any d.

    f(x) = sum_i [(x_i - t_i)^2 - (m_i - t_i)^2 + a (1 - cos(2 pi k (x_i - m_i)))] on [0, 1]^d, a = 0.05, k = 3,
    with, by i mod 3: target t_i = 1.2 and minimiser m_i = 1 (the upper bound); t_i = -0.2, m_i = 0 (the lower bound);
    t_i = m_i = 0.3 (inside). Each term is >= 0 and 0 only at m_i (the quadratic is smallest at the bound nearest its
    target outside the box, the ripple is 0 at m_i), so the minimiser is m = (1, 0, 0.3, 1, 0, 0.3, ...) and the
    optimum is 0. The ripple gives each coordinate local minima (a (2 pi k)^2 > 2) and the quadratic tilts the box
    towards the bounds by a slope of 0.4 there.

    Example:
        >>> Boundary(dim=4)({"x0": 1.0, "x1": 0.0, "x2": 0.3, "x3": 1.0}) < 1e-12
        True
    """

    name = "boundary"
    amplitude = 0.05
    frequency = 3
    _t = (1.2, -0.2, 0.3)  # by i mod 3
    _m = (1.0, 0.0, 0.3)

    def __init__(self, dim: int = 2) -> None:
        dim = check_count(dim, "Boundary dim", minimum=1)
        self.targets = torch.tensor([self._t[i % 3] for i in range(dim)], dtype=torch.float64)  # (d,)
        minimizer = [self._m[i % 3] for i in range(dim)]
        super().__init__([(0.0, 1.0)] * dim, optimum=0.0, minimizers=[minimizer])

    def evaluate_true(self, X: Tensor) -> Tensor:
        self._check_input(X)
        t = self.targets.to(X)  # (d,)
        m = self.minimizers[0].to(X)  # (d,)
        tilt = (X - t) ** 2 - (m - t) ** 2  # (n, d)
        ripple = self.amplitude * (1 - torch.cos(2 * math.pi * self.frequency * (X - m)))  # (n, d)
        return (tilt + ripple).sum(-1)


class StepFunction(SyntheticProblem):
    """A quantised bowl over three ints and three floats: piecewise constant, with large regions of exactly tied
    values, like a decision tree's cross-validated loss.

    With every parameter scaled to z in [0, 1] (k0 in 1..20, k1 in 2..40, k2 in 1..16, x0, x1, x2 in [0, 1]) and
    h(z) = sum_j w_j (z_j - c_j)^2 + 0.8 (z_0 - c_0)(z_3 - c_3), w = (1.5, 1, 0.8, 1.2, 1, 0.6), a positive definite
    quadratic with its minimum 0 at c, the centre (k0, k1, k2, x0, x1, x2) = (7, 30, 4, 0.65, 0.2, 0.45):

        f = 0.1 + 0.05 floor(h(z) / 0.05).

    The optimum 0.1 is taken on the whole region h < 0.05 around the centre (several integer settings and a
    continuous ellipsoid of floats); every other value is one of the levels 0.15, 0.2, ... ``minimizers`` holds the
    centre. ``evaluate_true`` takes the int columns as given.

    Example:
        >>> problem = StepFunction()
        >>> problem({"k0": 7, "k1": 30, "k2": 4, "x0": 0.65, "x1": 0.2, "x2": 0.45})
        0.1
        >>> problem({"k0": 8, "k1": 29, "k2": 4, "x0": 0.6, "x1": 0.25, "x2": 0.45})
        0.1
    """

    name = "step-function"
    level = 0.1
    step = 0.05
    _ints = (("k0", 1, 20, 7), ("k1", 2, 40, 30), ("k2", 1, 16, 4))  # name, low, high, centre
    _floats = (("x0", 0.65), ("x1", 0.2), ("x2", 0.45))  # on [0, 1]
    _weights = (1.5, 1.0, 0.8, 1.2, 1.0, 0.6)
    _cross = 0.8  # couples k0 and x0

    def __init__(self) -> None:
        bounds = [(float(lo), float(hi)) for _, lo, hi, _ in self._ints] + [(0.0, 1.0)] * len(self._floats)
        centre = [float(c) for *_, c in self._ints] + [c for _, c in self._floats]
        super().__init__(bounds, optimum=self.level, minimizers=[centre])
        self.space = Space(
            {name: Int(lo, hi) for name, lo, hi, _ in self._ints} | {name: Float(0.0, 1.0) for name, _ in self._floats}
        )

    def smooth(self, X: Tensor) -> Tensor:
        """The bowl h before quantisation. X: (n, 6) -> (n,), 0 at the centre."""
        self._check_input(X)
        lo, hi = self.bounds[:, 0].to(X), self.bounds[:, 1].to(X)  # (6,)
        dz = (X - self.minimizers[0].to(X)) / (hi - lo)  # (n, 6)
        return (X.new_tensor(self._weights) * dz**2).sum(-1) + self._cross * dz[..., 0] * dz[..., 3]

    def evaluate_true(self, X: Tensor) -> Tensor:
        return self.level + self.step * torch.floor(self.smooth(X) / self.step)


class FlagPlateau(Problem):
    """A regularised linear model's loss surface with three boolean flags: a near-flat plateau for almost every flag
    setting, and a smooth basin under one.

    Parameters: C in [1e-3, 1e3] (log), l1_ratio in [0, 1], tol in [1e-6, 1e-2] (log), max_iter in 10..1000 (log int),
    and the flags fit_intercept, balanced, standardize, each False or True. With the numeric parameters scaled to
    z in [0, 1]^4 (through the log where the parameter is logarithmic):

    - flags (True, False, True), the good setting: f = L (1 - 0.08 exp(-|z - z*|^2 / (2 * 0.25^2))), a basin down
      to 8% below the plateau at C = 10, l1_ratio = 0.3, tol = 1e-3, max_iter = 200 (z* = (2/3, 0.3, 3/4, log 20 /
      log 100)); far from z* it rises to L and looks like the plateau;
    - flags (False, True, False): a slightly worse plateau, f = 1.01 L (1 + a r(z));
    - the six other settings: the plateau f = L (1 + a r(z)),

    with L = 0.25, a = 5e-4 and r(z) = mean_j cos(2 pi k_j z_j + phi_j) in [-1, 1], k = (3, 2, 4, 3), a smooth ripple:
    each plateau varies by at most 2a = 0.1% of its level. The optimum 0.23 = 0.92 L is at z* under the good flags,
    which is neither the first choice of every flag nor the last.

    Example:
        >>> problem = FlagPlateau()
        >>> best = {"C": 10.0, "l1_ratio": 0.3, "tol": 1e-3, "max_iter": 200,
        ...         "fit_intercept": True, "balanced": False, "standardize": True}
        >>> round(problem(best), 12)
        0.23
        >>> 0.2498 < problem(best | {"standardize": False}) < 0.2502
        True
    """

    name = "flag-plateau"
    optimum: float
    level = 0.25
    depth = 0.08
    width = 0.25
    ripple = 5e-4
    worse = 1.01
    good_flags = (True, False, True)
    worse_flags = (False, True, False)
    _numeric = (("C", 1e-3, 1e3, True), ("l1_ratio", 0.0, 1.0, False), ("tol", 1e-6, 1e-2, True))
    _max_iter = (10, 1000)
    _flags = ("fit_intercept", "balanced", "standardize")
    _frequencies = (3.0, 2.0, 4.0, 3.0)
    _phases = (0.3, 1.1, 2.0, 0.7)
    minimizer: Mapping[str, Any] = MappingProxyType(
        {"C": 10.0, "l1_ratio": 0.3, "tol": 1e-3, "max_iter": 200, "fit_intercept": True, "balanced": False,
         "standardize": True}
    )  # fmt: skip

    def __init__(self) -> None:
        params: dict[str, Any] = {name: Float(lo, hi, log=log) for name, lo, hi, log in self._numeric}
        params["max_iter"] = Int(*self._max_iter, log=True)
        params |= {flag: Categorical([False, True]) for flag in self._flags}
        self.space = Space(params)
        self.optimum = self.level * (1 - self.depth)
        self._z_star = self._scaled(self.minimizer)

    def _scaled(self, p: Mapping[str, Any]) -> tuple[float, ...]:
        """The numeric parameters scaled to z in [0, 1]^4."""
        z = [_unit(p[name], lo, hi, log=log) for name, lo, hi, log in self._numeric]
        return (*z, _unit(p["max_iter"], *self._max_iter, log=True))

    def plateau_level(self, flags: tuple[bool, ...]) -> float | None:
        """The plateau's level L_s under a flag setting, or ``None`` for the good setting (which has a basin)."""
        if flags == self.good_flags:
            return None
        return self.level * (self.worse if flags == self.worse_flags else 1.0)

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        _no_budget(self, budget)
        p = self.space.validate(params)
        z = self._scaled(p)
        level = self.plateau_level(tuple(p[flag] for flag in self._flags))
        if level is None:
            distance2 = sum((a - b) ** 2 for a, b in zip(z, self._z_star, strict=True))
            return self.level * (1 - self.depth * math.exp(-distance2 / (2 * self.width**2)))
        waves = (
            math.cos(2 * math.pi * k * zj + phase)
            for k, zj, phase in zip(self._frequencies, z, self._phases, strict=True)
        )
        return level * (1 + self.ripple * sum(waves) / len(z))


class CategoricalOffsets(Problem):
    """Hartmann3 reflected differently under each choice of a five-way categorical, plus per-choice offsets.

    f(x, k, c) = hartmann3(T_c(x)) + 0.05 (k - 6)^2 + o_c on x in [0, 1]^3, k in 0..8, c in {a, b, c, d, e}, where
    T_c reflects coordinates (x_j -> 1 - x_j): none for a, x0 for b, x1 for c, x0 and x2 for d, all for e; and the
    offsets are o = {a: 0.8, b: 0.3, c: 0.6, d: 0, e: 1}. Each choice's minimiser is Hartmann3's reflected, so no two
    choices share one; the best choice, d, is neither the first nor the middle one, and the runner-up b shares
    d's x0 and x1. The optimum -3.86278 (Hartmann3's) is at c = "d", k = 6,
    x = (1 - 0.114589, 0.555649, 1 - 0.852547) = (0.885411, 0.555649, 0.147453).

    Example:
        >>> problem = CategoricalOffsets()
        >>> round(problem(problem.minimizer), 5)
        -3.86278
    """

    name = "categorical-offsets"
    optimum: float
    _offsets: Mapping[str, float] = MappingProxyType({"a": 0.8, "b": 0.3, "c": 0.6, "d": 0.0, "e": 1.0})
    _reflected: Mapping[str, tuple[bool, bool, bool]] = MappingProxyType(
        {"a": (False, False, False), "b": (True, False, False), "c": (False, True, False), "d": (True, False, True),
         "e": (True, True, True)}
    )  # fmt: skip
    k_best = 6
    k_weight = 0.05

    def __init__(self) -> None:
        self._hartmann = Hartmann3()
        self.optimum = self._hartmann.optimum
        self.space = Space(
            {
                "x0": Float(0.0, 1.0),
                "x1": Float(0.0, 1.0),
                "x2": Float(0.0, 1.0),
                "k": Int(0, 8),
                "c": Categorical(list(self._offsets)),
            }
        )
        x = self.reflect(self._hartmann.minimizers[0].tolist(), "d")
        self.minimizer: Mapping[str, Any] = MappingProxyType(
            {"x0": x[0], "x1": x[1], "x2": x[2], "k": self.k_best, "c": "d"}
        )

    def reflect(self, x: list[float], choice: str) -> list[float]:
        """``T_c(x)``: the point where choice ``c``'s function reads Hartmann3 (its own inverse)."""
        return [1.0 - v if flip else v for v, flip in zip(x, self._reflected[choice], strict=True)]

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        _no_budget(self, budget)
        p = self.space.validate(params)
        x = self.reflect([p["x0"], p["x1"], p["x2"]], p["c"])
        smooth = float(self._hartmann.evaluate_true(torch.tensor([x], dtype=torch.float64))[0])
        return smooth + self.k_weight * (p["k"] - self.k_best) ** 2 + self._offsets[p["c"]]
