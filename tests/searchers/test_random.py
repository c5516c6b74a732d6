"""Random and Sobol search: their distributions, and Sobol's sequence kept across asks and resumes."""

from __future__ import annotations

import math

import numpy as np

from bohpo.searchers import RandomSearch, SobolSearch
from bohpo.space import Categorical, Float, Space


def test_random_search_is_uniform_over_its_space() -> None:
    space = Space({"x": Float(0.0, 1.0), "c": Categorical(["a", "b", "c", "d"])})
    searcher = RandomSearch(space, seed=0)
    trials = [t for _ in range(100) for t in searcher.ask(40)]
    x = np.array([t.params["x"] for t in trials])
    # Kolmogorov-Smirnov distance to the uniform CDF; 1.95 / sqrt(n) is the 0.1% critical value.
    xs = np.sort(x)
    ks = np.max(np.abs(xs - np.arange(1, len(xs) + 1) / len(xs)))
    assert ks < 1.95 / math.sqrt(len(xs))
    counts = np.array([sum(t.params["c"] == v for t in trials) for v in "abcd"])
    assert ((counts - 1000) ** 2 / 1000).sum() < 20


def test_sobol_search_continues_one_sequence_across_asks() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    searcher = SobolSearch(space, seed=3)
    asked = [searcher.ask() for _ in range(5)] + searcher.ask(11)
    assert [t.params for t in asked] == space.sobol(16, seed=searcher_sobol_seed(searcher))
    for name in ("x", "y"):  # the first 16 points stratify each axis into sixteenths
        assert sorted(math.floor(t.params[name] * 16) for t in asked) == list(range(16))


def searcher_sobol_seed(searcher: SobolSearch) -> int:
    from bohpo.searchers.random import _SOBOL_STREAM
    from bohpo.seeding import derive_seed

    return derive_seed(searcher.seed, _SOBOL_STREAM)


def test_sobol_search_covers_the_square_better_than_random() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})

    def empty_cells(points: list[dict[str, float]]) -> int:
        cells = {(math.floor(p["x"] * 8), math.floor(p["y"] * 8)) for p in points}
        return 64 - len(cells)

    sobol = [t.params for t in SobolSearch(space, seed=0).ask(64)]
    randoms = [empty_cells([t.params for t in RandomSearch(space, seed=s).ask(64)]) for s in range(20)]
    # 64 Sobol points fill every cell of an 8 x 8 grid; 64 random points leave about 64 / e of them empty.
    assert empty_cells(sobol) == 0 and min(randoms) > 10
