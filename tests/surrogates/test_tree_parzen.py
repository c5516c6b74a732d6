"""The TPE on conditional spaces: one Parzen mixture per group of parameters active together, each fitted on the
rows where its group was active; a proper density over the tree; draws that are valid trees."""

from __future__ import annotations

import math

import pytest
import torch

from bohpo import BayesianOptimizer, minimize
from bohpo.acquisition import ExpectedImprovement
from bohpo.acquisition.optimize import _best_combinations, optimize_by_sampling
from bohpo.problems import make_problem
from bohpo.space import INACTIVE, Categorical, Float, Int, Space
from bohpo.surrogates import TPE
from bohpo.surrogates.parzen import ColumnLayout
from bohpo.surrogates.tree_parzen import TreeMixture, parameter_groups
from tests.conftest import DEVICES


def _fitted(multivariate: bool, n: int = 40, seed: int = 0) -> tuple[TPE, Space]:
    problem = make_problem("jenatton")
    configs = problem.space.sample(n, generator=torch.Generator().manual_seed(seed))
    X = problem.space.encode(configs)
    y = torch.tensor([problem(c) for c in configs], dtype=torch.float64)
    return TPE(multivariate=multivariate).bind(problem.space).fit(X, y), problem.space


def test_groups_are_the_parameters_with_the_same_activation_rule() -> None:
    groups = parameter_groups(make_problem("jenatton").space)
    assert [g.names for g in groups] == [("x1",), ("x2", "r8"), ("x3", "r9"), ("x4",), ("x5",), ("x6",), ("x7",)]
    space = Space(
        {"a": Float(0, 1), "kind": Categorical(["p", "q"]), "k": Int(1, 5), "b": Float(0, 1), "c": Float(0, 1)},
        conditions={"b": {"kind": "q"}, "c": {"kind": ["q"]}},
    )
    groups = parameter_groups(space)
    assert [g.names for g in groups] == [("a", "kind", "k"), ("b", "c")]
    assert groups[0].columns.tolist() == [0, 1, 2, 3] and groups[1].columns.tolist() == [4, 5]


@pytest.mark.parametrize("multivariate", [True, False])
def test_each_group_is_fitted_on_the_rows_where_it_was_active(multivariate: bool) -> None:
    problem = make_problem("jenatton")
    space = problem.space
    configs = space.sample(40, generator=torch.Generator().manual_seed(0))
    X = space.encode(configs)
    y = torch.tensor([problem(c) for c in configs], dtype=torch.float64)
    tpe = TPE(multivariate=multivariate).bind(space).fit(X, y)
    n_good = round(tpe.good_fraction * 40)
    order = torch.sort(y, stable=True).indices
    active = space.active_mask(X)
    for rows, mixture in ((order[:n_good].sort().values, tpe.good), (order[n_good:].sort().values, tpe.bad)):
        assert isinstance(mixture, TreeMixture)
        for group, parzen in zip(mixture.groups, mixture.mixtures, strict=True):
            mine = rows[active[rows, group.positions[0]]]  # the rows where the group was active, in order
            numeric = [int(group.columns[j]) for j in ColumnLayout.of(group.space).numeric]
            assert torch.equal(parzen.mu[:-1], X[mine][:, numeric])  # the kernel centres; the prior kernel last
    # no centre of a branch's floats is the inactive placeholder, which every inactive row holds
    assert not any(bool((parzen.mu[:-1] == INACTIVE).any()) for parzen in tpe.bad.mixtures)


def _branch_masses(mixture: TreeMixture, grid: int = 200) -> dict[tuple[int, int], float]:
    """The density's mass on each of the four leaves, by the midpoint rule over the leaf's two floats."""
    u = (torch.arange(grid, dtype=torch.float64) + 0.5) / grid
    a, b = torch.meshgrid(u, u, indexing="ij")
    space = mixture.space
    masses = {}
    for x1, x23 in ((0, 0), (0, 1), (1, 0), (1, 1)):
        config_free = {"x1": x1, ("x2" if x1 == 0 else "x3"): x23}
        leaf = {(0, 0): "x4", (0, 1): "x5", (1, 0): "x6", (1, 1): "x7"}[(x1, x23)]
        shared = "r8" if x1 == 0 else "r9"
        configs = [config_free | {leaf: 0.5, shared: 0.5}]
        X = space.encode(configs).repeat(grid * grid, 1)
        X[:, space.columns(leaf).start] = a.reshape(-1)
        X[:, space.columns(shared).start] = b.reshape(-1)
        masses[(x1, x23)] = float(mixture.log_density(X).exp().mean())
    return masses


