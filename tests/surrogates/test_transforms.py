"""Output power transform and input warping: the formulas, and what they do inside the GP."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from scipy import stats

from bohpo.surrogates import GP, KumaraswamyWarp, YeoJohnson
from bohpo.surrogates.transforms import location_and_scale, yeo_johnson_normmax


def _skewed(n: int = 30, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 3, generator=g, dtype=torch.float64)
    return X, torch.exp(8 * X[:, 0]) + X[:, 1]  # a long right tail, steep in x0 near 1


def test_yeo_johnson_matches_scipy_on_standardised_values() -> None:
    _, y = _skewed()
    transform = YeoJohnson().fit(y)
    z = ((y - y.mean()) / y.std(unbiased=False)).numpy()
    assert transform.lmbda == pytest.approx(stats.yeojohnson_normmax(z), rel=1e-6)  # a bounded search
    expected = stats.yeojohnson(z, lmbda=transform.lmbda)
    np.testing.assert_allclose(transform(y).numpy(), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "draw",
    [
        lambda g, n: g.normal(size=n),
        lambda g, n: np.exp(3 * g.normal(size=n)),  # a long right tail
        lambda g, n: -np.exp(2 * g.normal(size=n)),  # all negative: the mirrored bounds
        lambda g, n: g.standard_cauchy(size=n),  # both tails
        lambda g, n: np.r_[np.zeros(n), 1.0, 2.0],  # mostly zeros
    ],
)
def test_yeo_johnson_normmax_gives_scipys_lambda(draw: Callable[[np.random.Generator, int], np.ndarray]) -> None:
    g = np.random.default_rng(0)
    for n in (3, 10, 60, 400):
        x = draw(g, n)
        z = (x - x.mean()) / x.std()
        assert yeo_johnson_normmax(z) == pytest.approx(stats.yeojohnson_normmax(z), rel=1e-9, abs=1e-9)
    assert yeo_johnson_normmax(np.zeros(4)) == 1.0


@pytest.mark.parametrize("lmbda", [-1.0, 0.0, 0.5, 2.0, 3.0])
def test_yeo_johnson_branches_match_the_formula_and_are_increasing(lmbda: float) -> None:
    transform = YeoJohnson()  # unfitted: standardisation is the identity, lambda set by hand
    transform.lmbda = lmbda
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    np.testing.assert_allclose(transform(x).numpy(), stats.yeojohnson(x.numpy(), lmbda=lmbda), rtol=1e-9, atol=1e-12)
    assert (transform(x).diff() > 0).all()


def test_yeo_johnson_pulls_in_a_right_tail_and_leaves_constants_alone() -> None:
    _, y = _skewed()
    assert YeoJohnson().fit(y).lmbda < 1
    constant = YeoJohnson().fit(torch.full((5,), 3.0, dtype=torch.float64))
    assert constant.lmbda == 1.0


def test_yeo_johnson_is_fitted_to_distinct_values_so_a_plateau_does_not_drive_lambda() -> None:
    # cross-validated accuracies, negated: a plateau at the best value visited many times, a few failures far off
    plateau = [-0.9883] * 30
    others = [-0.9076, -0.1013, -0.9249, -0.1681, -0.1619, -0.9761, -0.3472, -0.9789]
    y = torch.tensor(plateau + others, dtype=torch.float64)
    distinct = torch.tensor(plateau[:1] + others, dtype=torch.float64)  # first occurrences, in order
    fitted = YeoJohnson().fit(y)
    assert fitted.lmbda == YeoJohnson().fit(distinct).lmbda
    counted = stats.yeojohnson_normmax(((y - y.mean()) / y.std(unbiased=False)).numpy())
    assert counted < -2  # what counting the plateau's multiplicity would give
    assert 0 < fitted.lmbda < 2  # the distinct values are not skewed enough to call for a strong transform
    # two distinct values however many ties: nothing to fit, the identity on standardised values
    two = YeoJohnson().fit(torch.tensor([0.0] * 30 + [1.0], dtype=torch.float64))
    assert two.lmbda == 1.0
    with pytest.raises(ValueError, match=r"shape \(n,\)"):
        YeoJohnson().fit(y.reshape(2, -1))
    with pytest.raises(ValueError, match="finite"):
        YeoJohnson().fit(torch.tensor([0.0, math.nan, 1.0, 2.0], dtype=torch.float64))


def test_kumaraswamy_warp_is_the_cdf_on_its_columns_only() -> None:
    warp = KumaraswamyWarp([0, 2], dim=3).to(torch.float64)
    X = torch.rand(20, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    torch.testing.assert_close(warp(X), X, rtol=0, atol=1e-6)  # a = b = 1 at the start: the identity (clipped)
    a, b = torch.tensor([2.0, 0.5], dtype=torch.float64), torch.tensor([0.7, 3.0], dtype=torch.float64)
    with torch.no_grad():
        warp.log_concentration1.copy_(a.log())
        warp.log_concentration0.copy_(b.log())
    out = warp(X)
    expected = 1 - (1 - X[:, [0, 2]] ** a) ** b
    torch.testing.assert_close(out[:, [0, 2]], expected, rtol=1e-9, atol=1e-6)
    torch.testing.assert_close(out[:, 1], X[:, 1], rtol=0, atol=0)
    grid = torch.linspace(0, 1, 101, dtype=torch.float64).unsqueeze(-1).expand(-1, 3)
    assert (warp(grid)[:, 0].diff() > 0).all()  # increasing: a warp reorders nothing
    assert warp(grid)[0, 0] < 1e-4 and warp(grid)[-1, 0] > 1 - 1e-4  # the ends stay (almost) in place
    assert warp(X.unsqueeze(0)).shape == (1, 20, 3)


def test_kumaraswamy_warp_rejects_bad_columns() -> None:
    with pytest.raises(ValueError, match=r"columns must be distinct indices in \[0, 3\), got \[0, 3\]"):
        KumaraswamyWarp([0, 3], dim=3)
    with pytest.raises(ValueError, match=r"got \[1, 1\]"):
        KumaraswamyWarp([1, 1], dim=3)


def test_gp_with_an_output_transform_models_the_transformed_values() -> None:
    X, y = _skewed()
    gp = GP(output_transform="yeo-johnson").fit(X, y)
    transform = YeoJohnson().fit(y)
    assert gp.best_y.item() == pytest.approx(transform(y).min().item(), rel=1e-9)
    mean, _ = gp.predict(X)  # a nearly noise-free GP interpolates its (transformed) data
    torch.testing.assert_close(mean, transform(y), rtol=0, atol=0.05 * float(transform(y).std()))
    # the loss the fit minimised reads the same transform
    assert torch.isfinite(gp.negative_log_posterior(X, y))


def test_gp_input_warping_learns_a_steep_column_and_round_trips_its_state() -> None:
    X, y = _skewed(n=40)
    gp = GP(input_warping=[0], output_transform="yeo-johnson").fit(X, y)
    params = dict(gp.model.named_parameters())
    # exp(8 x0) changes fastest near x0 = 1: the warp stretches that end (a > 1)
    assert params["input_warp.log_concentration1"].exp().item() > 1.2
    state = json.loads(json.dumps(gp.warm_state()))
    assert set(state) >= {"input_warp.log_concentration1", "input_warp.log_concentration0"}
    again = GP(input_warping=[0], output_transform="yeo-johnson")
    again.load_warm_state(state)
    again.fit(X, y)
    assert torch.allclose(
        dict(again.model.named_parameters())["input_warp.log_concentration1"],
        params["input_warp.log_concentration1"],
        atol=1e-2,
    )
    # predictions are differentiable in the inputs through the warp
    Xq = torch.rand(5, 3, dtype=torch.float64, requires_grad=True)
    mean, var = gp.predict(Xq)
    (mean.sum() + var.sum()).backward()
    assert Xq.grad is not None and torch.isfinite(Xq.grad).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"output_transform": "box-cox"}, ValueError, "output_transform must be one of"),
        ({"input_warping": "all"}, ValueError, "input_warping must be a bool or a list of column indices"),
        ({"input_warping": [0, -1]}, ValueError, "input_warping must be a bool or a list"),
    ],
)
def test_gp_rejects_bad_transform_options(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        GP(**kwargs)


def test_gp_input_warping_naming_a_missing_column_fails_before_fitting() -> None:
    X, y = _skewed()
    gp = GP(input_warping=[5])
    with pytest.raises(ValueError, match="input_warping names column 5, but X has 3 columns"):
        gp.fit(X, y)
    with pytest.raises(RuntimeError, match="not fitted"):
        gp.predict(X)


def test_a_warped_fit_whose_loss_raises_keeps_going(monkeypatch: pytest.MonkeyPatch) -> None:
    # A line search that probes far outside a prior's support makes gpytorch raise ValueError: that probe counts as
    # a failed evaluation, not as the end of the study.
    from bohpo.errors import NumericalWarning
    from bohpo.surrogates import gp as gp_module

    def outside_the_support(*args: object) -> torch.Tensor:
        raise ValueError("Expected value argument to be within the support")

    X, y = _skewed()
    monkeypatch.setattr(gp_module, "_log_prior", outside_the_support)
    with pytest.warns(NumericalWarning, match="kept the starting values"):
        gp = GP(input_warping=True).fit(X, y)
    mean, var = gp.predict(X[:3])
    assert torch.isfinite(mean).all() and (var > 0).all()


def test_warp_concentrations_are_bounded_for_the_fit() -> None:
    from botorch.optim.utils import get_parameters_and_bounds

    X, y = _skewed()
    _, bounds = get_parameters_and_bounds(GP(input_warping=True).fit(X, y).model)
    for name in ("input_warp.log_concentration1", "input_warp.log_concentration0"):
        low, high = bounds[name]
        assert float(low) == -3.0 and float(high) == 3.0


def test_the_warp_passes_gradients_at_the_bounds() -> None:
    # the acquisition optimizer must be able to move a point off 0 or 1 in a warped column
    warp = KumaraswamyWarp([0], dim=1).to(torch.float64)
    X = torch.tensor([[0.0], [1.0]], dtype=torch.float64, requires_grad=True)
    warp(X).sum().backward()
    assert X.grad is not None and (X.grad.abs() > 0).all()


def test_location_and_scale_equal_numpys_to_the_bit_and_never_overflow_nor_underflow() -> None:
    rng = np.random.default_rng(0)
    for values in (rng.normal(size=50), rng.lognormal(3.0, 2.0, size=50)):
        assert location_and_scale(values) == (float(values.mean()), float(values.std()))
    huge = np.r_[rng.normal(size=20), 1.5e154, -1e300]
    tiny = rng.normal(size=7) * 1e-200
    with np.errstate(over="ignore", under="ignore"):
        assert not np.isfinite(huge.std()) and tiny.std() == 0.0  # numpy's squares overflow, and underflow
    mu, sigma = location_and_scale(huge)
    assert math.isfinite(mu) and sigma == pytest.approx(float((huge / 1e300).std()) * 1e300, rel=1e-12)
    assert location_and_scale(tiny)[1] == pytest.approx(float((tiny * 1e200).std()) * 1e-200, rel=1e-12)


def test_a_value_whose_square_overflows_leaves_the_fits_finite() -> None:
    import warnings

    y = torch.tensor([0.3, 0.1, 0.7, 1.5e154, 0.2], dtype=torch.float64)
    X = torch.rand(5, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's "overflow encountered" must not happen
        transform = YeoJohnson().fit(y)
        mean, variance = GP().fit(X, y).predict(X)
    assert math.isfinite(transform._sigma) and bool(torch.isfinite(transform(y)).all())
    assert bool(torch.isfinite(mean).all() and torch.isfinite(variance).all())


@pytest.mark.parametrize("huge", [1e10, 1e154, 1e300])
def test_robust_yeo_johnson_keeps_the_other_values_apart_beside_a_huge_one(huge: float) -> None:
    """A failure reported as a huge value: standardised by mean and spread, the other values become one number (to
    within 1e-6 of the distance to the huge one), and the joint lambda bounds leave no interval at 1e154 and beyond
    (the fit falls back to the identity); by median and IQR, with bounds per sign, they keep a spread of one to
    several percent of that distance."""
    import warnings

    from bohpo.errors import NumericalWarning

    losses = torch.tensor([0.74, 1.70, 1.80, 0.05, 0.02, 0.03, 0.13, 0.21, 0.22, 1.86, 0.01, 0.4], dtype=torch.float64)
    y = torch.cat([losses, torch.tensor([huge], dtype=torch.float64)])

    def spread_against_gap(transform: YeoJohnson) -> float:
        t = transform(y)
        return float((t[:-1].max() - t[:-1].min()) / (t[-1] - t[:-1].max()))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumericalWarning)
        assert spread_against_gap(YeoJohnson().fit(y)) < 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning, no numpy overflow
        robust = YeoJohnson(robust=True).fit(y)
    assert robust.lmbda < 0.5  # the tail pulled in
    assert spread_against_gap(robust) > 0.01  # 0.02 at 1e300, more below
    assert bool((robust(y).diff()[:-1] != 0).all()) and bool(torch.isfinite(robust(y)).all())
    with pytest.raises(TypeError, match="robust must be a bool"):
        YeoJohnson(robust=1)  # type: ignore[arg-type]


def test_bounds_per_sign_contain_the_joint_ones_and_find_a_lambda_at_least_as_likely() -> None:
    g = np.random.default_rng(3)
    positive = np.exp(2 * g.normal(size=40))
    assert yeo_johnson_normmax(positive, bounds_per_sign=True) == yeo_johnson_normmax(positive)  # one sign: the same
    for x in (g.standard_cauchy(size=40), np.r_[g.normal(size=30), 50.0, 400.0]):
        joint, per_sign = yeo_johnson_normmax(x), yeo_johnson_normmax(x, bounds_per_sign=True)
        assert stats.yeojohnson_llf(per_sign, x) >= stats.yeojohnson_llf(joint, x) - 1e-9
