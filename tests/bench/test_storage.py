"""SQLite storage: one transaction per trial, optimistic numbering, several processes writing at once."""

from __future__ import annotations

import multiprocessing
import pickle
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bohpo.bench import storage as storage_module
from bohpo.bench.storage import Storage


def _commit(storage: Storage, run_id: int, number: int, value: float = 1.0) -> None:
    storage.commit_trial(
        run_id, number, params={"x": number}, value=value, status="complete", ask_seconds=0.01, eval_seconds=0.02,
        state=f'{{"n": {number + 1}}}',
    )  # fmt: skip


def test_a_run_is_opened_once_and_extended_by_a_larger_budget(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "runs.db")
    first = storage.open_run("branin", "random", seed=0, budget=10)
    again = storage.open_run("branin", "random", seed=0, budget=5)
    assert again.id == first.id and again.budget == 10
    assert storage.open_run("branin", "random", seed=0, budget=20).budget == 20
    assert storage.open_run("branin", "random", seed=1, budget=10).id != first.id
    assert [r.seed for r in storage.runs()] == [0, 1]


def test_a_trial_and_the_state_that_includes_it_are_written_together(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "runs.db")
    run = storage.open_run("branin", "random", seed=0, budget=10)
    _commit(storage, run.id, 0)
    _commit(storage, run.id, 1, value=0.5)
    assert storage.run_state(run.id) == ('{"n": 2}', 2)
    with pytest.raises(RuntimeError, match="run 1 has 2 trials: trial 5 cannot be committed"):
        _commit(storage, run.id, 5)
    with pytest.raises(RuntimeError, match="trial 1 cannot be committed"):
        _commit(storage, run.id, 1)  # twice: refused, nothing written
    assert [(t.number, t.value, t.params) for t in storage.trials(run.id)] == [(0, 1.0, {"x": 0}), (1, 0.5, {"x": 1})]
    assert storage.run_state(run.id) == ('{"n": 2}', 2) and storage.count_trials() == 2
    storage.finish_run(run.id)
    assert storage.runs()[0].status == "done"


def test_storage_is_picklable_and_reopens_in_the_new_process(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "runs.db")
    storage.open_run("branin", "random", seed=0, budget=3)
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.path == storage.path and [r.problem for r in copy.runs()] == ["branin"]


def _writer(path: str, seed: int, n: int) -> int:
    storage = Storage(path)
    run = storage.open_run("branin", "random", seed=seed, budget=n)
    for number in range(n):
        _commit(storage, run.id, number, value=float(seed * 1000 + number))
    return run.id


def test_several_processes_write_at_once_and_nothing_is_lost(tmp_path: Path) -> None:
    path = str(tmp_path / "runs.db")
    Storage(path)
    n_writers, n_trials = 4, 60
    with ProcessPoolExecutor(n_writers, mp_context=multiprocessing.get_context("spawn")) as pool:
        ids = list(pool.map(_writer, [path] * n_writers, range(n_writers), [n_trials] * n_writers))
    storage = Storage(path)
    assert len(set(ids)) == n_writers and storage.count_trials() == n_writers * n_trials
    for run in storage.runs():
        trials = storage.trials(run.id)
        assert [t.number for t in trials] == list(range(n_trials))
        assert [t.value for t in trials] == [float(run.seed * 1000 + i) for i in range(n_trials)]


def test_a_path_is_required() -> None:
    with pytest.raises(TypeError, match="storage path must be a file path, got None"):
        Storage(None)  # type: ignore[arg-type]


