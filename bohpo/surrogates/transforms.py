"""Optional transforms of a GP's inputs and outputs for skewed objectives (Cowen-Rivers et al. 2022, HEBO).

Glossary:
    n   observations;  D encoded dimension;  k warped columns.
    y   (n,) values (minimised);  X (n, D) points of the unit cube.

Output: the Yeo–Johnson power transform (Yeo & Johnson 2000), fitted to the standardised distinct values by maximum
likelihood (:func:`yeo_johnson_normmax`: scipy's search without its overhead). It is strictly increasing for every
lambda, so the order of the values, and so the incumbent and what counts as an improvement, are kept; heavy tails and
outliers are pulled in before the GP sees them.

Input: a Kumaraswamy CDF per column, w(x) = 1 - (1 - x^a)^b with learned a, b > 0 (Snoek et al. 2014), which lets a
stationary kernel model a function whose scale of variation changes across the column (a log-like or exp-like
response). The concentrations have log-normal priors centred on the identity warp (a = b = 1).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from gpytorch.constraints import Interval
from gpytorch.module import Module
from gpytorch.priors import LogNormalPrior
from scipy import optimize
from torch import Tensor

from bohpo.errors import NumericalWarning

__all__ = ["KumaraswamyWarp", "YeoJohnson", "yeo_johnson_normmax"]

_MAX_LOG_CONCENTRATION = 3.0
_EPS = 1e-7  # inputs are clipped to [eps, 1 - eps]: the derivative in a of x^a is -inf * 0 at x = 0


class KumaraswamyWarp(Module):
    """Learned per-column Kumaraswamy CDF on some columns of the unit cube, identity on the others.

    The parameters are the logs of the concentrations (unconstrained), so a model's hyperparameter fit moves them
    like any other parameter; the priors are on the concentrations themselves.

    Args:
        columns: The encoded columns to warp: float and int columns. (Warping a one-hot column only moves its
            two values, 0 and 1, to two others, which adds parameters and nothing else.)
        dim: D, the encoded dimension.

    Example:
        >>> warp = KumaraswamyWarp([0], dim=2)
        >>> X = torch.tensor([[0.25, 0.25]], dtype=torch.float64)
        >>> torch.allclose(warp.to(torch.float64)(X), X)  # a = b = 1: the identity
        True
    """

    def __init__(self, columns: list[int], *, dim: int) -> None:
        super().__init__()
        if any(not 0 <= c < dim for c in columns) or len(set(columns)) != len(columns):
            raise ValueError(f"columns must be distinct indices in [0, {dim}), got {columns!r}")
        self.dim = dim
        self.register_buffer("columns", torch.tensor(columns, dtype=torch.long))
        k = len(columns)
        self.register_parameter("log_concentration1", torch.nn.Parameter(torch.zeros(k)))
        self.register_parameter("log_concentration0", torch.nn.Parameter(torch.zeros(k)))
        # a, b in [e^-3, e^3]: past that the warp is a step, and the fit's line search would probe underflow
        for name in ("log_concentration1", "log_concentration0"):
            self.register_constraint(name, Interval(-_MAX_LOG_CONCENTRATION, _MAX_LOG_CONCENTRATION, transform=None))
        prior_scale = math.sqrt(0.75)
        self.register_prior(
            "concentration1_prior", LogNormalPrior(0.0, prior_scale), lambda m: m.log_concentration1.exp()
        )
        self.register_prior(
            "concentration0_prior", LogNormalPrior(0.0, prior_scale), lambda m: m.log_concentration0.exp()
        )

    def forward(self, X: Tensor) -> Tensor:
        """X (..., D) -> warped X (..., D), differentiable in X and in the concentrations."""
        if X.shape[-1] != self.dim:
            raise ValueError(f"KumaraswamyWarp takes X of shape (..., {self.dim}), got {tuple(X.shape)}")
        if self.columns.numel() == 0:
            return X
        a = self.log_concentration1.exp().to(X)
        b = self.log_concentration0.exp().to(X)
        x = X[..., self.columns]
        x = x + (x.clamp(_EPS, 1 - _EPS) - x).detach()  # clipped values, but the gradient passes at the bounds
        # 1 - (1 - x^a)^b, with the inner difference computed as -expm1(a log x) to keep digits near x = 1
        inner = -torch.expm1(a * x.log())
        warped = -torch.expm1(b * inner.log())
        flat = X.reshape(-1, X.shape[-1])
        return flat.index_copy(-1, self.columns, warped.reshape(-1, warped.shape[-1])).reshape(X.shape)


class YeoJohnson:
    """The Yeo–Johnson transform fitted to values, applied to standardised values.

    ``fit(y)`` finds lambda for (y - mean) / std by maximum likelihood; ``__call__`` maps values of the same units
    through the fitted, strictly increasing transform. Fewer than three distinct values, or a fit that fails, give
    the identity (with lambda = 1) and a warning in the second case.

    The mean, the spread and lambda are fitted to the *distinct* values. The likelihood treats the values as draws
    from a continuous distribution, where ties have probability zero; an objective with a plateau (a cross-validated
    accuracy that many configurations share) breaks that premise, and counted with its multiplicity a plateau near
    the best value drives lambda to extremes: between -1.4 and -4.3 (mostly below -2) after 50 evaluations of an SVC
    on digits (``benchmarks/sklearn_search.py``), against between -1.5 and 1 on the distinct values. Such a lambda
    spreads the few values next to the plateau far apart and squeezes the failures together; in that benchmark the
    search then stayed on the plateau on 3 of the first 5 seeds, against 1 of 5.

    With ``robust=True`` the values are standardised by their median and interquartile range (over 1.349, the
    standard deviation's equivalent for a Gaussian) instead of their mean and standard deviation, and lambda is
    searched between bounds that keep each sign's branch finite for its own largest value. One value far beyond the
    rest (a failure reported as 1e10 beside losses near 1) then no longer squeezes the others into one number before
    the transform can pull the tail in: on Branin with 1e10 told at the sixth trial, the GP's best after 30 is 0.58
    with it and 5.4 without (0.40 with no such value). ``benchmarks/results/traps/robust_yeo_johnson.md`` measures it
    on the standard and trap problems.

    Example:
        >>> y = torch.tensor([1.0, 2.0, 3.0, 4.0, 1000.0], dtype=torch.float64)
        >>> t = YeoJohnson().fit(y)
        >>> bool(t.lmbda < 1)  # a long right tail is pulled in
        True
        >>> bool((t(y).diff() > 0).all())  # the order is kept
        True
    """

    def __init__(self, *, robust: bool = False) -> None:
        if not isinstance(robust, bool):
            raise TypeError(f"robust must be a bool, got {robust!r}")
        self.robust = robust
        self.lmbda = 1.0
        self._mu = 0.0
        self._sigma = 1.0

    def fit(self, y: Tensor) -> YeoJohnson:
        """y: (n,) finite values. Returns ``self``."""
        if not isinstance(y, Tensor) or y.ndim != 1:
            raise ValueError(f"YeoJohnson.fit takes y of shape (n,), got {getattr(y, 'shape', y)!r}")
        if not torch.isfinite(y).all():
            raise ValueError("YeoJohnson.fit takes finite values")
        values = y.detach().cpu().double().numpy()
        first = np.unique(values, return_index=True)[1]
        values = values[np.sort(first)]  # distinct values (class docstring), in the order given: without ties
        # the sums, and so lambda, are those of the values themselves to the last bit
        mu, sigma = location_and_scale(values)
        if self.robust and values.size >= 3:
            q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
            if q3 > q1:
                mu, sigma = float(median), float(q3 - q1) / _IQR_OF_A_STANDARD_GAUSSIAN
        self._mu, self._sigma, self.lmbda = mu, sigma if sigma > 0 else 1.0, 1.0
        if values.size < 3 or not sigma > 0:
            return self
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                lmbda = yeo_johnson_normmax((values - mu) / sigma, bounds_per_sign=self.robust)
            except (ValueError, FloatingPointError, np.linalg.LinAlgError):
                lmbda = math.nan
        if not math.isfinite(lmbda):
            warnings.warn("YeoJohnson: the fit failed; values are left untransformed", NumericalWarning, stacklevel=2)
            return self
        self.lmbda = lmbda
        return self

    def __call__(self, y: Tensor) -> Tensor:
        """y (...) -> transformed (...), same dtype and device, differentiable in y."""
        x = (y - self._mu) / self._sigma
        lmbda = self.lmbda
        positive = x >= 0
        xp, xn = x.clamp_min(0.0), x.clamp_max(0.0)
        # lambda = 0 and lambda = 2 are the limits log1p and -log1p(-x) of the general branches
        up = torch.log1p(xp) if abs(lmbda) < 1e-8 else torch.expm1(lmbda * torch.log1p(xp)) / lmbda
        mirrored = 2 - lmbda
        down = -torch.log1p(-xn) if abs(mirrored) < 1e-8 else -torch.expm1(mirrored * torch.log1p(-xn)) / mirrored
        return torch.where(positive, up, down)


def location_and_scale(values: np.ndarray) -> tuple[float, float]:
    """Mean and (population) standard deviation of ``values`` (n,), finite for any finite values: computed on the
    values divided by a power of two near the largest magnitude, then scaled back. A power of two scales exactly, so
    where the plain sums do not overflow the results are theirs to the last bit; a single value of 1e154 or more,
    whose square overflows, no longer turns the spread into infinity (and every standardised value into 0)."""
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    if peak == 0.0:
        return 0.0, 0.0
    scale = 2.0 ** math.floor(math.log2(peak))
    scaled = values / scale
    return float(scaled.mean()) * scale, float(scaled.std()) * scale


_IQR_OF_A_STANDARD_GAUSSIAN = 1.349


def yeo_johnson_normmax(x: np.ndarray, *, bounds_per_sign: bool = False) -> float:
    """The maximum-likelihood Yeo–Johnson lambda of the values ``x`` (n,): scipy's ``yeojohnson_normmax``, the same
    bounded search (``fminbound`` between the bounds that keep the transform from overflowing, xtol 1.48e-8) on the
    same log-likelihood, written out with numpy.

    scipy's version spends 85% of its time in the argument handling of ``yeojohnson_llf``, which it calls about 16
    times: 8.5 ms against 0.9 ms here for 50 values, and it ran at every GP fit. Tests check that both give the same
    lambda (to the last bit on scipy 1.17).

    With ``bounds_per_sign``, the non-negative values bound lambda by their own largest value and the negative ones
    by theirs, where scipy bounds both branches by the largest magnitude: a single huge positive value then leaves
    room for a lambda that pulls it in (with the joint bounds, the interval is empty and the search fails).
    """
    x = np.asarray(x, dtype=np.float64)
    if np.all(x == 0):
        return 1.0
    if bounds_per_sign:
        lower, upper = -math.inf, math.inf
        for part, negative in ((x[x >= 0], False), (-x[x < 0], True)):
            if part.size:
                low, high = _finite_branch_bounds(float(np.max(part)), negative)
                lower, upper = max(lower, low), min(upper, high)
    else:
        lower, upper = _finite_branch_bounds(float(np.max(np.abs(x))), False)
        if np.all(x < 0):
            lower, upper = 2 - upper, 2 - lower
        elif np.any(x < 0):
            lower, upper = max(2 - upper, lower), min(2 - lower, upper)
    log_jacobian = np.sum(np.sign(x) * np.log1p(np.abs(x)))  # d log T / dx summed, up to the factor lambda - 1
    return float(optimize.fminbound(_negative_log_likelihood, lower, upper, args=(x, log_jacobian), xtol=1.48e-8))


def _finite_branch_bounds(largest: float, negative: bool) -> tuple[float, float]:
    """The lambdas for which a branch keeps values up to 20 times ``largest`` (a magnitude) finite and above
    underflow: the non-negative branch's, or with ``negative`` the mirrored negative branch's (2 - lambda)."""
    log1p_max = np.log1p(20 * largest)
    log_eps = np.log(np.finfo(np.float64).eps)
    lower = (np.log(np.finfo(np.float64).tiny) - log_eps) / 2 / log1p_max
    upper = (np.log(np.finfo(np.float64).max) + log_eps) / 2 / log1p_max
    return (2 - upper, 2 - lower) if negative else (lower, upper)


def _negative_log_likelihood(lmbda: float, x: np.ndarray, log_jacobian: float) -> float:
    """-(log-likelihood) of lambda: a Gaussian fitted to the transformed x (n,), plus the log Jacobian."""
    eps = np.finfo(np.float64).eps
    out = np.zeros_like(x)
    positive = x >= 0
    if abs(lmbda) < eps:
        out[positive] = np.log1p(x[positive])
    else:
        out[positive] = np.expm1(lmbda * np.log1p(x[positive])) / lmbda
    if abs(lmbda - 2) > eps:
        out[~positive] = -np.expm1((2 - lmbda) * np.log1p(-x[~positive])) / (2 - lmbda)
    else:
        out[~positive] = -np.log1p(-x[~positive])
    variance = np.var(out)
    if np.isinf(variance) and np.isfinite(out).all():  # squares beyond float64: the spread of scaled values
        log_likelihood = -x.shape[0] * math.log(location_and_scale(out)[1]) + (lmbda - 1) * log_jacobian
        return math.inf if np.isinf(log_likelihood) else float(-log_likelihood)
    if not variance >= np.finfo(np.float64).smallest_normal:
        return math.inf  # a collapsed transform: rejected, as scipy does
    log_likelihood = -x.shape[0] / 2 * np.log(variance) + (lmbda - 1) * log_jacobian
    return math.inf if np.isinf(log_likelihood) else float(-log_likelihood)
