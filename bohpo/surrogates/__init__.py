"""Surrogate models of the objective, fitted on encoded observations."""

from bohpo.surrogates.base import (
    ConditionableSurrogate,
    DensityRatioSurrogate,
    FactorisingDensityRatio,
    GaussianSurrogate,
    GoodGroupCount,
    GroupedDensityRatio,
    HasLengthscales,
    SpaceBound,
    Surrogate,
    WarmStartable,
    is_density_ratio_surrogate,
    is_gaussian_surrogate,
    supports,
)
from bohpo.surrogates.gp import GP, CholeskyError
from bohpo.surrogates.gp_parts import ArcInputs, BoxLengthscalePrior, CategoryBlocks, ConditionalArcs
from bohpo.surrogates.outputs import IndependentOutputs
from bohpo.surrogates.tpe import TPE
from bohpo.surrogates.transforms import KumaraswamyWarp, YeoJohnson

__all__ = [
    "GP",
    "TPE",
    "ArcInputs",
    "BoxLengthscalePrior",
    "CategoryBlocks",
    "CholeskyError",
    "ConditionableSurrogate",
    "ConditionalArcs",
    "DensityRatioSurrogate",
    "FactorisingDensityRatio",
    "GaussianSurrogate",
    "GoodGroupCount",
    "GroupedDensityRatio",
    "HasLengthscales",
    "IndependentOutputs",
    "KumaraswamyWarp",
    "SpaceBound",
    "Surrogate",
    "WarmStartable",
    "YeoJohnson",
    "is_density_ratio_surrogate",
    "is_gaussian_surrogate",
    "supports",
]
