"""minimize: the ask -> evaluate -> tell loop."""

from __future__ import annotations

from typing import Any

import pytest

from bohpo.errors import TrialFailedWarning
from bohpo.loop import minimize
from bohpo.problems import Branin
from bohpo.searchers import GridSearch, RandomSearch, SobolSearch
from bohpo.space import Float, Int, Space
from bohpo.trial import TrialStatus


def test_minimize_runs_the_loop_and_returns_the_searcher() -> None:
    problem = Branin()
    searcher = minimize(problem, problem.space, "sobol", 128, seed=0)
    assert isinstance(searcher, SobolSearch) and len(searcher.history) == 128 and not searcher.pending
    assert searcher.best is not None and searcher.best.value is not None
    # 128 Sobol points on Branin land within 1.0 of its optimum 0.398 (random points average about 55).
    assert searcher.best.value - problem.optimum < 1.0
    assert searcher.best.value == min(t.value for t in searcher.history if t.value is not None)


def test_same_seed_same_run() -> None:
    space = Space({"x": Float(-1.0, 1.0), "k": Int(0, 5)})

    def objective(p: dict[str, Any]) -> float:
        return p["x"] ** 2 + p["k"]

    a = minimize(objective, space, "random", 10, seed=3)
    b = minimize(objective, space, "random", 10, seed=3)
    assert [t.params for t in a.history] == [t.params for t in b.history]


def test_an_exception_in_the_objective_fails_only_that_trial() -> None:
    space = Space({"x": Float(0.0, 1.0)})
    calls = []

    def flaky(p: dict[str, Any]) -> float:
        calls.append(p["x"])
        if len(calls) % 3 == 0:
            raise RuntimeError("diverged")
        return p["x"]

    with pytest.warns(TrialFailedWarning, match=r"the objective raised RuntimeError: diverged; the study goes on"):
        searcher = minimize(flaky, space, "random", 9, seed=0, catch=(RuntimeError,))
    assert [t.status for t in searcher.history].count(TrialStatus.FAILED) == 3
    assert len(searcher.history) == 9 and searcher.best is not None


def test_an_objective_that_changes_its_params_does_not_touch_the_trials() -> None:
    space = Space({"x": Float(0.0, 1.0), "k": Int(0, 3)})

    def greedy(p: dict[str, Any]) -> float:
        k = p.pop("k")
        p["x"] = 5.0
        return float(k)

    searcher = minimize(greedy, space, "random", 4, seed=0)
    assert all(set(t.params) == {"x", "k"} and t.params["x"] <= 1.0 for t in searcher.history)
    RandomSearch(space).load_history(searcher.to_json())  # and the history still loads


def test_exceptions_outside_catch_stop_the_loop() -> None:
    space = Space({"x": Float(0.0, 1.0)})

    def broken(p: dict[str, Any]) -> float:
        raise KeyError("typo")

    with pytest.raises(KeyError, match="typo"):
        minimize(broken, space, "random", 3, seed=0, catch=(ValueError,))


@pytest.mark.parametrize("error", [KeyError("typo"), KeyboardInterrupt()])
def test_by_default_an_error_or_interrupt_stops_the_study_with_the_trial_recorded(error: BaseException) -> None:
    """A bug in user code (or Ctrl-C) stops the loop at once; the trial it hit stays in the history as failed, and
    the same searcher goes on (or is saved) from there."""
    space = Space({"x": Float(0.0, 1.0)})
    calls = []

    def objective(p: dict[str, Any]) -> float:
        calls.append(p["x"])
        if len(calls) == 3:
            raise error
        return p["x"]

    searcher = RandomSearch(space, seed=0)
    with pytest.raises(type(error)):
        minimize(objective, space, searcher, 10)
    assert len(calls) == 3
    assert [t.status for t in searcher.history] == [TrialStatus.COMPLETE] * 2 + [TrialStatus.FAILED]
    minimize(objective, space, searcher, 2)
    assert [t.id for t in searcher.history] == [0, 1, 2, 3, 4] and searcher.best is not None
    reference = minimize(lambda p: p["x"], space, "random", 5, seed=0)
    assert [t.params for t in searcher.history] == [t.params for t in reference.history]


def test_a_finished_grid_stops_the_loop_early() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    searcher = minimize(lambda p: p["x"] + p["y"], space, GridSearch(space, n_points=3, seed=0), 100)
    assert len(searcher.history) == 9
    assert searcher.best is not None and searcher.best.params == {"x": 0.0, "y": 0.0}


def test_minimize_continues_a_searcher_it_is_given() -> None:
    space = Space({"x": Float(0.0, 1.0)})
    searcher = RandomSearch(space, seed=0, direction="maximize")
    minimize(lambda p: p["x"], space, searcher, 5)
    minimize(lambda p: p["x"], space, searcher, 5)
    assert len(searcher.history) == 10 and searcher.best is not None
    assert searcher.best.value == max(t.value for t in searcher.history if t.value is not None)


def test_progress_bar_reports_the_trials(capsys: pytest.CaptureFixture[str]) -> None:
    space = Space({"x": Float(0.0, 1.0)})
    minimize(lambda p: p["x"], space, "random", 4, seed=0, progress=True)
    err = capsys.readouterr().err
    assert "4/4" in err and "best=" in err


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"searcher": "nope"}, ValueError, r"unknown searcher 'nope'"),
        ({"n_trials": 0}, ValueError, r"n_trials must be >= 1, got 0"),
        ({"searcher": 3}, TypeError, r"searcher must be a Searcher or a registered name, got int"),
        ({"objective": 5}, TypeError, r"objective must be callable, got int"),
        ({"catch": None}, TypeError, r"catch must be a tuple of exception classes, got None"),
        ({"searcher": RandomSearch(Space({"y": Float(0.0, 1.0)}))}, ValueError, r"is not the given space"),
        ({"searcher": RandomSearch(Space({"x": Float(0.0, 1.0)})), "seed": 1}, ValueError, r"belong to the searcher"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    args: dict[str, Any] = {
        "objective": lambda p: p["x"],
        "space": Space({"x": Float(0.0, 1.0)}),
        "searcher": "random",
        "n_trials": 2,
    }
    args.update(kwargs)
    with pytest.raises(error, match=message):
        minimize(**args)
