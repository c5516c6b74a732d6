"""Surrogate models of the objective, fitted on encoded observations."""

from bohpo.surrogates.base import DensityRatioSurrogate, GaussianSurrogate, Surrogate
from bohpo.surrogates.gp import GP, CholeskyError

__all__ = ["GP", "CholeskyError", "DensityRatioSurrogate", "GaussianSurrogate", "Surrogate"]
