"""The benchmark runner: searchers x problems x seeds, each finished trial committed before the next is asked.

A *run* is one searcher on one problem with one seed, for ``budget`` trials; for a multi-fidelity searcher
(Hyperband, ASHA, BOHB...) ``budget`` counts full-budget evaluations' worth instead: a trial at budget b costs
b / max_budget of one, and the run goes on until it has spent ``budget`` (its last trial may go past it by less than
one), so it is compared with the others at equal cost. Runs are independent, so they are the unit of parallel work:
each is executed by :func:`execute_run`, in this process or on any
``concurrent.futures.Executor`` (a local process pool by default, a Dask cluster's executor when given), and each
writes its own trials to the shared :class:`~bohpo.bench.storage.Storage` as it goes. Inside a run the loop is
sequential — ask, evaluate, tell, commit — so a searcher's trials do not depend on how many workers there are.

A searcher may carry a pruner, ``"random+median"`` (``bohpo.pruners.pruner_names()``): on a problem that reports
its learning curve (``Problem.max_step``) each trial's curve is reported to the searcher as it trains, the pruner
stops the trials it judges unpromising, and a stopped trial is committed with status ``pruned`` and its last reported
value. On such problems every run's curves are stored (the ``reports`` table), with or without a pruner.

A run interrupted at any moment (SIGKILL included) continues with ``resume=True``: its searcher is rebuilt from the
state committed with its last trial and asks what the uninterrupted run would have asked; nothing committed is lost
or evaluated again, and the only work redone is the one trial that was in flight.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import multiprocessing
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bohpo._checks import from_import_path, is_import_path, unknown_name
from bohpo.bench.storage import RunRecord, Storage
from bohpo.errors import SearchExhausted, TrialFailedWarning, TrialPruned
from bohpo.loop import Reporter
from bohpo.problems import is_problem_name, make_problem, problem_names
from bohpo.problems import registered_here as problem_registered_here
from bohpo.problems.multi_objective import MultiObjectiveProblem, Outcome, multi_objective_problem_names
from bohpo.problems.multifidelity import multifidelity_problem_names
from bohpo.pruners import make_pruner, pruner_names
from bohpo.searchers import make_searcher, searcher_names, searcher_needs_budgets
from bohpo.searchers.registry import outcome_searcher_names
from bohpo.searchers.registry import registered_here as searcher_registered_here

__all__ = ["RunSpec", "execute_run", "plan_runs", "run_suite", "split_pruner", "trial_cost"]

_PARENT_POLL_SECONDS = 0.5  # how often a pool worker checks that its parent lives
_SPENT_TOLERANCE = 1e-9  # budgets summed in floating point: 27 trials at 1/27 of the budget have spent 1


@dataclass(frozen=True)
class RunSpec:
    """One run: a registered problem and searcher, a seed, and a budget (trials; full-budget evaluations' worth for a
    multi-fidelity searcher)."""

    problem: str
    searcher: str
    seed: int
    budget: int


def split_pruner(searcher: str) -> tuple[str, str | None]:
    """``"random+median"`` -> ``("random", "median")``; a name without ``+`` has no pruner."""
    name, plus, pruner = searcher.rpartition("+")
    return (name, pruner) if plus else (searcher, None)


def plan_runs(
    problems: Sequence[str], searchers: Sequence[str], seeds: int | Iterable[int], budget: int
) -> list[RunSpec]:
    """Every (problem, searcher, seed) run, checked before anything starts.

    Args:
        problems, searchers: Registered names (``bohpo bench list`` shows them); a free-dimension problem may carry
            its dimension (``"schwefel-5"``); a researcher's own problem or searcher may be named by its import path,
            ``"package.module:attribute"`` (see :func:`~bohpo.problems.make_problem` and
            :func:`~bohpo.searchers.make_searcher`), which is how worker processes find it.
        seeds: A count n (seeds 0..n-1) or the seeds themselves.
        budget: Trials per run, >= 1 (full-budget evaluations' worth for a multi-fidelity searcher).

    Raises:
        ValueError: an unknown name, no problems or searchers, a bad seed or budget; the message names it.
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be an int >= 1, got {budget!r}")
    seed_list = _seeds(seeds)
    if isinstance(searchers, str):
        raise ValueError(f"give a list of at least one searcher name, got {searchers!r}")
    named = list(searchers)
    pruned = [s for s in named if split_pruner(s)[1] is not None]
    for searcher in pruned:
        pruner = split_pruner(searcher)[1]
        if pruner not in pruner_names():
            raise unknown_name("pruner", pruner, pruner_names())
    searchers = [split_pruner(s)[0] for s in searchers]
    for kind, names, known, found in (
        ("problem", problems, problem_names(), is_problem_name),
        ("searcher", searchers, searcher_names(), lambda name: name in searcher_names() or is_import_path(name)),
    ):
        if isinstance(names, str) or not list(names):
            raise ValueError(f"give a list of at least one {kind} name, got {names!r}")
        for name in names:
            if not found(name):
                raise unknown_name(kind, name, known)
    for problem in problems:
        if problem not in problem_names():  # named with its dimension or an import path: refused here if bad
            make_problem(problem)
    for searcher in searchers:
        if is_import_path(searcher) and not callable(from_import_path(searcher, "searcher")):
            raise ValueError(f"searcher {searcher!r} is neither a Searcher class nor a factory")
    fidelity = [s for s in searchers if searcher_needs_budgets(s)]
    for problem in problems if fidelity else ():
        if make_problem(problem).max_budget is None:
            raise ValueError(
                f"{', '.join(fidelity)} choose budgets, so they need multi-fidelity problems; {problem!r} has none "
                f"(multi-fidelity problems: {', '.join(multifidelity_problem_names())})"
            )
    for problem in problems if pruned else ():
        if not _has_curve(problem):
            raise ValueError(
                f"{', '.join(pruned)} stop trials from their learning curves; {problem!r} reports none (problems "
                f"with one: {', '.join(n for n in multifidelity_problem_names() if _has_curve(n))})"
            )
    outcome_problems = [
        p for p in problems
        if (p in multi_objective_problem_names() or is_import_path(p))
        and isinstance(make_problem(p), MultiObjectiveProblem)
    ]  # fmt: skip
    refused = [s for s in named if split_pruner(s)[1] is not None or split_pruner(s)[0] not in outcome_searcher_names()]
    if outcome_problems and refused:
        raise ValueError(
            f"{', '.join(outcome_problems)} have several objectives or outcome constraints; {', '.join(refused)} "
            f"cannot search them (without a pruner: {', '.join(outcome_searcher_names())})"
        )
    return [RunSpec(p, s, seed, budget) for p in problems for s in named for seed in seed_list]


def _has_curve(problem: str) -> bool:
    try:
        return getattr(make_problem(problem), "max_step", None) is not None
    except Exception:  # a problem that cannot be built here (a missing optional dependency) has none to offer
        return False


def _seeds(seeds: int | Iterable[int]) -> list[int]:
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}")
        return list(range(seeds))
    if isinstance(seeds, bool) or not isinstance(seeds, Iterable):
        raise ValueError(f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}")
    seed_list = list(seeds)
    if not seed_list or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seed_list):
        raise ValueError(f"seeds must be a count >= 1 or a list of ints >= 0, got {seeds!r}")
    if len(set(seed_list)) != len(seed_list):
        raise ValueError(f"seeds must be distinct, got {seed_list!r}")
    return seed_list


