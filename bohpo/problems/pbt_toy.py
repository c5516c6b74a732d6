"""The toy problem of the population-based training paper (Jaderberg et al. 2017, section 4.1 and figure 2).

The model has two weights theta = (theta0, theta1), starting at (0.9, 0.9), and the objective is
``Q(theta) = 1.2 - (theta0^2 + theta1^2)``, maximal (1.2) at theta = 0. Training cannot see Q: it takes gradient steps
of size ``eta`` on the surrogate ``Q_h(theta) = 1.2 - (h0 theta0^2 + h1 theta1^2)``, whose hyperparameters
h = (h0, h1) decide which weights move (theta_i <- (1 - 2 eta h_i) theta_i). This problem minimises the loss
``1.2 - Q = theta0^2 + theta1^2`` (optimum 0): with h = (1, 0) only theta0 shrinks, with (0, 1) only theta1, and
only a schedule that changes h, or copies the weights of the member that trained the other way, reaches 0.

``train(params, state, until)`` continues a training state (``None``: the start) to step ``until``; calling the
problem trains from the start to ``budget`` steps (the full ``max_step`` by default) with fixed h, and ``curve``
does the same reporting the loss after each step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bohpo.problems.base import Problem
from bohpo.space import Float, Space

__all__ = ["PBTToy"]

ToyState = tuple[float, float, int]  # theta0, theta1, steps taken


class PBTToy(Problem):
    """The PBT paper's toy problem (see the module docstring).

    Args:
        eta: The gradient step size (the paper's 0.01).
        max_step: The steps of a full training.

    Example:
        >>> toy = PBTToy()
        >>> state, loss = toy.train({"h0": 1.0, "h1": 0.0}, None, until=100)
        >>> round(loss, 4), state[2]
        (0.8242, 100)
        >>> round(toy({"h0": 1.0, "h1": 1.0}, budget=100), 4)
        0.0285
    """

    name = "pbt-toy"
    space = Space({"h0": Float(0.0, 1.0), "h1": Float(0.0, 1.0)})
    optimum = 0.0
    start: ToyState = (0.9, 0.9, 0)

    def __init__(self, *, eta: float = 0.01, max_step: int = 100) -> None:
        if not 0.0 < eta < 0.5:
            raise ValueError(f"eta must be in (0, 0.5) (a larger step diverges), got {eta!r}")
        if isinstance(max_step, bool) or not isinstance(max_step, int) or max_step < 1:
            raise ValueError(f"max_step must be an int >= 1, got {max_step!r}")
        self.eta, self.max_step, self._steps = float(eta), max_step, max_step
        self.min_budget, self.max_budget = 1.0, float(max_step)

    def loss(self, state: ToyState) -> float:
        """theta0^2 + theta1^2 = 1.2 - Q(theta)."""
        return state[0] ** 2 + state[1] ** 2

    def train(self, params: Mapping[str, Any], state: ToyState | None, *, until: int) -> tuple[ToyState, float]:
        """Gradient steps on the surrogate with ``params``'s h from ``state`` (None: the start) up to step ``until``;
        returns the new state and its loss. The weights' state is the checkpoint population-based training copies."""
        p = self.space.validate(params)
        theta0, theta1, step = self.start if state is None else state
        if until < step:
            raise ValueError(f"until = {until} is before the state's step {step}")
        for _ in range(step, until):
            theta0 *= 1.0 - 2.0 * self.eta * p["h0"]
            theta1 *= 1.0 - 2.0 * self.eta * p["h1"]
        new = (theta0, theta1, until)
        return new, self.loss(new)

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        return self.curve(params, lambda step, value: None, budget)

    def curve(
        self, params: Mapping[str, Any], report: Callable[[int, float], None], budget: float | None = None
    ) -> float:
        """Train from the start with fixed h for ``budget`` steps (``max_step`` by default), reporting the loss
        after each."""
        steps = self._steps if budget is None else round(budget)
        state, loss = self.start, self.loss(self.start)
        for step in range(1, steps + 1):
            state, loss = self.train(params, state, until=step)
            report(step, loss)
        return loss
