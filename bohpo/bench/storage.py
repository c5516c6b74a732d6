"""Durable storage of benchmark runs: one SQLite file, safe with several processes writing at once.

Three tables:
    runs    one row per (problem, searcher, seed): the planned budget, the status (``running`` / ``done``), the number
            of trials committed, and the searcher's saved state (its JSON history) after the last of them;
    trials  one row per finished trial: its number in the run, params (JSON), budget, value, status (``complete``,
            ``failed`` or ``pruned``), the seconds the searcher took to ask it and the seconds the evaluation took,
            when, and its ``config_id`` (the trial number that first evaluated its configuration: a multi-fidelity
            searcher's promoted trials share it). A file written before ``config_id`` existed gets the column when
            opened; its old rows hold NULL there;
    reports one row per value a trial reported while it trained (its learning curve): run, trial number, step,
            value; written with the trial. A file from before it gets the table when opened for writing; read-only,
            its trials have no reports.

A trial and the searcher state that includes it are written in one transaction, so after a crash (even SIGKILL) the
file holds a consistent prefix of every run: resuming loads the state and asks the next trial, which is the one the
uninterrupted run would have asked (searchers draw their randomness from their seed and ask counter). WAL mode lets
readers (a report, a progress bar) work while runs write; writers take turns through SQLite's lock, waiting up to
``timeout`` seconds. Writers must share one host (local processes, or Dask workers on this machine): SQLite's
locking, and WAL mode in particular, does not work over network file systems.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RunRecord", "Storage", "TrialRecord"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    problem TEXT NOT NULL,
    searcher TEXT NOT NULL,
    seed INTEGER NOT NULL,
    budget INTEGER NOT NULL,
    searcher_budget INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    n_trials INTEGER NOT NULL DEFAULT 0,
    state TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    UNIQUE (problem, searcher, seed)
);
CREATE TABLE IF NOT EXISTS trials (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    number INTEGER NOT NULL,
    params TEXT NOT NULL,
    budget REAL,
    value REAL,
    status TEXT NOT NULL,
    ask_seconds REAL NOT NULL,
    eval_seconds REAL NOT NULL,
    finished_at REAL NOT NULL,
    config_id INTEGER,
    objective_values TEXT,
    constraint_values TEXT,
    PRIMARY KEY (run_id, number)
);
CREATE TABLE IF NOT EXISTS reports (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    number INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, number, step)
);
"""


_ADDED_COLUMNS = {"config_id": "INTEGER", "objective_values": "TEXT", "constraint_values": "TEXT"}  # since version 1


@dataclass(frozen=True)
class RunRecord:
    """A row of ``runs`` (without the saved state)."""

    id: int
    problem: str
    searcher: str
    seed: int
    budget: int
    status: str
    n_trials: int


@dataclass(frozen=True)
class TrialRecord:
    """A row of ``trials``, params decoded from JSON."""

    run_id: int
    number: int
    params: dict[str, Any]
    budget: float | None
    value: float | None
    status: str
    ask_seconds: float
    eval_seconds: float
    finished_at: float
    config_id: int | None = None
    intermediate: dict[int, float] = field(default_factory=dict)  # its reports, {step: value}
    values: tuple[float, ...] | None = None  # with several objectives, their values (the user's directions)
    constraints: tuple[float, ...] | None = None  # with outcome constraints, their values (feasible when <= 0)


