"""The ``bohpo`` command: bad arguments get one line and status 2; a run writes its file."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import bohpo
from bohpo.bench import runner
from bohpo.bench.runner import _workers_born_ignoring_ctrl_c
from bohpo.bench.storage import Storage
from bohpo.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "run", "--db", "x.db", "--searchers", "gp-logei,nope"], "unknown searcher 'nope'"),
        (["bench", "run", "--db", "x.db", "--problems", "branin,moon"], "unknown problem 'moon'"),
        (["bench", "run", "--db", "x.db", "--suite", "huge"], "unknown suite 'huge'"),
        (["bench", "run", "--db", "x.db", "--budget", "0"], "--budget must be >= 1, got 0"),
        (["bench", "run", "--db", "x.db", "--seeds", "a,b"], "expected a count or comma-separated seeds"),
        (["bench", "run", "--db", "x.db", "--workers", "0"], "--workers must be >= 1, got 0"),
        (["bench", "run"], "the following arguments are required: --db"),
        (["bench", "fly"], "invalid choice: 'fly'"),
        (["bench", "report", "--db", "missing.db", "--out", "r"], "no such file: missing.db"),
        (["bench", "run", "--db", "x.db", "--searchers", "gp-loge"], "did you mean 'gp-logei' or 'gp-ei'?"),
        (["bench", "run", "--db", "x.db", "--problems", "hartman6"], "did you mean 'hartmann6'"),
        (["bench", "run", "--db", "x.db", "--suite", "quik"], "unknown suite 'quik'; did you mean 'quick'?"),
        (["bench", "run", "--db", "reslts/x.db", "--budget", "2"], "reslts does not exist; create it"),
        (["bench", "run", "--db", "new/x.db", "--problems", "moon", "--make-dirs"], "unknown problem 'moon'"),
        (["bench", "run", "--db", "x.db", "--problems", "tests.bench.own_parts:nope"], "has no attribute 'nope'"),
        (["bench", "run", "--db", "x.db", "--problems", "tests.bench.own_parts:not_a_problem"], "not a Problem"),
        ([], "give a command: bench"),
        (["bench"], "give an action: run, report or list"),
    ],
)
def test_bad_arguments_get_one_line_and_status_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.db").exists() or Storage(tmp_path / "x.db").runs() == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == []  # no folder made for a --db


def test_a_failed_run_gets_one_line_with_the_way_to_the_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["bench", "run", "--db", str(tmp_path / "x.db"), "--budget", "2", "--problems", "branin", "--seeds", "1",
            "--searchers", "tests.bench.own_parts:broken_factory", "--no-progress"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "RuntimeError: 1 run(s) failed" in err and "this searcher is broken" in err
    assert "(bohpo --traceback ... shows where)" in err
    with pytest.raises(RuntimeError, match="1 run\\(s\\) failed"):
        main(["--traceback", *argv, "--resume"])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"bohpo {bohpo.__version__}\n"


def test_list_names_suites_problems_and_searchers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "list"]) == 0
    out = capsys.readouterr().out
    assert "quick:" in out and "svm-digits" in out and "gp-logei" in out


def test_a_run_overrides_the_suite_and_writes_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "results" / "runs.db"  # a folder that --make-dirs creates
    argv = ["bench", "run", "--problems", "branin", "--searchers", "random,sobol", "--seeds", "0,4", "--budget", "5",
            "--db", str(db), "--no-progress", "--make-dirs"]  # fmt: skip
    assert main(argv) == 0
    assert "4 of 4 runs done, 20 trials" in capsys.readouterr().out
    assert sorted((r.searcher, r.seed) for r in Storage(db).runs()) == [
        ("random", 0), ("random", 4), ("sobol", 0), ("sobol", 4)
    ]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:  # again without --resume: refused, nothing mixed
        main(argv)
    assert exit_info.value.code == 2 and "pass resume=True (--resume)" in capsys.readouterr().err
    assert main([*argv, "--resume"]) == 0  # everything done already: nothing to do


def test_report_writes_markdown_and_figures(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    main(["bench", "run", "--problems", "branin,knn-iris", "--searchers", "random,sobol", "--seeds", "3",
          "--budget", "6", "--db", str(db), "--no-progress"])  # fmt: skip
    assert main(["bench", "report", "--db", str(db), "--out", str(tmp_path / "report")]) == 0
    text = (tmp_path / "report" / "REPORT.md").read_text()
    assert "random search's median final regret" in text and "| branin | sobol | 3 |" in text
    for figure in ("convergence_branin.png", "convergence_knn-iris.png", "rank.png", "overhead.png"):
        assert (tmp_path / "report" / figure).stat().st_size > 5000 and f"]({figure})" in text


@pytest.mark.parametrize("action", ["run", "report"])
def test_a_file_that_is_not_a_database_gets_one_line(
    action: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("these are notes, not a database\n" * 100)
    argv = ["bench", action, "--db", str(not_a_db)] + (["--out", str(tmp_path / "r")] if action == "report" else [])
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "DatabaseError" in err and err.count("\n") == 1
    assert "notes.txt: file is not a database" in err  # the message names the file


@pytest.mark.slow
def test_ctrl_c_stops_with_one_line_and_a_resume_loses_nothing(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) mid-suite with two workers: status 130,
    one line naming the file and --resume, no traceback from any process; the resumed suite ends with the trials of
    an uninterrupted one. (In-process the same handler catches the interrupt; the workers are the harder case.)"""
    db = tmp_path / "runs.db"
    suite = ["bench", "run", "--problems", "branin", "--searchers", "gp-logei", "--seeds", "2", "--budget", "12",
             "--no-progress"]  # fmt: skip
    command = [sys.executable, "-m", "bohpo", *suite, "--db", str(db), "--workers", "2"]
    # a suite launched in the background (`make test &`) ignores SIGINT, and so would the child: restore the default
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=_default_sigint)  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        if db.exists() and Storage(db).count_trials() >= 8:
            break
    assert process.poll() is None, "the suite ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "Traceback" not in err and err.strip().count("\n") == 0
    assert f"every trial committed so far is in {db}: run the same command with --resume" in err
    interrupted = Storage(db).count_trials()
    assert 8 <= interrupted < 24
    assert subprocess.run([*command, "--resume"], capture_output=True, timeout=300).returncode == 0
    straight = tmp_path / "straight.db"
    assert main([*suite, "--db", str(straight)]) == 0

    def trials(path: Path) -> list[tuple[int, object, object]]:
        storage = Storage(path)
        seed_of = {r.id: r.seed for r in storage.runs()}
        return sorted((seed_of[t.run_id], t.number, t.params, t.value) for t in storage.trials())  # type: ignore[misc]

    assert trials(db) == trials(straight)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _ctrl_c_handler() -> str:
    return repr(signal.getsignal(signal.SIGINT))


