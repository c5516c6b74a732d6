"""Shared fixtures: a mixed search space, and the dtype/device grid numerical tests run over."""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import settings

from bohpo.space import Categorical, Float, Int, Space

# Property tests draw the same examples on every run, so a CI result can be reproduced; set
# HYPOTHESIS_PROFILE=explore to search with fresh examples.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DEVICES = [
    "cpu",
    pytest.param(
        "cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
    ),
]
DTYPES = [torch.float32, torch.float64]


@pytest.fixture
def mixed_space() -> Space:
    """Every kind of parameter: linear and log floats and ints, and a categorical with mixed choice types."""
    return Space(
        {
            "lr": Float(1e-5, 1e-1, log=True),
            "momentum": Float(0.0, 0.99),
            "layers": Int(1, 6),
            "width": Int(8, 512, log=True),
            "act": Categorical(["relu", "tanh", None, 3]),
        }
    )
