"""Keep numpy/scipy's BLAS single-threaded around scipy's L-BFGS-B.

L-BFGS-B does BLAS work on vectors of a few dozen numbers. A multi-threaded OpenBLAS wakes (and spins) its threads
for each of those calls, which costs milliseconds per iteration as soon as another process shares the cores — ten
times the work itself. Torch's own thread pool is not touched.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache
from typing import Any

from threadpoolctl import ThreadpoolController


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def single_threaded_blas() -> AbstractContextManager[Any]:
    """A context in which numpy's and scipy's BLAS libraries use one thread."""
    return _controller().limit(limits=1, user_api="blas")