@pytest.mark.slow
@pytest.mark.parametrize("multivariate", [True, False])
def test_the_tree_density_sums_to_one_over_the_leaves_and_draws_follow_it(multivariate: bool) -> None:
    tpe, space = _fitted(multivariate)
    for mixture in (tpe.good, tpe.bad):
        assert isinstance(mixture, TreeMixture)
        masses = _branch_masses(mixture)
        assert sum(masses.values()) == pytest.approx(1.0, abs=2e-3)
        # Monte Carlo: the share of draws on each leaf against the leaf's mass
        n = 20000
        draws = mixture.sample(n, generator=torch.Generator().manual_seed(5))
        assert torch.equal(space.snap(draws), draws)  # valid trees, on the lattice
        for config in space.decode(draws[:200]):
            space.validate(config)
        x1 = draws[:, space.columns("x1")].argmax(-1)
        x2, x3 = draws[:, space.columns("x2")].argmax(-1), draws[:, space.columns("x3")].argmax(-1)
        for (first, second), mass in masses.items():
            on_leaf = (x1 == first) & ((x2 if first == 0 else x3) == second)
            share = float(on_leaf.double().mean())
            assert share == pytest.approx(mass, abs=4 * math.sqrt(mass * (1 - mass) / n) + 2e-3)


def test_a_flat_space_keeps_its_single_mixture() -> None:
    space = Space({"a": Float(0, 1), "kind": Categorical(["p", "q"])})
    X = space.encode(space.sample(20, generator=torch.Generator().manual_seed(1)))
    tpe = TPE().bind(space).fit(X, X[:, 0])
    assert not isinstance(tpe.good, TreeMixture)


@pytest.mark.slow
def test_tree_tpe_finds_jenattons_optimum() -> None:
    problem = make_problem("jenatton")
    for seed in range(3):
        searcher = BayesianOptimizer(problem.space, surrogate=TPE(), acquisition=ExpectedImprovement, seed=seed)
        minimize(problem, problem.space, searcher, 80)
        assert min(t.value for t in searcher.history) < problem.optimum + 0.03


@pytest.mark.parametrize("device", DEVICES)
def test_the_tree_tpe_proposes_valid_trees_on_every_device(device: str) -> None:
    problem = make_problem("jenatton")
    searcher = BayesianOptimizer(problem.space, surrogate=TPE(), acquisition=ExpectedImprovement, seed=3, device=device)
    minimize(problem, problem.space, searcher, 25)
    on_cpu = BayesianOptimizer(problem.space, surrogate=TPE(), acquisition=ExpectedImprovement, seed=3)
    minimize(problem, problem.space, on_cpu, 25)
    for trial in searcher.history:
        assert problem.space.validate(trial.params) == trial.params
    # the TPE's draws come from a CPU generator and its densities involve no fitted model: the same trials
    assert [t.params for t in searcher.history] == [t.params for t in on_cpu.history]


@pytest.mark.parametrize("multivariate", [True, False])
def test_the_group_wise_best_is_proposed_and_an_excluded_one_gives_way_to_a_valid_tree(multivariate: bool) -> None:
    tpe, space = _fitted(multivariate, n=30, seed=4)
    acquisition = ExpectedImprovement(tpe)
    first, value = optimize_by_sampling(acquisition, tpe, space, generator=torch.Generator().manual_seed(0))
    assert bool(torch.isfinite(value)) and torch.equal(space.snap(first.unsqueeze(0))[0], first)
    # the proposal is the group-wise best of the candidates drawn with that generator
    candidates = space.snap(tpe.sample_good(24, generator=torch.Generator().manual_seed(0)))
    assert torch.equal(first, _best_combinations(space, tpe, candidates)[0])
    again, _ = optimize_by_sampling(
        acquisition, tpe, space, generator=torch.Generator().manual_seed(0), exclude=first.unsqueeze(0)
    )
    assert not torch.equal(again, first) and torch.equal(space.snap(again.unsqueeze(0))[0], again)
    space.validate(space.decode(again.unsqueeze(0))[0])
