"""The thread limits: BLAS around scipy's solvers (one thread inside, restored after, re-entrant, one Python thread at
a time) and torch's pool around a model step (one thread inside, restored when the last context closes)."""

from __future__ import annotations

import threading
import time

import torch
from threadpoolctl import threadpool_info

from bohpo._threads import single_threaded_blas, single_threaded_torch


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


def test_torch_is_single_threaded_inside_and_restored_after() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with single_threaded_torch():
            assert torch.get_num_threads() == 1
            with single_threaded_torch():  # re-entrant
                assert torch.get_num_threads() == 1
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2

        # the count is the calling thread's: a context on another Python thread leaves this one's alone
        inside, release = threading.Event(), threading.Event()
        seen: dict[str, int] = {}

        def step() -> None:
            torch.set_num_threads(2)
            with single_threaded_torch():
                seen["inside"] = torch.get_num_threads()
                inside.set()
                release.wait(5)
            seen["after"] = torch.get_num_threads()

        other = threading.Thread(target=step)
        other.start()
        inside.wait(5)
        seen["meanwhile here"] = torch.get_num_threads()
        release.set()
        other.join()
        assert seen == {"inside": 1, "meanwhile here": 2, "after": 2}
    finally:
        torch.set_num_threads(before)
