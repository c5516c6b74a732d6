"""bohpo: Bayesian optimization and hyperparameter-optimization research on torch tensors."""

from bohpo.errors import NumericalWarning, SearchExhausted, TrialFailedWarning
from bohpo.loop import minimize
from bohpo.searchers import (
    BOHB,
    AsyncSuccessiveHalving,
    BayesianOptimizer,
    GridSearch,
    Hyperband,
    RandomSearch,
    Searcher,
    SobolSearch,
    SuccessiveHalving,
    make_searcher,
    searcher_names,
)
from bohpo.space import Categorical, Float, Int, Space
from bohpo.trial import Trial, TrialStatus

__version__ = "0.1.0"

__all__ = [
    "BOHB",
    "AsyncSuccessiveHalving",
    "BayesianOptimizer",
    "Categorical",
    "Float",
    "GridSearch",
    "Hyperband",
    "Int",
    "NumericalWarning",
    "RandomSearch",
    "SearchExhausted",
    "Searcher",
    "SobolSearch",
    "Space",
    "SuccessiveHalving",
    "Trial",
    "TrialFailedWarning",
    "TrialStatus",
    "make_searcher",
    "minimize",
    "searcher_names",
]
