"""Closed-form acquisition functions, as ``torch.nn.Module`` s: for a Gaussian belief, and for TPE's density ratio.

Glossary:
    b       candidates;  D encoded dimension.
    mean    (b,) posterior mean;  std (b,) posterior standard deviation (latent function).
    best_y  scalar tensor, the incumbent (lowest value observed); every objective here is minimised.
    z       (b,) standardised improvement (best_y - mean) / std.
    phi, Phi  standard normal density and distribution function.
    log_l, log_g  (b,) log densities of the good and the bad points (a density-ratio surrogate such as TPE).
    gamma   the share of observations below TPE's split y*;  K its mean improvement below y*.

Every module maps ``X (b, D) -> (b,)``, larger is better, and is differentiable in ``X`` where the surrogate is. The
math lives in small pure functions of ``(mean, std, best_y)`` or ``(log_l, log_g, gamma)``; the modules only wire a
surrogate to them. UCB needs a posterior spread and refuses a density-ratio surrogate.
"""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from torch import Tensor, nn

from bohpo.surrogates.base import (
    DensityRatioSurrogate,
    GaussianSurrogate,
    is_density_ratio_surrogate,
    is_gaussian_surrogate,
)

__all__ = [
    "ExpectedImprovement",
    "LogExpectedImprovement",
    "LogProbabilityOfImprovement",
    "ProbabilityOfImprovement",
    "UpperConfidenceBound",
    "expected_improvement",
    "log_expected_improvement",
    "log_h",
    "tpe_log_expected_improvement",
    "tpe_log_probability_of_improvement",
]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_SQRT_PI_OVER_2 = 0.5 * math.log(math.pi / 2)
_SQRT_HALF = math.sqrt(0.5)
_GAMMA_EDGE = 1e-6  # a density-ratio surrogate's good share is kept this far inside (0, 1)


def _phi(z: Tensor) -> Tensor:
    return torch.exp(-0.5 * z.square() - _LOG_SQRT_2PI)


def _Phi(z: Tensor) -> Tensor:
    return 0.5 * torch.special.erfc(-_SQRT_HALF * z)


def _ei_from_z(z: Tensor) -> Tensor:
    """h(z) = phi(z) + z Phi(z): expected improvement of a standard normal belief, shape of z."""
    return _phi(z) + z * _Phi(z)


def _log1mexp(x: Tensor) -> Tensor:
    """log(1 - exp(x)) for x < 0, accurate at both ends (Maechler 2012)."""
    return torch.where(x > -math.log(2), torch.log(-torch.expm1(x)), torch.log1p(-torch.exp(x)))


def log_h(z: Tensor) -> Tensor:
    """log(phi(z) + z Phi(z)), finite and smooth for every z (Ament et al. 2023, "Unexpected improvements").

    For z > -1 the sum is computed directly; below, through the scaled complementary error function:
    h(z) = phi(z) (1 - sqrt(pi/2) |z| erfcx(|z| / sqrt 2)); far below, where that difference loses its digits, by
    the asymptotic series log phi(z) - 2 log|z| + log(1 - 3/z^2 + 15/z^4). The derivative is h'(z) / h(z) =
    Phi(z) / h(z), computed as exp(log Phi(z) - log h(z)), which stays finite where both parts underflow.
    """
    return _LogH.apply(z)


class _LogH(torch.autograd.Function):
    """``log_h`` with its closed-form derivative: one backward node instead of one per branch operation."""

    @staticmethod
    def forward(ctx: Any, z: Tensor) -> Tensor:
        value = _log_h_value(z)
        ctx.save_for_backward(z, value)
        return value

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        z, value = ctx.saved_tensors
        return grad * torch.exp(torch.special.log_ndtr(z) - value)


def _log_h_value(z: Tensor) -> Tensor:
    upper = z > -1
    if not z.is_cuda and bool(upper.all()):  # the common case near the incumbent: one branch, a third of the work
        return torch.log(_ei_from_z(z))
    z_up = torch.where(upper, z, torch.zeros_like(z))  # keep each branch's inputs where it is valid
    z_lo = torch.where(upper, -torch.ones_like(z), z)
    direct = torch.log(_ei_from_z(z_up))
    far = z_lo < (-1e3 if z.dtype == torch.float64 else -30.0)  # where the series is exact to the dtype's precision
    z_mid = torch.where(far, -torch.ones_like(z), z_lo)
    log_phi = -0.5 * z_lo.square() - _LOG_SQRT_2PI
    mid = log_phi + _log1mexp(torch.log(torch.special.erfcx(-_SQRT_HALF * z_mid) * z_mid.abs()) + _LOG_SQRT_PI_OVER_2)
    if not z.is_cuda and not bool(far.any()):  # the series is for z below -1e3, which a pool hardly ever reaches
        return torch.where(upper, direct, mid)
    inv_z2 = z_lo.square().reciprocal()
    asymptote = log_phi - 2 * torch.log(z_lo.abs()) + torch.log1p(-3 * inv_z2 + 15 * inv_z2.square())
    return torch.where(upper, direct, torch.where(far, asymptote, mid))