def run_suite(
    problems: Sequence[str],
    searchers: Sequence[str],
    seeds: int | Iterable[int],
    budget: int,
    storage: Storage | str | os.PathLike[str],
    *,
    executor: cf.Executor | None = None,
    workers: int = 1,
    resume: bool = False,
    progress: bool = False,
) -> list[RunRecord]:
    """Run every searcher on every problem for every seed, storing each trial as it finishes.

    Args:
        problems, searchers, seeds, budget: As :func:`plan_runs`.
        storage: A :class:`Storage` or the path of its SQLite file.
        executor: Where runs execute (for example ``distributed.Client(...).get_executor()``). Default: this process
            when ``workers`` is 1, else a pool of ``workers`` fresh processes.
        workers: Processes of the default pool.
        resume: Continue runs the storage already holds. Without it, finding one with trials is an error (two
            suites writing into one run by mistake would mix their trials).
        progress: Show progress bars (runs done, trials committed).

    Returns:
        The runs, as stored at the end (``status == "done"`` once a run has its budget or its searcher ran out).

    Raises:
        ValueError: as :func:`plan_runs`; or runs exist and ``resume`` is false (nothing is written then).
        RuntimeError: some runs raised; the others completed and everything committed stays.
    """
    specs = plan_runs(problems, searchers, seeds, budget)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if executor is not None or workers > 1:
        local = [
            *filter(problem_registered_here, problems),
            *(s for s in searchers if searcher_registered_here(split_pruner(s)[0])),
        ]
        if local:
            raise ValueError(
                f"{', '.join(map(repr, local))} registered in this process only: worker processes cannot build "
                "them; name each by its import path ('package.module:attribute') or run with workers=1"
            )
    store = storage if isinstance(storage, Storage) else Storage(storage)
    if resume:
        store.check_integrity()
    if not resume:
        started = [
            (spec, run)
            for spec in specs
            if (run := store.find_run(spec.problem, spec.searcher, spec.seed)) is not None and run.n_trials
        ]
        if started:
            spec, run = started[0]
            raise ValueError(
                f"{store.path} already holds {len(started)} of these runs (for example {spec.searcher} on "
                f"{spec.problem}, seed {spec.seed}, with {run.n_trials} trials); pass resume=True (--resume) to "
                "continue them, or use another file"
            )
    todo: list[RunSpec] = []
    remaining: int | None = 0  # trials to go; unknown (None) when a multi-fidelity run is among them
    for spec in specs:
        run = store.open_run(spec.problem, spec.searcher, seed=spec.seed, budget=spec.budget)
        fidelity = searcher_needs_budgets(split_pruner(spec.searcher)[0])
        cost = trial_cost(make_problem(spec.problem)) if fidelity else None
        if not (run.status == "done" and _spent(store, run, cost) >= spec.budget - _SPENT_TOLERANCE):
            todo.append(spec)
            remaining = None if remaining is None or fidelity else remaining + max(spec.budget - run.n_trials, 0)
    errors = _execute(
        todo, store, executor=executor, workers=workers, progress=progress, n_total=len(specs), n_trials=remaining
    )
    if errors:
        spec, err = errors[0]
        raise RuntimeError(
            f"{len(errors)} run(s) failed, for example {spec.searcher} on {spec.problem}, seed {spec.seed}: "
            f"{type(err).__name__}: {err}"
        ) from err
    keys = {(s.problem, s.searcher, s.seed) for s in specs}
    return [r for r in store.runs() if (r.problem, r.searcher, r.seed) in keys]


