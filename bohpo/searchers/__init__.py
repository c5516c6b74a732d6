"""Searchers: everything that proposes trials, behind one ``Searcher`` interface."""

from bohpo.acquisition.propose import AcquisitionFactory
from bohpo.searchers.asha import AsyncSuccessiveHalving
from bohpo.searchers.base import Direction, Searcher
from bohpo.searchers.bayesian import BayesianOptimizer
from bohpo.searchers.fidelity import MultiFidelitySearcher
from bohpo.searchers.grid import GridSearch
from bohpo.searchers.hyperband import BOHB, Hyperband, SuccessiveHalving, hyperband_brackets
from bohpo.searchers.random import RandomSearch, SobolSearch
from bohpo.searchers.registry import (
    SearcherFactory,
    make_fidelity_searcher,
    make_searcher,
    register_searcher,
    searcher_names,
    searcher_needs_budgets,
)

__all__ = [
    "BOHB",
    "AcquisitionFactory",
    "AsyncSuccessiveHalving",
    "BayesianOptimizer",
    "Direction",
    "GridSearch",
    "Hyperband",
    "MultiFidelitySearcher",
    "RandomSearch",
    "Searcher",
    "SearcherFactory",
    "SobolSearch",
    "SuccessiveHalving",
    "hyperband_brackets",
    "make_fidelity_searcher",
    "make_searcher",
    "register_searcher",
    "searcher_names",
    "searcher_needs_budgets",
]