class Storage:
    """A SQLite file of runs and trials. Picklable (a worker process opens its own connection).

    Args:
        path: The database file; created, with its tables, if missing. Its folder must exist. A relative path is
            made absolute here, so that worker processes with another working folder write to the same file; an
            in-memory database (``":memory:"``) or a SQLite URI (``"file:..."``) is refused.
        timeout: Seconds a writer waits for another's lock before giving up.
        make_parents: Create the file's missing folders too (otherwise a mistyped folder is an error, not a new
            folder with the results in it).
        read_only: Open an existing store only to read it (reports): no table, column or row is written, and a
            store on a read-only mount can be read (SQLite adds its ``-shm``/``-wal`` files only where the folder
            allows); a write raises.

    Example:
        >>> import tempfile, os
        >>> storage = Storage(os.path.join(tempfile.mkdtemp(), "runs.db"))
        >>> run = storage.open_run("branin", "random", seed=0, budget=10)
        >>> storage.commit_trial(run.id, 0, params={"x0": 1.0, "x1": 2.0}, value=21.6, status="complete",
        ...                      ask_seconds=0.001, eval_seconds=0.002, state="{}")
        >>> [(t.number, t.value) for t in storage.trials(run.id)]
        [(0, 21.6)]
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 120.0,
        make_parents: bool = False,
        read_only: bool = False,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise TypeError(f"storage path must be a file path, got {path!r}")
        text = os.fspath(path)
        if text == ":memory:" or text.lower().startswith("file:"):
            raise ValueError(
                f"storage path {text!r} is an in-memory database or a SQLite URI: results must outlive the process "
                "and be readable by other processes, so give the path of a file"
            )
        # absolute now, in the process the user runs: a worker (a Dask worker above all) has its own working folder
        self.path = Path(text).expanduser().absolute()
        self.timeout = float(timeout)
        self.read_only = read_only
        self._local = threading.local()  # one connection per thread: sqlite3 connections stay in their thread
        if read_only:  # a report of a store, perhaps on a read-only mount: nothing is created or written
            if not self.path.is_file():
                raise FileNotFoundError(f"{self.path}: no such file")
            self._refuse_a_foreign_file()
            return
        if not self.path.parent.is_dir():
            if not make_parents:
                raise FileNotFoundError(
                    f"{self.path}: the folder {self.path.parent} does not exist; create it, or ask for it to be "
                    "created (make_parents=True, or --make-dirs on the command line)"
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._refuse_a_foreign_file()
        with self._naming_the_file():
            self._db().executescript(_SCHEMA)  # each statement its own transaction; IF NOT EXISTS makes it idempotent
        self._add_missing_columns()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "timeout": self.timeout, "read_only": self.read_only}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path, self.timeout = state["path"], state["timeout"]
        self.read_only = state.get("read_only", False)
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"Storage({str(self.path)!r})"

    # -- connection ---------------------------------------------------------------------------------------------
    @contextmanager
    def _naming_the_file(self) -> Iterator[None]:
        """Re-raise SQLite's errors ("database is locked", "disk I/O error"...) with the file's path in front."""
        try:
            yield
        except sqlite3.Error as err:
            if str(self.path) in str(err):
                raise
            raise type(err)(f"{self.path}: {err}") from err

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (a connection must not cross a fork, nor, for sqlite3, a thread)."""
        local = self._local
        if getattr(local, "connection", None) is None or local.pid != os.getpid():
            with self._naming_the_file():
                if self.read_only:
                    connection = self._read_only_connection()
                else:
                    connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: durable against a process crash
                connection.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            local.connection, local.pid = connection, os.getpid()
        return local.connection

    def _read_only_connection(self) -> sqlite3.Connection:
        """A connection that cannot write; where the folder is read-only and the store is in WAL mode (its shared
        memory file cannot be made), SQLite's immutable mode, which reads the file as it is — only when no WAL file
        holds writes the file lacks (a store its writer closed)."""
        uri = self.path.as_uri()
        connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=self.timeout, isolation_level=None)
        try:
            connection.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
        except sqlite3.OperationalError:
            connection.close()
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.is_file() and wal.stat().st_size > 0:  # immutable mode would read the file without these
                raise sqlite3.OperationalError(
                    f"{self.path}: cannot be read here without writing (its folder is read-only and {wal.name} holds "
                    "recent writes); copy the store with its -wal file to a writable folder"
                ) from None
            connection = sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=self.timeout, isolation_level=None)
        return connection

    def _read(self, query: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        """The rows of one query."""
        with self._naming_the_file():
            return self._db().execute(query, parameters).fetchall()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once (BEGIN IMMEDIATE) so that concurrent writers queue, not deadlock."""
        if self.read_only:
            raise PermissionError(f"{self.path}: opened read-only; nothing can be written")
        with self._naming_the_file():
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _refuse_a_foreign_file(self) -> None:
        """Refuse, before anything is written (WAL mode included), a file that is not a bohpo store: a SQLite file
        with a table that is not ours, or a file that is not SQLite at all. An empty or missing file becomes a store,
        and so does one that holds only some of our tables (another process creating the store at this moment)."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        try:
            with closing(self._read_only_connection()) as db:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:
            if str(self.path) in str(err):  # named already
                raise
            raise sqlite3.DatabaseError(f"{self.path}: {err}") from None
        foreign = {t for t in tables if not t.startswith("sqlite_")} - {"runs", "trials", "reports"}  # sqlite_*
        if foreign:
            raise ValueError(
                f"{self.path} is a SQLite file but not a bohpo store (its tables: {', '.join(sorted(tables))}); "
                "nothing was written to it"
            )

    def _add_missing_columns(self) -> None:
        """Bring a file written by an older bohpo up to this schema (the trials' ``config_id``, objective values and
        constraint values)."""
        if not set(_ADDED_COLUMNS) - self._columns("trials"):
            return
        with self._write() as db:  # another process may be doing the same: look again under the lock
            for column in [c for c in _ADDED_COLUMNS if c not in self._columns("trials")]:
                db.execute(f"ALTER TABLE trials ADD COLUMN {column} {_ADDED_COLUMNS[column]}")

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self._read(f"PRAGMA table_info({table})")}

    def check_integrity(self) -> None:
        """SQLite's ``PRAGMA quick_check``: a damaged file is refused, with what SQLite found, before a resume
        continues from it or a report reads it."""
        found = [row[0] for row in self._read("PRAGMA quick_check")]
        if found != ["ok"]:
            raise sqlite3.DatabaseError(f"{self.path}: the database is damaged ({'; '.join(map(str, found[:3]))})")

    def close(self) -> None:
        """Close this thread's connection (it reopens on the next use)."""
        local = self._local
        if getattr(local, "connection", None) is not None and local.pid == os.getpid():
            local.connection.close()
        local.connection = None

    # -- runs ---------------------------------------------------------------------------------------------------
    def open_run(self, problem: str, searcher: str, *, seed: int, budget: int) -> RunRecord:
        """The run of (problem, searcher, seed), created if new; a larger ``budget`` than recorded extends it."""
        now = time.time()
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO runs (problem, searcher, seed, budget, searcher_budget, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (problem, searcher, seed, budget, budget, now, now),
            )
            db.execute(
                "UPDATE runs SET budget = ?, status = 'running', updated_at = ? "
                "WHERE problem = ? AND searcher = ? AND seed = ? AND budget < ?",
                (budget, now, problem, searcher, seed, budget),
            )
        run = self.find_run(problem, searcher, seed)
        assert run is not None
        return run

    def find_run(self, problem: str, searcher: str, seed: int) -> RunRecord | None:
        """The run of (problem, searcher, seed), or ``None``."""
        rows = self._read(
            "SELECT id, problem, searcher, seed, budget, status, n_trials FROM runs "
            "WHERE problem = ? AND searcher = ? AND seed = ?",
            (problem, searcher, seed),
        )
        return RunRecord(*rows[0]) if rows else None

    def runs(self) -> list[RunRecord]:
        """Every run, in creation order."""
        rows = self._read("SELECT id, problem, searcher, seed, budget, status, n_trials FROM runs ORDER BY id")
        return [RunRecord(*row) for row in rows]

    def searcher_budget(self, run_id: int) -> int:
        """The budget the run's searcher was first built with (a grid is sized by it; a larger budget given on a
        resume extends the run, not the searcher's plan)."""
        rows = self._read("SELECT searcher_budget FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise KeyError(f"no run with id {run_id} in {self.path}")
        return int(rows[0][0])

    def run_state(self, run_id: int) -> tuple[str | None, int]:
        """The saved searcher state (JSON) and the number of trials committed."""
        rows = self._read("SELECT state, n_trials FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise KeyError(f"no run with id {run_id} in {self.path}")
        return rows[0][0], int(rows[0][1])

    def finish_run(self, run_id: int) -> None:
        """Mark a run done."""
        with self._write() as db:
            db.execute("UPDATE runs SET status = 'done', updated_at = ? WHERE id = ?", (time.time(), run_id))

    # -- trials -------------------------------------------------------------------------------------------------
    def commit_trial(
        self,
        run_id: int,
        number: int,
        *,
        params: dict[str, Any],
        value: float | None,
        status: str,
        ask_seconds: float,
        eval_seconds: float,
        state: str,
        budget: float | None = None,
        config_id: int | None = None,
        intermediate: Mapping[int, float] | None = None,
        values: Sequence[float] | None = None,
        constraints: Sequence[float] | None = None,
    ) -> None:
        """Write trial ``number`` of a run, its reports (``{step: value}``), its objective values (several
        objectives) and constraint values, and the searcher state that includes it, in one transaction.

        Raises:
            RuntimeError: the run does not have exactly ``number`` trials yet (another process advanced it, or a
                trial would be skipped); nothing is written.
        """
        now = time.time()
        with self._write() as db:
            updated = db.execute(
                "UPDATE runs SET n_trials = n_trials + 1, state = ?, updated_at = ? WHERE id = ? AND n_trials = ?",
                (state, now, run_id, number),
            ).rowcount
            if updated != 1:
                _, have = self.run_state(run_id)
                raise RuntimeError(f"run {run_id} has {have} trials: trial {number} cannot be committed")
            db.execute(
                "INSERT INTO trials (run_id, number, params, budget, value, status, ask_seconds, eval_seconds, "
                "finished_at, config_id, objective_values, constraint_values) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id, number, json.dumps(params), budget, value, status, ask_seconds, eval_seconds, now,
                    config_id, _json_list(values), _json_list(constraints),
                ),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO reports (run_id, number, step, value) VALUES (?, ?, ?, ?)",
                [(run_id, number, step, v) for step, v in (intermediate or {}).items()],
            )

    def trials(self, run_id: int | None = None) -> list[TrialRecord]:
        """The trials of one run (or of all runs), by run then number."""
        columns = self._columns("trials")
        added = ", ".join(c if c in columns else "NULL" for c in _ADDED_COLUMNS)  # a read-only file from before them
        query = (
            "SELECT run_id, number, params, budget, value, status, ask_seconds, eval_seconds, finished_at, "
            f"{added} FROM trials"
        )
        rows = (
            self._read(query + " WHERE run_id = ? ORDER BY number", (run_id,))
            if run_id is not None
            else self._read(query + " ORDER BY run_id, number")
        )
        curves: dict[tuple[int, int], dict[int, float]] = {}
        if "reports" in self._tables():
            query = "SELECT run_id, number, step, value FROM reports"
            reported = (
                self._read(query + " WHERE run_id = ? ORDER BY number, step", (run_id,))
                if run_id is not None
                else self._read(query + " ORDER BY run_id, number, step")
            )
            for run, number, step, value in reported:
                curves.setdefault((run, number), {})[step] = value
        return [
            TrialRecord(
                run_id=r[0],
                number=r[1],
                params=json.loads(r[2]),
                budget=r[3],
                value=r[4],
                status=r[5],
                ask_seconds=r[6],
                eval_seconds=r[7],
                finished_at=r[8],
                config_id=r[9],
                intermediate=curves.get((r[0], r[1]), {}),
                values=_tuple(r[10]),
                constraints=_tuple(r[11]),
            )
            for r in rows
        ]

    def _tables(self) -> set[str]:
        return {row[0] for row in self._read("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def count_trials(self) -> int:
        """Trials committed over all runs (cheap: for progress bars)."""
        return int(self._read("SELECT COALESCE(SUM(n_trials), 0) FROM runs")[0][0])


def _json_list(numbers: Sequence[float] | None) -> str | None:
    return None if numbers is None else json.dumps([float(v) for v in numbers])


def _tuple(text: str | None) -> tuple[float, ...] | None:
    return None if text is None else tuple(float(v) for v in json.loads(text))
