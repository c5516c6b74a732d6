"""The runner: every trial stored as it finishes, the same trials however the work is spread or interrupted."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from bohpo.bench import runner as runner_module
from bohpo.bench.report import load_results, markdown
from bohpo.bench.runner import RunSpec, plan_runs, run_suite, trial_cost
from bohpo.bench.storage import Storage
from bohpo.cli import main
from bohpo.problems import make_problem
from bohpo.searchers import make_searcher


def _params_by_run(path: Path) -> dict[tuple[str, str, int], list[dict[str, Any]]]:
    storage = Storage(path)
    return {(r.problem, r.searcher, r.seed): [t.params for t in storage.trials(r.id)] for r in storage.runs()}


def test_plan_checks_every_name_seed_and_budget() -> None:
    assert plan_runs(["branin"], ["random", "sobol"], 2, 5) == [
        RunSpec("branin", "random", 0, 5), RunSpec("branin", "random", 1, 5),
        RunSpec("branin", "sobol", 0, 5), RunSpec("branin", "sobol", 1, 5),
    ]  # fmt: skip
    assert [s.seed for s in plan_runs(["branin"], ["random"], [3, 7], 5)] == [3, 7]
    for args, message in [
        ((["nope"], ["random"], 1, 5), "unknown problem 'nope'; known: "),
        ((["branin"], ["tpe-x"], 1, 5), r"unknown searcher 'tpe-x'; did you mean 'tpe'\?; known: "),
        ((["branin"], ["random"], 1, 0), "budget must be an int >= 1, got 0"),
        ((["branin"], ["random"], 0, 5), "seeds must be a count >= 1"),
        ((["branin"], ["random"], [1, 1], 5), "seeds must be distinct"),
        (("branin", ["random"], 1, 5), "give a list of at least one problem name"),
    ]:
        with pytest.raises(ValueError, match=message):
            plan_runs(*args)


def test_a_suite_stores_every_trial_with_its_timings(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    runs = run_suite(["branin", "mixed-branin"], ["random", "gp-logei"], 2, 8, db)
    assert len(runs) == 8 and all(r.status == "done" and r.n_trials == 8 for r in runs)
    storage = Storage(db)
    problem = make_problem("branin")
    for run in storage.runs():
        trials = storage.trials(run.id)
        assert [t.number for t in trials] == list(range(8))
        assert all(t.status == "complete" and t.ask_seconds >= 0 and t.eval_seconds >= 0 for t in trials)
        if run.problem == "branin":  # the stored value is the problem's value at the stored params
            assert all(abs(problem(t.params) - t.value) < 1e-12 for t in trials)  # type: ignore[operator]


def test_same_seeds_same_trials_and_bad_input_writes_nothing(tmp_path: Path) -> None:
    run_suite(["branin"], ["gp-logei", "sobol"], [0, 5], 9, tmp_path / "a.db")
    run_suite(["branin"], ["gp-logei", "sobol"], [0, 5], 9, tmp_path / "b.db")
    assert _params_by_run(tmp_path / "a.db") == _params_by_run(tmp_path / "b.db")
    with pytest.raises(ValueError, match="unknown searcher"):
        run_suite(["branin"], ["gp-logei", "bogus"], 1, 9, tmp_path / "c.db")
    assert Storage(tmp_path / "c.db").runs() == []


def test_runs_are_not_mixed_by_mistake_and_resume_extends_them(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    run_suite(["branin"], ["gp-logei"], 1, 6, db)
    with pytest.raises(ValueError, match=r"already holds 1 of these runs .* pass resume=True"):
        run_suite(["branin"], ["gp-logei"], 1, 10, db)
    run_suite(["branin"], ["gp-logei"], 1, 10, db, resume=True)  # a larger budget continues the run
    run_suite(["branin"], ["gp-logei"], 1, 10, tmp_path / "straight.db")
    assert _params_by_run(db) == _params_by_run(tmp_path / "straight.db")
    assert Storage(db).runs()[0].n_trials == 10


def test_a_failing_objective_is_a_failed_trial_not_a_failed_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    branin = make_problem("branin")

    class Fragile:
        space = branin.space

        def __call__(self, params: dict[str, Any], budget: float | None = None) -> float:
            if params["x0"] > 5:
                raise RuntimeError("diverged")
            return branin(params)

    monkeypatch.setattr(runner_module, "make_problem", lambda name: Fragile())
    with pytest.warns(Warning, match="diverged"):
        run_suite(["branin"], ["random"], 1, 12, tmp_path / "runs.db")
    trials = Storage(tmp_path / "runs.db").trials()
    assert len(trials) == 12
    assert {t.status for t in trials if t.params["x0"] > 5} == {"failed"}
    assert all(t.value is None for t in trials if t.status == "failed")


def test_worker_processes_give_the_same_trials(tmp_path: Path) -> None:
    run_suite(["branin", "hartmann3"], ["random", "gp-logei"], 1, 7, tmp_path / "one.db")
    run_suite(["branin", "hartmann3"], ["random", "gp-logei"], 1, 7, tmp_path / "pool.db", workers=2)
    assert _params_by_run(tmp_path / "one.db") == _params_by_run(tmp_path / "pool.db")


@pytest.mark.slow
def test_the_same_trials_whatever_the_thread_count_in_process_or_in_workers(tmp_path: Path) -> None:
    # Hartmann6's GP study, seed 0, gave other points within its 25 trials under two torch threads than under one
    # before the model step ran on one thread: a GP fit amplifies the last bits that a threaded reduction changes

    threads = torch.get_num_threads()
    try:
        for n_threads in (1, 2):
            torch.set_num_threads(n_threads)
            run_suite(["hartmann6"], ["gp-logei"], [0], 25, tmp_path / f"threads{n_threads}.db")
            assert torch.get_num_threads() == n_threads  # the process's setting is left as it was
    finally:
        torch.set_num_threads(threads)
    run_suite(["hartmann6"], ["gp-logei"], [0], 25, tmp_path / "workers.db", workers=2)
    one = _params_by_run(tmp_path / "threads1.db")
    assert len(one[("hartmann6", "gp-logei", 0)]) == 25
    assert _params_by_run(tmp_path / "threads2.db") == one
    assert _params_by_run(tmp_path / "workers.db") == one


def _bench_command(db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "bohpo", "bench", "run", "--problems", "branin,hartmann3", "--searchers",
            "gp-logei,random", "--seeds", "2", "--budget", "14", "--db", str(db), "--no-progress", *extra]  # fmt: skip


def test_a_killed_run_resumes_with_nothing_lost_or_evaluated_twice(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for kill_after in (5, 23):  # kill twice, at different points, SIGKILL: no chance to clean up
        extra = ("--resume",) if db.exists() else ()
        process = subprocess.Popen(_bench_command(db, *extra), env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if db.exists() and Storage(db).count_trials() >= kill_after:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    committed = Storage(db).count_trials()
    assert 23 <= committed < 4 * 14
    finished = subprocess.run(_bench_command(db, "--resume"), env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    straight = tmp_path / "straight.db"
    subprocess.run(_bench_command(straight), env=env, check=True, capture_output=True, timeout=300)
    assert _params_by_run(db) == _params_by_run(straight)  # the same trials as a run never interrupted
    storage = Storage(db)
    for run in storage.runs():
        assert run.status == "done" and [t.number for t in storage.trials(run.id)] == list(range(14))


@pytest.mark.slow
def test_a_suite_runs_on_a_real_dask_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    started_in = tmp_path / "cluster"
    started_in.mkdir()
    monkeypatch.chdir(started_in)  # the workers' working folder
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        run_suite(["branin"], ["random", "gp-logei"], 2, 6, tmp_path / "dask.db", executor=client.get_executor())
        workers = set(client.run(os.getpid).values())
        monkeypatch.chdir(tmp_path)  # the user's, now another than the workers'
        run_suite(["branin"], ["random"], 1, 3, "relative.db", executor=client.get_executor())
        assert Storage(tmp_path / "relative.db").count_trials() == 3  # where the user meant, not in the workers'
        assert list(started_in.iterdir()) == []
        # the command, given the scheduler's address
        argv = ["bench", "run", "--problems", "branin", "--searchers", "random,gp-logei", "--seeds", "2",
                "--budget", "6", "--db", str(tmp_path / "cli.db"), "--no-progress",
                "--dask-scheduler", cluster.scheduler_address]  # fmt: skip
        assert main(argv) == 0
    run_suite(["branin"], ["random", "gp-logei"], 2, 6, tmp_path / "local.db")
    assert _params_by_run(tmp_path / "dask.db") == _params_by_run(tmp_path / "local.db")
    assert _params_by_run(tmp_path / "cli.db") == _params_by_run(tmp_path / "local.db")
    assert len(workers) == 2 and os.getpid() not in workers


def test_a_thread_pool_works_too(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        run_suite(["branin"], ["random", "sobol"], 2, 5, tmp_path / "threads.db", executor=pool)
    run_suite(["branin"], ["random", "sobol"], 2, 5, tmp_path / "local.db")
    assert _params_by_run(tmp_path / "threads.db") == _params_by_run(tmp_path / "local.db")


def test_a_budget_sized_searcher_keeps_its_plan_when_a_resume_extends_the_run(tmp_path: Path) -> None:
    db = tmp_path / "grid.db"
    run_suite(["branin"], ["grid"], 1, 5, db)
    first = _params_by_run(db)[("branin", "grid", 0)]
    runs = run_suite(["branin"], ["grid"], 1, 40, db, resume=True)  # the 5-point grid runs out: done early
    assert runs[0].status == "done" and _params_by_run(db)[("branin", "grid", 0)][:5] == first


def test_multi_fidelity_searchers_run_on_multi_fidelity_problems(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    run_suite(["mf-branin"], ["hyperband", "asha", "random"], 1, 6, db)
    storage = Storage(db)
    problem = make_problem("mf-branin")
    cost = trial_cost(problem)
    results = load_results(db)
    for run in storage.runs():
        trials = storage.trials(run.id)
        for t in trials:
            assert t.value == problem(t.params, t.budget)
        budgets = {t.budget for t in trials}
        spent = np.cumsum([cost(t.budget) for t in trials])
        if run.searcher == "random":  # no budgets: every trial at the full one, and one trial costs one
            assert budgets == {None} and len(trials) == 6
        else:  # 6 full evaluations' worth, and not a trial more
            assert budgets <= {1.0, 3.0, 9.0, 27.0, 81.0}
            assert spent[-1] >= 6 - 1e-9 > spent[-2] and len(trials) > 6
        # config_id names the trial that first evaluated the configuration; a promotion carries it up
        for t in trials:
            origin = trials[t.config_id]  # type: ignore[index]
            assert origin.params == t.params and origin.config_id == origin.number <= t.number
            assert origin.budget is None or origin.budget <= t.budget  # type: ignore[operator]
        promoted = [t for t in trials if t.config_id != t.number]
        assert bool(promoted) == (run.searcher != "random")
        # the curve is read at equal cost: step k holds the best full-budget value among the trials spent by then
        curve = results.curves[("mf-branin", run.searcher)][0]
        assert curve.shape == (6,)
        full = np.array([t.value if t.budget in (None, 81.0) else np.nan for t in trials])
        for k in range(5):
            by_then = full[spent <= k + 1 + 1e-9]
            expected = np.nanmin(by_then) if np.isfinite(by_then).any() else np.nan
            np.testing.assert_equal(curve[k], expected)
        assert curve[-1] == np.nanmin(full)  # the last trial, which may overshoot, counts in the last step
    # Hyperband's first bracket reaches the full budget after 5 evaluations' worth (81 at 1, 27 at 3, ... 1 at 81)
    assert np.isnan(results.curves[("mf-branin", "hyperband")][0, :4]).all()
    assert np.isfinite(results.curves[("mf-branin", "hyperband")][0, -1])


def test_a_trial_costs_its_share_of_the_full_budget() -> None:
    cost = trial_cost(make_problem("mf-branin"))  # budgets 1 to 81
    assert (cost(27.0), cost(81.0), cost(None)) == (1 / 3, 1.0, 1.0)
    assert trial_cost(make_problem("branin"))(None) == 1.0


def test_a_multi_fidelity_run_stored_when_budgets_counted_trials_is_read_as_far_as_it_went_and_continued(
    tmp_path: Path,
) -> None:
    db = tmp_path / "runs.db"
    storage = Storage(db)
    problem = make_problem("mf-branin")
    run = storage.open_run("mf-branin", "hyperband", seed=0, budget=6)
    searcher = make_searcher("hyperband", problem.space, seed=0, budgets=(1.0, 81.0))
    for number in range(6):  # six trials at budget 1 (6/81 of one evaluation), marked done
        trial = searcher.ask()
        searcher.tell(trial, problem(trial.params, trial.budget))
        storage.commit_trial(
            run.id, number, params=trial.params, value=trial.value, status="complete", ask_seconds=0.0,
            eval_seconds=0.0, state=searcher.to_json(), budget=trial.budget, config_id=trial.config_id,
        )  # fmt: skip
    storage.finish_run(run.id)
    curve = load_results(db).curves[("mf-branin", "hyperband")]
    assert curve.shape == (1, 1) and np.isnan(curve).all()  # one step reached, no full-budget value in it
    before = [(t.params, t.budget) for t in storage.trials(run.id)]
    run_suite(["mf-branin"], ["hyperband"], [0], 6, db, resume=True)  # continued to 6 evaluations' worth
    trials = storage.trials(run.id)
    cost = trial_cost(problem)
    assert [(t.params, t.budget) for t in trials[:6]] == before
    assert sum(cost(t.budget) for t in trials) >= 6 - 1e-9
    assert load_results(db).curves[("mf-branin", "hyperband")].shape == (1, 6)


def test_a_multi_fidelity_run_extended_on_resume_goes_on_as_one_long_run(tmp_path: Path) -> None:
    run_suite(["mf-hartmann6"], ["asha"], 1, 2, tmp_path / "cut.db")
    run_suite(["mf-hartmann6"], ["asha"], 1, 4, tmp_path / "cut.db", resume=True)
    run_suite(["mf-hartmann6"], ["asha"], 1, 4, tmp_path / "whole.db")
    cut, whole = Storage(tmp_path / "cut.db"), Storage(tmp_path / "whole.db")
    rows = [[(t.params, t.budget, t.value, t.config_id) for t in s.trials()] for s in (cut, whole)]
    assert rows[0] == rows[1] and cut.runs()[0].status == "done"


def test_a_multi_fidelity_searcher_on_a_problem_without_budgets_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match=r"hyperband choose budgets, so they need multi-fidelity problems; 'branin'"):
        run_suite(["branin"], ["hyperband"], 1, 5, tmp_path / "runs.db")
    assert not (tmp_path / "runs.db").exists() or Storage(tmp_path / "runs.db").runs() == []


def test_the_progress_bars_name_the_file_and_the_run_in_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_suite(["branin"], ["random", "sobol"], [0, 3], 4, tmp_path / "named.db", progress=True)
    err = capsys.readouterr().err
    assert "runs into named.db" in err and "4/4" in err
    assert "random on branin, seed 0" in err and "sobol on branin, seed 3" in err


def _edit(path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        for statement in statements:
            db.execute(statement)


def test_a_resume_refuses_another_seeds_state_naming_the_run(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    run_suite(["branin"], ["random"], [0, 1], 4, db)
    _edit(db, "UPDATE runs SET state = (SELECT state FROM runs WHERE seed = 1) WHERE seed = 0")
    with pytest.raises(RuntimeError) as failure:
        run_suite(["branin"], ["random"], [0, 1], 6, db, resume=True)
    cause = failure.value.__cause__
    assert isinstance(cause, ValueError) and "seed 0): its stored state is that of another seed" in str(cause)
    assert str(db) in str(cause)


def test_a_resume_refuses_a_run_whose_trial_rows_were_deleted(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    run_suite(["branin"], ["random"], 1, 5, db)
    _edit(db, "DELETE FROM trials WHERE number >= 3")
    with pytest.raises(RuntimeError) as failure:
        run_suite(["branin"], ["random"], 1, 8, db, resume=True)
    assert "5 trials recorded, 3 trial rows stored, 5 in the searcher's state" in str(failure.value.__cause__)
    assert Storage(db).count_trials() == 5 and len(Storage(db).trials()) == 3  # nothing added to the damage


def test_a_damaged_file_is_refused_before_a_resume_or_a_report(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    run_suite(["branin"], ["random"], 1, 5, db)
    _edit(db, "PRAGMA wal_checkpoint(TRUNCATE)")
    with closing(sqlite3.connect(db)) as raw:  # an index's first page overwritten: damage quick_check finds
        root = raw.execute("SELECT rootpage FROM sqlite_master WHERE type = 'index'").fetchone()[0]
        size = raw.execute("PRAGMA page_size").fetchone()[0]
    with open(db, "r+b") as file:
        file.seek((root - 1) * size)
        file.write(b"\xff" * 64)
    with pytest.raises(sqlite3.DatabaseError, match=r"runs.db: the database is damaged"):
        run_suite(["branin"], ["random"], 1, 8, db, resume=True)
    with pytest.raises(sqlite3.DatabaseError, match=r"runs.db: the database is damaged"):
        load_results(db)


_CURVES = "tests.bench.own_parts:curves"


def test_a_searcher_with_a_pruner_stores_curves_and_pruned_trials(tmp_path: Path) -> None:
    """Every run on a problem with a learning curve stores its curves; with a pruner some trials stop early, stored
    as pruned at their last report. A pruner does not change random search's proposals, only how far each goes."""
    db = tmp_path / "curves.db"
    run_suite([_CURVES], ["random", "random+median", "random+hyperband"], 2, 20, db)
    storage = Storage(db, read_only=True)
    by_searcher = {}
    for run in storage.runs():
        trials = storage.trials(run.id)
        by_searcher.setdefault(run.searcher, []).append(trials)
        state = json.loads(storage.run_state(run.id)[0])
        assert [t.intermediate for t in trials] == [
            {int(step): value for step, value in row["intermediate"]} for row in state["trials"]
        ]
    for trials in by_searcher["random"]:
        assert all(t.status == "complete" and list(t.intermediate) == list(range(1, 10)) for t in trials)
    for name in ("random+median", "random+hyperband"):
        stopped = [t for trials in by_searcher[name] for t in trials if t.status == "pruned"]
        assert len(stopped) >= 5, name
        assert all(t.value == t.intermediate[max(t.intermediate)] and len(t.intermediate) < 9 for t in stopped)
    plain, median = by_searcher["random"], by_searcher["random+median"]
    assert [[t.params for t in run] for run in plain] == [[t.params for t in run] for run in median]
    results = load_results(storage, import_paths=True)
    steps = {searcher: results.steps_trained[(_CURVES, searcher)] for searcher in by_searcher}
    assert steps["random"].tolist() == [180, 180] and (steps["random+median"] < 180).all()
    assert "| steps trained per run |" in markdown(results)


