"""bohpo: Bayesian optimization and hyperparameter-optimization research on torch tensors."""

from bohpo.errors import NumericalWarning, SearchExhausted, TrialFailedWarning
from bohpo.loop import minimize
from bohpo.searchers import (
    BayesianOptimizer,
    GridSearch,
    RandomSearch,
    Searcher,
    SobolSearch,
    make_searcher,
    searcher_names,
)
from bohpo.space import Categorical, Float, Int, Space
from bohpo.trial import Trial, TrialStatus

__version__ = "0.1.0"

__all__ = [
    "BayesianOptimizer",
    "Categorical",
    "Float",
    "GridSearch",
    "Int",
    "NumericalWarning",
    "RandomSearch",
    "SearchExhausted",
    "Searcher",
    "SobolSearch",
    "Space",
    "Trial",
    "TrialFailedWarning",
    "TrialStatus",
    "make_searcher",
    "minimize",
    "searcher_names",
]
