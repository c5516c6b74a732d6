"""Synthetic problems: known optima at known minimisers, flat there, and never beaten anywhere else."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from bohpo.problems import (
    Ackley,
    Branin,
    Hartmann3,
    Hartmann6,
    Levy,
    Michalewicz,
    MixedBranin,
    Rosenbrock,
    SixHumpCamel,
    StyblinskiTang,
    SyntheticProblem,
    make_problem,
    problem_names,
)
from tests.conftest import DEVICES, DTYPES

PROBLEMS = [
    pytest.param(Branin(), id="branin"),
    pytest.param(Hartmann3(), id="hartmann3"),
    pytest.param(Hartmann6(), id="hartmann6"),
    pytest.param(Ackley(dim=3), id="ackley3"),
    pytest.param(Levy(dim=4), id="levy4"),
    pytest.param(Rosenbrock(dim=3), id="rosenbrock3"),
    pytest.param(StyblinskiTang(dim=3), id="styblinski-tang3"),
    pytest.param(Michalewicz(dim=5), id="michalewicz5"),
    pytest.param(SixHumpCamel(), id="six-hump-camel"),
]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_value_at_every_known_minimizer_is_the_optimum(problem: SyntheticProblem) -> None:
    values = problem.evaluate_true(problem.minimizers)
    assert values.shape == (len(problem.minimizers),)
    assert torch.allclose(values, torch.full_like(values, problem.optimum), atol=1e-4, rtol=0)
    for x in problem.minimizers:  # and through the one-config call
        config = dict(zip(problem.space.names, x.tolist(), strict=True))
        assert problem(config) == pytest.approx(problem.optimum, abs=1e-4)


@pytest.mark.parametrize("problem", [p for p in PROBLEMS if p.id != "ackley3"])  # Ackley has a kink at 0
def test_gradient_vanishes_at_the_minimizers(problem: SyntheticProblem) -> None:
    X = problem.minimizers.clone().requires_grad_(True)
    problem.evaluate_true(X).sum().backward()
    assert X.grad is not None
    scale = (problem.bounds[:, 1] - problem.bounds[:, 0]).max().item()
    assert X.grad.abs().max().item() < 1e-3 * max(1.0, abs(problem.optimum)) * scale


@pytest.mark.parametrize("problem", PROBLEMS)
def test_no_point_of_the_domain_beats_the_optimum(problem: SyntheticProblem) -> None:
    lo, hi = problem.bounds[:, 0], problem.bounds[:, 1]
    U = torch.quasirandom.SobolEngine(problem.dim, scramble=True, seed=0).draw(4096, dtype=torch.float64)
    values = problem.evaluate_true(lo + U * (hi - lo))
    near = problem.minimizers[0] + 1e-3 * torch.randn(
        256, problem.dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    near = torch.maximum(torch.minimum(near, hi), lo)
    assert values.min().item() >= problem.optimum - 1e-9
    assert problem.evaluate_true(near).min().item() >= problem.optimum - 1e-9


def _hartmann6_by_hand(x: np.ndarray) -> float:
    alpha = [1.0, 1.2, 3.0, 3.2]
    A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
    P = [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
    total = 0.0
    for i in range(4):
        inner = sum(A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2 for j in range(6))
        total -= alpha[i] * math.exp(-inner)
    return total


@pytest.mark.parametrize(
    ("problem", "x", "expected"),
    [
        (Branin(), (0.0, 0.0), 36 + 10 * (1 - 1 / (8 * math.pi)) + 10),
        (Rosenbrock(dim=2), (0.0, 0.0), 1.0),
        (Rosenbrock(dim=3), (1.0, 2.0, 0.0), 100 * 1 + 0 + 100 * 16 + 1),
        (StyblinskiTang(dim=2), (1.0, 0.0), 0.5 * (1 - 16 + 5)),
        (SixHumpCamel(), (1.0, 1.0), (4 - 2.1 + 1 / 3) + 1 + 0),
        (Levy(dim=2), (5.0, 1.0), 1 + 10 * math.sin(1.0) ** 2),  # w = (2, 1)
        (Michalewicz(dim=2), (math.pi / 2, math.pi / 2), -(math.sin(math.pi / 4) ** 20) - math.sin(math.pi / 2) ** 20),
        (Ackley(dim=2), (1.0, 0.0), -20 * math.exp(-0.2 * math.sqrt(0.5)) - math.exp(1.0) + 20 + math.e),
        (Hartmann6(), (0.5,) * 6, _hartmann6_by_hand(np.full(6, 0.5))),
    ],
)
def test_values_against_hand_computation(problem: SyntheticProblem, x: tuple[float, ...], expected: float) -> None:
    assert problem.evaluate_true(torch.tensor([x], dtype=torch.float64)).item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(("dim", "literature"), [(2, -1.8013), (5, -4.687658), (10, -9.66015)])
def test_michalewicz_optimum_matches_the_literature(dim: int, literature: float) -> None:
    problem = Michalewicz(dim=dim)
    assert problem.optimum == pytest.approx(literature, abs=1e-4)
    assert problem.evaluate_true(problem.minimizers).item() == pytest.approx(literature, abs=1e-4)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("problem", PROBLEMS)
def test_vectorised_evaluation_follows_dtype_and_device(
    problem: SyntheticProblem, dtype: torch.dtype, device: str
) -> None:
    configs = problem.space.sample(8, generator=torch.Generator().manual_seed(1))
    X = problem.to_tensor(configs)
    values = problem.evaluate_true(X.to(dtype=dtype, device=device))
    assert values.shape == (8,) and values.dtype == dtype and values.device.type == device
    one_by_one = torch.tensor([problem(c) for c in configs], dtype=torch.float64)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(values.double().cpu(), one_by_one, rtol=tol, atol=tol * 10)


def test_mixed_branin_has_its_optimum_at_the_known_combination() -> None:
    problem = MixedBranin()
    for x0, x1 in Branin().minimizers.tolist():
        assert problem({"x0": x0, "x1": x1, "k": 7, "c": "b"}) == pytest.approx(problem.optimum, abs=1e-9)
    others = problem.space.sample(2000, generator=torch.Generator().manual_seed(0))
    assert min(problem(c) for c in others) > problem.optimum
    assert problem({"x0": math.pi, "x1": 2.275, "k": 5, "c": "c"}) == pytest.approx(problem.optimum + 0.4 + 0.5)


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"branin takes X of shape \(n, 2\), got \(3,\)"):
        Branin().evaluate_true(torch.zeros(3))
    with pytest.raises(ValueError, match=r"branin has no fidelity; budget must be None, got 3"):
        Branin()({"x0": 0.0, "x1": 0.0}, budget=3)
    with pytest.raises(ValueError, match=r"parameter 'x1' = 20\.0 is outside \[0\.0, 15\.0\]"):
        Branin()({"x0": 0.0, "x1": 20.0})
    with pytest.raises(ValueError, match=r"Rosenbrock dim must be >= 2, got 1"):
        Rosenbrock(dim=1)


def test_registry_builds_every_problem() -> None:
    synthetic = [
        "ackley", "branin", "hartmann3", "hartmann6", "levy", "michalewicz", "mixed-branin", "rosenbrock",
        "six-hump-camel", "styblinski-tang",
    ]  # fmt: skip
    assert set(synthetic) <= set(problem_names()) and problem_names() == sorted(problem_names())
    assert make_problem("ackley", dim=7).dim == 7 and make_problem("levy").dim == 2
    with pytest.raises(ValueError, match=r"unknown problem 'sphere'; known: ackley, adaboost-breast-cancer"):
        make_problem("sphere")
    with pytest.raises(ValueError, match=r"problem 'branin' has a fixed dimension; dim must be None, got 3"):
        make_problem("branin", dim=3)
    assert Branin().regret(1.0) == pytest.approx(1.0 - 0.397887, abs=1e-6)
