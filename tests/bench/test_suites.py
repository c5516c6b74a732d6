"""Named suites: every one plans (its problems and searchers are registered), and the traps suite holds the traps."""

from __future__ import annotations

import pytest

from bohpo.bench.runner import plan_runs
from bohpo.bench.suites import SUITES, get_suite
from bohpo.problems import make_problem
from bohpo.searchers import searcher_names


@pytest.mark.parametrize("name", list(SUITES))
def test_every_suite_plans_its_runs(name: str) -> None:
    suite = get_suite(name)
    runs = plan_runs(suite.problems, suite.searchers, suite.seeds, suite.budget)
    assert len(runs) == len(suite.problems) * len(suite.searchers) * suite.seeds


def test_the_traps_suite_has_the_trap_problems_with_known_optima_and_the_peers_where_installed() -> None:
    suite = get_suite("traps")
    assert (suite.seeds, suite.budget) == (10, 60)
    synthetic = ["schwefel-5", "flag-plateau", "step-function", "boundary-4", "categorical-offsets"]
    assert set(synthetic) <= set(suite.problems)
    assert all(make_problem(p).optimum is not None for p in synthetic)
    assert len(make_problem("schwefel-5").space) == 5
    assert {"linear-flags-breast-cancer", "decision-tree-diabetes", "knn-breast-cancer"} <= set(suite.problems)
    assert suite.searchers[:4] == ("random", "sobol", "gp-logei", "tpe")
    peers = {"optuna-gp", "optuna-tpe", "botorch-logei"}
    assert set(suite.searchers[4:]) == peers & set(searcher_names())


def test_a_free_dimension_problem_is_planned_with_its_dimension_and_nothing_else_is() -> None:
    assert plan_runs(["boundary-3"], ["random"], 1, 5)[0].problem == "boundary-3"
    with pytest.raises(ValueError, match=r"unknown problem 'branin-3'; did you mean 'branin' or .*; known: "):
        plan_runs(["branin-3"], ["random"], 1, 5)
    with pytest.raises(ValueError, match=r"Rosenbrock dim must be >= 2, got 1"):
        plan_runs(["rosenbrock-1"], ["random"], 1, 5)
