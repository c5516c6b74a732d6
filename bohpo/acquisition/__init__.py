"""Acquisition functions (torch modules built from a fitted surrogate) and the optimizer that maximises them."""

from bohpo.acquisition.analytic import (
    ExpectedImprovement,
    LogExpectedImprovement,
    LogProbabilityOfImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
    expected_improvement,
    log_expected_improvement,
    tpe_log_expected_improvement,
    tpe_log_probability_of_improvement,
)
from bohpo.acquisition.optimize import optimize_acquisition, optimize_by_sampling

__all__ = [
    "ExpectedImprovement",
    "LogExpectedImprovement",
    "LogProbabilityOfImprovement",
    "ProbabilityOfImprovement",
    "UpperConfidenceBound",
    "expected_improvement",
    "log_expected_improvement",
    "optimize_acquisition",
    "optimize_by_sampling",
    "tpe_log_expected_improvement",
    "tpe_log_probability_of_improvement",
]
