"""Grid search: every point of a grid exactly once, in a seeded random order."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from bohpo._checks import check_count
from bohpo.errors import SearchExhausted
from bohpo.searchers.base import Direction, Searcher
from bohpo.seeding import SeedLike, torch_generator
from bohpo.space import Categorical, Config, Int, Space

__all__ = ["GridSearch"]

_ORDER_STREAM = 1  # seeding key of the grid's shuffle
_MAX_GRID_SIZE = 10**8  # the shuffled order is held as one int64 tensor


class GridSearch(Searcher):
    """Evaluate each point of ``space.grid(n_points)`` once, shuffled with the seed (or in grid order).

    Args:
        space: The search space.
        n_points: Points per numeric parameter, one count or ``{name: count}`` (see :meth:`Space.grid_values`).
        shuffle: Visit the grid in a seeded random order (default), so that a budget smaller than the grid still
            spreads over it; ``False`` walks it in order, last parameter fastest.
        seed, direction: As for every :class:`Searcher`.

    Raises:
        SearchExhausted: from ``ask``, once every grid point has been asked.

    Example:
        >>> from bohpo.space import Categorical, Int, Space
        >>> searcher = GridSearch(Space({"k": Int(1, 3), "c": Categorical(["a", "b"])}), seed=0)
        >>> searcher.size, len({tuple(t.params.values()) for t in searcher.ask(6)})
        (6, 6)
    """

    def __init__(
        self,
        space: Space,
        *,
        n_points: int | Mapping[str, int] = 5,
        shuffle: bool = True,
        seed: SeedLike = None,
        direction: Direction = "minimize",
    ) -> None:
        super().__init__(space, seed=seed, direction=direction)
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be a bool, got {shuffle!r}")
        self._values = space.grid_values(n_points)
        self._radices = [len(v) for v in self._values.values()]
        self.size = math.prod(self._radices)
        if self.size > _MAX_GRID_SIZE:
            raise ValueError(
                f"the grid has {self.size} points, more than the {_MAX_GRID_SIZE} GridSearch can shuffle; "
                f"lower n_points={n_points!r}"
            )
        self._shuffle = shuffle
        self._order = self._visiting_order()
        self._position = 0

    def _visiting_order(self) -> torch.Tensor:
        """(size,) grid indices in the order they are asked; a function of the seed only."""
        if not self._shuffle:
            return torch.arange(self.size)
        return torch.randperm(self.size, generator=torch_generator(self.seed, _ORDER_STREAM))

    @classmethod
    def for_budget(
        cls, space: Space, n_trials: int, *, seed: SeedLike = None, direction: Direction = "minimize"
    ) -> GridSearch:
        """The coarsest grid (same count for every numeric parameter) with at least ``n_trials`` points."""
        check_count(n_trials, "n_trials", minimum=1)
        numeric = [p for _, p in space.items() if not isinstance(p, Categorical)]
        if not numeric:
            return cls(space, n_points=1, seed=seed, direction=direction)
        n_combos = math.prod(len(p.choices) for _, p in space.items() if isinstance(p, Categorical))
        # An Int with n_points >= its number of values is enumerated whole; past that the grid stops growing.
        cap = max(p.high - p.low + 1 for p in numeric) if all(isinstance(p, Int) for p in numeric) else math.inf
        n_points = max(1, math.floor((n_trials / n_combos) ** (1 / len(numeric))))  # a lower bound
        while n_points < cap and math.prod(map(len, space.grid_values(n_points).values())) < n_trials:
            n_points += 1
        return cls(space, n_points=n_points, seed=seed, direction=direction)

    @property
    def n_remaining(self) -> int:
        """Grid points not yet asked."""
        return self.size - self._position

    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        if n > self.n_remaining:
            raise SearchExhausted(
                f"the grid is exhausted: {self.n_remaining} of its {self.size} points remain, {n} asked for"
            )
        indices = self._order[self._position : self._position + n].tolist()
        self._position += n
        return [self._config_at(i) for i in indices]

    def _config_at(self, index: int) -> Config:
        """Grid point number ``index`` in grid order (mixed radix, last parameter fastest)."""
        picks = []
        for radix in reversed(self._radices):
            index, digit = divmod(index, radix)
            picks.append(digit)
        return {name: values[i] for (name, values), i in zip(self._values.items(), reversed(picks), strict=True)}

    def _state(self) -> dict[str, Any]:
        return {"position": self._position}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        position = check_count(state.get("position"), "state['position']")
        if position > self.size:
            raise ValueError(f"state['position'] = {position} is past the end of a grid of {self.size} points")
        self._order, self._position = self._visiting_order(), position
