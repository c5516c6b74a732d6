"""The surrogate seam: what acquisitions may ask of a fitted model.

A surrogate is fitted on encoded points ``X (n, D)`` of the unit cube and values ``y (n,)`` that are minimised.
A Gaussian surrogate answers with a posterior mean and variance; a density-ratio surrogate (TPE) with the log
densities of the good and the bad points.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from torch import Tensor

__all__ = ["DensityRatioSurrogate", "GaussianSurrogate", "Surrogate"]


@runtime_checkable
class Surrogate(Protocol):
    """A model of the objective, fitted on encoded observations."""

    def fit(self, X: Tensor, y: Tensor) -> Surrogate:
        """X: (n, D) in the unit cube, y: (n,) minimised. Returns ``self``."""
        ...


@runtime_checkable
class GaussianSurrogate(Surrogate, Protocol):
    """A surrogate with a Gaussian posterior for the latent objective."""

    @property
    def best_y(self) -> Tensor:
        """The incumbent: the lowest observed value, a scalar tensor."""
        ...

    def predict(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """X: (..., D) -> posterior mean and variance of the latent function, each (...)."""
        ...


@runtime_checkable
class DensityRatioSurrogate(Surrogate, Protocol):
    """A surrogate that models the densities of good and bad configurations (TPE)."""

    def log_densities(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """X: (..., D) -> log l(x), log g(x), each (...)."""
        ...
