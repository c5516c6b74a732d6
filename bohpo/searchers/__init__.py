"""Searchers: everything that proposes trials, behind one ``Searcher`` interface."""

from bohpo.acquisition.propose import AcquisitionFactory
from bohpo.searchers.asha import AsyncSuccessiveHalving
from bohpo.searchers.base import Direction, Searcher
from bohpo.searchers.bayesian import BayesianOptimizer
from bohpo.searchers.cma import CMAES
from bohpo.searchers.fidelity import MultiFidelitySearcher
from bohpo.searchers.genetic import GeneticAlgorithm
from bohpo.searchers.grid import GridSearch
from bohpo.searchers.hyperband import BOHB, Hyperband, SuccessiveHalving, hyperband_brackets
from bohpo.searchers.pbt import PopulationBasedTraining
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
    "CMAES",
    "AcquisitionFactory",
    "AsyncSuccessiveHalving",
    "BayesianOptimizer",
    "Direction",
    "GeneticAlgorithm",
    "GridSearch",
    "Hyperband",
    "MultiFidelitySearcher",
    "PopulationBasedTraining",
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
