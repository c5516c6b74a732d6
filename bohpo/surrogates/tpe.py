"""The tree-structured Parzen estimator (Bergstra et al. 2011) as a density-ratio surrogate on tensors.

Glossary:
    n       observations (rows of X), in the order they were observed;  D encoded dimension.
    y       (n,) values, minimised; +inf marks a row worse than any value (a pending or failed trial: constant liar).
    n_good  observations in the good group: the n_good lowest finite values (the quantile split gamma).
    l, g    Parzen densities of the good and the bad group (``bohpo.surrogates.parzen``), each with a prior kernel.
    y*      the split threshold, between the worst good value and the best bad one.

Under TPE's model p(x | y) is l(x) below y* and g(x) above, so with gamma = n_good / n:
    P(y < y* | x) = gamma l(x) / (gamma l(x) + (1 - gamma) g(x))
    E[max(y* - y, 0) | x] = K l(x) / (gamma l(x) + (1 - gamma) g(x)),   K = mean over rows of max(y* - y_i, 0)
Both grow with l(x) / g(x), so the acquisitions built on them select what TPE's own rule (the largest ratio) selects.

On a conditional space (``Space(..., conditions=...)``) l and g are tree-structured: one mixture per group of
parameters active together, each fitted on the rows where its group was active (``bohpo.surrogates.tree_parzen``),
and proposals are chosen group by group (``bohpo.acquisition.optimize.optimize_by_sampling``).

Defaults follow Optuna's TPESampler (itself Hyperopt's, revised by Watanabe 2023): gamma(n) = min(ceil(n / 10), 25),
prior weight 1, bandwidths from the gaps to the neighbouring observations clipped below at 1 / min(100, m + 2) for
m observations ("magic clip"), Aitchison–Aitken categorical kernels whose smoothing shrinks as observations accumulate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor

from bohpo.space import Space
from bohpo.surrogates.parzen import ColumnLayout, ParzenMixture
from bohpo.surrogates.tree_parzen import TreeMixture, parameter_groups

__all__ = [
    "TPE",
    "hyperopt_gamma",
    "neighbour_bandwidths",
    "optuna_gamma",
    "recency_weights",
    "scott_bandwidths",
]

Gamma = Literal["optuna", "hyperopt"] | float | Callable[[int], int]
Bandwidth = Literal["neighbours", "scott"]

_RECENT = 25  # observations at full weight under recency weighting (Hyperopt's and Optuna's "linear forgetting")
_MAX_KERNELS_CLIP = 100.0  # magic clip: bandwidths are at least 1 / min(100, m + 2) of the range


def optuna_gamma(n: int) -> int:
    """Good observations out of ``n``: ceil(n / 10), at most 25 (Optuna's default)."""
    return min(math.ceil(0.1 * n), 25)


def hyperopt_gamma(n: int) -> int:
    """Good observations out of ``n``: ceil(sqrt(n) / 4), at most 25 (Hyperopt's default)."""
    return min(math.ceil(0.25 * math.sqrt(n)), 25)


def recency_weights(n: int, *, dtype: torch.dtype = torch.float64, device: torch.device | None = None) -> Tensor:
    """(n,) weights of observations in the order observed: the last 25 weigh 1, older ones ramp linearly from 1/n.

    Returns ones for n <= 25.
    """
    if n <= _RECENT:
        return torch.ones(n, dtype=dtype, device=device)
    ramp = torch.linspace(1.0 / n, 1.0, n - _RECENT, dtype=dtype, device=device)
    return torch.cat([ramp, torch.ones(_RECENT, dtype=dtype, device=device)])


def neighbour_bandwidths(mu: Tensor) -> Tensor:
    """mu: (m, Dn) centres in [0, 1] -> (m, Dn) bandwidths: the larger gap to a neighbour (Hyperopt's rule).

    The interval's ends count as neighbours only for a lone centre; the outermost centres of two or more take the
    gap to their inner neighbour.
    """
    m = mu.shape[0]
    order = mu.argsort(dim=0, stable=True)  # tied centres in row order: a default sort breaks ties by device
    ordered = mu.gather(0, order)  # (m, Dn)
    ends = mu.new_zeros(1, mu.shape[1])
    padded = torch.cat([ends, ordered, ends + 1.0])  # (m + 2, Dn)
    gaps = padded.diff(dim=0)  # (m + 1, Dn)
    sigma = torch.maximum(gaps[:-1], gaps[1:])
    if m >= 2:
        sigma[0], sigma[-1] = gaps[1], gaps[-2]
    return torch.empty_like(sigma).scatter_(0, order, sigma)


def scott_bandwidths(mu: Tensor, n_parameters: int) -> Tensor:
    """mu: (m, Dn) -> (m, Dn) bandwidths 0.2 m^(-1 / (d + 4)) for d parameters, the same for every kernel (a
    Scott-type rule, Optuna's multivariate one before version 4)."""
    return torch.full_like(mu, 0.2 * max(mu.shape[0], 1) ** (-1.0 / (n_parameters + 4)))


class TPE:
    """Tree-structured Parzen estimator: densities of good and bad configurations, a density-ratio surrogate.

    Args:
        multivariate: Joint kernels over all parameters (True, captures interactions) or a product of
            one-dimensional mixtures (False: the original TPE).
        gamma: How many observations are good: ``"optuna"`` (min(ceil(n/10), 25)), ``"hyperopt"``
            (min(ceil(sqrt(n)/4), 25)), a fraction in (0, 1) (ceil(fraction n)), or a callable n -> count.
        prior_weight: Weight of the prior kernel (uniform-ish: a Gaussian at the centre with the range as
            bandwidth, and uniform categories) relative to one observation's; >= 0.
        bandwidth: ``"neighbours"`` (gap to the neighbouring observations, per column) or ``"scott"``.
        magic_clip: Clip bandwidths below at 1 / min(100, m + 2) of the range (m observations), as Hyperopt does.
        recency: Weigh older observations down (:func:`recency_weights`).

    Call :meth:`bind` with the search space before fitting so ints get discrete kernels and categoricals
    Aitchison–Aitken ones; unbound, every column is a float. ``BayesianOptimizer`` binds it.

    Example:
        >>> X = torch.rand(30, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> tpe = TPE().fit(X, (X - 0.3).square().sum(-1))
        >>> log_l, log_g = tpe.log_densities(torch.tensor([[0.3, 0.3], [0.9, 0.9]], dtype=torch.float64))
        >>> bool(log_l[0] - log_g[0] > log_l[1] - log_g[1])
        True
    """

    def __init__(
        self,
        *,
        multivariate: bool = True,
        gamma: Gamma = "optuna",
        prior_weight: float = 1.0,
        bandwidth: Bandwidth = "neighbours",
        magic_clip: bool = True,
        recency: bool = False,
    ) -> None:
        for name, flag in (("multivariate", multivariate), ("magic_clip", magic_clip), ("recency", recency)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {flag!r}")
        self._gamma = _gamma_rule(gamma)
        for n in (1, 10, 100):  # a rule that cannot count fails here, not in the middle of a study
            self.good_count(n)
        self.gamma = gamma
        if isinstance(prior_weight, bool) or not isinstance(prior_weight, (int, float)):
            raise TypeError(f"prior_weight must be a number >= 0, got {prior_weight!r}")
        if not (math.isfinite(prior_weight) and prior_weight >= 0):
            raise ValueError(f"prior_weight must be a finite number >= 0, got {prior_weight!r}")
        if bandwidth not in ("neighbours", "scott"):
            raise ValueError(f"bandwidth must be 'neighbours' or 'scott', got {bandwidth!r}")
        self.multivariate = multivariate
        self.prior_weight = float(prior_weight)
        self.bandwidth: Bandwidth = bandwidth
        self.magic_clip = magic_clip
        self.recency = recency
        self.space: Space | None = None
        self._layout: ColumnLayout | None = None
        self._fit: _Fit | None = None

    def __repr__(self) -> str:
        return (
            f"TPE(multivariate={self.multivariate}, gamma={self.gamma!r}, prior_weight={self.prior_weight}, "
            f"bandwidth={self.bandwidth!r}, magic_clip={self.magic_clip}, recency={self.recency})"
        )

    # -- fitting ------------------------------------------------------------------------------------------------
    def bind(self, space: Space) -> TPE:
        """Use ``space``'s column layout (int cells, categorical blocks). Returns ``self``."""
        if not isinstance(space, Space):
            raise TypeError(f"bind takes a bohpo Space, got {type(space).__name__}")
        self.space, self._layout, self._fit = space, ColumnLayout.of(space), None
        return self

    def fit(self, X: Tensor, y: Tensor) -> TPE:
        """Split the observations at the gamma quantile and build l and g.

        Args:
            X: (n, D) encoded points in the unit cube, in the order observed (recency weighting reads the order).
            y: (n,) values, minimised. ``+inf`` marks a row worse than every value (a pending trial under the
                constant liar, a failed one); such rows join the bad group and do not count in gamma's n.

        Returns:
            ``self``.
        """
        layout = self._layout_for(X)
        X, y = _check_data(X, y, layout.dim)
        finite = torch.isfinite(y)
        n_finite = int(finite.sum())
        n_good = self.good_count(n_finite)
        order = torch.sort(y, stable=True).indices  # finite values first, ties in the order observed
        good_rows = order[:n_good].sort().values
        bad_rows = order[n_good:].sort().values
        good: ParzenMixture | TreeMixture
        bad: ParzenMixture | TreeMixture
        if self.space is not None and self.space.conditions:  # a tree: one mixture per group of parameters
            good = TreeMixture.fit(self.space, X[good_rows], self._mixture)
            bad = TreeMixture.fit(self.space, X[bad_rows], self._mixture)
        else:
            good = self._mixture(X[good_rows], layout)
            bad = self._mixture(X[bad_rows], layout)
        ranked = y[order]
        if n_good == 0:
            threshold = ranked[0] if n_finite else y.new_tensor(0.0)
        elif n_good < n_finite:
            threshold = 0.5 * (ranked[n_good - 1] + ranked[n_good])
        else:
            threshold = ranked[n_good - 1]
        improvement = (threshold - y[finite]).clamp_min(0.0).sum() / max(y.shape[0], 1)
        if not bool(improvement > 0):  # ties carry no scale: keep EI's ranking, the density ratio's
            improvement = y.new_tensor(1.0)
        self._fit = _Fit(good, bad, n_good / max(y.shape[0], 1), threshold, improvement, layout.dim)
        return self

    def _layout_for(self, X: Tensor) -> ColumnLayout:
        if not isinstance(X, Tensor):
            raise TypeError(f"X must be a (n, D) tensor, got {type(X).__name__}")
        if X.ndim != 2:
            raise ValueError(f"X must be a (n, D) tensor, got shape {tuple(X.shape)}")
        if self._layout is None:
            return ColumnLayout.continuous(X.shape[-1])
        if X.shape[-1] != self._layout.dim:
            raise ValueError(f"X has {X.shape[-1]} columns but the bound space encodes to {self._layout.dim}")
        return self._layout

    def good_count(self, n: int) -> int:
        """How many of n finite values form the good group: gamma's count, kept below n when n >= 2 so the bad group
        is never empty."""
        count = self._gamma(n)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"gamma({n}) must return an int >= 0, got {count!r}")
        return min(count, n - 1 if n >= 2 else n)

    def _mixture(self, centres: Tensor, layout: ColumnLayout) -> ParzenMixture:
        """A Parzen mixture on ``centres`` (m, D) plus the prior kernel (last)."""
        m = centres.shape[0]
        like = centres
        base = recency_weights(m, dtype=like.dtype, device=like.device) if self.recency else like.new_ones(m)
        prior = self.prior_weight if m else 1.0
        weights = torch.cat([base, like.new_tensor([prior])])
        weights = weights / weights.sum()
        mu = centres[:, list(layout.numeric)]  # (m, Dn)
        if m:
            if self.bandwidth == "neighbours":
                sigma = neighbour_bandwidths(mu)
            else:
                sigma = scott_bandwidths(mu, layout.n_parameters)
            floor = 1.0 / min(_MAX_KERNELS_CLIP, m + 2.0) if self.magic_clip else 1e-12
            sigma = sigma.clamp(floor, 1.0)
        else:
            sigma = mu
        mu = torch.cat([mu, mu.new_full((1, mu.shape[1]), 0.5)])
        sigma = torch.cat([sigma, sigma.new_ones(1, sigma.shape[1])])
        probs = tuple(self._categorical(centres[:, cols], m) for cols in layout.categoricals)
        return ParzenMixture(layout, weights, mu, sigma, probs, self.multivariate)

    def _categorical(self, block: Tensor, m: int) -> Tensor:
        """(m, k) one-hot block -> (m + 1, k) kernel distributions: each observation's choice plus a share
        prior_weight / (m + 1) of smoothing on every choice (Aitchison–Aitken), then the uniform prior."""
        k = block.shape[1]
        smoothing = self.prior_weight / (m + 1)
        rows = block + smoothing
        total = rows.sum(-1, keepdim=True)
        rows = torch.where(total > 0, rows / total.clamp_min(1e-300), torch.full_like(rows, 1.0 / k))
        return torch.cat([rows, block.new_full((1, k), 1.0 / k)])

    # -- reading ------------------------------------------------------------------------------------------------
    @property
    def good(self) -> ParzenMixture | TreeMixture:
        """l: the Parzen mixture of the good observations."""
        return self._fitted().good

    @property
    def bad(self) -> ParzenMixture | TreeMixture:
        """g: the Parzen mixture of the bad observations (and of the pending and failed ones)."""
        return self._fitted().bad

    @property
    def good_fraction(self) -> float:
        """gamma: the share of rows in the good group, n_good / n."""
        return self._fitted().good_fraction

    @property
    def threshold(self) -> Tensor:
        """y*: the value that splits good from bad, a scalar tensor."""
        return self._fitted().threshold

    @property
    def improvement_scale(self) -> Tensor:
        """K = mean over rows of max(y* - y_i, 0), so that EI(x) = K l / (gamma l + (1 - gamma) g); scalar > 0."""
        return self._fitted().improvement_scale

    def log_densities(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """X: (..., D) -> log l(x), log g(x), each (...), in the fit's dtype and on its device."""
        fit = self._fitted()
        X = self._query(X)
        return fit.good.log_density(X), fit.bad.log_density(X)

    def _query(self, X: Tensor) -> Tensor:
        fit = self._fitted()
        if not isinstance(X, Tensor):
            raise TypeError(f"X must be a tensor of shape (..., {fit.dim}), got {type(X).__name__}")
        if X.ndim < 1 or X.shape[-1] != fit.dim:
            raise ValueError(f"X must have shape (..., {fit.dim}), got {tuple(X.shape)}")
        return X.to(dtype=fit.threshold.dtype, device=fit.threshold.device)

    def log_density_terms(self, X: Tensor) -> tuple[Tensor, Tensor] | None:
        """X: (b, D) -> log l and log g terms whose sums are :meth:`log_densities`: per parameter, each (b, d) in
        parameter order, in univariate mode; per group of parameters active together, each (b, G) in the order of
        :meth:`density_factors`, in multivariate mode on a conditional space (0 where a factor is inactive); None in
        multivariate mode otherwise, where the densities do not factor."""
        fit = self._fitted()
        good, bad = fit.good, fit.bad
        if self.multivariate:
            if not isinstance(good, TreeMixture) or not isinstance(bad, TreeMixture):
                return None
            X = self._query(X)
            return good.log_group_terms(X), bad.log_group_terms(X)
        X = self._query(X)
        return good.log_density_terms(X), bad.log_density_terms(X)

    def density_factors(self) -> list[tuple[str, ...]] | None:
        """The groups of parameters whose terms :meth:`log_density_terms` gives, in multivariate mode on a
        conditional space (parents' groups first); None when its terms are per parameter or it gives none."""
        if not self.multivariate or self.space is None or not self.space.conditions:
            return None
        return [group.names for group in parameter_groups(self.space)]

    def sample_good(self, n: int, *, generator: torch.Generator) -> Tensor:
        """(n, D) candidates drawn from l, on the lattice of the bound space."""
        return self._fitted().good.sample(n, generator=generator, space=self.space)

    def _fitted(self) -> _Fit:
        if self._fit is None:
            raise RuntimeError("TPE is not fitted: call fit(X, y) first")
        return self._fit


class _Fit:
    """What one ``fit`` produced."""

    def __init__(
        self,
        good: ParzenMixture | TreeMixture,
        bad: ParzenMixture | TreeMixture,
        good_fraction: float,
        threshold: Tensor,
        scale: Tensor,
        dim: int,
    ) -> None:
        self.good, self.bad = good, bad
        self.good_fraction, self.threshold, self.improvement_scale = good_fraction, threshold, scale
        self.dim = dim


def _gamma_rule(gamma: Gamma) -> Callable[[int], int]:
    if gamma == "optuna":
        return optuna_gamma
    if gamma == "hyperopt":
        return hyperopt_gamma
    if isinstance(gamma, str):
        raise ValueError(f"gamma must be 'optuna', 'hyperopt', a fraction in (0, 1) or a callable, got {gamma!r}")
    if isinstance(gamma, float) and not isinstance(gamma, bool):
        if not 0 < gamma < 1:
            raise ValueError(f"gamma as a fraction must lie in (0, 1), got {gamma!r}")
        fraction = gamma
        return lambda n: math.ceil(fraction * n)
    if callable(gamma):
        return gamma
    raise TypeError(f"gamma must be 'optuna', 'hyperopt', a fraction in (0, 1) or a callable, got {gamma!r}")


def _check_data(X: Tensor, y: Tensor, D: int) -> tuple[Tensor, Tensor]:
    if not isinstance(y, Tensor) or y.shape != (X.shape[0],):
        raise ValueError(f"y must be a ({X.shape[0]},) tensor, got {getattr(y, 'shape', type(y).__name__)}")
    if not X.is_floating_point():
        raise TypeError(f"X must be a floating-point tensor, got {X.dtype}")
    if bool(torch.isnan(X).any()):
        raise ValueError("X contains NaN")
    y = y.to(dtype=X.dtype, device=X.device)
    if bool(torch.isnan(y).any()) or bool((y == -torch.inf).any()):
        raise ValueError("y must be finite or +inf (a row worse than any value), got NaN or -inf")
    return X.clamp(0.0, 1.0), y
