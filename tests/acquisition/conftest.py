"""Helpers shared by the BO-step tests: a small space, a bowl on it, a seeded history, a surrogate without options."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from bohpo.acquisition import MultiStartOptimizer
from bohpo.space import Float, Space
from bohpo.surrogates import GP

FAST = MultiStartOptimizer(n_raw=128, n_restarts=2)


def plane() -> Space:
    return Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})


def bowl(p: dict[str, Any]) -> float:
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2


def history(space: Space, n: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    configs = space.sample(n, generator=torch.Generator().manual_seed(seed))
    X = space.encode(configs)
    return X, torch.tensor([bowl(c) if "y" in c else float(c["k"]) for c in configs], dtype=torch.float64)


def generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


class PlainGP:
    """A Gaussian surrogate with no optional feature: no condition_on_mean, lengthscales or warm state."""

    def __init__(self) -> None:
        self._gp, self.fits = GP(), 0

    def fit(self, X: Tensor, y: Tensor) -> PlainGP:
        self._gp.fit(X, y)
        self.fits += 1
        return self

    @property
    def best_y(self) -> Tensor:
        return self._gp.best_y

    def predict(self, X: Tensor) -> tuple[Tensor, Tensor]:
        return self._gp.predict(X)