def _execute(
    specs: list[RunSpec],
    store: Storage,
    *,
    executor: cf.Executor | None,
    workers: int,
    progress: bool,
    n_total: int,
    n_trials: int | None,
) -> list[tuple[RunSpec, BaseException]]:
    bars = _Bars(store, n_total, n_total - len(specs), n_trials, enabled=progress)
    errors: list[tuple[RunSpec, BaseException]] = []
    try:
        if executor is None and workers == 1:
            for spec in specs:
                bars.running([spec])
                try:
                    execute_run(spec, store, on_trial=bars.trial)
                except Exception as err:  # one run's failure does not stop the others
                    errors.append((spec, err))
                bars.run_done()
            return errors
        own = executor is None
        # the pool starts its processes as the runs are submitted; a caller's executor is left as it is
        with _workers_born_ignoring_ctrl_c() if own else contextlib.nullcontext():
            pool = executor or cf.ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_prepare_worker,
                initargs=(os.getpid(),),
            )
            futures = {pool.submit(execute_run, spec, store): spec for spec in specs}
        try:
            waiting = set(futures)
            while waiting:
                done, waiting = cf.wait(waiting, timeout=0.5, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    if future.exception() is not None:
                        errors.append((futures[future], future.exception()))  # type: ignore[arg-type]
                    bars.run_done()
                bars.running([futures[f] for f in waiting if f.running()])
                bars.poll()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            if own:
                _stop_workers(pool)
            raise
        finally:
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
        return errors
    finally:
        bars.close()


def _check_stored_run(storage: Storage, run: RunRecord, spec: RunSpec, searcher: Any, state: str, n: int) -> None:
    """Load a run's stored searcher state into ``searcher``, refusing (before any trial) a state that does not belong
    to this run — another seed's, or one whose trials do not match the rows stored — with the file and what is
    wrong: resuming from it would continue someone else's study or a damaged one."""
    where = f"{storage.path}: run {run.id} ({spec.searcher} on {spec.problem}, seed {spec.seed})"
    seed = searcher.seed
    try:
        searcher.load_history(state)
    except (ValueError, TypeError, KeyError) as err:
        raise ValueError(f"{where}: its stored state does not load ({err})") from None
    if searcher.seed != seed:
        raise ValueError(f"{where}: its stored state is that of another seed; the file was edited or mixed")
    rows = len(storage.trials(run.id))
    told = len(searcher.history)
    if not rows == n == told:
        raise ValueError(
            f"{where}: {n} trials recorded, {rows} trial rows stored, {told} in the searcher's state; the file was "
            "edited or damaged (trials deleted?)"
        )


@contextlib.contextmanager
def _workers_born_ignoring_ctrl_c() -> Iterator[None]:
    """Processes started inside ignore Ctrl-C from their first instruction. A new interpreter leaves an ignored
    SIGINT ignored (it installs its KeyboardInterrupt handler only over the default one), so a Ctrl-C while a worker
    is still importing torch — seconds, before ``_prepare_worker`` runs — cannot print a traceback from it. This
    process ignores SIGINT only while the processes start (milliseconds) and then restores its handler; outside the
    main thread, where handlers cannot be set, or under a handler installed from C, nothing changes."""
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if previous is None:  # not the main thread, or a handler set outside Python, which could not be put back
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _prepare_worker(parent: int) -> None:
    """A pool worker ignores Ctrl-C, which the terminal sends to the whole process group: the parent stops the
    workers itself (one message, not a traceback per process). And it exits when its parent (``parent``, the pid the
    parent passed, not read here: a worker still starting when the parent dies already has another) dies — a
    ``kill -9`` of ``bohpo bench run`` — instead of finishing its runs for nobody: a daemon thread watches."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(1)  # orphaned: what this worker commits next would belong to a run nobody is waiting for

    threading.Thread(target=watch, name="bohpo-parent-watch", daemon=True).start()


def _stop_workers(pool: cf.Executor) -> None:
    """Terminate a process pool's workers now. A run's trials are committed one transaction each, so a worker
    killed mid-trial loses only that trial's evaluation, which a resume asks again (the searcher's state is the
    committed one). ``ProcessPoolExecutor`` has a public way only from Python 3.14; before, its process table."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()


