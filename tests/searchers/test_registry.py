"""Short names for searchers."""

from __future__ import annotations

import pytest

from bohpo.searchers import (
    BOHB,
    GridSearch,
    MultiFidelitySearcher,
    RandomSearch,
    SobolSearch,
    make_fidelity_searcher,
    make_searcher,
    register_searcher,
    searcher_names,
)
from bohpo.searchers import registry as registry_module
from bohpo.space import Float, Space
from bohpo.surrogates import GP, TPE


@pytest.fixture
def space() -> Space:
    return Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})


def test_names_build_the_baselines(space: Space) -> None:
    assert {"grid", "random", "sobol"} <= set(searcher_names())
    assert isinstance(make_searcher("random", space, seed=0), RandomSearch)
    assert isinstance(make_searcher("sobol", space, seed=0, direction="maximize"), SobolSearch)
    grid = make_searcher("grid", space, seed=0, n_trials=30)
    assert isinstance(grid, GridSearch) and grid.size == 36


def test_unknown_names_are_listed(space: Space) -> None:
    known = ", ".join(searcher_names())
    assert "gp-ei, gp-logei, gp-pi, gp-ucb, grid" in known
    with pytest.raises(ValueError, match=f"unknown searcher 'tpe-ish'; did you mean 'tpe'\\?; known: {known}$"):
        make_searcher("tpe-ish", space)


def test_register_a_searcher(space: Space, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "_FACTORIES", dict(registry_module._FACTORIES))
    register_searcher("my-random", lambda sp, seed, direction, n_trials, budgets: RandomSearch(sp, seed=seed))
    assert make_searcher("my-random", space, seed=1).ask().params == RandomSearch(space, seed=1).ask().params
    with pytest.raises(ValueError, match=r"'random' is registered already"):
        register_searcher("random", lambda sp, seed, direction, n_trials, budgets: RandomSearch(sp))


@pytest.mark.parametrize("name", ["successive-halving", "hyperband", "asha", "asha-gp", "bohb", "bohb-gp"])
def test_multi_fidelity_names_take_a_halving_rate(space: Space, name: str) -> None:
    searcher = make_fidelity_searcher(name, space, budgets=(1.0, 16.0), eta=2, seed=0, direction="maximize")
    assert isinstance(searcher, MultiFidelitySearcher)
    assert (searcher.eta, searcher.min_budget, searcher.max_budget, searcher.direction) == (2, 1.0, 16.0, "maximize")
    registered = make_searcher(name, space, seed=0, budgets=(1.0, 16.0))
    assert type(registered) is type(searcher) and registered.eta == 3  # the registry's default rate
    if isinstance(searcher, BOHB):
        assert isinstance(searcher.surrogate, GP if name == "bohb-gp" else TPE)


def test_make_fidelity_searcher_refuses_other_names(space: Space) -> None:
    with pytest.raises(ValueError, match=r"'gp-logei' is not a multi-fidelity searcher; known: asha, asha-gp, bohb"):
        make_fidelity_searcher("gp-logei", space, budgets=(1.0, 9.0))