def test_a_file_from_before_config_id_gets_the_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE runs (id INTEGER PRIMARY KEY, problem TEXT NOT NULL, searcher TEXT NOT NULL, seed INTEGER NOT NULL,
            budget INTEGER NOT NULL, searcher_budget INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'running',
            n_trials INTEGER NOT NULL DEFAULT 0, state TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
            UNIQUE (problem, searcher, seed));
        CREATE TABLE trials (run_id INTEGER NOT NULL REFERENCES runs (id), number INTEGER NOT NULL,
            params TEXT NOT NULL, budget REAL, value REAL, status TEXT NOT NULL, ask_seconds REAL NOT NULL,
            eval_seconds REAL NOT NULL, finished_at REAL NOT NULL, PRIMARY KEY (run_id, number));
        INSERT INTO runs VALUES (1, 'branin', 'random', 0, 2, 2, 'running', 1, '{}', 0.0, 0.0);
        INSERT INTO trials VALUES (1, 0, '{"x0": 1.0}', NULL, 3.5, 'complete', 0.1, 0.2, 0.0);
        """
    )
    old.close()
    storage = Storage(path)
    storage.commit_trial(
        1, 1, params={"x0": 2.0}, value=1.5, status="complete", ask_seconds=0.1, eval_seconds=0.2, state="{}",
        config_id=1,
    )  # fmt: skip
    assert [(t.number, t.value, t.config_id) for t in storage.trials(1)] == [(0, 3.5, None), (1, 1.5, 1)]
    Storage(path)  # opening it again changes nothing
    assert [t.config_id for t in Storage(path).trials(1)] == [None, 1]


def test_a_file_from_before_reports_reads_without_curves_and_gains_the_table_when_written(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    storage = Storage(path)
    run = storage.open_run("branin", "random", seed=0, budget=3)
    storage.commit_trial(run.id, 0, params={"x0": 1.0}, value=3.5, status="complete", ask_seconds=0.1,
                         eval_seconds=0.2, state="{}")  # fmt: skip
    with closing(sqlite3.connect(path)) as db:
        db.execute("DROP TABLE reports")  # as a file written before reports were stored
        db.commit()
    assert [t.intermediate for t in Storage(path, read_only=True).trials(run.id)] == [{}]
    with closing(sqlite3.connect(path)) as db:
        assert "reports" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}  # read: nothing written
    writer = Storage(path)
    writer.commit_trial(run.id, 1, params={"x0": 2.0}, value=1.5, status="pruned", ask_seconds=0.1,
                        eval_seconds=0.2, state="{}", intermediate={1: 2.5, 3: 1.5})  # fmt: skip
    assert [(t.status, t.intermediate) for t in writer.trials(run.id)] == [
        ("complete", {}),
        ("pruned", {1: 2.5, 3: 1.5}),
    ]


def test_a_sqlite_file_of_someone_else_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (id INTEGER, name TEXT)")
        db.execute("INSERT INTO users VALUES (1, 'ada')")
    db.close()
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"app.db is a SQLite file but not a bohpo store \(its tables: users\)"):
        Storage(path)
    assert path.read_bytes() == before  # no tables added, not even the journal mode changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]


def test_a_file_that_is_not_sqlite_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a database\n" * 100)
    with pytest.raises(sqlite3.DatabaseError, match=r"notes.db: file is not a database"):
        Storage(path)
    assert path.read_text().startswith("these are notes")


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    path.touch()
    run = Storage(path).open_run("branin", "random", seed=0, budget=3)
    assert Storage(path).runs()[0].id == run.id


def test_a_store_half_created_by_another_process_is_ours(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as db:  # what another process's first statement of the schema leaves for a moment
        db.execute(storage_module._SCHEMA.split(";")[0])
    db.close()
    run = Storage(path).open_run("branin", "random", seed=0, budget=3)  # not refused: the schema is completed
    _commit(Storage(path), run.id, 0)
    assert [t.number for t in Storage(path).trials(run.id)] == [0]


def test_a_missing_folder_is_an_error_naming_it_unless_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "reslts" / "runs.db"
    with pytest.raises(FileNotFoundError, match=r"runs.db: the folder .*reslts does not exist; create it"):
        Storage(path)
    assert not (tmp_path / "reslts").exists()
    Storage(path, make_parents=True).open_run("branin", "random", seed=0, budget=3)
    assert [r.problem for r in Storage(path).runs()] == ["branin"]


def test_an_error_of_sqlite_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    storage = Storage(path, timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None)  # another process holding the write lock
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match=r"runs.db: database is locked"):
            storage.open_run("branin", "random", seed=0, budget=3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert storage.runs() == []  # nothing was half-written, and the store works once the lock is gone
    storage.open_run("branin", "random", seed=0, budget=3)
    assert len(storage.runs()) == 1


@pytest.mark.parametrize("path", [":memory:", "file:x.db?mode=memory", "file:y.db", "FILE:z.db"])
def test_in_memory_databases_and_uris_are_refused_naming_why(path: str, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"is an in-memory database or a SQLite URI: results must outlive"):
        Storage(path)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_relative_path_is_made_absolute_in_the_users_process(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    storage = Storage("runs.db")
    assert storage.path == tmp_path / "runs.db" and storage.path.is_absolute()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # as a worker with another working folder unpickles it
    copy = pickle.loads(pickle.dumps(storage))
    copy.open_run("branin", "random", seed=0, budget=3)
    assert [r.problem for r in Storage(tmp_path / "runs.db").runs()] == ["branin"]
    assert list(elsewhere.iterdir()) == []


def test_a_store_in_a_folder_that_cannot_be_written_is_read_as_it_is(tmp_path: Path, monkeypatch: Any) -> None:
    """On a read-only mount SQLite cannot make a WAL store's shared-memory file and the first read fails: the store
    is then read in SQLite's immutable mode. (Root may write anywhere, so the failure is simulated.)"""
    path = tmp_path / "runs.db"
    writer = Storage(path)
    _commit(writer, writer.open_run("branin", "random", seed=0, budget=3).id, 0)
    writer._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")  # as a writer that closed leaves it
    writer.close()
    real = sqlite3.connect
    opened = []

    class Refusing:
        def execute(self, *args: Any) -> Any:
            raise sqlite3.OperationalError("unable to open database file")

        def close(self) -> None:
            pass

    def connect(target: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(target).rpartition("?")[2])
        return Refusing() if str(target).endswith("?mode=ro") else real(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    storage = Storage(path, read_only=True)
    assert [t.number for t in storage.trials()] == [0] and opened[-2:] == ["mode=ro", "immutable=1"]
    path.with_name("runs.db-wal").write_bytes(b"recent writes")  # immutable mode would miss them: refused
    with pytest.raises(sqlite3.OperationalError, match=r"cannot be read here without writing .* runs.db-wal holds"):
        Storage(path, read_only=True)
