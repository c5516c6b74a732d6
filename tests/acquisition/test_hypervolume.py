"""LogEHVI in closed form: against Monte Carlo over the posterior, against LogEI with one objective, and with the
probability of feasibility."""

from __future__ import annotations

import math

import pytest
import torch

from bohpo.acquisition import LogExpectedHypervolumeImprovement, hypervolume_cells, log_expected_hypervolume_improvement
from bohpo.acquisition.analytic import log_expected_improvement
from bohpo.acquisition.optimize import optimize_acquisition
from bohpo.objectives import hypervolume, pareto_mask
from bohpo.space import Float, Space
from bohpo.surrogates import GP, IndependentOutputs


def _improvement(y: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """(s,) the hypervolume improvement of each of the points y (s, m), summed over the boxes (c, m)."""
    widths = (upper - torch.maximum(y.unsqueeze(-2), lower)).clamp_min(0)  # (s, c, m)
    return widths.prod(-1).sum(-1)


@pytest.mark.parametrize(("seed", "m"), [(0, 2), (1, 3)])
def test_the_closed_form_agrees_with_monte_carlo_over_the_posterior(seed: int, m: int) -> None:
    g = torch.Generator().manual_seed(seed)
    front = torch.rand(6, m, generator=g, dtype=torch.float64)
    reference = torch.full((m,), 1.2, dtype=torch.float64)
    lower, upper = hypervolume_cells(front, reference)
    # the boxes fill what the front leaves below the reference (down to -10 here)
    volume = float((upper - lower.clamp_min(-10.0)).prod(-1).sum())
    assert volume == pytest.approx(11.2**m - hypervolume(front, reference), rel=1e-9)
    # and a point's improvement summed over them is the growth of the hypervolume
    points = torch.rand(10, m, generator=g, dtype=torch.float64) * 1.3 - 0.1
    before = hypervolume(front, reference)
    growth = [hypervolume(torch.cat([front, y.unsqueeze(0)]), reference) - before for y in points]
    assert _improvement(points, lower, upper).tolist() == pytest.approx(growth, abs=1e-12)
    means = torch.rand(3, m, generator=g, dtype=torch.float64) * 0.8
    stds = torch.rand(3, m, generator=g, dtype=torch.float64) * 0.3 + 0.05
    closed = log_expected_hypervolume_improvement(means, stds, lower, upper).exp()
    for i in range(3):
        samples = means[i] + stds[i] * torch.randn(400_000, m, generator=g, dtype=torch.float64)
        improvement = _improvement(samples, lower, upper)
        error = 4 * float(improvement.std()) / math.sqrt(len(samples))
        assert float(closed[i]) == pytest.approx(float(improvement.mean()), abs=error)


def test_with_one_objective_it_is_log_expected_improvement() -> None:
    front = torch.tensor([[0.4], [0.7]], dtype=torch.float64)
    lower, upper = hypervolume_cells(front, torch.tensor([2.0], dtype=torch.float64))
    mean = torch.linspace(-1, 3, 9, dtype=torch.float64).unsqueeze(-1)
    std = torch.full_like(mean, 0.3)
    expected = log_expected_improvement(mean[:, 0], std[:, 0], torch.tensor(0.4, dtype=torch.float64))
    got = log_expected_hypervolume_improvement(mean, std, lower, upper)
    assert torch.allclose(got, expected, rtol=1e-10)


def test_far_from_the_front_the_log_stays_finite_with_a_gradient() -> None:
    front = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    lower, upper = hypervolume_cells(front, torch.tensor([2.0, 2.0], dtype=torch.float64))
    mean = torch.tensor([[40.0, 40.0], [3.0, 0.5]], dtype=torch.float64, requires_grad=True)
    value = log_expected_hypervolume_improvement(mean, torch.full((2, 2), 0.5, dtype=torch.float64), lower, upper)
    (grad,) = torch.autograd.grad(value.sum(), mean)
    assert torch.isfinite(value).all() and value[0] < -1000 and torch.isfinite(grad).all()
    assert (grad < 0).all()  # a lower (better) mean always raises the expected improvement


def test_the_gradient_in_mean_and_std_is_finite_and_agrees_with_finite_differences() -> None:
    # boxes unbounded below (a -inf corner) once made the std's gradient 0 * inf = NaN, and with it every gradient
    # of the sum: the acquisition optimizer's refinement then saw zeros and never moved
    g = torch.Generator().manual_seed(5)
    front = torch.rand(5, 2, generator=g, dtype=torch.float64)
    lower, upper = hypervolume_cells(front, torch.tensor([1.2, 1.2], dtype=torch.float64))
    assert bool(torch.isinf(lower).any())
    mean = (torch.rand(4, 2, generator=g, dtype=torch.float64) * 1.4 - 0.2).requires_grad_(True)
    std = (torch.rand(4, 2, generator=g, dtype=torch.float64) * 0.3 + 0.05).requires_grad_(True)
    value = log_expected_hypervolume_improvement(mean, std, lower, upper)
    grad_mean, grad_std = torch.autograd.grad(value.sum(), (mean, std))
    assert torch.isfinite(grad_mean).all() and torch.isfinite(grad_std).all()
    assert torch.autograd.gradcheck(
        lambda a, b: log_expected_hypervolume_improvement(a, b, lower, upper), (mean, std), eps=1e-6, atol=1e-5
    )


def test_the_acquisition_has_a_finite_gradient_in_x_that_the_optimizer_follows() -> None:
    model, X, _ = _outputs_fitted(1)
    acquisition = LogExpectedHypervolumeImprovement(model)
    points = torch.rand(64, 2, generator=torch.Generator().manual_seed(8), dtype=torch.float64).requires_grad_(True)
    (grad,) = torch.autograd.grad(acquisition(points).sum(), points)
    assert torch.isfinite(grad).all() and bool((grad.abs() > 0).any(-1).all())
    space = Space({"a": Float(0.0, 1.0), "b": Float(0.0, 1.0)})
    x, value = optimize_acquisition(acquisition, space, generator=torch.Generator().manual_seed(0), exclude=X)
    # the refined point is a local maximum: no small step in any direction raises the acquisition
    steps = torch.tensor([[1, 0], [-1, 0], [0, 1], [0, -1]], dtype=torch.float64) * 1e-3
    around = (x + steps).clamp(0, 1)
    assert bool((acquisition(around) <= value + 1e-6).all())
    pool = torch.rand(1024, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert float(value) >= float(acquisition(pool).max()) - 1e-9


def _outputs_fitted(n_constraints: int) -> tuple[IndependentOutputs, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    X = torch.rand(15, 2, generator=g, dtype=torch.float64)
    columns = [X[:, 0], (1 - X[:, 0]).square() + X[:, 1]] + [X[:, 1] - 0.5] * n_constraints
    Y = torch.stack(columns, -1)
    return IndependentOutputs(GP(), n_objectives=2, n_constraints=n_constraints).fit(X, Y), X, Y


def test_the_acquisition_is_log_ehvi_of_the_models_plus_the_log_probability_of_feasibility() -> None:
    model, _, Y = _outputs_fitted(1)
    acquisition = LogExpectedHypervolumeImprovement(model)
    feasible = Y[:, 2] <= 0
    front = Y[feasible, :2]
    assert torch.allclose(acquisition.threshold, torch.zeros(1, dtype=torch.float64))  # no transform: 0 stays 0
    span = Y[:, :2].max(0).values - Y[:, :2].min(0).values
    # by default the Pareto front's worst values; with reference="observed", every feasible point's
    assert torch.allclose(acquisition.reference, front[pareto_mask(front)].max(0).values + 0.1 * span, atol=1e-6)
    observed = LogExpectedHypervolumeImprovement(model, reference="observed")
    assert torch.allclose(observed.reference, front.max(0).values + 0.1 * span, atol=1e-6)
    assert bool((observed.reference >= acquisition.reference).all())
    query = torch.rand(5, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    mean, var = model.predict(query)
    std = var.sqrt()
    lower, upper = hypervolume_cells(front, acquisition.reference)
    expected = log_expected_hypervolume_improvement(mean[:, :2], std[:, :2], lower, upper)
    expected = expected + torch.special.log_ndtr(-mean[:, 2] / std[:, 2])
    assert torch.allclose(acquisition(query), expected, atol=1e-6)


def test_without_a_feasible_point_the_box_is_everything_below_the_reference() -> None:
    _, X, Y = _outputs_fitted(0)
    g = torch.Generator().manual_seed(5)
    Y_infeasible = torch.cat([Y, torch.ones(15, 1, dtype=torch.float64) + torch.rand(15, 1, generator=g)], -1)
    model = IndependentOutputs(GP(), n_objectives=2, n_constraints=1).fit(X, Y_infeasible)
    acquisition = LogExpectedHypervolumeImprovement(model)
    assert acquisition.lower.shape == (1, 2) and torch.isinf(acquisition.lower).all()
    assert torch.isfinite(acquisition(X)).all()


def test_it_refuses_a_model_with_one_output() -> None:
    X = torch.rand(5, 1, dtype=torch.float64)
    with pytest.raises(TypeError, match="IndependentOutputs"):
        LogExpectedHypervolumeImprovement(GP().fit(X, X[:, 0]))  # type: ignore[arg-type]


def test_independent_outputs_are_each_fitted_on_their_column_and_condition_on_fantasies() -> None:
    model, X, Y = _outputs_fitted(1)
    for j, output in enumerate(model.outputs):
        alone = GP().fit(X, Y[:, j])
        mean, var = model.predict(X[:4])
        m_alone, v_alone = alone.predict(X[:4])
        assert torch.allclose(mean[:, j], m_alone, atol=1e-8) and torch.allclose(var[:, j], v_alone, atol=1e-8)
        assert torch.allclose(output.train_values, Y[:, j], atol=1e-10)
    new = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
    conditioned = model.condition_on_mean(new)
    mean_before, var_before = model.predict(new)
    mean_after, var_after = conditioned.predict(new)
    assert torch.allclose(mean_after, mean_before, atol=1e-6) and (var_after < var_before).all()
    assert conditioned.train_values().shape == (16, 3) and model.train_values().shape == (15, 3)
    assert model.lengthscale.shape == (2,) and math.isfinite(float(model.lengthscale.sum()))
    state = model.warm_state()
    fresh = IndependentOutputs(GP(), n_objectives=2, n_constraints=1)
    fresh.load_warm_state(state)
    assert fresh.warm_state() == state
    with pytest.raises(ValueError, match="list of 3"):
        fresh.load_warm_state([None])
    with pytest.raises(ValueError, match=r"shape \(15, 3\)"):
        fresh.fit(X, Y[:, :2])
