"""The surrogate seam: what acquisitions may ask of a fitted model.

A surrogate is fitted on encoded points ``X (n, D)`` of the unit cube and values ``y (n,)`` that are minimised.
A Gaussian surrogate answers with a posterior mean and variance; a density-ratio surrogate (TPE) with the log
densities of the good and the bad points.

Optional features, which the BO step (:class:`~bohpo.acquisition.Proposer`) uses when a surrogate has them, are
protocols too: :class:`ConditionableSurrogate` (fantasies without a refit), :class:`HasLengthscales` (to scale the
acquisition optimizer's steps), :class:`WarmStartable` (hyperparameters saved with a searcher's history),
:class:`SpaceBound` (told the search space before fitting), :class:`FactorisingDensityRatio` (per-parameter
density terms) and :class:`GoodGroupCount` (the size of a TPE's good group, which a multi-objective study cuts its
ranking of trials at). Check them with :func:`supports`, which looks on the class: ``isinstance`` against a
protocol reads each member on the instance, and a fitted-only property (``GP.lengthscale``, ``GP.best_y``) raises
before the fit.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import torch
from torch import Tensor

if TYPE_CHECKING:
    from bohpo.space import Space

__all__ = [
    "ConditionableSurrogate",
    "DensityRatioSurrogate",
    "FactorisingDensityRatio",
    "GaussianSurrogate",
    "GoodGroupCount",
    "HasLengthscales",
    "SpaceBound",
    "Surrogate",
    "WarmStartable",
    "is_density_ratio_surrogate",
    "is_gaussian_surrogate",
    "supports",
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


# -- optional features ------------------------------------------------------------------------------------------


@runtime_checkable
class ConditionableSurrogate(GaussianSurrogate, Protocol):
    """A Gaussian surrogate that conditions on fantasies itself (one factorisation, the same hyperparameters)."""

    def condition_on_mean(self, X_new: Tensor) -> GaussianSurrogate:
        """A copy conditioned on observations at X_new (k, D) equal to the posterior mean there."""
        ...


@runtime_checkable
class HasLengthscales(Protocol):
    """A fitted model with one lengthscale per encoded column."""

    @property
    def lengthscale(self) -> Tensor:
        """(D,) positive lengthscales of the last fit."""
        ...


@runtime_checkable
class WarmStartable(Protocol):
    """A surrogate whose next fit starts from saved hyperparameters; a searcher keeps them in its history."""

    def warm_state(self) -> Any:
        """JSON-safe state the next fit starts from (``None`` before any fit)."""
        ...

    def load_warm_state(self, state: Any) -> None:
        """Start the next fit from ``state`` (from :meth:`warm_state`); raise ``ValueError`` before changing
        anything when it is malformed."""
        ...


@runtime_checkable
class SpaceBound(Protocol):
    """A surrogate that is told the search space (its ints and categoricals) before it is fitted."""

    def bind(self, space: Space) -> Any:
        """Use ``space``'s column layout."""
        ...


@runtime_checkable
class GoodGroupCount(Protocol):
    """A surrogate whose good group is its first rows in the order of their values (TPE): it says how many."""

    def good_count(self, n: int) -> int:
        """How many of ``n`` finite rows form the good group."""
        ...


@runtime_checkable
class FactorisingDensityRatio(DensityRatioSurrogate, Protocol):
    """A density-ratio surrogate whose densities may factor over parameters (univariate TPE)."""

    def log_density_terms(self, X: Tensor) -> tuple[Tensor, Tensor] | None:
        """X: (b, D) -> per-parameter log l and log g terms, each (b, d), or None when they do not factor."""
        ...


@runtime_checkable
class GroupedDensityRatio(FactorisingDensityRatio, Protocol):
    """A density-ratio surrogate whose densities factor over groups of parameters (the TPE on a conditional space:
    one factor per group active together). ``log_density_terms`` then gives one term per factor, each (b, F)."""

    def density_factors(self) -> list[tuple[str, ...]] | None:
        """The parameters of each factor, in the order of ``log_density_terms``' columns (a parent's factor before
        its children's); None when the terms are per parameter."""
        ...


def supports(obj: object, feature: type) -> bool:
    """Whether ``obj``'s class has every member of the protocol ``feature`` (methods callable).

    Looked up on the class, so an unfitted surrogate qualifies though its fitted-only properties raise until
    ``fit``; ``isinstance`` would read them on the instance.

    Example:
        >>> from bohpo.surrogates import GP
        >>> supports(GP(), HasLengthscales), supports(GP(), FactorisingDensityRatio)
        (True, False)
    """
    return all(
        callable(getattr(type(obj), name, None)) if is_method else hasattr(type(obj), name)
        for name, is_method in _members(feature)
    )


@cache
def _members(protocol: type) -> tuple[tuple[str, bool], ...]:
    """(name, whether it is a method) of each public member the protocol and its protocol bases declare."""
    members: dict[str, bool] = {}
    for cls in protocol.__mro__:
        if cls is Protocol or not getattr(cls, "_is_protocol", False):
            continue
        for name, value in vars(cls).items():
            if not name.startswith("_"):
                members.setdefault(name, callable(value) and not isinstance(value, property))
    return tuple(members.items())


def is_gaussian_surrogate(obj: object) -> bool:
    """Whether ``obj``'s class has what a :class:`GaussianSurrogate` needs (``fit``, ``predict``, ``best_y``),
    looked up on the class (:func:`supports`)."""
    return supports(obj, GaussianSurrogate)


def is_density_ratio_surrogate(obj: object) -> bool:
    """Whether ``obj``'s class has what a :class:`DensityRatioSurrogate` needs, looked up on the class
    (:func:`supports`)."""
    return supports(obj, DensityRatioSurrogate)
