"""A researcher's own problems and searchers in the runner: registered in-process, or named by import path so that
worker processes build them too."""

from __future__ import annotations

from pathlib import Path

import pytest

from bohpo.bench.report import load_results
from bohpo.bench.runner import run_suite
from bohpo.bench.storage import Storage
from bohpo.problems import _REGISTERED as REGISTERED_PROBLEMS
from bohpo.problems import ObjectiveProblem, make_problem, register_problem
from bohpo.searchers import register_searcher
from bohpo.searchers.registry import _FACTORIES, _REGISTERED_HERE
from tests.bench import own_parts

BOWL = "tests.bench.own_parts:bowl"


@pytest.fixture
def registered() -> object:
    register_problem("my-bowl", own_parts.make_bowl)
    register_searcher("my-random", own_parts.random_factory)
    yield
    REGISTERED_PROBLEMS.pop("my-bowl")
    _FACTORIES.pop("my-random")
    _REGISTERED_HERE.discard("my-random")


def _trials(path: Path) -> list[tuple[str, int, int, object, object]]:
    storage = Storage(path)
    runs = {r.id: r for r in storage.runs()}
    return sorted(
        (runs[t.run_id].searcher, runs[t.run_id].seed, t.number, t.params, t.value)  # type: ignore[misc]
        for t in storage.trials()
    )


def test_a_registered_problem_and_searcher_run_in_process_and_are_reported(registered: object, tmp_path: Path) -> None:
    runs = run_suite(["my-bowl"], ["my-random", "sobol"], 2, 8, tmp_path / "runs.db")
    assert {(r.searcher, r.status, r.n_trials) for r in runs} == {("my-random", "done", 8), ("sobol", "done", 8)}
    results = load_results(tmp_path / "runs.db")
    assert results.known_optimum == {"my-bowl"} and results.best_known["my-bowl"] == 0.0  # the stated optimum
    first = Storage(tmp_path / "runs.db").trials()[0]
    assert first.value == pytest.approx(own_parts._shifted_bowl(first.params))


def test_a_registered_name_is_refused_with_workers_before_anything_is_written(
    registered: object, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"'my-bowl', 'my-random' registered in this process only: .*import path"):
        run_suite(["my-bowl"], ["my-random"], 1, 4, tmp_path / "runs.db", workers=2)
    assert not (tmp_path / "runs.db").exists() or Storage(tmp_path / "runs.db").runs() == []


@pytest.mark.slow
def test_import_paths_reach_worker_processes_and_give_the_same_trials(tmp_path: Path) -> None:
    searchers = ["tests.bench.own_parts:random_factory", "tests.bench.own_parts:LatticeSearch"]
    problems = [BOWL, "tests.bench.own_parts:make_bowl"]
    run_suite(problems, searchers, 2, 7, tmp_path / "pool.db", workers=2)
    run_suite(problems, searchers, 2, 7, tmp_path / "here.db")
    assert _trials(tmp_path / "pool.db") == _trials(tmp_path / "here.db")
    lattice = [t for t in _trials(tmp_path / "here.db") if t[0].endswith("LatticeSearch")]
    assert all(round(t[3]["a"], 1) == t[3]["a"] for t in lattice)  # type: ignore[index]
    assert load_results(tmp_path / "pool.db", import_paths=True).known_optimum == set(problems)
    assert load_results(tmp_path / "pool.db").known_optimum == set()  # a file is not trusted to import unless told


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tests.bench.no_such_module:bowl", r"cannot import 'tests.bench.no_such_module'"),
        ("tests.bench.own_parts:no_such", r"'tests.bench.own_parts' has no attribute 'no_such'"),
        ("tests.bench.own_parts:not_a_problem", r"is not a Problem nor builds one: got int"),
    ],
)
def test_a_bad_import_path_is_refused_naming_what_failed(name: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=message):
        run_suite([name], ["random"], 1, 3, tmp_path / "runs.db")
    assert not (tmp_path / "runs.db").exists() or Storage(tmp_path / "runs.db").runs() == []


def test_registering_refuses_built_in_names_and_import_path_syntax() -> None:
    with pytest.raises(ValueError, match=r"'branin' is a built-in problem"):
        register_problem("branin", own_parts.bowl)
    with pytest.raises(ValueError, match=r"'levy-8' is a built-in problem"):
        register_problem("levy-8", own_parts.bowl)
    with pytest.raises(ValueError, match=r"without ':'"):
        register_problem("a:b", own_parts.bowl)
    with pytest.raises(TypeError, match=r"objective must be callable, got int"):
        ObjectiveProblem(3, own_parts.SPACE)  # type: ignore[arg-type]
    assert make_problem(BOWL) is own_parts.bowl


def test_a_conditional_problem_stores_its_trees_and_a_resume_changes_nothing(tmp_path: Path) -> None:
    """A real SQLite file: every stored configuration is a valid tree of the problem's space, both branches are
    visited, and the same suite resumed from the file adds and changes nothing."""
    db = tmp_path / "tree.db"
    run_suite(["tests.bench.own_parts:tree"], ["random", "gp-logei"], 1, 12, db)
    stored = _trials(db)
    assert len(stored) == 24
    for *_, params, _value in stored:
        assert own_parts.TREE_SPACE.validate(params) == params  # type: ignore[arg-type]
    assert {params["model"] for *_, params, _value in stored} == {"svm", "knn"}  # type: ignore[index]
    run_suite(["tests.bench.own_parts:tree"], ["random", "gp-logei"], 1, 12, db, resume=True)
    assert _trials(db) == stored
