"""Acquisition functions (torch modules built from a fitted surrogate), the optimizer that maximises them, and the
BO step (:class:`Proposer`) that puts a surrogate, an acquisition, its optimizer and a batch rule together."""

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
from bohpo.acquisition.batch import ConstantLiar, JointBatch, KrigingBeliever
from bohpo.acquisition.exploration import TieStagnation, is_tied_and_stagnant
from bohpo.acquisition.hypervolume import (
    LogExpectedHypervolumeImprovement,
    hypervolume_cells,
    log_expected_hypervolume_improvement,
)
from bohpo.acquisition.optimize import (
    MultiStartOptimizer,
    SamplingOptimizer,
    optimize_acquisition,
    optimize_by_sampling,
)
from bohpo.acquisition.propose import (
    NUMERICAL_FAILURES,
    AcquisitionFactory,
    AcquisitionOptimizer,
    BatchRule,
    ExplorationPolicy,
    InitialDesign,
    ModelOnly,
    Proposer,
    RandomFraction,
    SobolDesign,
    Step,
    default_optimizer,
    default_surrogate,
)

__all__ = [
    "NUMERICAL_FAILURES",
    "AcquisitionFactory",
    "AcquisitionOptimizer",
    "BatchRule",
    "ConstantLiar",
    "ExpectedImprovement",
    "ExplorationPolicy",
    "InitialDesign",
    "JointBatch",
    "KrigingBeliever",
    "LogExpectedHypervolumeImprovement",
    "LogExpectedImprovement",
    "LogProbabilityOfImprovement",
    "ModelOnly",
    "MultiStartOptimizer",
    "ProbabilityOfImprovement",
    "Proposer",
    "RandomFraction",
    "SamplingOptimizer",
    "SobolDesign",
    "Step",
    "TieStagnation",
    "UpperConfidenceBound",
    "default_optimizer",
    "default_surrogate",
    "expected_improvement",
    "hypervolume_cells",
    "is_tied_and_stagnant",
    "log_expected_hypervolume_improvement",
    "log_expected_improvement",
    "optimize_acquisition",
    "optimize_by_sampling",
    "tpe_log_expected_improvement",
    "tpe_log_probability_of_improvement",
]
