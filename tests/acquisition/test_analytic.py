"""Closed-form acquisitions against Monte Carlo estimates from the same posterior, and LogEI far from the incumbent."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor

from bohpo.acquisition import (
    ExpectedImprovement,
    LogExpectedImprovement,
    LogProbabilityOfImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
    expected_improvement,
    log_expected_improvement,
)
from bohpo.acquisition.analytic import log_h
from bohpo.space import Categorical, Space
from bohpo.surrogates import TPE
from tests.conftest import DEVICES, DTYPES


class FixedPosterior:
    """A Gaussian surrogate whose posterior is given: mean(x) = a . x + b, var(x) = s^2 (1 + |x|^2)."""

    def __init__(self, a: Tensor, b: float, s: float, best_y: float) -> None:
        self.a, self.b, self.s = a, b, s
        self._best_y = torch.tensor(best_y, dtype=a.dtype, device=a.device)

    def fit(self, X: Tensor, y: Tensor) -> FixedPosterior:
        return self

    @property
    def best_y(self) -> Tensor:
        return self._best_y

    def predict(self, X: Tensor) -> tuple[Tensor, Tensor]:
        return X @ self.a + self.b, self.s**2 * (1 + X.square().sum(-1))


class DensityOnly:
    def fit(self, X: Tensor, y: Tensor) -> DensityOnly:
        return self

    def log_densities(self, X: Tensor) -> tuple[Tensor, Tensor]:
        return X.sum(-1), X.sum(-1)


def _posterior(dtype: torch.dtype = torch.float64, device: str = "cpu") -> FixedPosterior:
    return FixedPosterior(torch.tensor([0.5, -1.0], dtype=dtype, device=device), b=0.2, s=0.7, best_y=0.1)


def _mc(posterior: FixedPosterior, X: Tensor, n: int = 400_000) -> Tensor:
    """(n, b) samples of f(X) from the posterior."""
    mean, var = posterior.predict(X.double())
    g = torch.Generator().manual_seed(0)
    return mean + var.sqrt() * torch.randn(n, X.shape[0], generator=g, dtype=torch.float64)


X_TEST = torch.tensor([[0.1, 0.9], [0.5, 0.5], [0.9, 0.0], [0.0, 0.0]], dtype=torch.float64)


def test_ei_matches_monte_carlo() -> None:
    posterior = _posterior()
    samples = (posterior.best_y - _mc(posterior, X_TEST)).clamp_min(0)  # (n, b)
    tol = 4 * samples.std(0) / samples.shape[0] ** 0.5
    assert ((ExpectedImprovement(posterior)(X_TEST) - samples.mean(0)).abs() < tol).all()


def test_pi_matches_monte_carlo() -> None:
    posterior = _posterior()
    hits = (_mc(posterior, X_TEST) < posterior.best_y).double()
    tol = 4 * hits.std(0) / hits.shape[0] ** 0.5
    assert ((ProbabilityOfImprovement(posterior)(X_TEST) - hits.mean(0)).abs() < tol).all()


def test_ucb_is_an_optimistic_quantile() -> None:
    posterior = _posterior()
    beta = 1.96**2
    bound = UpperConfidenceBound(posterior, beta=beta)(X_TEST)
    # -UCB is the 2.5% quantile of f: 2.5% of the samples fall below it
    below = (_mc(posterior, X_TEST) < -bound).double().mean(0)
    assert (below - 0.025).abs().max() < 0.002


def test_log_variants_are_logs_where_representable() -> None:
    posterior = _posterior()
    torch.testing.assert_close(LogExpectedImprovement(posterior)(X_TEST), ExpectedImprovement(posterior)(X_TEST).log())
    torch.testing.assert_close(
        LogProbabilityOfImprovement(posterior)(X_TEST), ProbabilityOfImprovement(posterior)(X_TEST).log()
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_h_matches_log_of_h_across_its_branches(dtype: torch.dtype) -> None:
    z = torch.tensor(
        [-2600.0, -500.0, -40.0, -30.0, -10.0, -5.0, -1.0001, -1.0, -0.9999, 0.0, 2.0, 10.0], dtype=torch.float64
    )
    exact = torch.log(torch.exp(-0.5 * z**2) / math.sqrt(2 * math.pi) + z * 0.5 * torch.erfc(-z / math.sqrt(2)))
    # float64 h(z) loses accuracy below about -20: compare there with the asymptotic series instead
    series = -0.5 * z**2 - 0.5 * math.log(2 * math.pi) - 2 * torch.log(z.abs()) + torch.log1p(-3 / z**2 + 15 / z**4)
    expected = torch.where(z < -20, series, exact)
    tol = 1e-5 if dtype == torch.float32 else 1e-9
    torch.testing.assert_close(log_h(z.to(dtype)).double(), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_h_is_the_same_with_or_without_far_values_beside_it(dtype: torch.dtype) -> None:
    # without values far below, the series is not computed at all: the other values must not change by a bit
    z = torch.tensor([-40.0, -10.0, -1.0001, -0.5, 0.0, 3.0], dtype=dtype)
    far = torch.tensor([-2600.0 if dtype == torch.float64 else -40.5], dtype=dtype)
    assert torch.equal(log_h(z), log_h(torch.cat([z, far]))[:-1])
    assert torch.equal(log_h(z[-3:]), log_h(z)[-3:])  # the direct branch alone, and beside the others


def test_log_h_derivative_matches_finite_differences_on_every_branch() -> None:
    # points inside each branch (direct, erfcx, asymptotic series), away from the switches
    z = torch.tensor([-2000.0, -300.0, -12.0, -3.0, -0.5, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(log_h, (z,))
    # the derivative is Phi(z) / h(z), which tends to -z - 2 / z far below (from the series)
    (grad,) = torch.autograd.grad(log_h(z).sum(), z)
    assert grad[0].item() == pytest.approx(2000.0 + 2 / 2000.0, rel=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_ei_stays_finite_and_ordered_far_from_the_incumbent(dtype: torch.dtype) -> None:
    mean = torch.tensor([1.0, 10.0, 100.0, 1e4, 1e8], dtype=dtype, requires_grad=True)
    std = torch.ones_like(mean)
    best = torch.tensor(0.0, dtype=dtype)
    assert expected_improvement(mean, std, best)[-1] == 0  # plain EI underflows here
    log_ei = log_expected_improvement(mean, std, best)
    assert torch.isfinite(log_ei).all() and (log_ei.diff() < 0).all()
    log_ei.sum().backward()
    assert mean.grad is not None and torch.isfinite(mean.grad).all() and (mean.grad < 0).all()
    far = LogProbabilityOfImprovement(FixedPosterior(torch.zeros(1, dtype=dtype), b=1e3, s=1.0, best_y=0.0))
    assert torch.isfinite(far(torch.zeros(1, 1, dtype=dtype))).all()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "build",
    [ExpectedImprovement, LogExpectedImprovement, ProbabilityOfImprovement, LogProbabilityOfImprovement,
     UpperConfidenceBound],
)  # fmt: skip
def test_shapes_dtype_device_and_gradients(build: type, dtype: torch.dtype, device: str) -> None:
    acquisition = build(_posterior(dtype, device))
    X = torch.rand(6, 2, generator=torch.Generator().manual_seed(0), dtype=dtype).to(device).requires_grad_(True)
    values = acquisition(X)
    assert values.shape == (6,) and values.dtype == dtype and values.device.type == device
    values.sum().backward()
    assert X.grad is not None and torch.isfinite(X.grad).all()


def test_acquisitions_are_modules_whose_constants_move_with_them() -> None:
    acquisition = UpperConfidenceBound(_posterior(), beta=4.0)
    assert dict(acquisition.named_buffers())["beta"].item() == 4.0
    ei = ExpectedImprovement(_posterior(), best_y=-1.0)
    assert ei.best_y.dtype == torch.float64 and ei.best_y.item() == -1.0


@pytest.mark.parametrize("build", [ExpectedImprovement, LogExpectedImprovement, UpperConfidenceBound])
def test_an_incomplete_density_model_is_refused_at_construction(build: type) -> None:
    """DensityOnly has log densities but no split (good_fraction, improvement_scale, sample_good): neither kind."""
    with pytest.raises(TypeError, match=r"needs a GaussianSurrogate .* got DensityOnly"):
        build(DensityOnly())


@pytest.mark.parametrize("beta", [-1.0, math.inf, math.nan, "2"])
def test_ucb_rejects_bad_beta(beta: object) -> None:
    with pytest.raises(ValueError, match=r"beta must be a finite number >= 0"):
        UpperConfidenceBound(_posterior(), beta=beta)  # type: ignore[arg-type]


# -- on a density-ratio surrogate (TPE) -------------------------------------------------------------------------


def _fitted_tpe(multivariate: bool = True) -> tuple[TPE, Tensor]:
    g = torch.Generator().manual_seed(11)
    X = torch.rand(40, 3, generator=g, dtype=torch.float64)
    tpe = TPE(multivariate=multivariate).fit(X, (X - 0.3).square().sum(-1))
    return tpe, tpe.sample_good(200, generator=g)


@pytest.mark.parametrize("multivariate", [True, False])
@pytest.mark.parametrize(
    "acquisition",
    [ExpectedImprovement, LogExpectedImprovement, ProbabilityOfImprovement, LogProbabilityOfImprovement],
)
def test_improvement_acquisitions_on_tpe_pick_the_largest_density_ratio(multivariate: bool, acquisition: type) -> None:
    tpe, candidates = _fitted_tpe(multivariate)
    log_l, log_g = tpe.log_densities(candidates)
    ratio_order = (log_l - log_g).argsort()
    values = acquisition(tpe)(candidates)
    assert values.shape == (200,)
    assert int(values.argmax()) == int((log_l - log_g).argmax())
    assert bool((values[ratio_order].diff() >= 0).all())  # increasing in the ratio, not only at the top


def test_tpe_closed_forms() -> None:
    """PI = gamma l / (gamma l + (1 - gamma) g) and EI = K l / (gamma l + (1 - gamma) g), written out."""
    tpe, candidates = _fitted_tpe()
    log_l, log_g = tpe.log_densities(candidates)
    good, bad, gamma, K = log_l.exp(), log_g.exp(), tpe.good_fraction, tpe.improvement_scale
    mixture = gamma * good + (1 - gamma) * bad
    assert torch.allclose(ProbabilityOfImprovement(tpe)(candidates), gamma * good / mixture, rtol=1e-12)
    assert torch.allclose(ExpectedImprovement(tpe)(candidates), K * good / mixture, rtol=1e-12)
    assert torch.allclose(LogExpectedImprovement(tpe)(candidates), torch.log(K * good / mixture), rtol=1e-12)


def test_tpe_probability_of_improvement_matches_its_generative_model() -> None:
    """Draw good points from l with probability gamma and bad ones from g otherwise: in each bin of x, the share of
    good draws estimates P(y < y* | x in bin): the average of PI over the bin, weighted by
    p = gamma l + (1 - gamma) g."""
    g = torch.Generator().manual_seed(12)
    X = torch.rand(30, 1, generator=g, dtype=torch.float64)
    tpe = TPE(gamma=0.3).fit(X, (X[:, 0] - 0.4).abs())
    n, n_bins = 400_000, 20
    is_good = torch.rand(n, generator=g, dtype=torch.float64) < tpe.good_fraction
    draws = torch.where(is_good.unsqueeze(-1), tpe.good.sample(n, generator=g), tpe.bad.sample(n, generator=g))
    bins = (draws[:, 0] * n_bins).long().clamp_max(n_bins - 1)
    estimate = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, bins, is_good.double()) / torch.bincount(bins)
    grid = (torch.arange(n_bins * 200, dtype=torch.float64) + 0.5).unsqueeze(-1) / (n_bins * 200)  # bin midpoints
    log_l, log_g = tpe.log_densities(grid)
    p = tpe.good_fraction * log_l.exp() + (1 - tpe.good_fraction) * log_g.exp()
    pi = ProbabilityOfImprovement(tpe)(grid)
    want = (pi * p).reshape(n_bins, -1).sum(-1) / p.reshape(n_bins, -1).sum(-1)
    assert torch.allclose(estimate, want, atol=0.015)


def test_ucb_refuses_a_density_ratio_surrogate_and_says_why() -> None:
    tpe, _ = _fitted_tpe()
    with pytest.raises(TypeError, match=r"GaussianSurrogate.*no confidence bound.*ExpectedImprovement"):
        UpperConfidenceBound(tpe)


def test_an_incumbent_cannot_be_set_on_tpe() -> None:
    tpe, _ = _fitted_tpe()
    with pytest.raises(ValueError, match="split y\\*; best_y cannot be set"):
        ExpectedImprovement(tpe, best_y=0.0)


def test_an_acquisition_refuses_a_model_of_neither_kind() -> None:
    with pytest.raises(TypeError, match=r"GaussianSurrogate .* or a DensityRatioSurrogate"):
        ExpectedImprovement(object())  # type: ignore[arg-type]


def test_tpe_forms_stay_finite_where_both_densities_vanish() -> None:
    """prior_weight = 0: the good group is {a}, the bad one {a, b, b}, so l(b) = 0 < g(b) and l(c) = g(c) = 0;
    both give -inf, not NaN."""
    space = Space({"c": Categorical(["a", "b", "c"])})
    X = space.encode([{"c": "a"}, {"c": "a"}, {"c": "b"}, {"c": "b"}])
    tpe = TPE(prior_weight=0.0).bind(space).fit(X, torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64))
    values = LogExpectedImprovement(tpe)(space.encode([{"c": c} for c in "abc"]))
    assert torch.isfinite(values[0]) and values[1:].tolist() == [-math.inf, -math.inf]


def test_tpe_forms_keep_ranking_when_every_row_is_good() -> None:
    """One observation: gamma = 1, where the closed forms would be constant; kept inside (0, 1) they still rank
    by the ratio."""
    tpe = TPE().fit(torch.tensor([[0.3]], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64))
    assert tpe.good_fraction == 1.0
    X = torch.tensor([[0.3], [0.9]], dtype=torch.float64)
    log_l, log_g = tpe.log_densities(X)
    assert bool(log_l[0] - log_g[0] > log_l[1] - log_g[1])
    for build in (ExpectedImprovement, ProbabilityOfImprovement, LogProbabilityOfImprovement):
        values = build(tpe)(X)
        assert bool(values[0] > values[1])
