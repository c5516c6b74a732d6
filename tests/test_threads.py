"""The BLAS limit around scipy's solvers: one thread inside, restored after, re-entrant, one thread at a time."""

from __future__ import annotations

import threading
import time

from threadpoolctl import threadpool_info

from bohpo._threads import single_threaded_blas


def _blas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def test_blas_is_single_threaded_inside_and_restored_after() -> None:
    before = _blas_threads()
    with single_threaded_blas():
        assert all(n == 1 for n in _blas_threads())
        with single_threaded_blas():  # re-entrant: a GP fit inside an acquisition step
            assert all(n == 1 for n in _blas_threads())
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == before


def test_two_threads_take_turns() -> None:
    inside, overlaps = [0], []

    def work() -> None:
        with single_threaded_blas():
            inside[0] += 1
            overlaps.append(inside[0])
            time.sleep(0.05)
            inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [1, 1, 1]
