"""Short names for searchers."""

from __future__ import annotations

import pytest

from bohpo.searchers import GridSearch, RandomSearch, SobolSearch, make_searcher, register_searcher, searcher_names
from bohpo.searchers import registry as registry_module
from bohpo.space import Float, Space


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
    with pytest.raises(ValueError, match=f"unknown searcher 'tpe-ish'; known: {known}$"):
        make_searcher("tpe-ish", space)


def test_register_a_searcher(space: Space, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "_FACTORIES", dict(registry_module._FACTORIES))
    register_searcher("my-random", lambda sp, seed, direction, n_trials, budgets: RandomSearch(sp, seed=seed))
    assert make_searcher("my-random", space, seed=1).ask().params == RandomSearch(space, seed=1).ask().params
    with pytest.raises(ValueError, match=r"'random' is registered already"):
        register_searcher("random", lambda sp, seed, direction, n_trials, budgets: RandomSearch(sp))
