"""Trap problems: each takes its stated optimum where it says, nothing beats it, and the traps are where claimed
(flat regions exactly flat, plateaus within their stated ripple, ties exact, the minimiser on the boundary)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize, minimize_scalar

from bohpo.problems import (
    Boundary,
    CategoricalOffsets,
    FlagPlateau,
    Hartmann3,
    Schwefel,
    StepFunction,
    SyntheticProblem,
    is_problem_name,
    make_problem,
    problem_names,
)
from bohpo.space import Categorical, Int
from tests.conftest import DEVICES, DTYPES

BOX_PROBLEMS = [
    pytest.param(Schwefel(dim=5), id="schwefel5"),
    pytest.param(Schwefel(dim=1), id="schwefel1"),
    pytest.param(Boundary(dim=4), id="boundary4"),
    pytest.param(Boundary(dim=2), id="boundary2"),
    pytest.param(StepFunction(), id="step-function"),
]


def _sobol(problem: SyntheticProblem, n: int, seed: int = 0) -> torch.Tensor:
    lo, hi = problem.bounds[:, 0], problem.bounds[:, 1]
    U = torch.quasirandom.SobolEngine(problem.dim, scramble=True, seed=seed).draw(n, dtype=torch.float64)
    return lo + U * (hi - lo)


@pytest.mark.parametrize("problem", BOX_PROBLEMS)
def test_value_at_the_stated_minimizer_is_the_optimum(problem: SyntheticProblem) -> None:
    assert problem.evaluate_true(problem.minimizers).item() == pytest.approx(problem.optimum, abs=1e-9)
    config = {
        name: round(v) if isinstance(param, Int) else v
        for (name, param), v in zip(problem.space.items(), problem.minimizers[0].tolist(), strict=True)
    }
    assert problem(config) == pytest.approx(problem.optimum, abs=1e-9)


@pytest.mark.parametrize("problem", BOX_PROBLEMS)
def test_no_sampled_point_beats_the_optimum(problem: SyntheticProblem) -> None:
    lo, hi = problem.bounds[:, 0], problem.bounds[:, 1]
    near = problem.minimizers[0] + 1e-3 * (hi - lo) * torch.randn(
        512, problem.dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    for X in (_sobol(problem, 8192), torch.maximum(torch.minimum(near, hi), lo)):
        assert problem.evaluate_true(X).min().item() >= problem.optimum - 1e-9


@pytest.mark.parametrize("problem", [Schwefel(dim=2), Boundary(dim=4)], ids=["schwefel2", "boundary4"])
def test_local_searches_from_many_starts_find_nothing_lower(problem: SyntheticProblem) -> None:
    def f(x: np.ndarray) -> tuple[float, np.ndarray]:
        X = torch.from_numpy(x).reshape(1, -1).requires_grad_(True)
        value = problem.evaluate_true(X).sum()
        value.backward()
        assert X.grad is not None
        return value.item(), X.grad.reshape(-1).numpy()

    bounds = problem.bounds.tolist()
    for start in _sobol(problem, 16, seed=1).numpy():
        found = minimize(f, start, jac=True, method="L-BFGS-B", bounds=bounds)
        assert found.fun >= problem.optimum - 1e-9


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("problem", BOX_PROBLEMS)
def test_vectorised_evaluation_matches_one_by_one(problem: SyntheticProblem, dtype: torch.dtype, device: str) -> None:
    configs = problem.space.sample(16, generator=torch.Generator().manual_seed(2))
    values = problem.evaluate_true(problem.to_tensor(configs).to(dtype=dtype, device=device))
    assert values.shape == (16,) and values.dtype == dtype and values.device.type == device
    one_by_one = torch.tensor([problem(c) for c in configs], dtype=torch.float64)
    tol = 1e-4 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(values.double().cpu(), one_by_one, rtol=tol, atol=tol * 10)


def test_schwefel_constants_are_the_one_dimensional_minimum() -> None:
    def term(x: float) -> float:
        return -x * math.sin(math.sqrt(abs(x)))

    found = minimize_scalar(term, bounds=(400.0, 440.0), method="bounded", options={"xatol": 1e-10})
    assert found.x == pytest.approx(Schwefel.x_star, abs=1e-6)
    assert -found.fun == pytest.approx(Schwefel.c, abs=1e-9)
    grid = np.linspace(-500.0, 500.0, 2_000_001)
    assert (Schwefel.c - grid * np.sin(np.sqrt(np.abs(grid)))).min() >= -1e-9  # every term is >= 0
    assert Schwefel.x_star < Schwefel.threshold  # the minimiser lies outside the flat region


def test_schwefel_is_exactly_flat_in_its_penalty_region_and_nowhere_else() -> None:
    problem = Schwefel(dim=5)
    X = _sobol(problem, 4096)
    flat = problem.in_plateau(X)
    assert 0.2 < flat.double().mean().item() < 0.35  # 1 - 0.94^5 = 27% of the box
    values = problem.evaluate_true(X)
    assert torch.all(values[flat] == problem.plateau)
    assert problem.plateau == pytest.approx(1.2 * Schwefel.c * 5)
    rugged = values[~flat]
    assert rugged.unique().numel() == rugged.numel()  # outside it, no two points tie
    assert (rugged < problem.plateau).double().mean().item() > 0.75  # the plateau lies high
    edge = problem.minimizers.clone()
    edge[0, 2] = 440.0 + 1e-9  # just past the threshold: on the plateau
    assert problem.evaluate_true(edge).item() == problem.plateau
    edge[0, 2] = 440.0
    assert problem.evaluate_true(edge).item() < 100.0


def test_boundary_minimizer_lies_on_an_edge_and_the_function_rises_inwards() -> None:
    problem = Boundary(dim=5)
    assert problem.minimizers[0].tolist() == [1.0, 0.0, 0.3, 1.0, 0.0]
    inwards = torch.tensor([-1.0, 1.0, 0.0, -1.0, 1.0], dtype=torch.float64)  # (d,) into the box
    steps = torch.tensor([1e-4, 1e-3, 1e-2, 0.1], dtype=torch.float64).unsqueeze(-1)  # (4, 1)
    values = problem.evaluate_true(problem.minimizers[0] + steps * inwards)
    assert torch.all(values > 0) and torch.all(values[1:] > values[:-1])
    grid = torch.linspace(0, 1, 20_001, dtype=torch.float64)  # (n,)
    three = Boundary(dim=3)
    for i in range(3):  # the function is a sum of one term per coordinate: vary one, hold the others at theirs
        X = three.minimizers.repeat(len(grid), 1)  # (n, 3)
        X[:, i] = grid
        term = three.evaluate_true(X)  # (n,)
        assert term.min().item() >= -1e-12
        assert grid[term.argmin()].item() == pytest.approx(three.minimizers[0, i].item(), abs=1e-5)
        turns = (torch.diff(torch.sign(torch.diff(term))) != 0).sum().item()
        assert turns >= 2  # local minima and maxima: gently multimodal


def test_step_function_ties_exactly_on_levels_of_its_quantisation() -> None:
    problem = StepFunction()
    values = problem.evaluate_true(
        problem.to_tensor(problem.space.sample(4000, generator=torch.Generator().manual_seed(7)))
    )
    levels = (values - problem.level) / problem.step
    assert torch.allclose(levels, levels.round(), atol=1e-9)  # only the levels 0.1, 0.15, 0.2, ...
    assert values.unique().numel() < 60  # 4000 points, a few dozen distinct values
    # the bowl under the steps is positive definite, so nothing goes below the lowest level
    w = torch.diag(torch.tensor(StepFunction._weights, dtype=torch.float64))
    w[0, 3] = w[3, 0] = StepFunction._cross / 2
    assert torch.linalg.eigvalsh(w).min().item() > 0
    # the optimum is a region: neighbouring integers and nearby floats tie with the centre
    centre = {"k0": 7, "k1": 30, "k2": 4, "x0": 0.65, "x1": 0.2, "x2": 0.45}
    ties = [centre | {"k0": 8}, centre | {"k1": 29, "k2": 5}, centre | {"x0": 0.7, "x2": 0.4}]
    assert all(problem(c) == problem.optimum for c in [centre, *ties])
    ints = torch.tensor(list(itertools.product(range(1, 21), range(2, 41), range(1, 17))), dtype=torch.float64)
    floats = torch.rand(ints.shape[0], 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    assert problem.evaluate_true(torch.cat([ints, floats], dim=-1)).min().item() >= problem.optimum


FLAGS = list(itertools.product([False, True], repeat=3))


def _flag_configs(problem: FlagPlateau, flags: tuple[bool, ...], n: int, seed: int) -> list[dict[str, object]]:
    configs = problem.space.sample(n, generator=torch.Generator().manual_seed(seed))
    return [c | dict(zip(("fit_intercept", "balanced", "standardize"), flags, strict=True)) for c in configs]


def test_flag_plateau_takes_its_optimum_at_the_good_flags_basin() -> None:
    problem = FlagPlateau()
    assert problem(problem.minimizer) == pytest.approx(problem.optimum, abs=1e-15)
    assert problem.optimum == pytest.approx(0.92 * 0.25)
    assert problem.good_flags not in {(False, False, False), (True, True, True)}
    values = [problem(c) for flags in FLAGS for c in _flag_configs(problem, flags, 300, seed=4)]
    assert min(values) >= problem.optimum
    nudged = [{**problem.minimizer, "C": 10.0 * f, "max_iter": 200 + k} for f in (0.9, 1.1) for k in (-1, 1)]
    assert all(problem(c) > problem.optimum for c in nudged)


@pytest.mark.parametrize("flags", [f for f in FLAGS if f != FlagPlateau.good_flags])
def test_flag_plateau_is_within_its_stated_ripple(flags: tuple[bool, ...]) -> None:
    problem = FlagPlateau()
    values = np.array([problem(c) for c in _flag_configs(problem, flags, 500, seed=5)])
    level = problem.level * (1.01 if flags == problem.worse_flags else 1.0)
    assert problem.plateau_level(flags) == pytest.approx(level)
    assert np.all(np.abs(values / level - 1) <= problem.ripple)
    assert (values.max() - values.min()) / level <= 1e-3  # at most 0.1% of the level
    assert values.max() > values.min()  # a ripple, not a constant
    assert problem({**problem.minimizer, **dict(zip(problem._flags, flags, strict=True))}) > 0.93 * problem.level


def test_flag_plateau_basin_is_below_every_plateau() -> None:
    problem = FlagPlateau()
    assert problem.plateau_level(problem.good_flags) is None
    lowest_plateau = problem.level * (1 - problem.ripple)
    assert problem.optimum <= 0.93 * lowest_plateau  # 7% or more below
    good = [problem(c) for c in _flag_configs(problem, problem.good_flags, 500, seed=6)]
    assert max(good) <= problem.level  # the basin never rises above the plateau's level


def test_categorical_offsets_each_choice_has_its_own_minimizer_and_offset() -> None:
    problem = CategoricalOffsets()
    assert problem(problem.minimizer) == pytest.approx(problem.optimum, abs=1e-12)
    assert problem.optimum == Hartmann3().optimum
    best_x = Hartmann3().minimizers[0].tolist()
    places = set()
    for choice, offset in problem._offsets.items():
        x = problem.reflect(best_x, choice)
        places.add(tuple(round(v, 6) for v in x))
        own = {"x0": x[0], "x1": x[1], "x2": x[2], "k": 6, "c": choice}
        assert problem(own) == pytest.approx(problem.optimum + offset, abs=1e-12)
        sampled = [
            problem(c | {"c": choice}) for c in problem.space.sample(300, generator=torch.Generator().manual_seed(8))
        ]
        assert min(sampled) >= problem.optimum + offset - 1e-12
    assert len(places) == 5  # no two choices share a minimiser
    choices = problem.space["c"]
    assert isinstance(choices, Categorical) and choices.index("d") not in (0, 2)  # neither first nor middle
    assert problem({**problem.minimizer, "k": 4}) == pytest.approx(problem.optimum + 0.2)


def test_bad_dimensions_and_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match=r"Schwefel dim must be >= 1, got 0"):
        Schwefel(dim=0)
    with pytest.raises(TypeError, match=r"Boundary dim must be an int, got float 2.5"):
        Boundary(dim=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"schwefel takes X of shape \(n, 3\), got \(2, 2\)"):
        Schwefel(dim=3).evaluate_true(torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"parameter 'x0' = 600\.0 is outside \[-500\.0, 500\.0\]"):
        Schwefel(dim=1)({"x0": 600.0})
    with pytest.raises(TypeError, match=r"parameter 'k0' = 2\.5 must be an int"):
        StepFunction()({"k0": 2.5, "k1": 2, "k2": 1, "x0": 0.0, "x1": 0.0, "x2": 0.0})
    with pytest.raises(ValueError, match=r"parameter 'C' = 0\.0 is outside \[0\.001, 1000\.0\]"):
        FlagPlateau()({**FlagPlateau.minimizer, "C": 0.0})
    with pytest.raises(ValueError, match=r"parameter 'standardize' = 'yes' is not one of \[False, True\]"):
        FlagPlateau()({**FlagPlateau.minimizer, "standardize": "yes"})
    with pytest.raises(ValueError, match=r"missing parameter 'balanced'"):
        FlagPlateau()({k: v for k, v in FlagPlateau.minimizer.items() if k != "balanced"})
    with pytest.raises(ValueError, match=r"parameter 'c' = 'f' is not one of"):
        CategoricalOffsets()({**CategoricalOffsets().minimizer, "c": "f"})
    for problem in (FlagPlateau(), CategoricalOffsets()):
        with pytest.raises(ValueError, match=rf"{problem.name} has no fidelity; budget must be None, got 1"):
            problem(problem.minimizer, budget=1)


def test_registry_builds_every_trap_and_free_dimensions_by_name() -> None:
    names = {"schwefel", "flag-plateau", "step-function", "boundary", "categorical-offsets"}
    assert names <= set(problem_names())
    assert len(make_problem("schwefel-5").space) == 5 and len(make_problem("boundary", dim=7).space) == 7
    assert len(make_problem("schwefel").space) == 2
    assert len(make_problem("ackley-3").space) == 3  # every free-dimension problem takes one
    assert is_problem_name("boundary-4") and is_problem_name("flag-plateau")
    assert not any(map(is_problem_name, ["branin-3", "schwefel-0", "schwefel-x", "schwefel-", "flag-plateau-2"]))
    with pytest.raises(ValueError, match=r"problem 'schwefel-5' names its dimension already; dim must be None"):
        make_problem("schwefel-5", dim=3)
    with pytest.raises(ValueError, match=r"problem 'step-function' has a fixed dimension"):
        make_problem("step-function", dim=6)
    with pytest.raises(ValueError, match=r"unknown problem 'branin-3'"):
        make_problem("branin-3")
