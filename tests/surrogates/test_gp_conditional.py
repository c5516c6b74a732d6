"""The GP on conditional spaces: the arc embedding of inactive parameters, its kernel, its fit and its prior."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor

from bohpo import BayesianOptimizer
from bohpo.space import Categorical, Float, Int, Space
from bohpo.surrogates import GP
from bohpo.surrogates import gp as gp_module
from bohpo.surrogates.gp import ConditionalArcs, matern52
from tests.conftest import DEVICES, DTYPES
from tests.surrogates.test_gp import closed_form_and_autograd
from tests.test_space_conditions import _random_tree

RADIUS = 2 / math.pi  # where "inactive" sits from every active value, in units of the parameter's range


def _svm_space() -> Space:
    return Space(
        {"kernel": Categorical(["rbf", "poly", "linear"]), "C": Float(1e-2, 1e2, log=True), "degree": Int(2, 5),
         "gamma": Float(1e-4, 1.0, log=True), "coef": Float(0.0, 1.0)},
        conditions={"degree": {"kernel": "poly"}, "coef": {"kernel": "poly"}, "gamma": {"kernel": ["rbf", "poly"]}},
    )  # fmt: skip


def _svm_data(n: int = 40, seed: int = 0) -> tuple[Tensor, Tensor]:
    space = _svm_space()
    configs = space.sample(n, generator=torch.Generator().manual_seed(seed))
    offsets = {"rbf": 0.0, "poly": 0.5, "linear": 1.0}
    values = []
    for c in configs:
        value = offsets[c["kernel"]] + (math.log10(c["C"]) - 1) ** 2 / 4
        if "gamma" in c:
            value += math.sin(math.log10(c["gamma"]))
        if "degree" in c:
            value += 0.1 * c["degree"] + c["coef"] ** 2
        values.append(value)
    return space.encode(configs), torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("seed", range(0, 40, 5))
def test_an_arc_ignores_an_inactive_parameter_and_holds_it_at_one_distance_from_every_value(seed: int) -> None:
    space = _random_tree(seed)
    arcs = ConditionalArcs.of(space)
    g = torch.Generator().manual_seed(seed)
    X = space.encode(space.sample(30, generator=g))
    mask = space.active_mask(X)
    for column, index in arcs.arcs:
        inactive, active = X[~mask[:, index]], X[mask[:, index]]
        if len(inactive) == 0 or len(active) == 0:
            continue
        # whatever an inactive row's column holds, its embedding is the same
        moved = inactive.clone()
        moved[:, column] = torch.rand(len(inactive), generator=g, dtype=torch.float64)
        torch.testing.assert_close(arcs.embed(moved), arcs.embed(inactive), rtol=0, atol=0)
        # an active row differs from the same row made inactive (parent changed) by R in the arc's two columns
        first = int(arcs.first_columns()[column])
        pair = arcs.embed(active)[:, first : first + 2]
        torch.testing.assert_close(pair.norm(dim=-1), torch.full((len(active),), RADIUS, dtype=torch.float64))
        # two active values are a chord apart: |dx| for close ones, 2 R sin(pi |dx| / 4) in general
        x = active[:, column]
        chord = (pair[:1] - pair).norm(dim=-1)
        torch.testing.assert_close(chord, 2 * RADIUS * torch.sin(math.pi * (x[:1] - x).abs() / 4))
    # the columns that are not arcs pass through
    plain = [c for c in range(space.dim) if c not in {column for column, _ in arcs.arcs}]
    torch.testing.assert_close(arcs.embed(X)[:, arcs.first_columns()[plain]], X[:, plain], rtol=0, atol=0)


@pytest.mark.parametrize("seed", range(40))
def test_the_arc_kernel_has_no_negative_eigenvalue_on_random_trees(seed: int) -> None:
    space = _random_tree(seed)
    arcs = ConditionalArcs.of(space)
    g = torch.Generator().manual_seed(seed)
    E = arcs.embed(space.encode(space.sample(25, generator=g)))
    lengthscale = 0.2 + torch.rand(arcs.dim, generator=g, dtype=torch.float64)
    for start, stop in arcs.ties(None).pairs:
        lengthscale[start:stop] = lengthscale[start]
    K = matern52(E, E, lengthscale)
    assert torch.linalg.eigvalsh(K).min() > -1e-10


def test_the_closed_form_gradient_with_arcs_matches_autograd_and_finite_differences() -> None:
    space = _svm_space()
    X, y = _svm_data()
    gp = GP().bind(space)
    assert gp.arcs is not None
    ties = gp._ties(space.dim)
    assert ties is not None and ties.pairs == ((4, 6), (6, 8), (8, 10))  # degree, gamma and coef on arcs
    model = gp.fit(X, y).model
    z = (y - y.mean()) / y.std()
    with torch.no_grad():  # away from the optimum, where the gradient is not small
        model.covar_module.base_kernel.raw_lengthscale.copy_(torch.linspace(0.2, 1.5, 10).reshape(1, -1))
    (closed_loss, closed), (auto_loss, auto) = closed_form_and_autograd(model, X, z, ties)
    assert closed_loss == pytest.approx(auto_loss, rel=1e-8)
    for name in closed:
        torch.testing.assert_close(closed[name], auto[name], rtol=1e-5, atol=1e-8)
    raw = model.covar_module.base_kernel.raw_lengthscale
    h = 1e-6
    for i in (0, 5, 9):  # a plain column and two arcs' columns, by central differences
        with torch.no_grad():
            raw.view(-1)[i] += h
            up = gp_module._negative_log_posterior(model, X, z, ties).item()
            raw.view(-1)[i] -= 2 * h
            down = gp_module._negative_log_posterior(model, X, z, ties).item()
            raw.view(-1)[i] += h
        gradient = closed["covar_module.base_kernel.raw_lengthscale"].view(-1)[i].item()
        assert gradient == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)


def test_the_botorch_model_reads_encoded_points_through_the_same_arcs() -> None:
    space = _svm_space()
    X, y = _svm_data()
    gp = GP().bind(space).fit(X, y)
    Xq = space.encode(space.sample(12, generator=torch.Generator().manual_seed(3)))
    mean, var = gp.predict(Xq)
    gp.model.eval()
    posterior = gp.model.posterior(Xq.unsqueeze(0))  # a batch, as BoTorch's acquisitions evaluate
    sigma, mu = y.std(), y.mean()
    torch.testing.assert_close(mean, posterior.mean.reshape(-1) * sigma + mu, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(var, posterior.variance.reshape(-1) * sigma**2, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_arcs_follow_the_inputs_device_and_dtype(dtype: torch.dtype, device: str) -> None:
    space = _svm_space()
    X, y = _svm_data()
    reference = GP().bind(space).fit(X, y).predict(X[:5])[0]
    gp = GP().bind(space).fit(X.to(dtype=dtype, device=device), y.to(dtype=dtype, device=device))
    mean, var = gp.predict(X[:5].to(dtype=dtype, device=device))
    assert mean.dtype == var.dtype == dtype and mean.device.type == device and gp.lengthscale.shape == (space.dim,)
    torch.testing.assert_close(mean.cpu().double(), reference, rtol=0, atol=0.02 * float(y.std()))


def test_a_fitted_gp_ties_each_arc_and_predicts_the_same_whatever_an_inactive_column_holds() -> None:
    space = _svm_space()
    X, y = _svm_data()
    gp = GP().bind(space).fit(X, y)
    kernel_lengthscale = gp.model.covar_module.base_kernel.lengthscale.reshape(-1)  # (E,)
    assert kernel_lengthscale.shape == (10,) and gp.lengthscale.shape == (space.dim,)
    for start, stop in ((4, 6), (6, 8), (8, 10)):
        assert kernel_lengthscale[start] == kernel_lengthscale[stop - 1]
    linear = space.encode(space.sample(200, generator=torch.Generator().manual_seed(1)))
    linear = linear[space.active_mask(linear)[:, 0] & ~space.active_mask(linear)[:, 3]]  # rows without gamma
    moved = linear.clone()
    for name in ("degree", "gamma", "coef"):
        moved[:, space.columns(name)] = torch.rand(len(linear), 1, dtype=torch.float64)
    moved.requires_grad_(True)
    mean, var = gp.predict(moved)
    torch.testing.assert_close(mean, gp.predict(linear)[0], rtol=0, atol=1e-12)
    (mean.sum() + var.sum()).backward()
    assert moved.grad is not None and bool((moved.grad[:, 4:7] == 0).all())  # no pull on what does nothing


def test_the_arcs_prior_is_scaled_to_the_expected_active_columns() -> None:
    space = _svm_space()
    X, y = _svm_data()
    arcs = ConditionalArcs.of(space)
    configs = space.sample(20_000, generator=torch.Generator().manual_seed(0))
    # kernel 3 one-hot columns, C 1, degree and coef 1/3 each, gamma 2/3 (an arc counts as one column)
    columns = [3 + 1 + sum(1 for name in ("degree", "gamma", "coef") if name in c) for c in configs]
    assert arcs.effective_dim == pytest.approx(5.0 + 1 / 3, rel=1e-12)
    assert sum(columns) / len(columns) == pytest.approx(arcs.effective_dim, abs=0.02)
    prior = GP().bind(space).fit(X, y).model.covar_module.base_kernel.lengthscale_prior
    assert prior.loc.item() == pytest.approx(math.sqrt(2) + math.log(5.0 + 1 / 3) / 2)
    placeholder = GP(inactive="placeholder").bind(space).fit(X, y).model.covar_module.base_kernel.lengthscale_prior
    assert placeholder.loc.item() == pytest.approx(math.sqrt(2) + math.log(space.dim) / 2)


def test_an_arcs_lengthscale_prior_counts_once() -> None:
    space = _svm_space()
    X, y = _svm_data()
    gp = GP().bind(space)
    ties = gp._ties(space.dim)
    assert ties is not None
    model = gp.fit(X, y).model
    z = (y - y.mean()) / y.std()
    untied = gp_module._negative_log_posterior(model, X, z)
    tied = gp_module._negative_log_posterior(model, X, z, ties)
    kernel = model.covar_module.base_kernel
    log_prior = kernel.lengthscale_prior.log_prob(kernel.lengthscale).reshape(-1)  # (E,)
    extra = sum(0.5 * log_prior[start:stop].sum() for start, stop in ties.pairs)  # each pair's second count
    assert (tied - untied).item() == pytest.approx(extra.item() / X.shape[0], rel=1e-10)


def test_without_conditions_the_arcs_change_nothing() -> None:
    space = Space({"x": Float(0.0, 1.0), "c": Categorical(["a", "b"]), "k": Int(0, 4)})
    configs = space.sample(30, generator=torch.Generator().manual_seed(0))
    X = space.encode(configs)
    y = torch.tensor([math.sin(5 * c["x"]) + 0.1 * c["k"] + (c["c"] == "a") for c in configs], dtype=torch.float64)
    arc, placeholder = GP().bind(space).fit(X, y), GP(inactive="placeholder").bind(space).fit(X, y)
    assert arc.arcs is None and torch.equal(arc.lengthscale, placeholder.lengthscale)
    assert torch.equal(arc.predict(X)[0], placeholder.predict(X)[0])


def test_bad_inactive_option_is_refused() -> None:
    with pytest.raises(ValueError, match="inactive must be one of"):
        GP(inactive="zero")


def test_the_default_searchers_gp_is_bound_to_its_space() -> None:
    space = _svm_space()
    gp = BayesianOptimizer(space, seed=0).proposer.surrogate
    assert isinstance(gp, GP) and gp.arcs is not None and gp.arcs.space == space
    assert BayesianOptimizer(Space({"x": Float(0.0, 1.0)}), seed=0).proposer.surrogate.arcs is None  # type: ignore
