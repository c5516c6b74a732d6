"""One thread for the numerical work that decides a searcher's next points.

Two contexts:
    - :func:`single_threaded_torch`: torch's intra-op pool at one thread around a proposer's model step, so that the
      same seed gives the same trials whatever the process's thread count;
    - :func:`single_threaded_blas`: numpy's and scipy's BLAS at one thread around scipy's L-BFGS-B.

Why torch: a multi-threaded torch splits a reduction (a matrix product, a sum over candidates) into one partial sum
per thread, so its last bits depend on the thread count. A GP fit amplifies such a difference: Hartmann6's study with
seed 3 ended at -3.0140 under one thread and -3.1170 under two (the hyperparameters moved by the last bits, then the
acquisition's maximiser, then every point after it). The model step runs on one thread instead, as the benchmarks and
worker processes always ran it (what it costs is a multi-threaded speed-up on large models, which the overhead
benchmark, run on one thread, never counted). Torch's thread count belongs to the calling OS thread (its OpenMP and
MKL settings; a thread that has not used torch yet starts from the last count set anywhere), so the context sets and
restores the calling thread's own: steps on several Python threads at once each run on one thread and leave the
others' counts alone.

Why BLAS: L-BFGS-B does BLAS work on vectors of a few dozen numbers. A multi-threaded OpenBLAS wakes (and spins)
its threads for each of those calls, which costs milliseconds per iteration as soon as another process shares the
cores — ten times the work itself. This context leaves torch's threads alone.

The BLAS thread count is a setting of the whole process, so the context holds a re-entrant lock: two threads that
ask at once take turns in the solver instead of one restoring the setting under the other. A counted limiter that
lets them in together (``benchmarks/threads.py``) was measured and is no faster: the solves are bound by Python's
interpreter lock, so two GP studies on two threads take 1.14 times as long as one after the other with either.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import torch
from threadpoolctl import ThreadpoolController

_LOCK = threading.RLock()


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """A context in which numpy's and scipy's BLAS libraries use one thread (one thread of the process at a time)."""
    with _LOCK, _controller().limit(limits=1, user_api="blas"):
        yield


@contextmanager
def single_threaded_torch() -> Iterator[None]:
    """A context in which the calling thread's torch operations use one thread; its count before is restored after
    (re-entrant)."""
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
