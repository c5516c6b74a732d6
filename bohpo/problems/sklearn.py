"""Real objectives: scikit-learn models on scikit-learn's bundled datasets, scored by seeded k-fold cross-validation.

A Bayesmark-like grid: nine model families x five datasets, and two conditional spaces over the same datasets
(``model-selection``: which family, then its parameters; ``mlp-depth``: an MLP's widths up to its depth), each
problem named ``"{model}-{dataset}"`` (for example ``"svm-digits"``, ``"model-selection-wine"``). Nothing is
downloaded: the datasets ship with scikit-learn.

The value minimised is a cross-validated loss:
    - classification (digits, wine, breast-cancer, iris): the misclassification rate, 1 - mean accuracy over folds,
      with stratified folds;
    - regression (diabetes): 1 - mean R^2 over folds (scale-free; 0 is a perfect fit).
Folds are shuffled with the problem's seed, and every model that draws random numbers gets the same seed, so a
problem is a deterministic function of its configuration. The best achievable value is unknown (``optimum`` is
``None``); reports measure regret against the best value seen.

The spaces mix log-floats, ints and categoricals the way practitioners tune these models; models that are sensitive
to feature scales (SVM, MLP, k-NN, linear models) get a ``StandardScaler`` in front, inside each fold, and on the
regression dataset their target is standardised too. ``linear-flags`` is the exception: whether to standardise the
features is one of its three boolean flags, next to ``fit_intercept`` and balanced class weights (positive coefficients
on the regression dataset, whose target it leaves as it is), so several of its flag settings are plateaus of poorly
converged fits, and some settings tie exactly.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bohpo._threads import single_threaded_blas
from bohpo.problems.base import Problem
from bohpo.space import Categorical, Float, Int, Space

__all__ = ["DATASETS", "MODELS", "SklearnProblem", "load_dataset", "sklearn_problem_names"]

DATASETS = ("digits", "wine", "breast-cancer", "iris", "diabetes")
_REGRESSION = frozenset({"diabetes"})


@cache
def load_dataset(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of a bundled dataset (one of :data:`DATASETS`), loaded once per process; X as float64."""
    from sklearn import datasets

    loaders: dict[str, Callable[..., Any]] = {
        "digits": datasets.load_digits,
        "wine": datasets.load_wine,
        "breast-cancer": datasets.load_breast_cancer,
        "iris": datasets.load_iris,
        "diabetes": datasets.load_diabetes,
    }
    X, y = loaders[dataset](return_X_y=True)
    return np.asarray(X, dtype=np.float64), np.asarray(y)


@dataclass(frozen=True)
class _Model:
    """A model family: its space, and how to build the estimator from a configuration."""

    space: Callable[[bool], Space]  # regression? -> space
    build: Callable[[dict[str, Any], bool, int], BaseEstimator]  # (params, regression?, seed) -> estimator
    scaled: bool = False  # a StandardScaler goes in front
    single_threaded: bool = False  # fitted by scipy's L-BFGS on small vectors, where BLAS threads only cost


def _svm_space(regression: bool) -> Space:
    params: dict[str, Any] = {
        "C": Float(1e-2, 1e3, log=True),
        "gamma": Float(1e-5, 1e1, log=True),
        "kernel": Categorical(["rbf", "poly", "sigmoid"]),
    }
    if regression:
        params["epsilon"] = Float(1e-3, 1.0, log=True)
    return Space(params)


