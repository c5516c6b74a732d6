"""Closed-form acquisition functions for a Gaussian belief, as ``torch.nn.Module`` s.

Glossary:
    b       candidates;  D encoded dimension.
    mean    (b,) posterior mean;  std (b,) posterior standard deviation (latent function).
    best_y  scalar tensor, the incumbent (lowest value observed); every objective here is minimised.
    z       (b,) standardised improvement (best_y - mean) / std.
    phi, Phi  standard normal density and distribution function.

Every module maps ``X (b, D) -> (b,)``, larger is better, and is differentiable in ``X``. The math lives in small pure
functions of ``(mean, std, best_y)``; the modules only wire a surrogate to them.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from bohpo.surrogates.base import GaussianSurrogate

__all__ = [
    "ExpectedImprovement",
    "LogExpectedImprovement",
    "LogProbabilityOfImprovement",
    "ProbabilityOfImprovement",
    "UpperConfidenceBound",
    "expected_improvement",
    "log_expected_improvement",
    "log_h",
]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_SQRT_PI_OVER_2 = 0.5 * math.log(math.pi / 2)
_SQRT_HALF = math.sqrt(0.5)


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


class _GaussianAcquisition(nn.Module):
    """Shared wiring: a Gaussian surrogate and an incumbent ``best_y`` (default: the surrogate's)."""

    best_y: Tensor

    def __init__(self, surrogate: GaussianSurrogate, *, best_y: float | Tensor | None = None) -> None:
        super().__init__()
        _check_gaussian(surrogate, type(self).__name__)
        self.surrogate = surrogate
        reference = surrogate.best_y
        incumbent = (
            reference if best_y is None else torch.as_tensor(best_y, dtype=reference.dtype, device=reference.device)
        )
        self.register_buffer("best_y", incumbent.detach().clone())


class ExpectedImprovement(_GaussianAcquisition):
    """Expected improvement below the incumbent: E[max(best_y - f(x), 0)].

    Example:
        >>> from bohpo.surrogates import GP
        >>> X = torch.rand(8, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> ei = ExpectedImprovement(GP().fit(X, X.sum(-1)))
        >>> ei(torch.rand(5, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)).shape
        torch.Size([5])
    """

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        mean, std = _posterior(self.surrogate, X)
        return expected_improvement(mean, std, self.best_y)


class LogExpectedImprovement(_GaussianAcquisition):
    """log of expected improvement, computed stably: finite and ordered where EI itself underflows."""

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        mean, std = _posterior(self.surrogate, X)
        return log_expected_improvement(mean, std, self.best_y)


class ProbabilityOfImprovement(_GaussianAcquisition):
    """Probability that f(x) falls below the incumbent: Phi((best_y - mean) / std)."""

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        mean, std = _posterior(self.surrogate, X)
        return _Phi((self.best_y - mean) / std)


class LogProbabilityOfImprovement(_GaussianAcquisition):
    """log of the probability of improvement, finite far from the incumbent (``log_ndtr``)."""

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        mean, std = _posterior(self.surrogate, X)
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
        _check_gaussian(surrogate, "UpperConfidenceBound")
        if not isinstance(beta, (int, float)) or isinstance(beta, bool) or not (beta >= 0 and math.isfinite(beta)):
            raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
        self.surrogate = surrogate
        self.register_buffer("beta", torch.tensor(float(beta)))

    def forward(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b,)."""
        mean, std = _posterior(self.surrogate, X)
        return -mean + self.beta.sqrt() * std
