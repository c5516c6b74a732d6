"""Grid search: every point of a grid exactly once, in a seeded random order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from bohpo._checks import check_count
from bohpo.errors import SearchExhausted
from bohpo.objectives import ConstraintsArg, ObjectivesArg
from bohpo.searchers.base import Direction, Searcher
from bohpo.seeding import SeedLike, torch_generator
from bohpo.space import Config, Space

__all__ = ["GridSearch"]

_ORDER_STREAM = 1  # seeding key of the grid's shuffle
_MAX_GRID_SIZE = 10**7  # the shuffled order is held as one int64 tensor (80 MB at most)


class GridSearch(Searcher):
    """Evaluate each point of ``space.grid(n_points)`` once, shuffled with the seed (or in grid order).

    Args:
        space: The search space.
        n_points: Points per numeric parameter, one count or ``{name: count}`` (see :meth:`Space.grid_values`).
        shuffle: Visit the grid in a seeded random order (default), so that a budget smaller than the grid still
            spreads over it; ``False`` walks it in order, last parameter fastest.
        seed, direction, objectives, constraints: As for every :class:`Searcher`.

    ``ask(n)`` with fewer than ``n`` points left returns the points that are left.

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
        objectives: ObjectivesArg = None,
        constraints: ConstraintsArg = None,
    ) -> None:
        super().__init__(space, seed=seed, direction=direction, objectives=objectives, constraints=constraints)
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be a bool, got {shuffle!r}")
        self._values = space.grid_values(n_points)
        self._radices = [len(v) for v in self._values.values()]
        self.size = space.grid_size(n_points)
        if self.size > _MAX_GRID_SIZE:
            raise ValueError(
                f"the grid has {self.size} points, more than the {_MAX_GRID_SIZE} GridSearch can shuffle; "
                f"lower n_points={n_points!r}"
            )
        # a conditional space's grid is a list of trees (each once), not a product to index by mixed radix
        self._trees = space.grid(n_points) if space.conditions else None
        self._shuffle = shuffle
        self._n_points = dict(n_points) if isinstance(n_points, Mapping) else n_points
        self._order = self._visiting_order()
        self._position = 0

    def _visiting_order(self) -> torch.Tensor:
        """(size,) grid indices in the order they are asked; a function of the seed only."""
        if not self._shuffle:
            return torch.arange(self.size)
        return torch.randperm(self.size, generator=torch_generator(self.seed, _ORDER_STREAM))

    @classmethod
    def for_budget(
        cls,
        space: Space,
        n_trials: int,
        *,
        seed: SeedLike = None,
        direction: Direction = "minimize",
        objectives: ObjectivesArg = None,
        constraints: ConstraintsArg = None,
    ) -> GridSearch:
        """The coarsest grid (same count for every numeric parameter) with at least ``n_trials`` points, or the
        whole space when it has fewer (only ints and categoricals)."""
        check_count(n_trials, "n_trials", minimum=1)

        def size(n_points: int) -> int:
            return space.grid_size(n_points)

        # The size never shrinks as n_points grows: find a count that suffices (log ints need more than n_trials
        # to reach their crowded low end), then bisect.
        low, high = 1, n_trials
        while size(high) < n_trials and high < 2**24 and size(2 * high) > size(high):
            high *= 2
        while low < high:
            middle = (low + high) // 2
            if size(middle) >= n_trials:
                high = middle
            else:
                low = middle + 1
        while low > 1 and size(low - 1) == size(low):  # ints saturated: the same grid with fewer points asked
            low -= 1
        if size(low) > _MAX_GRID_SIZE:
            raise ValueError(
                f"a grid with at least {n_trials} points needs {low} points per numeric parameter here, "
                f"{size(low)} in all, more than GridSearch handles ({_MAX_GRID_SIZE}); use random or Sobol search"
            )
        return cls(space, n_points=low, seed=seed, direction=direction, objectives=objectives, constraints=constraints)

    @property
    def n_remaining(self) -> int:
        """Grid points not yet asked."""
        return self.size - self._position

    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        """The next ``n`` grid points, or all that remain when fewer do (a batch is cut short, not refused)."""
        if self.n_remaining == 0:
            raise SearchExhausted(f"the grid is exhausted: all {self.size} of its points have been asked")
        n = min(n, self.n_remaining)
        indices = self._order[self._position : self._position + n].tolist()
        self._position += n
        return [self._config_at(i) for i in indices]

    def _config_at(self, index: int) -> Config:
        """Grid point number ``index`` in grid order (mixed radix, last parameter fastest)."""
        if self._trees is not None:
            return dict(self._trees[index])
        picks = []
        for radix in reversed(self._radices):
            index, digit = divmod(index, radix)
            picks.append(digit)
        return {name: values[i] for (name, values), i in zip(self._values.items(), reversed(picks), strict=True)}

    def _state(self) -> dict[str, Any]:
        return {"position": self._position, "n_points": self._n_points, "shuffle": self._shuffle}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        for setting, mine in (("n_points", self._n_points), ("shuffle", self._shuffle)):
            if state.get(setting) != mine:
                raise ValueError(f"the history's grid has {setting}={state.get(setting)!r}, this one has {mine!r}")
        position = check_count(state.get("position"), "state['position']")
        if position > self.size:
            raise ValueError(f"state['position'] = {position} is past the end of a grid of {self.size} points")
        self._order, self._position = self._visiting_order(), position