def execute_run(spec: RunSpec, storage: Storage, *, on_trial: Any = None) -> RunRecord:
    """Run (or continue) one run to its budget, committing each trial with the searcher's state.

    Module-level and picklable, so an executor can ship it to a worker process or a Dask worker (which must see the
    storage file). In a worker process torch uses one thread: the pool's processes share the cores.
    """
    if multiprocessing.parent_process() is not None:
        import torch

        torch.set_num_threads(1)
    problem = make_problem(spec.problem)
    run = storage.open_run(spec.problem, spec.searcher, seed=spec.seed, budget=spec.budget)
    # built as when the run began: a budget-sized searcher (a grid) keeps its plan when a resume extends the run
    low, high = getattr(problem, "min_budget", None), getattr(problem, "max_budget", None)
    budgets = None if low is None or high is None else (low, high)
    searcher_name, pruner_name = split_pruner(spec.searcher)
    outcomes = isinstance(problem, MultiObjectiveProblem)  # several objectives or outcome constraints
    searcher = make_searcher(
        searcher_name, problem.space, seed=spec.seed, n_trials=storage.searcher_budget(run.id), budgets=budgets,
        **(problem.searcher_options() if outcomes else {}),  # type: ignore[union-attr]
    )  # fmt: skip
    max_step = getattr(problem, "max_step", None)  # a researcher's own problem may be any object with a space
    pruner = None if pruner_name is None else make_pruner(pruner_name, max_step=max_step)
    state, n = storage.run_state(run.id)
    if state is not None:
        _check_stored_run(storage, run, spec, searcher, state, n)
    cost = trial_cost(problem) if searcher_needs_budgets(searcher_name) else None
    spent = _spent(storage, run, cost)
    while spent < spec.budget - _SPENT_TOLERANCE:
        start = time.perf_counter()
        try:
            trial = searcher.ask()
        except SearchExhausted:
            break
        ask_seconds = time.perf_counter() - start
        start = time.perf_counter()
        pruned = False
        outcome: Outcome | None = None
        try:
            if isinstance(problem, MultiObjectiveProblem):
                outcome = problem(trial.params)
                value: float | None = 0.0  # stands for "evaluated"; the outcome is told
            elif max_step is None:
                value = float(problem(trial.params, trial.budget))
            else:
                value = float(problem.curve(trial.params, Reporter(searcher, trial, pruner), trial.budget))
        except TrialPruned:
            value, pruned = None, True
        except Exception as err:  # the objective's failure is the trial's, not the run's
            warnings.warn(f"{spec.problem}: trial {n} failed: {err!r}", TrialFailedWarning, stacklevel=2)
            value = None
        eval_seconds = time.perf_counter() - start
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrialFailedWarning)  # a non-finite value: already a failed trial
            if pruned:
                told = searcher.tell(trial, pruned=True)
            elif value is None:
                told = searcher.tell(trial, failed=True)
            elif outcome is not None:
                told = searcher.tell(trial, list(outcome.values.values()), constraints=outcome.constraints or None)
            else:
                told = searcher.tell(trial, value)
        storage.commit_trial(
            run.id, n, params=_json_params(told.params), value=told.value, status=told.status.value,
            ask_seconds=ask_seconds, eval_seconds=eval_seconds, state=searcher.to_json(), budget=told.budget,
            config_id=told.config_id, intermediate=told.intermediate, values=told.values,
            constraints=told.constraints,
        )  # fmt: skip
        n += 1
        spent += 1.0 if cost is None else cost(told.budget)
        if on_trial is not None:
            on_trial()
    storage.finish_run(run.id)
    record = storage.find_run(spec.problem, spec.searcher, spec.seed)
    assert record is not None
    return record


