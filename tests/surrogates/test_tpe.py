"""TPE: densities against hand computation, normalisation over the cube, the split, sampling from l, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from bohpo.space import Categorical, Float, Int, Space
from bohpo.surrogates import TPE, is_density_ratio_surrogate, is_gaussian_surrogate
from bohpo.surrogates.parzen import log_normal_mass
from bohpo.surrogates.tpe import (
    hyperopt_gamma,
    neighbour_bandwidths,
    optuna_gamma,
    recency_weights,
    scott_bandwidths,
)
from tests.conftest import DEVICES


def _truncnorm_pdf(x: float, mu: float, sigma: float) -> float:
    return float(stats.truncnorm.pdf(x, -mu / sigma, (1 - mu) / sigma, loc=mu, scale=sigma))


def _truncnorm_mass(lo: float, hi: float, mu: float, sigma: float) -> float:
    dist = stats.truncnorm(-mu / sigma, (1 - mu) / sigma, loc=mu, scale=sigma)
    return float(dist.cdf(hi) - dist.cdf(lo))


def _one(n: int) -> int:
    return 1


# -- schedules and bandwidth rules ------------------------------------------------------------------------------


def test_gamma_schedules_match_their_formulas() -> None:
    assert [optuna_gamma(n) for n in (1, 10, 11, 100, 249, 251, 10_000)] == [1, 1, 2, 10, 25, 25, 25]
    assert [hyperopt_gamma(n) for n in (1, 16, 17, 100, 10_000, 20_000)] == [1, 1, 2, 3, 25, 25]


def test_recency_weights_ramp_older_points_and_keep_the_last_25() -> None:
    assert torch.equal(recency_weights(25), torch.ones(25, dtype=torch.float64))
    w = recency_weights(40)
    assert w.shape == (40,)
    assert w[0].item() == pytest.approx(1 / 40) and torch.equal(w[15:], torch.ones(25, dtype=torch.float64))
    assert bool((w[:15].diff() > 0).all())


def test_neighbour_bandwidths_take_the_larger_gap() -> None:
    # sorted 0.1, 0.3, 0.8: inner point max(0.2, 0.5); the outer ones take their inner gap (0.2 and 0.5)
    mu = torch.tensor([[0.8], [0.1], [0.3]], dtype=torch.float64)
    assert torch.allclose(neighbour_bandwidths(mu), torch.tensor([[0.5], [0.2], [0.5]], dtype=torch.float64))
    lone = torch.tensor([[0.2, 0.9]], dtype=torch.float64)  # a lone point: the larger distance to an end
    assert torch.allclose(neighbour_bandwidths(lone), torch.tensor([[0.8, 0.9]], dtype=torch.float64))
    assert torch.allclose(scott_bandwidths(torch.zeros(16, 2), 2), torch.full((16, 2), 0.2 * 16 ** (-1 / 6)))


def test_tied_centres_take_their_bandwidths_in_row_order() -> None:
    # 20 centres on 3 values of one column: which of two tied centres gets the gap to a neighbour must not depend on
    # the sort's tie-breaking (a default sort breaks ties one way on the CPU and another on CUDA, past 16 rows)
    mu = torch.tensor([0.2, 0.5, 0.9, 0.5, 0.2] * 4, dtype=torch.float64).unsqueeze(-1)  # (20, 1)
    order = np.argsort(mu[:, 0].numpy(), kind="stable")
    padded = np.concatenate([[0.0], mu[order, 0].numpy(), [1.0]])
    gaps = np.diff(padded)
    ordered_sigma = np.maximum(gaps[:-1], gaps[1:])
    ordered_sigma[0], ordered_sigma[-1] = gaps[1], gaps[-2]
    want = np.empty(20)
    want[order] = ordered_sigma
    assert torch.equal(neighbour_bandwidths(mu)[:, 0], torch.from_numpy(want))


def test_log_normal_mass_is_accurate_in_both_tails() -> None:
    a = torch.tensor([-1.0, 30.0, -45.0, 2.0], dtype=torch.float64)
    b = torch.tensor([1.0, 31.0, -44.0, 2.0], dtype=torch.float64)
    got = log_normal_mass(a, b)
    want = [math.log(stats.norm.cdf(1) - stats.norm.cdf(-1)), stats.norm.logsf(30) + math.log1p(-math.exp(
        stats.norm.logsf(31) - stats.norm.logsf(30))), stats.norm.logcdf(-44) + math.log1p(-math.exp(
        stats.norm.logcdf(-45) - stats.norm.logcdf(-44)))]  # fmt: skip
    assert torch.allclose(got[:3], torch.tensor(want, dtype=torch.float64), rtol=1e-10)
    assert got[3].item() == -math.inf


# -- densities against hand computation -------------------------------------------------------------------------


def test_float_densities_equal_the_hand_computed_mixtures() -> None:
    """Good {0.2}, bad {0.6, 0.9}; each group with the prior N(0.5, 1) truncated to [0, 1], weight 1 each."""
    X = torch.tensor([[0.2], [0.6], [0.9]], dtype=torch.float64)
    tpe = TPE(gamma=_one).fit(X, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    # good: a lone centre 0.2 -> bandwidth max(0.2, 0.8) = 0.8 (clip floor 1/3)
    # bad: 0.6 and 0.9 -> both take their gap 0.3 (clip floor 1/4)
    for x in (0.0, 0.2, 0.55, 1.0):
        l_want = 0.5 * _truncnorm_pdf(x, 0.2, 0.8) + 0.5 * _truncnorm_pdf(x, 0.5, 1.0)
        g_want = (_truncnorm_pdf(x, 0.6, 0.3) + _truncnorm_pdf(x, 0.9, 0.3) + _truncnorm_pdf(x, 0.5, 1.0)) / 3
        log_l, log_g = tpe.log_densities(torch.tensor([[x]], dtype=torch.float64))
        assert log_l.item() == pytest.approx(math.log(l_want), rel=1e-10)
        assert log_g.item() == pytest.approx(math.log(g_want), rel=1e-10)


def test_magic_clip_floors_the_bandwidth() -> None:
    X = torch.tensor([[0.50], [0.51], [0.90]], dtype=torch.float64)  # bad {0.51, 0.90}: gaps 0.39
    tpe = TPE(gamma=_one).fit(X, torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64))
    assert torch.allclose(tpe.bad.sigma[:2, 0], torch.tensor([0.39, 0.39], dtype=torch.float64))
    X = torch.tensor([[0.50], [0.51], [0.52], [0.9]], dtype=torch.float64)  # good {0.5, 0.51}: gaps 0.01 -> 1/4
    tpe = TPE(gamma=lambda n: 2).fit(X, torch.arange(4.0, dtype=torch.float64))
    assert torch.allclose(tpe.good.sigma[:2, 0], torch.full((2,), 0.25, dtype=torch.float64))
    unclipped = TPE(gamma=lambda n: 2, magic_clip=False).fit(X, torch.arange(4.0, dtype=torch.float64))
    assert torch.allclose(unclipped.good.sigma[:2, 0], torch.full((2,), 0.01, dtype=torch.float64))


def test_int_densities_are_the_masses_of_their_cells() -> None:
    space = Space({"k": Int(0, 3)})  # cells [0, 1/4], [1/4, 1/2], ... of the encoding
    X = space.encode([{"k": 1}, {"k": 3}])
    tpe = TPE(gamma=_one).bind(space).fit(X, torch.tensor([0.0, 1.0], dtype=torch.float64))
    mu = 0.375  # encoded position of k = 1; lone centre: bandwidth max(0.375, 0.625) = 0.625
    for k in range(4):
        lo, hi = k / 4, (k + 1) / 4
        want = 0.5 * _truncnorm_mass(lo, hi, mu, 0.625) + 0.5 * _truncnorm_mass(lo, hi, 0.5, 1.0)
        log_l, _ = tpe.log_densities(space.encode([{"k": k}]))
        assert log_l.item() == pytest.approx(math.log(want), rel=1e-10)


def test_categorical_kernels_are_aitchison_aitken_with_a_uniform_prior() -> None:
    space = Space({"c": Categorical(["a", "b", "c"])})
    X = space.encode([{"c": "a"}, {"c": "a"}, {"c": "c"}])
    tpe = TPE(gamma=lambda n: 2).bind(space).fit(X, torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64))
    # good {a, a}: smoothing 1/3 on every choice -> (4/3, 1/3, 1/3) / 2; mixed with the uniform prior, weights 1/3
    kernel_a = torch.tensor([2 / 3, 1 / 6, 1 / 6], dtype=torch.float64)
    want = (2 * kernel_a + torch.full((3,), 1 / 3, dtype=torch.float64)) / 3
    log_l, _ = tpe.log_densities(space.encode([{"c": c} for c in "abc"]))
    assert torch.allclose(log_l.exp(), want, rtol=1e-12)


def test_multivariate_and_univariate_combine_kernels_as_defined() -> None:
    X = torch.tensor([[0.1, 0.9], [0.4, 0.3], [0.95, 0.5]], dtype=torch.float64)
    y = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    x = torch.tensor([[0.3, 0.6]], dtype=torch.float64)
    # bad group {0.4, 0.95} x {0.3, 0.5}: per column the gaps 0.55 and 0.2 (clipped up to 1/4), and the prior
    centres = [(0.4, 0.3), (0.95, 0.5), (0.5, 0.5)]
    sigmas = [(0.55, 0.25), (0.55, 0.25), (1.0, 1.0)]
    kernels = [
        [_truncnorm_pdf(x[0, j].item(), c[j], s[j]) for j in range(2)] for c, s in zip(centres, sigmas, strict=True)
    ]
    joint = sum(k[0] * k[1] for k in kernels) / 3
    product = (sum(k[0] for k in kernels) / 3) * (sum(k[1] for k in kernels) / 3)
    _, log_g = TPE(gamma=_one, multivariate=True).fit(X, y).log_densities(x)
    assert log_g.item() == pytest.approx(math.log(joint), rel=1e-10)
    univariate = TPE(gamma=_one, multivariate=False).fit(X, y)
    assert univariate.log_densities(x)[1].item() == pytest.approx(math.log(product), rel=1e-10)
    terms = univariate.log_density_terms(x)
    assert terms is not None and torch.allclose(terms[1].sum(-1), univariate.log_densities(x)[1])


def test_recency_weights_enter_the_mixture() -> None:
    X = torch.rand(40, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    tpe = TPE(gamma=_one, recency=True).fit(X, torch.arange(40.0, dtype=torch.float64))  # bad: rows 1..39
    want = torch.cat([recency_weights(39), torch.ones(1, dtype=torch.float64)])
    assert torch.allclose(tpe.bad.weights, want / want.sum())


# -- normalisation --------------------------------------------------------------------------------------------


def _mixed_space() -> Space:
    return Space({"x": Float(1e-3, 1.0, log=True), "k": Int(1, 6, log=True), "c": Categorical(["a", "b", "c"])})


@pytest.mark.parametrize("multivariate", [True, False])
def test_each_density_integrates_to_one_over_the_mixed_cube(multivariate: bool) -> None:
    """Integral over the float column, sum over the ints and the categories, for l and g."""
    space = _mixed_space()
    configs = space.sample(30, generator=torch.Generator().manual_seed(1))
    X = space.encode(configs)
    y = torch.tensor([math.log(c["x"]) + c["k"] for c in configs], dtype=torch.float64)
    tpe = TPE(multivariate=multivariate).bind(space).fit(X, y)
    grid = torch.linspace(0, 1, 40_001, dtype=torch.float64)
    totals = torch.zeros(2, dtype=torch.float64)
    for k in range(1, 7):
        for c in "abc":
            points = space.encode([{"x": 0.5, "k": k, "c": c}]).repeat(grid.shape[0], 1)
            points[:, 0] = grid
            log_l, log_g = tpe.log_densities(points)
            totals += torch.stack([torch.trapezoid(log_l.exp(), grid), torch.trapezoid(log_g.exp(), grid)])
    assert torch.allclose(totals, torch.ones(2, dtype=torch.float64), atol=1e-6)


def test_a_two_dimensional_density_integrates_to_one() -> None:
    X = torch.rand(12, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    tpe = TPE().fit(X, X.sum(-1))
    grid = torch.linspace(0, 1, 801, dtype=torch.float64)
    points = torch.cartesian_prod(grid, grid)
    for log_density in tpe.log_densities(points):
        surface = log_density.exp().reshape(801, 801)
        total = torch.trapezoid(torch.trapezoid(surface, grid), grid)
        assert total.item() == pytest.approx(1.0, abs=1e-4)


# -- the split --------------------------------------------------------------------------------------------------


def test_the_split_counts_only_finite_values_and_sends_liars_to_the_bad_group() -> None:
    X = torch.rand(14, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    y = torch.tensor([5.0, 1.0, 3.0, 2.0, 9.0, 8.0, 7.0, 6.0, 4.0, 10.0, 11.0, 12.0, math.inf, math.inf])
    tpe = TPE().fit(X, y)  # 12 finite values: optuna_gamma(12) = 2 good (the values 1 and 2)
    assert tpe.good.weights.shape == (3,) and tpe.bad.weights.shape == (13,)
    assert torch.equal(tpe.good.mu[:2], X[[1, 3]])  # in the order observed
    assert tpe.good_fraction == pytest.approx(2 / 14)
    assert tpe.threshold.item() == pytest.approx(2.5)  # halfway between the worst good value and the best bad one
    assert tpe.improvement_scale.item() == pytest.approx((1.5 + 0.5) / 14)


def test_a_constant_objective_keeps_a_unit_improvement_scale() -> None:
    """Tied values leave K = 0, which would make EI zero everywhere; K = 1 keeps EI's ranking, the density
    ratio's."""
    X = torch.rand(10, 1, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    tpe = TPE().fit(X, torch.zeros(10, dtype=torch.float64))
    assert tpe.improvement_scale.item() == 1.0


def test_the_bad_group_keeps_at_least_one_observation() -> None:
    X = torch.rand(6, 1, generator=torch.Generator().manual_seed(14), dtype=torch.float64)
    tpe = TPE(gamma=lambda n: n).fit(X, torch.arange(6.0, dtype=torch.float64))
    assert tpe.good.weights.shape == (6,) and tpe.bad.weights.shape == (2,)  # 5 good, 1 bad, each with the prior


@pytest.mark.parametrize("multivariate", [True, False])
def test_tiny_bandwidths_give_the_same_densities_on_every_path(multivariate: bool) -> None:
    """Without the magic clip, tied observations get bandwidths of 1e-12: the joint density must not take the
    matrix-product shortcut, whose cancellation would be catastrophic there."""
    X = torch.cat([torch.full((6, 2), 0.5, dtype=torch.float64), torch.rand(6, 2, dtype=torch.float64,
        generator=torch.Generator().manual_seed(15))])  # fmt: skip
    tpe = TPE(magic_clip=False, multivariate=multivariate).fit(X, torch.arange(12.0, dtype=torch.float64))
    points = torch.tensor([[0.5, 0.5], [0.5, 0.5 + 1e-9], [0.2, 0.7]], dtype=torch.float64)
    for mixture in (tpe.good, tpe.bad):
        kernels = mixture.log_kernels(points)  # (3, m, 2), summed directly
        if multivariate:
            want = torch.logsumexp(kernels.sum(-1) + mixture.weights.log(), dim=1)
        else:
            want = torch.logsumexp(kernels + mixture.weights.log().unsqueeze(-1), dim=1).sum(-1)
        assert torch.allclose(mixture.log_density(points), want, rtol=1e-9)


def test_a_gamma_rule_that_cannot_count_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match=r"gamma\(1\) must return an int >= 0, got 0.5"):
        TPE(gamma=lambda n: n / 2)


