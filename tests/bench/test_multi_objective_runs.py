"""Multi-objective and constrained problems through the runner, the SQLite storage and the report."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch

from bohpo.bench.report import load_results, markdown, outcome_values
from bohpo.bench.runner import plan_runs, run_suite
from bohpo.bench.storage import Storage
from bohpo.objectives import hypervolume
from bohpo.problems import make_problem
from bohpo.problems.multi_objective import MultiObjectiveProblem, make_multi_objective_problem
from bohpo.searchers import BayesianOptimizer, make_searcher


def test_storage_round_trips_objective_and_constraint_values(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "runs.db")
    run = storage.open_run("branin-currin", "random", seed=0, budget=2)
    storage.commit_trial(run.id, 0, params={"x0": 0.1}, value=None, status="complete", ask_seconds=0.0,
                         eval_seconds=0.0, state="{}", values=(1.5, -2.0), constraints=(0.25,))  # fmt: skip
    storage.commit_trial(run.id, 1, params={"x0": 0.2}, value=3.0, status="complete", ask_seconds=0.0,
                         eval_seconds=0.0, state="{}")  # fmt: skip
    again = Storage(tmp_path / "runs.db", read_only=True).trials(run.id)
    assert [(t.values, t.constraints) for t in again] == [((1.5, -2.0), (0.25,)), (None, None)]


def test_a_file_from_before_objective_values_gets_the_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    storage = Storage(path)
    run = storage.open_run("branin", "random", seed=0, budget=1)
    storage.commit_trial(run.id, 0, params={"x0": 0.1}, value=2.0, status="complete", ask_seconds=0.0,
                         eval_seconds=0.0, state="{}")  # fmt: skip
    with sqlite3.connect(path) as db:  # as written before the columns existed
        db.execute("ALTER TABLE trials DROP COLUMN objective_values")
        db.execute("ALTER TABLE trials DROP COLUMN constraint_values")
    assert [t.values for t in Storage(path, read_only=True).trials(run.id)] == [None]
    reopened = Storage(path)
    reopened.commit_trial(run.id, 1, params={"x0": 0.2}, value=None, status="complete", ask_seconds=0.0,
                          eval_seconds=0.0, state="{}", values=(1.0, 2.0))  # fmt: skip
    assert [(t.value, t.values) for t in reopened.trials(run.id)] == [(2.0, None), (None, (1.0, 2.0))]


def test_a_suite_of_multi_objective_and_constrained_problems_is_stored_and_reported(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    problems, searchers = ["branin-currin", "constrained-branin-currin"], ["random", "genetic"]
    run_suite(problems, searchers, 2, 12, db)
    storage = Storage(db, read_only=True)
    for run in storage.runs():
        problem = make_multi_objective_problem(run.problem)
        trials = storage.trials(run.id)
        assert len(trials) == 12 and all(t.values is not None and t.value is None for t in trials)
        assert all((t.constraints is not None) == bool(problem.objectives.constraints) for t in trials)
        # the stored values are the problem's at the stored params
        first = problem(trials[0].params)
        assert trials[0].values == tuple(first.values.values())
    results = load_results(db)
    assert results.hypervolume == set(problems)
    for name in problems:
        problem = make_multi_objective_problem(name)
        assert results.best_known[name] == pytest.approx(-problem.max_hypervolume)  # type: ignore[operator]
        regret = results.regret(name, "random")
        assert regret.shape == (2, 12) and (np.diff(regret[:, 5:], axis=1) <= 1e-12).all()
    text = markdown(results)
    assert "hypervolume regret" in text and "branin-currin" in text
    # a resume with a larger budget continues the same runs
    run_suite(problems, searchers, 2, 14, db, resume=True)
    assert all(len(Storage(db).trials(r.id)) == 14 for r in Storage(db).runs())


def test_outcome_values_are_minus_the_hypervolume_of_the_feasible_prefix(tmp_path: Path) -> None:
    problem = make_multi_objective_problem("constrained-branin-currin")
    db = tmp_path / "runs.db"
    run_suite(["constrained-branin-currin"], ["random"], 1, 15, db)
    trials = Storage(db).trials()
    values = outcome_values(problem, trials)
    reference = torch.tensor([problem.reference["f0"], problem.reference["f1"]], dtype=torch.float64)
    for n in (5, 10, 15):
        kept = [t.values for t in trials[:n] if all(c <= 0 for c in t.constraints)]  # type: ignore[union-attr]
        expected = -hypervolume(torch.tensor(kept, dtype=torch.float64), reference) if kept else np.nan
        assert values[n - 1] == pytest.approx(expected, nan_ok=True)


def test_searchers_that_take_one_objective_are_refused_before_anything_runs() -> None:
    assert isinstance(make_problem("zdt1"), MultiObjectiveProblem)
    with pytest.raises(ValueError, match="cannot search them"):
        plan_runs(["zdt1"], ["cmaes"], 1, 5)
    with pytest.raises(ValueError, match="'zdt1' reports none"):
        plan_runs(["zdt1"], ["random+median"], 1, 5)
    assert len(plan_runs(["zdt1"], ["gp-logei", "tpe"], 2, 5)) == 4
    problem = make_multi_objective_problem("zdt1")
    searcher = make_searcher("gp-logei", problem.space, seed=0, **problem.searcher_options())
    assert isinstance(searcher, BayesianOptimizer) and searcher.objectives.count == 2
    with pytest.raises(ValueError, match="takes one objective"):
        make_searcher("cmaes", problem.space, **problem.searcher_options())
    with pytest.raises(TypeError, match="scores one output"):
        BayesianOptimizer(problem.space, acquisition="ucb", objectives=["a", "b"])
