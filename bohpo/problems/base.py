"""The ``Problem`` seam: a benchmark objective with its space and, where known, its optimum."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from bohpo.space import Float, Space

__all__ = ["ObjectiveProblem", "Problem", "SyntheticProblem"]


class Problem:
    """A benchmark objective, minimised.

    Attributes:
        name: Short name (registry key).
        space: The search space.
        optimum: The best (lowest) achievable value, or ``None`` when unknown.
        min_budget, max_budget: The budget range of a multi-fidelity problem, ``None`` otherwise; ``budget=None``
            means ``max_budget``.
        max_step: For a problem that trains in steps and reports its learning curve (:meth:`curve`), the last
            step of a full evaluation; ``None`` otherwise.

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
    max_step: int | None = None  # the last step ``curve`` reports in a full evaluation; None: it reports none

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        """Evaluate one configuration (at ``budget`` for a multi-fidelity problem)."""
        raise NotImplementedError

    def curve(
        self, params: Mapping[str, Any], report: Callable[[int, float], None], budget: float | None = None
    ) -> float:
        """Evaluate one configuration, calling ``report(step, value)`` along the way where the problem trains in
        steps (``max_step`` is set: epochs, trees); the value returned is ``self(params, budget)``'s.
        ``report`` may raise (a pruner's :class:`~bohpo.errors.TrialPruned`) to stop the training. A problem without
        a learning curve evaluates and reports nothing."""
        return self(params, budget)

    def regret(self, value: float) -> float | None:
        """``value - optimum``, or ``None`` when the optimum is unknown."""
        return None if self.optimum is None else value - self.optimum

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={len(self.space)}, optimum={self.optimum!r})"


class ObjectiveProblem(Problem):
    """A researcher's own objective as a benchmark problem: ``objective(params) -> float`` on ``space``, minimised.

    Register it by name (:func:`~bohpo.problems.register_problem`) for runs in this process, or name it by its
    import path (``"mymodule:my_problem"``, a module attribute that is the problem or builds it) so that worker
    processes and Dask workers build it too.

    Args:
        objective: Called with a dict of parameters; returns a number (lower is better).
        space: Its search space.
        optimum: The lowest achievable value, if known (regret is measured from it; otherwise from the best value
            any run reached).
        name: What reports call it.

    Example:
        >>> from bohpo.space import Float, Space
        >>> problem = ObjectiveProblem(lambda p: (p["x"] - 0.5) ** 2, Space({"x": Float(0.0, 1.0)}), optimum=0.0)
        >>> problem({"x": 0.75}), problem.regret(0.0625)
        (0.0625, 0.0625)
    """

    def __init__(self, objective: Any, space: Space, *, optimum: float | None = None, name: str = "objective") -> None:
        if not callable(objective):
            raise TypeError(f"objective must be callable, got {type(objective).__name__}")
        if not isinstance(space, Space):
            raise TypeError(f"space must be a bohpo Space, got {type(space).__name__}")
        if optimum is not None and not (isinstance(optimum, (int, float)) and math.isfinite(optimum)):
            raise ValueError(f"optimum must be a finite number or None, got {optimum!r}")
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {name!r}")
        self.objective, self.space, self.name = objective, space, name
        self.optimum = None if optimum is None else float(optimum)

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        if budget is not None:
            raise ValueError(f"{self.name} has no fidelity; budget must be None, got {budget!r}")
        return float(self.objective(dict(self.space.validate(params))))


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
