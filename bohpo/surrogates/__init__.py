"""Surrogate models of the objective, fitted on encoded observations."""

from bohpo.surrogates.base import (
    DensityRatioSurrogate,
    GaussianSurrogate,
    Surrogate,
    is_density_ratio_surrogate,
    is_gaussian_surrogate,
)
from bohpo.surrogates.gp import GP, CholeskyError
from bohpo.surrogates.tpe import TPE
from bohpo.surrogates.transforms import KumaraswamyWarp, YeoJohnson

__all__ = [
    "GP",
    "TPE",
    "CholeskyError",
    "DensityRatioSurrogate",
    "GaussianSurrogate",
    "KumaraswamyWarp",
    "Surrogate",
    "YeoJohnson",
    "is_density_ratio_surrogate",
    "is_gaussian_surrogate",
]
