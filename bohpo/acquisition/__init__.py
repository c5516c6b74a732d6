"""Acquisition functions (torch modules built from a fitted surrogate) and the optimizer that maximises them."""

from bohpo.acquisition.analytic import (
    ExpectedImprovement,
    LogExpectedImprovement,
    LogProbabilityOfImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
    expected_improvement,
    log_expected_improvement,
)
from bohpo.acquisition.optimize import optimize_acquisition

__all__ = [
    "ExpectedImprovement",
    "LogExpectedImprovement",
    "LogProbabilityOfImprovement",
    "ProbabilityOfImprovement",
    "UpperConfidenceBound",
    "expected_improvement",
    "log_expected_improvement",
    "optimize_acquisition",
]
