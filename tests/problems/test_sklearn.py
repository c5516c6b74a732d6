"""Real objectives: the values are seeded cross-validation scores, as scikit-learn computes them by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from bohpo.problems import make_problem, problem_names
from bohpo.problems.sklearn import DATASETS, MODELS, SklearnProblem, sklearn_problem_names
from bohpo.space import Categorical, Float, Int


def test_every_model_and_dataset_is_a_named_problem_with_a_mixed_space() -> None:
    names = sklearn_problem_names()
    assert len(names) == len(MODELS) * len(DATASETS) == 55
    assert set(names) <= set(problem_names())
    kinds_seen = set()
    for name in names:
        problem = make_problem(name)
        assert problem.name == name and problem.optimum is None
        config = problem.space.sample(1, generator=torch.Generator().manual_seed(0))[0]
        problem.estimator(config).get_params()  # builds without fitting
        for _, param in problem.space.items():
            kinds_seen.add((type(param).__name__, getattr(param, "log", False)))
    assert {("Float", True), ("Int", False), ("Int", True), ("Categorical", False)} <= kinds_seen


def test_a_classification_value_is_the_stratified_cv_error_sklearn_computes() -> None:
    problem = SklearnProblem("knn", "iris", folds=4, seed=3)
    config = {"n_neighbors": 7, "weights": "distance", "metric": "manhattan"}
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=7, weights="distance", metric="manhattan"))
    folds = StratifiedKFold(4, shuffle=True, random_state=3)
    expected = 1 - cross_val_score(model, X, y, cv=folds, scoring="accuracy").mean()
    assert problem(config) == pytest.approx(expected, abs=1e-12)
    assert 0.0 <= problem(config) <= 1.0


def test_a_regression_value_is_one_minus_the_cv_r2() -> None:
    problem = SklearnProblem("decision-tree", "diabetes", seed=1)
    config = {"max_depth": 4, "min_samples_split": 10, "min_samples_leaf": 5, "max_features": 0.7,
              "criterion": "squared_error"}  # fmt: skip
    X, y = load_diabetes(return_X_y=True)
    model = DecisionTreeRegressor(**config, random_state=1)
    expected = 1 - cross_val_score(model, X, y, cv=KFold(5, shuffle=True, random_state=1), scoring="r2").mean()
    assert problem(config) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("name", ["random-forest-wine", "linear-breast-cancer", "svm-diabetes"])
def test_values_are_deterministic_under_the_seed(name: str) -> None:
    problem = make_problem(name)
    config = problem.space.sample(1, generator=torch.Generator().manual_seed(7))[0]
    first = problem(config)
    assert make_problem(name)(config) == first  # a fresh instance, the same folds and model seeds
    assert np.isfinite(first)


def test_hyperparameters_matter() -> None:
    problem = make_problem("svm-digits")
    good = problem({"C": 10.0, "gamma": 1e-3, "kernel": "rbf"})
    bad = problem({"C": 1e-2, "gamma": 10.0, "kernel": "rbf"})
    assert good < 0.05 < 0.5 < bad  # a tuned RBF SVM is nearly perfect on digits; a wild gamma is guessing


def test_bad_arguments_name_the_culprit() -> None:
    with pytest.raises(ValueError, match="unknown model 'xgboost'"):
        SklearnProblem("xgboost", "iris")
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        SklearnProblem("svm", "mnist")
    with pytest.raises(ValueError, match="folds must be an int >= 2, got 1"):
        SklearnProblem("svm", "iris", folds=1)
    problem = SklearnProblem("knn", "iris")
    with pytest.raises(ValueError, match="n_neighbors"):
        problem({"n_neighbors": 0, "weights": "uniform", "metric": "euclidean"})
    with pytest.raises(ValueError, match="has no fidelity"):
        problem({"n_neighbors": 3, "weights": "uniform", "metric": "euclidean"}, budget=1.0)


def test_spaces_differ_between_classification_and_regression() -> None:
    classify, regress = SklearnProblem("svm", "wine").space, SklearnProblem("svm", "diabetes").space
    assert "epsilon" in regress.names and "epsilon" not in classify.names
    assert isinstance(regress["epsilon"], Float) and isinstance(classify["kernel"], Categorical)
    assert isinstance(SklearnProblem("knn", "wine").space["n_neighbors"], Int)


LINEAR_FLAGS = {"C": 0.5, "max_iter": 40, "tol": 1e-4, "fit_intercept": True, "balanced": False, "standardize": True}


def test_linear_flags_is_the_cv_error_of_the_flagged_pipeline() -> None:
    problem = make_problem("linear-flags-breast-cancer")
    assert problem.space.names == ["C", "max_iter", "tol", "fit_intercept", "balanced", "standardize"]
    config = {**LINEAR_FLAGS, "balanced": True}
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(
        StandardScaler(), LogisticRegression(C=0.5, max_iter=40, tol=1e-4, class_weight="balanced", random_state=0)
    )
    expected = 1 - cross_val_score(model, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean()
    value = problem(config)
    assert value == pytest.approx(expected, abs=1e-12)
    assert np.isfinite(value) and 0.0 <= value < 0.1
    assert make_problem("linear-flags-breast-cancer")(config) == value  # deterministic


def test_linear_flags_each_flag_changes_the_loss() -> None:
    problem = make_problem("linear-flags-breast-cancer")
    base = problem(LINEAR_FLAGS)
    for flag in ("fit_intercept", "balanced", "standardize"):
        assert problem({**LINEAR_FLAGS, flag: not LINEAR_FLAGS[flag]}) != base, flag
    assert problem({**LINEAR_FLAGS, "standardize": False}) > base + 0.03  # unscaled features, too few iterations
    regression = make_problem("linear-flags-diabetes")
    assert regression.space.names == ["alpha", "max_iter", "tol", "fit_intercept", "positive", "standardize"]
    ridge = {"alpha": 1.0, "max_iter": 100, "tol": 1e-4, "fit_intercept": True, "positive": False, "standardize": True}
    values = [regression({**ridge, flag: not ridge[flag]}) for flag in ("fit_intercept", "positive", "standardize")]
    assert len({regression(ridge), *values}) == 4 and all(np.isfinite(values))


@pytest.mark.slow
def test_model_selection_is_each_familys_own_problem_under_its_choice() -> None:
    selection = make_problem("model-selection-iris")
    assert selection.space.conditions  # a tree: each family's parameters exist only under its choice
    for family in ("svm", "random-forest", "knn", "linear", "gradient-boosting"):
        own = make_problem(f"{family}-iris")
        config = own.space.sample(1, generator=torch.Generator().manual_seed(2))[0]
        tree = {"model": family} | {f"{family}__{name}": value for name, value in config.items()}
        assert selection.space.validate(tree) == tree
        assert selection(tree) == own(config)  # the same estimator, scaler and folds
    with pytest.raises(ValueError, match="svm__C"):  # another family's parameter is inactive
        selection({"model": "knn", "knn__n_neighbors": 5, "knn__weights": "uniform", "knn__metric": "euclidean",
                   "svm__C": 1.0})  # fmt: skip


def test_mlp_depth_builds_one_width_per_layer_and_no_more() -> None:
    problem = make_problem("mlp-depth-iris")
    base = {"alpha": 1e-4, "learning_rate_init": 1e-2, "activation": "relu"}
    two = problem.space.validate(base | {"n_layers": 2, "width_1": 32, "width_2": 16})
    mlp = problem.estimator(two).steps[-1][1]
    assert mlp.hidden_layer_sizes == (32, 16)
    with pytest.raises(ValueError, match="width_3"):
        problem.space.validate(two | {"width_3": 8})
    with pytest.raises(ValueError, match="width_2"):
        problem.space.validate(base | {"n_layers": 2, "width_1": 32})
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), MLPClassifier((32, 16), alpha=1e-4, learning_rate_init=1e-2, max_iter=60,
                                                          random_state=0))  # fmt: skip
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 60 iterations, as the problem's cap
        expected = 1 - cross_val_score(model, X, y, cv=folds, scoring="accuracy").mean()
    assert problem(two) == pytest.approx(expected, abs=1e-12)
