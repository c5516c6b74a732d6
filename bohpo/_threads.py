"""Keep numpy/scipy's BLAS single-threaded around scipy's L-BFGS-B.

L-BFGS-B does BLAS work on vectors of a few dozen numbers. A multi-threaded OpenBLAS wakes (and spins) its threads
for each of those calls, which costs milliseconds per iteration as soon as another process shares the cores — ten
times the work itself. Torch's own thread pool is not touched.

The BLAS thread count is a setting of the whole process, so the context holds a re-entrant lock: two threads that
ask at once take turns in the solver instead of one restoring the setting under the other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

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
