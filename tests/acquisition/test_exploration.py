"""Exploration policies: the tie-and-stagnation rule on crafted histories and inside a real optimizer."""

from __future__ import annotations

import math

import pytest
import torch

from bohpo import BayesianOptimizer, Float, Space, minimize
from bohpo.acquisition import ModelOnly, Proposer, TieStagnation
from bohpo.acquisition.exploration import is_tied_and_stagnant


def _y(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def test_a_plateau_of_ties_without_improvement_is_stagnant() -> None:
    history = [5.0, 3.0, 4.0, 1.0, 2.0, 6.0]
    assert is_tied_and_stagnant(_y([*history, 1.0, 3.0, 1.0, 1.0, 7.0]), 5, 1e-3)
    assert not is_tied_and_stagnant(_y([*history, 1.0, 3.0, 2.5, 1.5, 7.0]), 5, 1e-3)  # one tie in five
    assert not is_tied_and_stagnant(_y([*history, 1.0, 0.5, 0.5, 0.5, 0.5]), 5, 1e-3)  # the window improved
    assert not is_tied_and_stagnant(_y([1.0, 1.0, 1.0]), 5, 1e-3)  # too short
    # values within tolerance x (median - best) of the best tie; failed rows (+inf) are no ties
    assert is_tied_and_stagnant(_y([*history, 1.0 + 1e-4, math.inf, 1.0, 1.0 + 5e-4, 9.0]), 5, 1e-3)
    assert not is_tied_and_stagnant(_y([*history, 1.0 + 1e-2, math.inf, 1.0, math.inf, 9.0]), 5, 1e-3)
    # with no tolerance (the default) only exact ties count, and any improvement resets
    assert is_tied_and_stagnant(_y([*history, 1.0, 3.0, 1.0, 1.0, 7.0]), 5, 0.0)
    assert not is_tied_and_stagnant(_y([*history, 1.0 + 1e-9, 3.0, 1.0 + 2e-9, 1.0, 7.0]), 5, 0.0)
    assert not is_tied_and_stagnant(_y([*history, 1.0 - 1e-9, 1.0 - 1e-9, 1.0 - 1e-9, 3.0, 7.0]), 5, 0.0)


def test_values_equal_up_to_rounding_tie() -> None:
    # the same 5-fold loss reached by two configurations, its fold scores summed in another order
    low, high = 0.01932929669306005, 0.01932929669306027
    assert low != high
    history = [0.08, 0.05, 0.03, 0.0211, low, 0.04]
    assert is_tied_and_stagnant(_y([*history, high, 0.0246, high, low, 0.0211]), 5, 0.0)
    assert not is_tied_and_stagnant(_y([*history, high, 0.0246, 0.0193, 0.0211, 0.0211]), 5, 0.0)  # one tie
    # a loss one misclassified sample lower is an improvement, not rounding
    assert not is_tied_and_stagnant(_y([*history, high, 0.0176, 0.0176, 0.0176, high]), 5, 0.0)


def test_a_converged_smooth_run_is_stagnant_only_when_near_ties_count() -> None:
    # the best is found early; every later value is distinct and a hair above it, as near a smooth optimum
    head = torch.linspace(40.0, 1.0, 25, dtype=torch.float64)  # the search so far, down to the optimum 1.0
    tail = 1.0 + 1e-9 * torch.arange(1.0, 16.0, dtype=torch.float64)
    y = torch.cat([head, tail])
    assert not any(is_tied_and_stagnant(y[:k], 5, 0.0) for k in range(1, y.shape[0] + 1))
    assert is_tied_and_stagnant(y, 5, 1e-3)  # counted as ties, converged values stall the model


def test_edge_cases() -> None:
    assert not is_tied_and_stagnant(_y([1.0] * 5), 5, 0.0)  # no value before the window
    assert is_tied_and_stagnant(_y([1.0] * 6), 5, 0.0)  # everything ties
    assert not is_tied_and_stagnant(_y([math.inf, 1.0, 1.0, 1.0, 1.0, 1.0]), 5, 0.0)  # before it, only a failure
    assert not is_tied_and_stagnant(_y([math.inf] * 8), 5, 0.0)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="patience"):
        TieStagnation(patience=0)
    with pytest.raises(ValueError, match="tolerance"):
        TieStagnation(tolerance=-1.0)
    with pytest.raises(ValueError, match="shape"):
        is_tied_and_stagnant(torch.zeros(3, 2), 2, 1e-3)
    with pytest.raises(ValueError, match="tolerance"):
        is_tied_and_stagnant(torch.zeros(3), 2, float("nan"))


def _optimizer(space: Space, policy: TieStagnation | ModelOnly, seed: int) -> BayesianOptimizer:
    proposer = Proposer(space, n_initial=5, exploration=policy)
    return BayesianOptimizer(space, proposer=proposer, seed=seed)


@pytest.mark.slow
def test_a_smooth_problem_gets_the_same_trials_with_the_policy() -> None:
    space = Space({"x": Float(-2.0, 2.0), "y": Float(-2.0, 2.0)})

    def sphere(p: dict[str, float]) -> float:
        return (p["x"] - 0.3) ** 2 + (p["y"] + 0.2) ** 2

    plain = minimize(sphere, space, _optimizer(space, ModelOnly(), seed=1), 20)
    guarded = minimize(sphere, space, _optimizer(space, TieStagnation(), seed=1), 20)
    assert [t.params for t in plain.history] == [t.params for t in guarded.history]


@pytest.mark.slow
def test_on_a_plateau_of_ties_the_design_takes_over_until_something_improves() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})

    def plateau(p: dict[str, float]) -> float:  # a flat floor at 0 over most of the square, a narrow well at one corner
        well = (p["x"] - 0.95) ** 2 + (p["y"] - 0.95) ** 2
        return -1.0 if well < 0.002 else (0.0 if p["x"] + p["y"] < 1.6 else 0.5)

    model_only = _optimizer(space, ModelOnly(), seed=0)
    minimize(plateau, space, model_only, 40)
    assert model_only.proposer.n_design == 5  # the initial design only
    assert model_only.best.value == 0.0  # the model fills the floor and never finds the well

    searcher = _optimizer(space, TieStagnation(patience=4), seed=0)
    fired = 0
    for _ in range(40):
        told = torch.tensor([t.value for t in searcher.history], dtype=torch.float64)
        stalled = len(told) >= 5 and is_tied_and_stagnant(told, 4, 0.0)
        before = searcher.proposer.n_design
        trial = searcher.ask()
        searcher.tell(trial, plateau(trial.params))
        if len(told) >= 5:  # after the initial design, the design gives a point exactly when the values stall
            assert searcher.proposer.n_design - before == int(stalled)
            fired += int(stalled)
    assert fired > 0
    assert searcher.best.value == -1.0
