"""Multi-fidelity problems: exact at the full budget, biased below it, real models whose budget buys accuracy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

from bohpo.problems import (
    BoostingTrees,
    Branin,
    DataFraction,
    FidelityBiased,
    Hartmann6,
    MLPEpochs,
    MultiFidelityProblem,
    make_problem,
    problem_names,
)
from bohpo.problems.multifidelity import multifidelity_problem_names


def test_every_multifidelity_problem_is_named_and_declares_its_budgets() -> None:
    assert set(multifidelity_problem_names()) <= set(problem_names())
    for name in multifidelity_problem_names():
        problem = make_problem(name)
        assert isinstance(problem, MultiFidelityProblem) and problem.name == name
        assert 0 < problem.min_budget < problem.max_budget  # type: ignore[operator]


@pytest.mark.parametrize("base", [Branin(), Hartmann6()])
def test_the_full_budget_is_the_original_function_and_keeps_its_optimum(base: object) -> None:
    problem = FidelityBiased(base, amplitude=5.0)  # type: ignore[arg-type]
    configs = problem.space.sample(20, generator=torch.Generator().manual_seed(0))
    for config in configs:
        assert problem(config) == problem(config, budget=81) == pytest.approx(base(config))  # type: ignore[operator]
    minimiser = dict(zip(problem.space.names, problem.base.minimizers[0].tolist(), strict=True))
    assert problem(minimiser) == pytest.approx(problem.optimum, abs=1e-4)


def test_the_bias_fades_with_the_budget_and_vanishes_without_bias() -> None:
    problem = FidelityBiased(Branin(), amplitude=10.0)
    config = {"x0": 1.0, "x1": 4.0}
    gaps = [abs(problem(config, b) - problem(config)) for b in (1, 3, 9, 27, 81)]
    assert gaps[0] > 0 and all(a > b for a, b in itertools.pairwise(gaps)) and gaps[-1] == 0
    assert gaps[2] == pytest.approx(gaps[0] * 0.5)  # phi(9) = 1/2 on [1, 81]
    exact = FidelityBiased(Branin(), bias=0.0)
    assert exact(config, 1) == exact(config)


def test_budgets_outside_the_range_are_refused() -> None:
    problem = FidelityBiased(Branin())
    for bad in (0.5, 82, math.nan, "9"):
        with pytest.raises(ValueError, match=r"budget must lie in \[1.0, 81.0\]"):
            problem({"x0": 0.0, "x1": 0.0}, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bias must be"):
        FidelityBiased(Branin(), bias=-1.0)


def test_the_mlp_learns_with_epochs_and_is_deterministic() -> None:
    problem = MLPEpochs()
    config = {"alpha": 1e-4, "learning_rate_init": 1e-3, "hidden_size": 32, "batch_size": 64, "activation": "relu"}
    errors = [problem(config, b) for b in (1, 9, 27)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 0.06
    assert problem(config, 9) == errors[1] and problem(config) == errors[2]
    assert problem(config, 8.6) == errors[1]  # budgets are rounded to whole epochs


def test_the_mlp_reports_its_curve_and_trains_in_segments_with_changing_hyperparameters() -> None:
    """The curve's last value is the evaluation's; training in segments (from checkpoints, left untouched) gives the
    network of one go; a learning rate changed between segments reaches Adam, not only the estimator."""
    problem = MLPEpochs()
    config = {"alpha": 1e-4, "learning_rate_init": 1e-3, "hidden_size": 32, "batch_size": 64, "activation": "relu"}
    curve: list[tuple[int, float]] = []
    assert problem.curve(config, lambda step, value: curve.append((step, value)), 9) == problem(config, 9)
    assert [step for step, _ in curve] == list(range(1, 10)) and curve[-1][1] == problem(config, 9)
    _, error = problem.train(config, None, until=9)
    first, _ = problem.train(config, None, until=4)
    second, segmented = problem.train(config, first, until=9)
    assert segmented == error == problem(config, 9) and first[1] == 4 and second[1] == 9
    faster, _ = problem.train({**config, "learning_rate_init": 1e-2}, first, until=6)
    assert faster[0]._optimizer.learning_rate_init == 1e-2 and first[0]._optimizer.learning_rate_init == 1e-3
    assert problem.schedule_space.names == ["alpha", "learning_rate_init", "batch_size"]
    with pytest.raises(ValueError, match="before the state's epoch 4"):
        problem.train(config, first, until=3)


def test_boosting_reports_the_error_of_its_first_trees() -> None:
    problem = BoostingTrees()
    config = {
        "learning_rate": 0.1, "max_leaf_nodes": 16, "min_samples_leaf": 5, "l2_regularization": 1e-3,
        "max_features": 0.5,
    }  # fmt: skip
    curve: dict[int, float] = {}
    final = problem.curve(config, lambda step, value: curve.__setitem__(step, value), 20)
    assert list(curve) == list(range(2, 21, 2)) and final == curve[20] == problem(config, 20)
    assert curve[4] == pytest.approx(problem(config, 4), abs=3 / 143)  # the first 4 trees of 20 are a 4-tree model


def test_boosting_counts_trees_as_scikit_learn_does() -> None:
    problem = BoostingTrees()
    config = {
        "learning_rate": 0.1, "max_leaf_nodes": 16, "min_samples_leaf": 5, "l2_regularization": 1e-3,
        "max_features": 0.5,
    }  # fmt: skip
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    for trees in (2, 54):
        model = HistGradientBoostingClassifier(max_iter=trees, early_stopping=False, random_state=0, **config)
        # the problem scales and reorders the training rows; trees split on quantile bins, which neither changes
        # much: the errors agree to a few validation points
        want = 1.0 - model.fit(X_train, y_train).score(X_valid, y_valid)
        assert abs(problem(config, trees) - want) <= 3 / len(y_valid)
    assert problem(config, 2) > problem(config, 162)


def test_a_data_fraction_uses_nested_subsets_and_more_data_helps() -> None:
    problem = DataFraction()
    config = {"C": 10.0, "gamma": 0.01, "kernel": "rbf"}
    errors = [problem(config, b) for b in (1 / 27, 1 / 9, 1 / 3, 1.0)]
    assert errors[0] > errors[-1] and errors[-1] < 0.05
    _, _, y_train, _ = problem._data()
    assert len(np.unique(y_train[: round(len(y_train) / 27)])) >= 8  # a shuffled prefix: most classes in it
    # nested: the model at a fraction is the one fitted on the first rows, which the larger fractions contain
    rows_small, rows_large = problem.training_rows(1 / 27), problem.training_rows(1 / 3)
    assert rows_small.stop < rows_large.stop and rows_small.start == rows_large.start == 0