def _spent(store: Storage, run: RunRecord, cost: Callable[[float | None], float] | None) -> float:
    """What a stored run has spent: its trials (``cost`` None), or for a multi-fidelity searcher their cost (a run
    stored before budgets meant cost, when its budget counted trials, has spent less than its budget and is
    continued)."""
    if cost is None:
        return float(run.n_trials)
    return sum(cost(t.budget) for t in store.trials(run.id))


def trial_cost(problem: Any) -> Callable[[float | None], float]:
    """What a trial costs in full-budget evaluations: budget / max_budget on a multi-fidelity problem; 1 for a trial
    without a budget, and for every trial of a problem without fidelities."""
    top = getattr(problem, "max_budget", None)
    if top is None:
        return lambda budget: 1.0
    return lambda budget: 1.0 if budget is None else float(budget) / float(top)


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Params as JSON keeps them (choices that are not JSON values become their repr)."""
    return json.loads(json.dumps(params, default=repr))


class _Bars:
    """Two tqdm bars, runs and trials; the trial count is read from storage (workers write there, not here)."""

    def __init__(self, store: Storage, n_runs: int, n_done: int, n_trials: int | None, *, enabled: bool) -> None:
        self.store, self.enabled = store, enabled
        if not enabled:
            return
        from tqdm import tqdm

        self._base = store.count_trials()  # trials of these runs' earlier sessions are not this session's progress
        self.runs = tqdm(total=n_runs, initial=n_done, desc=f"runs into {store.path.name}", unit="run", position=0)
        self.trials = tqdm(total=n_trials, desc="trials", unit="trial", position=1)

    def run_done(self) -> None:
        if self.enabled:
            self.runs.update(1)

    def running(self, specs: Sequence[RunSpec]) -> None:
        """Name the runs in progress after the runs bar (two at most, then how many more)."""
        if self.enabled:
            names = [f"{s.searcher} on {s.problem}, seed {s.seed}" for s in specs]
            more = f" (+{len(names) - 2} more)" if len(names) > 2 else ""
            self.runs.set_postfix_str("; ".join(names[:2]) + more, refresh=True)

    def trial(self) -> None:
        if self.enabled:
            self.trials.update(1)

    def poll(self) -> None:
        if self.enabled:
            self.trials.n = self.store.count_trials() - self._base
            self.trials.refresh()

    def close(self) -> None:
        if self.enabled:
            self.runs.close()
            self.trials.close()