def _svm(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    from sklearn.svm import SVC, SVR

    if regression:
        return SVR(C=p["C"], gamma=p["gamma"], kernel=p["kernel"], epsilon=p["epsilon"], max_iter=20_000)
    return SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"], max_iter=20_000, random_state=seed)


def _forest_space(regression: bool) -> Space:
    return Space(
        {
            "n_estimators": Int(10, 200, log=True),
            "max_depth": Int(2, 24),
            "min_samples_split": Int(2, 20),
            "max_features": Float(0.05, 1.0),
            "criterion": Categorical(["squared_error", "absolute_error"] if regression else ["gini", "entropy"]),
        }
    )


def _forest(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestRegressor if regression else RandomForestClassifier
    return cls(**p, random_state=seed, n_jobs=1)


def _boosting_space(regression: bool) -> Space:
    return Space(
        {
            "learning_rate": Float(1e-3, 1.0, log=True),
            "max_iter": Int(10, 100, log=True),
            "max_leaf_nodes": Int(4, 64, log=True),
            "min_samples_leaf": Int(1, 64, log=True),
            "l2_regularization": Float(1e-6, 10.0, log=True),
        }
    )


def _boosting(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
    return cls(**p, early_stopping=False, random_state=seed)


def _mlp_space(regression: bool) -> Space:
    return Space(
        {
            "alpha": Float(1e-6, 1e-1, log=True),
            "learning_rate_init": Float(1e-4, 1e-1, log=True),
            "hidden_size": Int(16, 256, log=True),
            "activation": Categorical(["relu", "tanh", "logistic"]),
        }
    )


def _mlp(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPRegressor if regression else MLPClassifier
    return cls(
        hidden_layer_sizes=(p["hidden_size"],),
        alpha=p["alpha"],
        learning_rate_init=p["learning_rate_init"],
        activation=p["activation"],
        max_iter=60,
        random_state=seed,
    )


def _knn_space(regression: bool) -> Space:
    return Space(
        {
            "n_neighbors": Int(1, 50, log=True),
            "weights": Categorical(["uniform", "distance"]),
            "metric": Categorical(["euclidean", "manhattan", "chebyshev"]),
        }
    )


def _knn(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsRegressor if regression else KNeighborsClassifier
    return cls(**p)


def _linear_space(regression: bool) -> Space:
    if regression:
        return Space({"alpha": Float(1e-5, 10.0, log=True), "selection": Categorical(["cyclic", "random"])})
    return Space(
        {
            "C": Float(1e-4, 1e4, log=True),
            "penalty": Categorical(["l1", "l2"]),
            "class_weight": Categorical(["none", "balanced"]),
        }
    )


def _linear(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    from sklearn.linear_model import Lasso, LogisticRegression

    if regression:
        return Lasso(alpha=p["alpha"], selection=p["selection"], max_iter=5_000, random_state=seed)
    class_weight = None if p["class_weight"] == "none" else p["class_weight"]
    return LogisticRegression(
        C=p["C"], l1_ratio=1.0 if p["penalty"] == "l1" else 0.0, solver="saga", class_weight=class_weight,
        max_iter=300, random_state=seed,
    )  # fmt: skip


def _linear_flags_space(regression: bool) -> Space:
    params: dict[str, Any] = {
        "alpha" if regression else "C": Float(1e-4, 1e4, log=True),
        "max_iter": Int(5, 200, log=True),
        "tol": Float(1e-6, 1e-1, log=True),
        "fit_intercept": Categorical([False, True]),
        "positive" if regression else "balanced": Categorical([False, True]),
        "standardize": Categorical([False, True]),
    }
    return Space(params)


def _linear_flags(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    """A linear model behind an optional ``StandardScaler``: logistic regression (L-BFGS, class weights balanced or
    not), or ridge regression (L-BFGS when the coefficients must be positive, SAG otherwise; the target is left as it
    is, so an intercept matters)."""
    from sklearn.linear_model import LogisticRegression, Ridge

    scaler = StandardScaler() if p["standardize"] else "passthrough"
    if regression:
        ridge = Ridge(
            alpha=p["alpha"], fit_intercept=p["fit_intercept"], positive=p["positive"], max_iter=p["max_iter"],
            tol=p["tol"], solver="lbfgs" if p["positive"] else "sag", random_state=seed,
        )  # fmt: skip
        return make_pipeline(scaler, ridge)
    logistic = LogisticRegression(
        C=p["C"], fit_intercept=p["fit_intercept"], class_weight="balanced" if p["balanced"] else None,
        max_iter=p["max_iter"], tol=p["tol"], solver="lbfgs", random_state=seed,
    )  # fmt: skip
    return make_pipeline(scaler, logistic)


def _tree_space(regression: bool) -> Space:
    return Space(
        {
            "max_depth": Int(1, 30),
            "min_samples_split": Int(2, 40, log=True),
            "min_samples_leaf": Int(1, 20, log=True),
            "max_features": Float(0.05, 1.0),
            "criterion": Categorical(["squared_error", "absolute_error"] if regression else ["gini", "entropy"]),
        }
    )


def _tree(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    cls = DecisionTreeRegressor if regression else DecisionTreeClassifier
    return cls(**p, random_state=seed)


def _adaboost_space(regression: bool) -> Space:
    params: dict[str, Any] = {"n_estimators": Int(10, 200, log=True), "learning_rate": Float(1e-3, 2.0, log=True)}
    if regression:
        params["loss"] = Categorical(["linear", "square", "exponential"])
    else:
        params["max_depth"] = Int(1, 4)  # of the boosted trees
    return Space(params)


def _adaboost(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor
    from sklearn.tree import DecisionTreeClassifier

    if regression:
        return AdaBoostRegressor(**p, random_state=seed)
    return AdaBoostClassifier(
        DecisionTreeClassifier(max_depth=p["max_depth"], random_state=seed),
        n_estimators=p["n_estimators"],
        learning_rate=p["learning_rate"],
        random_state=seed,
    )


_SELECTABLE = ("svm", "random-forest", "knn", "linear", "gradient-boosting")


def _selection_space(regression: bool) -> Space:
    """The choice of model family, and each family's own space under it, its names prefixed ``"{family}__"``."""
    params: dict[str, Any] = {"model": Categorical(list(_SELECTABLE))}
    conditions: dict[str, dict[str, Any]] = {}
    for family in _SELECTABLE:
        for name, param in MODELS[family].space(regression).items():
            params[f"{family}__{name}"] = param
            conditions[f"{family}__{name}"] = {"model": family}
    return Space(params, conditions=conditions)


def _selection(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    family = p["model"]
    prefix = f"{family}__"
    own = {name.removeprefix(prefix): value for name, value in p.items() if name.startswith(prefix)}
    return _in_front(family, MODELS[family].build(own, regression, seed), regression)


def _mlp_depth_space(regression: bool) -> Space:
    """An MLP of 1-3 hidden layers, each layer's width a parameter only where the network has that layer."""
    return Space(
        {
            "n_layers": Int(1, 3),
            "width_1": Int(8, 256, log=True),
            "width_2": Int(8, 256, log=True),
            "width_3": Int(8, 256, log=True),
            "alpha": Float(1e-6, 1e-1, log=True),
            "learning_rate_init": Float(1e-4, 1e-1, log=True),
            "activation": Categorical(["relu", "tanh"]),
        },
        conditions={"width_2": {"n_layers": [2, 3]}, "width_3": {"n_layers": 3}},
    )


def _mlp_depth(p: dict[str, Any], regression: bool, seed: int) -> BaseEstimator:
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPRegressor if regression else MLPClassifier
    return cls(
        hidden_layer_sizes=tuple(p[f"width_{i}"] for i in range(1, p["n_layers"] + 1)),
        alpha=p["alpha"],
        learning_rate_init=p["learning_rate_init"],
        activation=p["activation"],
        max_iter=60,
        random_state=seed,
    )


MODELS: Mapping[str, _Model] = {
    "svm": _Model(_svm_space, _svm, scaled=True),
    "random-forest": _Model(_forest_space, _forest),
    "gradient-boosting": _Model(_boosting_space, _boosting),
    "mlp": _Model(_mlp_space, _mlp, scaled=True),
    "knn": _Model(_knn_space, _knn, scaled=True),
    "linear": _Model(_linear_space, _linear, scaled=True),
    "linear-flags": _Model(_linear_flags_space, _linear_flags, single_threaded=True),  # scaling is one of its flags
    "decision-tree": _Model(_tree_space, _tree),
    "adaboost": _Model(_adaboost_space, _adaboost),
    # conditional spaces: the model family as a choice, each family's parameters under it; an MLP's depth
    "model-selection": _Model(_selection_space, _selection),  # each family's scaler is put in front by _selection
    "mlp-depth": _Model(_mlp_depth_space, _mlp_depth, scaled=True),
}


def _in_front(family: str, estimator: BaseEstimator, regression: bool) -> BaseEstimator:
    """``estimator`` with a ``StandardScaler`` in front where ``family`` wants one (on regression data, the target
    standardised too: an SVR's epsilon or an MLP's initial weights assume unit scale)."""
    if not MODELS[family].scaled:
        return estimator
    if regression:
        estimator = TransformedTargetRegressor(estimator, transformer=StandardScaler())
    return make_pipeline(StandardScaler(), estimator)


def sklearn_problem_names() -> list[str]:
    """Every ``"{model}-{dataset}"`` name, sorted."""
    return sorted(f"{model}-{dataset}" for model in MODELS for dataset in DATASETS)


class SklearnProblem(Problem):
    """Cross-validated loss of a scikit-learn model on a bundled dataset, as a function of its hyperparameters.

    Args:
        model: One of :data:`MODELS` (``"svm"``, ``"random-forest"``, ``"gradient-boosting"``, ``"mlp"``, ``"knn"``,
            ``"linear"`` (logistic regression; Lasso on diabetes), ``"linear-flags"`` (logistic regression, ridge on
            diabetes, with three boolean flags: fit_intercept, balanced class weights (positive coefficients on
            diabetes) and standardize), ``"decision-tree"``, ``"adaboost"``; on conditional spaces
            ``"model-selection"`` (the family as a choice among SVM, random forest, k-NN, linear and gradient
            boosting, each family's parameters under it as ``"{family}__{name}"``) and ``"mlp-depth"`` (an MLP of 1-3
            hidden layers, a width per layer that exists)).
        dataset: One of :data:`DATASETS`.
        folds: Number of cross-validation folds (>= 2).
        seed: Seeds the fold shuffle and the model's own randomness.

    Example:
        >>> problem = SklearnProblem("knn", "iris")
        >>> problem.name, problem.space.names
        ('knn-iris', ['n_neighbors', 'weights', 'metric'])
        >>> round(problem({"n_neighbors": 10, "weights": "uniform", "metric": "euclidean"}), 3)
        0.033
    """

    def __init__(self, model: str, dataset: str, *, folds: int = 5, seed: int = 0) -> None:
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}; known: {', '.join(MODELS)}")
        if dataset not in DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
        if not isinstance(folds, int) or isinstance(folds, bool) or folds < 2:
            raise ValueError(f"folds must be an int >= 2, got {folds!r}")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        self.model, self.dataset, self.folds, self.seed = model, dataset, folds, seed
        self.regression = dataset in _REGRESSION
        self.name = f"{model}-{dataset}"
        self.space = MODELS[model].space(self.regression)
        self.optimum = None

    def estimator(self, params: Mapping[str, Any]) -> BaseEstimator:
        """The (unfitted) estimator for a configuration, scaler included."""
        estimator = MODELS[self.model].build(self.space.validate(params), self.regression, self.seed)
        return _in_front(self.model, estimator, self.regression)

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        if budget is not None:
            raise ValueError(f"{self.name} has no fidelity; budget must be None, got {budget!r}")
        X, y = load_dataset(self.dataset)
        splitter = (KFold if self.regression else StratifiedKFold)(self.folds, shuffle=True, random_state=self.seed)
        scoring = "r2" if self.regression else "accuracy"
        threads = single_threaded_blas() if MODELS[self.model].single_threaded else contextlib.nullcontext()
        with warnings.catch_warnings(), threads:
            warnings.simplefilter("ignore", ConvergenceWarning)  # an iteration cap is part of the configuration
            scores = cross_val_score(self.estimator(params), X, y, cv=splitter, scoring=scoring, n_jobs=1)
        return float(1.0 - np.mean(scores))

    def __repr__(self) -> str:
        return f"SklearnProblem({self.model!r}, {self.dataset!r}, folds={self.folds}, seed={self.seed})"
