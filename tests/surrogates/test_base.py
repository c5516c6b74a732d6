"""The surrogate protocols and the class-level feature check."""

from __future__ import annotations

import pytest
import torch

from bohpo.surrogates import (
    GP,
    TPE,
    ConditionableSurrogate,
    DensityRatioSurrogate,
    FactorisingDensityRatio,
    GaussianSurrogate,
    HasLengthscales,
    SpaceBound,
    WarmStartable,
    supports,
)

FEATURES = [GaussianSurrogate, DensityRatioSurrogate, ConditionableSurrogate, HasLengthscales, WarmStartable,
            SpaceBound, FactorisingDensityRatio]  # fmt: skip


def test_bohpos_surrogates_declare_their_features_before_any_fit() -> None:
    expected = {
        GP: {GaussianSurrogate, ConditionableSurrogate, HasLengthscales, WarmStartable, SpaceBound},
        TPE: {DensityRatioSurrogate, SpaceBound, FactorisingDensityRatio},
    }
    for cls, features in expected.items():
        assert {f for f in FEATURES if supports(cls(), f)} == features


def test_supports_looks_on_the_class_where_isinstance_would_read_a_property_that_raises() -> None:
    gp = GP()
    with pytest.raises(RuntimeError, match="not fitted"):
        _ = gp.lengthscale
    assert supports(gp, HasLengthscales)
    X = torch.rand(6, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    gp.fit(X, X.sum(-1))
    assert isinstance(gp, HasLengthscales) and isinstance(gp, ConditionableSurrogate)  # the protocols agree, fitted


def test_a_member_that_is_not_callable_does_not_count_as_a_method() -> None:
    class Odd:
        condition_on_mean = None

        def fit(self, X: torch.Tensor, y: torch.Tensor) -> Odd:
            return self

        def predict(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return X[..., 0], X[..., 0]

        @property
        def best_y(self) -> torch.Tensor:
            return torch.tensor(0.0)

    assert supports(Odd(), GaussianSurrogate) and not supports(Odd(), ConditionableSurrogate)