def expected_improvement(mean: Tensor, std: Tensor, best_y: Tensor) -> Tensor:
    """Closed-form expected improvement below ``best_y`` for a Gaussian belief.

    EI = std * (z Phi(z) + phi(z)),  z = (best_y - mean) / std.  Jones et al. (1998).

    Args:
        mean: Posterior mean, shape (...).
        std: Posterior standard deviation, shape (...), strictly positive.
        best_y: Incumbent value, scalar tensor.

    Returns:
        EI values, shape (...), same dtype and device as ``mean``.
    """
    return std * _ei_from_z((best_y - mean) / std)


def log_expected_improvement(mean: Tensor, std: Tensor, best_y: Tensor) -> Tensor:
    """log EI, finite where EI underflows to zero: log std + log_h(z). Shapes as :func:`expected_improvement`."""
    return torch.log(std) + log_h((best_y - mean) / std)


def _posterior(surrogate: GaussianSurrogate, X: Tensor) -> tuple[Tensor, Tensor]:
    mean, var = surrogate.predict(X)
    return mean, var.clamp_min(1e-30).sqrt()


def _check_gaussian(surrogate: object, name: str) -> None:
    if not isinstance(surrogate, GaussianSurrogate):
        raise TypeError(
            f"{name} needs a GaussianSurrogate (a model with a posterior mean and variance, such as GP), "
            f"got {type(surrogate).__name__}"
        )


def tpe_log_probability_of_improvement(log_l: Tensor, log_g: Tensor, gamma: float) -> Tensor:
    """log P(y < y* | x) under a density-ratio model: log(gamma l / (gamma l + (1 - gamma) g)).

    Args:
        log_l, log_g: (...) log densities of the good and the bad group.
        gamma: The share of observations below y*; kept within [1e-6, 1 - 1e-6], where the form is still
            increasing in l / g (at 0 or 1 it would be constant).

    Returns:
        (...), <= 0; larger where l / g is larger; -inf where l = 0.
    """
    gamma = min(max(gamma, _GAMMA_EDGE), 1.0 - _GAMMA_EDGE)
    log_good = log_l + math.log(gamma)
    value = log_good - torch.logaddexp(log_good, log_g + math.log(1.0 - gamma))
    return torch.where(log_l == -torch.inf, torch.full_like(value, -torch.inf), value)  # not NaN where g = 0 too


def tpe_log_expected_improvement(log_l: Tensor, log_g: Tensor, gamma: float, log_scale: Tensor) -> Tensor:
    """log E[max(y* - y, 0) | x] under a density-ratio model: log K + log l - log(gamma l + (1 - gamma) g)
    (Bergstra et al. 2011), with K = exp(``log_scale``) the mean improvement below y*. Shapes and the treatment
    of gamma as :func:`tpe_log_probability_of_improvement`."""
    gamma = min(max(gamma, _GAMMA_EDGE), 1.0 - _GAMMA_EDGE)
    value = log_scale + log_l - torch.logaddexp(log_l + math.log(gamma), log_g + math.log(1.0 - gamma))
    return torch.where(log_l == -torch.inf, torch.full_like(value, -torch.inf), value)


