"""Random and quasi-random (scrambled Sobol) search: the baselines every optimizer must beat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from bohpo._checks import check_count
from bohpo.objectives import ConstraintsArg, ObjectivesArg
from bohpo.searchers.base import Direction, Searcher
from bohpo.seeding import SeedLike, derive_seed
from bohpo.space import Config, Space

__all__ = ["RandomSearch", "SobolSearch"]

_SOBOL_STREAM = 1  # seeding key of the Sobol scramble


class RandomSearch(Searcher):
    """Independent uniform draws from the space (log-uniform for ``log=True`` parameters).

    Example:
        >>> from bohpo.space import Float, Space
        >>> searcher = RandomSearch(Space({"x": Float(-1.0, 1.0)}), seed=0)
        >>> trial = searcher.ask()
        >>> searcher.tell(trial, trial.params["x"] ** 2).status.value
        'complete'
    """

    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        return self.space.sample(n, generator=generator)


class SobolSearch(Searcher):
    """Successive points of one scrambled, seeded Sobol sequence over the space's parameters (quasi-random).

    Each parameter takes one coordinate of the sequence, mapped as in :meth:`Space.from_unit`.

    Example:
        >>> from bohpo.space import Float, Space
        >>> searcher = SobolSearch(Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}), seed=0)
        >>> len(searcher.ask(4))
        4
    """

    def __init__(
        self,
        space: Space,
        *,
        seed: SeedLike = None,
        direction: Direction = "minimize",
        objectives: ObjectivesArg = None,
        constraints: ConstraintsArg = None,
    ) -> None:
        super().__init__(space, seed=seed, direction=direction, objectives=objectives, constraints=constraints)
        self._engine = space.sobol_engine(seed=derive_seed(self.seed, _SOBOL_STREAM))
        self._n_drawn = 0

    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        U = self._engine.draw(n, dtype=torch.float64)  # (n, d)
        self._n_drawn += n
        return self.space.from_unit(U)

    def _state(self) -> dict[str, Any]:
        return {"n_drawn": self._n_drawn}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        n_drawn = check_count(state.get("n_drawn"), "state['n_drawn']")
        engine = self.space.sobol_engine(seed=derive_seed(self.seed, _SOBOL_STREAM))
        if n_drawn:
            engine.fast_forward(n_drawn)
        self._engine, self._n_drawn = engine, n_drawn