def test_queries_of_the_wrong_width_are_refused_and_dtypes_follow_the_fit() -> None:
    X = torch.rand(8, 2, generator=torch.Generator().manual_seed(16), dtype=torch.float32)
    tpe = TPE().fit(X, X.sum(-1))
    with pytest.raises(ValueError, match=r"X must have shape \(\.\.\., 2\), got \(4, 3\)"):
        tpe.log_densities(torch.rand(4, 3, generator=torch.Generator().manual_seed(17)))
    log_l, _ = tpe.log_densities(X.double())
    assert log_l.dtype == torch.float32


# -- sampling from l --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("multivariate", [True, False])
def test_draws_from_l_follow_l(multivariate: bool) -> None:
    """The float column's draws pass a Kolmogorov–Smirnov test against l's marginal CDF (numerically integrated);
    the int column's counts a chi-square test against l's marginal masses."""
    space = Space({"x": Float(0.0, 1.0), "k": Int(0, 4)})
    configs = space.sample(20, generator=torch.Generator().manual_seed(5))
    X = space.encode(configs)
    tpe = TPE(multivariate=multivariate, gamma=0.3).bind(space).fit(X, X[:, 0] - X[:, 1])
    draws = tpe.sample_good(20_000, generator=torch.Generator().manual_seed(6))
    grid = torch.linspace(0, 1, 20_001, dtype=torch.float64)
    marginal = torch.zeros_like(grid)
    masses = torch.zeros(5, dtype=torch.float64)
    for k in range(5):
        points = space.encode([{"x": 0.0, "k": k}]).repeat(grid.shape[0], 1)
        points[:, 0] = grid
        density = tpe.log_densities(points)[0].exp()
        marginal += density
        masses[k] = torch.trapezoid(density, grid)
    cdf = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumulative_trapezoid(marginal, grid)])
    sample = draws[:, 0].numpy()
    result = stats.kstest(sample, lambda v: np.interp(v, grid.numpy(), cdf.numpy()))
    assert result.pvalue > 1e-3
    counts = torch.bincount(torch.tensor([c["k"] for c in space.decode(draws)]), minlength=5).double()
    chi2 = ((counts - 20_000 * masses) ** 2 / (20_000 * masses)).sum().item()
    assert stats.chi2.sf(chi2, df=4) > 1e-3
    assert all(space.validate(c) == c for c in space.decode(draws[:50]))


