"""Independent searchers on Python threads: does bohpo's BLAS lock cost them time?

bohpo runs scipy's L-BFGS-B (the GP's hyperparameter fit, the acquisition's refinement) with numpy's and scipy's
BLAS at one thread, and the thread count is a setting of the whole process, so ``bohpo._threads`` holds a lock
around each solve: two threads asking two independent searchers take turns there. This script measures whether that
costs anything, against a limiter that lets threads in together (counted: the first context in sets one thread, the
last out restores; a helper thread does both, since threadpoolctl lets only one thread change a shared OpenBLAS
pool). Both are run in one process, interleaved, on the same studies:

- ``sequential``: two studies one after the other on the main thread;
- ``two threads``: the same two studies on two Python threads at once.

Each study is ``--trials`` asks and tells of the default GP searcher on Hartmann6 (seeds 0 and 1), one torch thread.

    python benchmarks/threads.py --reps 8 --out benchmarks/results/threads.md
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from pathlib import Path

import torch

import bohpo.acquisition.optimize as acquisition_optimize
import bohpo.surrogates.gp as gp_module
from bohpo._threads import _controller, single_threaded_blas
from bohpo.problems import make_problem
from bohpo.searchers import make_searcher

Limiter = Callable[[], AbstractContextManager[None]]


class _CountedLimiter:
    """One BLAS thread while any context is open in any thread; no lock held through the solves."""

    def __init__(self) -> None:
        self._count_lock = threading.Lock()
        self._inside = 0
        self._hold, self._held = threading.Event(), threading.Event()
        self._release, self._released = threading.Event(), threading.Event()
        threading.Thread(target=self._holder, daemon=True).start()

    def _holder(self) -> None:
        while True:
            self._hold.wait()
            self._hold.clear()
            with ExitStack() as limit:
                with suppress(Exception):
                    limit.enter_context(_controller().limit(limits=1, user_api="blas"))
                self._held.set()
                self._release.wait()
                self._release.clear()
            self._released.set()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._count_lock:
            if self._inside == 0:
                self._held.clear()
                self._hold.set()
                self._held.wait()
            self._inside += 1
        try:
            yield
        finally:
            with self._count_lock:
                self._inside -= 1
                if self._inside == 0:
                    self._released.clear()
                    self._release.set()
                    self._released.wait()


def _use(limiter: Limiter) -> None:
    """Make bohpo's GP fit and acquisition refinement enter ``limiter`` around their solves."""
    gp_module.single_threaded_blas = limiter  # type: ignore[assignment]
    acquisition_optimize.single_threaded_blas = limiter  # type: ignore[assignment]


def _study(seed: int, trials: int) -> None:
    problem = make_problem("hartmann6")
    searcher = make_searcher("gp-logei", problem.space, seed=seed)
    for _ in range(trials):
        trial = searcher.ask()
        searcher.tell(trial, problem(trial.params))


def _seconds(trials: int, threaded: bool) -> float:
    start = time.perf_counter()
    if threaded:
        threads = [threading.Thread(target=_study, args=(seed, trials)) for seed in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for seed in (0, 1):
            _study(seed, trials)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    limiters: dict[str, Limiter] = {"locked (bohpo)": single_threaded_blas, "counted": _CountedLimiter()}
    times: dict[tuple[str, bool], list[float]] = {(name, t): [] for name in limiters for t in (False, True)}
    for _ in range(args.reps):
        for name, limiter in limiters.items():
            _use(limiter)
            for threaded in (False, True):
                times[name, threaded].append(_seconds(args.trials, threaded))
    _use(single_threaded_blas)
    lines = [
        "# Two independent GP searchers on two Python threads",
        "",
        f"Produced by `python benchmarks/threads.py --reps {args.reps} --trials {args.trials}`. Wall seconds for two "
        f"studies of {args.trials} trials (the default GP on Hartmann6, seeds 0 and 1, one torch thread), median "
        f"over {args.reps} interleaved repetitions [min, max].",
        "",
        "| BLAS limiter | sequential | two threads | two threads / sequential |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in limiters:
        seq, par = (statistics.median(times[name, t]) for t in (False, True))
        lo, hi = min(times[name, True]), max(times[name, True])
        lines.append(f"| {name} | {seq:.2f} | {par:.2f} [{lo:.2f}, {hi:.2f}] | {par / seq:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
