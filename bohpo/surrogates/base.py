"""The surrogate seam: what acquisitions may ask of a fitted model.

A surrogate is fitted on encoded points ``X (n, D)`` of the unit cube and values ``y (n,)`` that are minimised.
A Gaussian surrogate answers with a posterior mean and variance; a density-ratio surrogate (TPE) with the log
densities of the good and the bad points.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

__all__ = [
    "DensityRatioSurrogate",
    "GaussianSurrogate",
    "Surrogate",
    "is_density_ratio_surrogate",
    "is_gaussian_surrogate",
]


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
    """A surrogate that models the densities of good and bad configurations (TPE).

    The observations are split at a threshold y*: l is the density of the points below it, g of those above, and
    ``good_fraction`` (gamma) the share below. Then P(y < y* | x) = gamma l / (gamma l + (1 - gamma) g) and
    E[max(y* - y, 0) | x] = K l / (gamma l + (1 - gamma) g) with K = ``improvement_scale``.
    """

    @property
    def good_fraction(self) -> float:
        """gamma, in [0, 1]."""
        ...

    @property
    def improvement_scale(self) -> Tensor:
        """K > 0, a scalar tensor."""
        ...

    def log_densities(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """X: (..., D) -> log l(x), log g(x), each (...)."""
        ...

    def sample_good(self, n: int, *, generator: torch.Generator) -> Tensor:
        """(n, D) points drawn from l, where the acquisition optimizer looks for the largest ratio."""
        ...


def is_gaussian_surrogate(obj: object) -> bool:
    """Whether ``obj``'s class has what a :class:`GaussianSurrogate` needs (``fit``, ``predict``, ``best_y``).

    Looked up on the class, so an unfitted surrogate, whose ``best_y`` cannot be read yet, still qualifies
    (``isinstance`` against the protocol reads the attribute on the instance).
    """
    return all(callable(getattr(type(obj), name, None)) for name in ("fit", "predict")) and hasattr(type(obj), "best_y")


def is_density_ratio_surrogate(obj: object) -> bool:
    """Whether ``obj``'s class has what a :class:`DensityRatioSurrogate` needs, looked up on the class as in
    :func:`is_gaussian_surrogate`."""
    methods = ("fit", "log_densities", "sample_good")
    return all(callable(getattr(type(obj), name, None)) for name in methods) and all(
        hasattr(type(obj), name) for name in ("good_fraction", "improvement_scale")
    )
