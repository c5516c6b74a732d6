"""Problems on conditional spaces: Jenatton et al.'s tree at its known optimum."""

from __future__ import annotations

import pytest
import torch

from bohpo.problems import Jenatton, is_problem_name, make_problem


def test_jenatton_reaches_its_optimum_at_the_minimizer_and_nowhere_lower() -> None:
    problem = make_problem("jenatton")
    assert isinstance(problem, Jenatton) and is_problem_name("jenatton")
    assert problem(problem.minimizer) == pytest.approx(problem.optimum, abs=1e-15)
    grid = problem.space.grid(11)  # every tree once, floats on 11 points
    assert len(grid) == problem.space.grid_size(11) == 4 * 11 * 11
    values = [problem(config) for config in grid]
    assert min(values) == pytest.approx(problem.optimum, abs=1e-15)
    configs = problem.space.sample(2000, generator=torch.Generator().manual_seed(0))
    assert min(problem(c) for c in configs) > problem.optimum


@pytest.mark.parametrize(
    ("config", "value"),
    [
        ({"x1": 0, "x2": 0, "x4": 0.5, "r8": 0.25}, 0.25 + 0.1 + 0.25),
        ({"x1": 0, "x2": 1, "x5": 0.5, "r8": 0.25}, 0.25 + 0.2 + 0.25),
        ({"x1": 1, "x3": 0, "x6": 0.5, "r9": 0.25}, 0.25 + 0.3 + 0.25),
        ({"x1": 1, "x3": 1, "x7": 0.5, "r9": 0.25}, 0.25 + 0.4 + 0.25),
    ],
)
def test_each_leaf_is_its_own_quadratic(config: dict[str, float], value: float) -> None:
    assert make_problem("jenatton")(config) == pytest.approx(value, abs=1e-15)


def test_an_inactive_parameter_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="x3"):
        make_problem("jenatton")({"x1": 0, "x2": 0, "x4": 0.5, "r8": 0.25, "x3": 1})