def test_worker_processes_ignore_ctrl_c_from_their_first_instruction() -> None:
    """A worker still importing torch when Ctrl-C arrives must not print a traceback: the runner's workers start with
    SIGINT ignored, before their initializer could set it, and the runner's own handler is back at once. (The test
    sets Python's own handler first: under `make test &` every child would ignore SIGINT anyway.)"""
    context = multiprocessing.get_context("spawn")
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with _workers_born_ignoring_ctrl_c():
            pool = cf.ProcessPoolExecutor(1, mp_context=context)
            future = pool.submit(_ctrl_c_handler)
        with pool:
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
            assert future.result(timeout=120) == repr(signal.SIG_IGN)
        with cf.ProcessPoolExecutor(1, mp_context=context) as plain:  # without: KeyboardInterrupt from the start
            assert plain.submit(_ctrl_c_handler).result(timeout=120) == repr(signal.default_int_handler)
    finally:
        signal.signal(signal.SIGINT, outer)


def test_the_runner_starts_its_own_pool_inside_the_guard(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    entered: list[bool] = []
    guard = runner._workers_born_ignoring_ctrl_c

    @contextlib.contextmanager
    def watched() -> Iterator[None]:
        with guard():
            entered.append(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)
            yield

    monkeypatch.setattr(runner, "_workers_born_ignoring_ctrl_c", watched)
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        runner.run_suite(["branin"], ["random"], 2, 3, tmp_path / "runs.db", workers=2)
    finally:
        signal.signal(signal.SIGINT, outer)
    assert entered == [True]
    assert len(Storage(tmp_path / "runs.db").trials()) == 6


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_workers_exit_when_the_run_command_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    command = [sys.executable, "-m", "bohpo", "bench", "run", "--problems", "branin", "--searchers", "gp-logei",
               "--seeds", "4", "--budget", "30", "--db", str(db), "--workers", "2", "--no-progress"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 240
    # killed at the first trial, while the second worker may still be starting (it must exit too)
    while time.monotonic() < deadline and not (db.exists() and Storage(db).count_trials() >= 1):
        time.sleep(0.2)
    workers = _children(process.pid)
    assert len(workers) >= 2 and process.poll() is None
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.2)
    alive = [w for w in workers if Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text()]
    assert alive == [], "workers outlived their parent"
