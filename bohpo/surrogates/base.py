"""The surrogate seam: what acquisitions may ask of a fitted model.

A surrogate is fitted on encoded points ``X (n, D)`` of the unit cube and values ``y (n,)`` that are minimised.
A Gaussian surrogate answers with a posterior mean and variance; a density-ratio surrogate (TPE) with the log
densities of the good and the bad points.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from torch import Tensor

__all__ = ["DensityRatioSurrogate", "GaussianSurrogate", "Surrogate", "is_gaussian_surrogate"]


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


def is_gaussian_surrogate(obj: object) -> bool:
    """Whether ``obj``'s class has what a :class:`GaussianSurrogate` needs (``fit``, ``predict``, ``best_y``).

    Looked up on the class, so an unfitted surrogate, whose ``best_y`` cannot be read yet, still qualifies
    (``isinstance`` against the protocol reads the attribute on the instance).
    """
    return all(callable(getattr(type(obj), name, None)) for name in ("fit", "predict")) and hasattr(type(obj), "best_y")