class _ImprovementAcquisition(nn.Module):
    """Shared wiring of EI, LogEI, PI and LogPI: a surrogate and the threshold improvement is measured from.

    On a Gaussian surrogate the threshold is the incumbent ``best_y`` (default: the surrogate's). On a density-ratio
    surrogate (TPE) it is the surrogate's split y*, and the values are TPE's closed forms in l(x) / g(x): each is an
    increasing function of the ratio, so the largest value is where TPE's own rule looks.
    """

    best_y: Tensor
    log_scale: Tensor

    def __init__(
        self, surrogate: GaussianSurrogate | DensityRatioSurrogate, *, best_y: float | Tensor | None = None
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.surrogate = surrogate
        if is_density_ratio_surrogate(surrogate) and not is_gaussian_surrogate(surrogate):
            if best_y is not None:
                raise ValueError(
                    f"{name} on a density-ratio surrogate measures improvement from its own split y*; "
                    f"best_y cannot be set (got {best_y!r})"
                )
            ratio = cast(DensityRatioSurrogate, surrogate)
            self.density_ratio = True
            self.gamma = float(ratio.good_fraction)
            self.register_buffer("log_scale", torch.log(ratio.improvement_scale.detach().clone()))
            return
        if not isinstance(surrogate, GaussianSurrogate):
            raise TypeError(
                f"{name} needs a GaussianSurrogate (a posterior mean and variance, such as GP) or a "
                f"DensityRatioSurrogate (densities of good and bad points, such as TPE), got {type(surrogate).__name__}"
            )
        self.density_ratio = False
        reference = surrogate.best_y
        incumbent = (
            reference if best_y is None else torch.as_tensor(best_y, dtype=reference.dtype, device=reference.device)
        )
        self.register_buffer("best_y", incumbent.detach().clone())

    def _gaussian(self, X: Tensor) -> tuple[Tensor, Tensor]:
        return _posterior(cast(GaussianSurrogate, self.surrogate), X)

    def _log_pi(self, X: Tensor) -> Tensor:
        log_l, log_g = cast(DensityRatioSurrogate, self.surrogate).log_densities(X)
        return tpe_log_probability_of_improvement(log_l, log_g, self.gamma)

    def _log_ei(self, X: Tensor) -> Tensor:
        log_l, log_g = cast(DensityRatioSurrogate, self.surrogate).log_densities(X)
        return tpe_log_expected_improvement(log_l, log_g, self.gamma, self.log_scale)


class ExpectedImprovement(_ImprovementAcquisition):
    """Expected improvement below the incumbent: E[max(best_y - f(x), 0)]; on TPE, below its split y*.

    Example:
        >>> from bohpo.surrogates import GP
        >>> X = torch.rand(8, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> ei = ExpectedImprovement(GP().fit(X, X.sum(-1)))
        >>> ei(torch.rand(5, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)).shape
        torch.Size([5])
    """

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        if self.density_ratio:
            return torch.exp(self._log_ei(X))
        mean, std = self._gaussian(X)
        return expected_improvement(mean, std, self.best_y)


class LogExpectedImprovement(_ImprovementAcquisition):
    """log of expected improvement, computed stably: finite and ordered where EI itself underflows."""

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        if self.density_ratio:
            return self._log_ei(X)
        mean, std = self._gaussian(X)
        return log_expected_improvement(mean, std, self.best_y)


class ProbabilityOfImprovement(_ImprovementAcquisition):
    """Probability that f(x) falls below the incumbent: Phi((best_y - mean) / std); on TPE, below its split y*."""

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        if self.density_ratio:
            return torch.exp(self._log_pi(X))
        mean, std = self._gaussian(X)
        return _Phi((self.best_y - mean) / std)


class LogProbabilityOfImprovement(_ImprovementAcquisition):
    """log of the probability of improvement, finite far from the incumbent (``log_ndtr``)."""

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        if self.density_ratio:
            return self._log_pi(X)
        mean, std = self._gaussian(X)
        return torch.special.log_ndtr((self.best_y - mean) / std)


class UpperConfidenceBound(nn.Module):
    """Optimistic bound for minimisation: UCB(x) = -mean(x) + sqrt(beta) * std(x).

    Args:
        surrogate: A fitted Gaussian surrogate.
        beta: Exploration weight, >= 0.
    """

    beta: Tensor

    def __init__(self, surrogate: GaussianSurrogate, *, beta: float = 2.0) -> None:
        super().__init__()
        if is_density_ratio_surrogate(surrogate) and not is_gaussian_surrogate(surrogate):
            raise TypeError(
                f"UpperConfidenceBound needs a GaussianSurrogate (a posterior mean and variance, such as GP); "
                f"{type(surrogate).__name__} models the densities of good and bad points, which give no confidence "
                "bound. Use ExpectedImprovement or ProbabilityOfImprovement (or their Log forms) with it."
            )
        _check_gaussian(surrogate, "UpperConfidenceBound")
        if not isinstance(beta, (int, float)) or isinstance(beta, bool) or not (beta >= 0 and math.isfinite(beta)):
            raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
        self.surrogate = surrogate
        self.register_buffer("beta", torch.tensor(float(beta)))

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        mean, std = _posterior(self.surrogate, X)
        return -mean + self.beta.sqrt() * std
