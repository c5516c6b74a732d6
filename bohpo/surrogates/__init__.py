"""Surrogate models of the objective, fitted on encoded observations."""

from bohpo.surrogates.base import DensityRatioSurrogate, GaussianSurrogate, Surrogate, is_gaussian_surrogate
from bohpo.surrogates.gp import GP, CholeskyError
from bohpo.surrogates.transforms import KumaraswamyWarp, YeoJohnson

__all__ = [
    "GP",
    "CholeskyError",
    "DensityRatioSurrogate",
    "GaussianSurrogate",
    "KumaraswamyWarp",
    "Surrogate",
    "YeoJohnson",
    "is_gaussian_surrogate",
]