def test_draws_are_reproducible_and_on_the_lattice() -> None:
    space = _mixed_space()
    X = space.encode(space.sample(15, generator=torch.Generator().manual_seed(7)))
    tpe = TPE().bind(space).fit(X, X.sum(-1))
    a = tpe.sample_good(64, generator=torch.Generator().manual_seed(8))
    b = tpe.sample_good(64, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert torch.equal(space.snap(a), a)


# -- devices and dtypes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_densities_follow_the_inputs_device_and_dtype(device: str, dtype: torch.dtype) -> None:
    space = _mixed_space()
    X = space.encode(space.sample(20, generator=torch.Generator().manual_seed(9)))
    reference = TPE().bind(space).fit(X, X.sum(-1))
    tpe = TPE().bind(space).fit(X.to(device, dtype), X.sum(-1).to(device, dtype))
    draws = tpe.sample_good(32, generator=torch.Generator().manual_seed(10))
    assert draws.device.type == device and draws.dtype == dtype
    log_l, log_g = tpe.log_densities(draws)
    want_l, want_g = reference.log_densities(draws.double().cpu())
    tolerance = 1e-4 if dtype == torch.float32 else 1e-10
    assert torch.allclose(log_l.double().cpu(), want_l, rtol=tolerance, atol=tolerance)
    assert torch.allclose(log_g.double().cpu(), want_g, rtol=tolerance, atol=tolerance)


# -- protocol and bad input -------------------------------------------------------------------------------------


def test_tpe_is_a_density_ratio_surrogate_and_not_a_gaussian_one() -> None:
    assert is_density_ratio_surrogate(TPE()) and not is_gaussian_surrogate(TPE())


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"gamma": "median"}, ValueError, "gamma must be"),
        ({"gamma": 1.5}, ValueError, "fraction must lie in"),
        ({"gamma": 3}, TypeError, "gamma must be"),
        ({"prior_weight": -1.0}, ValueError, "prior_weight"),
        ({"prior_weight": "1"}, TypeError, "prior_weight"),
        ({"bandwidth": "silverman"}, ValueError, "bandwidth"),
        ({"multivariate": 1}, TypeError, "multivariate"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        TPE(**kwargs)  # type: ignore[arg-type]


def test_bad_data_is_refused_before_anything_changes() -> None:
    X = torch.rand(5, 2, generator=torch.Generator().manual_seed(13), dtype=torch.float64)
    tpe = TPE().fit(X, X.sum(-1))
    before = tpe.good
    with pytest.raises(ValueError, match="NaN or -inf"):
        tpe.fit(X, torch.tensor([0.0, math.nan, 1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"y must be a \(5,\) tensor"):
        tpe.fit(X, torch.zeros(4))
    with pytest.raises(ValueError, match="gamma"):
        TPE(gamma=lambda n: -1).fit(X, X.sum(-1))
    space = Space({"x": Float(0.0, 1.0)})
    with pytest.raises(ValueError, match="columns but the bound space encodes to 1"):
        TPE().bind(space).fit(X, X.sum(-1))
    assert tpe.good is before
    with pytest.raises(RuntimeError, match="not fitted"):
        TPE().log_densities(X)
