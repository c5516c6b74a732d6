"""The ``bohpo`` command.

    bohpo bench run --suite quick [--problems branin,hartmann6] [--searchers gp-logei,random] [--seeds 10 | 0,3,7]
                    [--budget 60] --db runs.db [--workers N] [--dask-scheduler ADDRESS] [--resume]
    bohpo bench report --db runs.db --out DIR
    bohpo bench list
    bohpo --version

Options left out take the suite's values. Bad arguments (a missing command, a mistyped name: the closest known ones
are suggested) get one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from typing import NoReturn

from bohpo import __version__
from bohpo.bench.suites import SUITES, get_suite

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {text!r}")
    return names


def _seeds(text: str) -> int | list[int]:
    """``10`` (seeds 0..9) or ``0,3,7`` (those seeds)."""
    try:
        if "," not in text:
            return int(text)
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a count or comma-separated seeds, got {text!r}") from None


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bohpo", description="bohpo: Bayesian optimization and HPO benchmarks.")
    parser.add_argument("--version", action="version", version=f"bohpo {__version__}")
    parser.add_argument("--traceback", action="store_true", help="on an error, show the traceback, not one line")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    bench = commands.add_parser("bench", help="benchmark suites: run, report, list")
    actions = bench.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)

    run = actions.add_parser("run", help="run searchers x problems x seeds into a SQLite file")
    run.add_argument("--suite", default="quick", help=f"defaults for what is not given ({', '.join(SUITES)})")
    run.add_argument("--problems", type=_names, help="comma-separated problem names")
    run.add_argument(
        "--searchers",
        type=_names,
        help="comma-separated searcher names; NAME+PRUNER stops trials early on problems that report learning "
        "curves (random+median)",
    )
    run.add_argument("--seeds", type=_seeds, help="a count (seeds 0..n-1) or comma-separated seeds")
    run.add_argument(
        "--budget", type=int, help="trials per run (full-budget evaluations' worth for a multi-fidelity searcher)"
    )
    run.add_argument("--db", required=True, help="the SQLite file (created if missing; its folder must exist)")
    run.add_argument("--make-dirs", action="store_true", help="create the --db file's missing folders")
    run.add_argument("--workers", type=int, default=1, help="local worker processes (default 1: in this process)")
    run.add_argument("--dask-scheduler", metavar="ADDRESS", help="run on this Dask cluster instead")
    run.add_argument("--resume", action="store_true", help="continue runs the file already holds")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")

    report = actions.add_parser("report", help="write REPORT.md and figures from a SQLite file")
    report.add_argument("--db", required=True, help="the SQLite file of a run")
    report.add_argument("--out", required=True, help="the folder for REPORT.md and the PNG figures")
    report.add_argument("--title", default="Benchmark report")
    report.add_argument(
        "--import-paths",
        action="store_true",
        help="trust the file: import the problems it names by import path, to read their optima and budgets",
    )

    actions.add_parser("list", help="suites, problems and searchers")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("give a command: bench (bohpo bench run | report | list; bohpo --help)")
    if args.action is None:
        parser.exit(2, "bohpo bench: error: give an action: run, report or list (bohpo bench --help)\n")
    if args.command == "bench" and args.action == "list":
        return _list()
    try:
        return _report(args) if args.action == "report" else _run(args)
    except KeyboardInterrupt:
        if args.action == "run":
            print(
                f"\nbohpo: interrupted; every trial committed so far is in {args.db}: run the same command with "
                "--resume to continue",
                file=sys.stderr,
            )
        else:
            print("\nbohpo: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        # a bad name, seed or budget (found before anything ran), a file that is not a database, is damaged or cannot
        # be written (a full disk), another process on the same run, runs that failed, a scheduler that cannot be
        # reached, a missing optional package: one line, and the way to the details
        if args.traceback:
            raise
        kind = "" if isinstance(err, ValueError) else f"{type(err).__name__}: "
        message = " ".join(str(err).split())
        hint = (
            " (bohpo --traceback ... shows where)" if not isinstance(err, (ValueError, sqlite3.DatabaseError)) else ""
        )
        parser.exit(2, f"bohpo: error: {kind}{message}{hint}\n")


def _list() -> int:
    from bohpo._catalogue import FREE_DIMENSION, PRUNERS, builtin_problem_names, builtin_searcher_names

    print("suites:")
    for name, suite in SUITES.items():
        print(f"  {name}: {suite.description}")
    print("problems: " + ", ".join(builtin_problem_names()))
    print("searchers: " + ", ".join(builtin_searcher_names()))
    print(f"pruners, as searcher+pruner on problems with learning curves (random+median): {', '.join(PRUNERS)}")
    print(f"free-dimension problems, named with their dimension (levy-8): {', '.join(FREE_DIMENSION)}")
    print("your own: any problem or searcher by its import path (--problems package.module:attribute)")
    return 0


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bohpo.bench.report import write_report

    if not Path(args.db).is_file():
        raise ValueError(f"no such file: {args.db}")
    print(write_report(args.db, args.out, title=args.title, import_paths=args.import_paths))
    return 0


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bohpo.bench.runner import plan_runs, run_suite

    suite = get_suite(args.suite)
    if args.budget is not None and args.budget < 1:
        raise ValueError(f"--budget must be >= 1, got {args.budget}")
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    problems = args.problems or list(suite.problems)
    searchers = args.searchers or list(suite.searchers)
    seeds = args.seeds if args.seeds is not None else suite.seeds
    budget = args.budget if args.budget is not None else suite.budget
    if args.make_dirs:
        plan_runs(problems, searchers, seeds, budget)  # a bad name is refused before a folder is made
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    executor, client = None, None
    if args.dask_scheduler:
        from distributed import Client

        client = Client(args.dask_scheduler)
        executor = client.get_executor()
    try:
        runs = run_suite(
            problems,
            searchers,
            seeds,
            budget,
            args.db,
            executor=executor,
            workers=args.workers,
            resume=args.resume,
            progress=not args.no_progress,
        )
    finally:
        if client is not None:
            client.close()
    done = sum(r.status == "done" for r in runs)
    print(f"{done} of {len(runs)} runs done, {sum(r.n_trials for r in runs)} trials in {args.db}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