def test_a_pruner_needs_a_problem_with_a_learning_curve_and_a_known_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"random\+median stop trials from their learning curves; 'branin'"):
        plan_runs(["branin"], ["random+median"], 1, 3)
    with pytest.raises(ValueError, match="unknown pruner 'medain'; did you mean 'median'"):
        plan_runs([_CURVES], ["random+medain"], 1, 3)
    assert not (tmp_path / "nothing.db").exists()


def test_a_killed_run_with_a_pruner_resumes_with_its_curves(tmp_path: Path) -> None:
    """SIGKILL mid-run: the committed trials keep their curves and statuses, and the resumed run ends with the
    trials, curves and prunings of a run never interrupted."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def command(db: Path, *extra: str) -> list[str]:
        return [sys.executable, "-m", "bohpo", "bench", "run", "--problems", _CURVES, "--searchers",
                "tpe+median,random+successive-halving", "--seeds", "1", "--budget", "24", "--db", str(db),
                "--no-progress", *extra]  # fmt: skip

    db = tmp_path / "killed.db"
    process = subprocess.Popen(command(db), env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists() and Storage(db).count_trials() >= 15:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert Storage(db).count_trials() < 48
    finished = subprocess.run(command(db, "--resume"), env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    straight = tmp_path / "straight.db"
    subprocess.run(command(straight), env=env, check=True, capture_output=True, timeout=300)

    def stored(path: Path) -> dict[str, list[tuple[Any, ...]]]:
        storage = Storage(path)
        return {
            r.searcher: [(t.params, t.status, t.value, t.intermediate) for t in storage.trials(r.id)]
            for r in storage.runs()
        }

    resumed, uninterrupted = stored(db), stored(straight)
    assert resumed == uninterrupted
    assert any(status == "pruned" for rows in resumed.values() for _, status, _, _ in rows)
