"""The built-in problem and searcher names, without importing what builds them.

``bohpo bench list`` prints these in a fraction of a second, before torch, gpytorch and scikit-learn are imported;
the registries (:mod:`bohpo.problems`, :mod:`bohpo.searchers.registry`) build the objects, and a test holds the two
to the same names.
"""

from __future__ import annotations

import importlib.util

__all__ = ["builtin_problem_names", "builtin_searcher_names"]

FIXED_DIMENSION = (
    "branin", "categorical-offsets", "flag-plateau", "hartmann3", "hartmann6", "jenatton", "mixed-branin",
    "six-hump-camel", "step-function",
)  # fmt: skip
FREE_DIMENSION = ("ackley", "boundary", "levy", "michalewicz", "rosenbrock", "schwefel", "styblinski-tang")
SKLEARN_MODELS = (
    "svm", "random-forest", "gradient-boosting", "mlp", "knn", "linear", "linear-flags", "decision-tree", "adaboost",
    "model-selection", "mlp-depth",
)  # fmt: skip
SKLEARN_DATASETS = ("digits", "wine", "breast-cancer", "iris", "diabetes")
MULTIFIDELITY = (
    "boosting-trees-breast-cancer",
    "mf-branin",
    "mf-hartmann6",
    "mlp-epochs-digits",
    "svm-fraction-digits",
)
MULTI_OBJECTIVE = (
    "branin-currin", "zdt1", "zdt2", "zdt3", "dtlz2", "dtlz2-3", "constrained-branin-currin", "c2-dtlz2",
    "boosting-size", "boosting-budget",
)  # fmt: skip
SEARCHERS = (
    "asha", "asha-gp", "bohb", "bohb-gp", "botorch-logei", "cmaes", "genetic", "gp-ei", "gp-logei", "gp-pi",
    "gp-ucb", "grid", "hyperband", "random", "sobol", "successive-halving", "tpe", "tpe-univariate",
)  # fmt: skip
PRUNERS = ("hyperband", "median", "median-stopping", "patience", "percentile", "successive-halving")
# where Optuna is installed
OPTUNA_SEARCHERS = ("optuna-cmaes", "optuna-gp", "optuna-nsga2", "optuna-tpe", "optuna-tpe-univariate")


def builtin_problem_names() -> list[str]:
    """Every built-in problem name, sorted (a free-dimension one also takes its dimension: ``levy-8``)."""
    sklearn = (f"{model}-{dataset}" for model in SKLEARN_MODELS for dataset in SKLEARN_DATASETS)
    return sorted({*FIXED_DIMENSION, *FREE_DIMENSION, *sklearn, *MULTIFIDELITY, *MULTI_OBJECTIVE})


def builtin_searcher_names() -> list[str]:
    """Every built-in searcher name, sorted; Optuna's samplers only where Optuna is installed (looked up, not
    imported)."""
    optuna = OPTUNA_SEARCHERS if importlib.util.find_spec("optuna") is not None else ()
    return sorted({*SEARCHERS, *optuna})
