"""The ``Problem`` seam: a benchmark objective with its space and, where known, its optimum."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from bohpo.space import Float, Space

__all__ = ["Problem", "SyntheticProblem"]


class Problem:
    """A benchmark objective, minimised.

    Attributes:
        name: Short name (registry key).
        space: The search space.
        optimum: The best (lowest) achievable value, or ``None`` when unknown.
        min_budget, max_budget: The budget range of a multi-fidelity problem, ``None`` otherwise; ``budget=None``
            means ``max_budget``.

    Example:
        >>> from bohpo.problems import make_problem
        >>> problem = make_problem("branin")
        >>> value = problem({"x0": 0.0, "x1": 0.0})
        >>> round(value, 3), round(problem.regret(value), 3)
        (55.602, 55.204)
    """

    name: str = "problem"
    space: Space
    optimum: float | None = None
    min_budget: float | None = None
    max_budget: float | None = None

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        """Evaluate one configuration (at ``budget`` for a multi-fidelity problem)."""
        raise NotImplementedError

    def regret(self, value: float) -> float | None:
        """``value - optimum``, or ``None`` when the optimum is unknown."""
        return None if self.optimum is None else value - self.optimum

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={len(self.space)}, optimum={self.optimum!r})"


class SyntheticProblem(Problem):
    """A closed-form function on a box, with known minimisers; evaluated on tensors, on any device.

    Subclasses set ``bounds`` (d, 2), ``optimum`` and ``_minimizers`` (k, d), and implement :meth:`evaluate_true`.
    Parameters are named ``x0 ... x{d-1}``.
    """

    optimum: float  # always known

    def __init__(self, bounds: Sequence[tuple[float, float]], optimum: float, minimizers: Sequence[Sequence[float]]):
        self.bounds = torch.tensor(bounds, dtype=torch.float64)  # (d, 2)
        self.dim = len(bounds)
        self.optimum = float(optimum)
        self.minimizers = torch.tensor(minimizers, dtype=torch.float64).reshape(-1, self.dim)  # (k, d)
        self.space = Space({f"x{i}": Float(float(lo), float(hi)) for i, (lo, hi) in enumerate(bounds)})

    def evaluate_true(self, X: Tensor) -> Tensor:
        """Noise-free values. X: (n, d) in the problem's own coordinates -> (n,), same dtype and device."""
        raise NotImplementedError

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        if budget is not None:
            raise ValueError(f"{self.name} has no fidelity; budget must be None, got {budget!r}")
        return float(self.evaluate_true(self.to_tensor([params]))[0])

    def to_tensor(self, configs: Sequence[Mapping[str, Any]]) -> Tensor:
        """(n, d) float64 tensor of configurations, columns in space order (each config is validated)."""
        rows = [list(self.space.validate(c).values()) for c in configs]
        return torch.tensor(rows, dtype=torch.float64).reshape(len(rows), self.dim)

    def _check_input(self, X: Tensor) -> None:
        if not isinstance(X, Tensor) or X.ndim != 2 or X.shape[-1] != self.dim:
            shape = tuple(X.shape) if isinstance(X, Tensor) else type(X).__name__
            raise ValueError(f"{self.name} takes X of shape (n, {self.dim}), got {shape}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim}, optimum={self.optimum!r})"
