"""Searchers: everything that proposes trials, behind one ``Searcher`` interface."""

from bohpo.searchers.base import Direction, Searcher
from bohpo.searchers.bayesian import AcquisitionFactory, BayesianOptimizer
from bohpo.searchers.grid import GridSearch
from bohpo.searchers.random import RandomSearch, SobolSearch
from bohpo.searchers.registry import SearcherFactory, make_searcher, register_searcher, searcher_names

__all__ = [
    "AcquisitionFactory",
    "BayesianOptimizer",
    "Direction",
    "GridSearch",
    "RandomSearch",
    "Searcher",
    "SearcherFactory",
    "SobolSearch",
    "make_searcher",
    "register_searcher",
    "searcher_names",
]
