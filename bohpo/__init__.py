"""bohpo: Bayesian optimization and hyperparameter-optimization research on torch tensors.

The names below are imported on first use (PEP 562), so that ``import bohpo`` and the ``bohpo`` command start without
loading torch, gpytorch, BoTorch and scikit-learn; ``from bohpo import BayesianOptimizer`` loads what it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "NumericalWarning": "bohpo.errors",
    "SearchExhausted": "bohpo.errors",
    "TrialFailedWarning": "bohpo.errors",
    "minimize": "bohpo.loop",
    "BOHB": "bohpo.searchers",
    "AsyncSuccessiveHalving": "bohpo.searchers",
    "BayesianOptimizer": "bohpo.searchers",
    "CMAES": "bohpo.searchers",
    "GeneticAlgorithm": "bohpo.searchers",
    "GridSearch": "bohpo.searchers",
    "Hyperband": "bohpo.searchers",
    "PopulationBasedTraining": "bohpo.searchers",
    "RandomSearch": "bohpo.searchers",
    "Searcher": "bohpo.searchers",
    "SobolSearch": "bohpo.searchers",
    "SuccessiveHalving": "bohpo.searchers",
    "make_searcher": "bohpo.searchers",
    "searcher_names": "bohpo.searchers",
    "Categorical": "bohpo.space",
    "Float": "bohpo.space",
    "Int": "bohpo.space",
    "Space": "bohpo.space",
    "Trial": "bohpo.trial",
    "TrialStatus": "bohpo.trial",
}

__all__ = [
    "BOHB",
    "CMAES",
    "AsyncSuccessiveHalving",
    "BayesianOptimizer",
    "Categorical",
    "Float",
    "GeneticAlgorithm",
    "GridSearch",
    "Hyperband",
    "Int",
    "NumericalWarning",
    "PopulationBasedTraining",
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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'bohpo' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


if TYPE_CHECKING:  # what type checkers and IDEs see
    from bohpo.errors import NumericalWarning, SearchExhausted, TrialFailedWarning
    from bohpo.loop import minimize
    from bohpo.searchers import (
        BOHB,
        CMAES,
        AsyncSuccessiveHalving,
        BayesianOptimizer,
        GeneticAlgorithm,
        GridSearch,
        Hyperband,
        PopulationBasedTraining,
        RandomSearch,
        Searcher,
        SobolSearch,
        SuccessiveHalving,
        make_searcher,
        searcher_names,
    )
    from bohpo.space import Categorical, Float, Int, Space
    from bohpo.trial import Trial, TrialStatus
