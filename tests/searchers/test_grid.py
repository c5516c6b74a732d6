"""Grid search: every point once, seeded order, a clear end."""

from __future__ import annotations

import math

import pytest

from bohpo.errors import SearchExhausted
from bohpo.searchers import GridSearch
from bohpo.space import Categorical, Float, Int, Space


@pytest.fixture
def space() -> Space:
    return Space({"x": Float(0.0, 1.0), "k": Int(1, 3), "c": Categorical(["a", "b"])})


def test_every_grid_point_is_asked_exactly_once(space: Space) -> None:
    searcher = GridSearch(space, n_points=3, seed=0)
    assert searcher.size == 3 * 3 * 2
    asked = searcher.ask(5) + [searcher.ask() for _ in range(13)]
    assert sorted(space.key(t.params) for t in asked) == sorted(space.key(c) for c in space.grid(3))
    assert searcher.n_remaining == 0


def test_a_batch_larger_than_what_remains_gets_the_rest_then_the_grid_is_exhausted(space: Space) -> None:
    searcher = GridSearch(space, n_points=2, seed=0)
    first = searcher.ask(6)
    rest = searcher.ask(3)
    assert len(rest) == 2 and searcher.n_remaining == 0
    assert sorted(space.key(t.params) for t in first + rest) == sorted(space.key(c) for c in space.grid(2))
    before = searcher.to_json()
    with pytest.raises(SearchExhausted, match=r"the grid is exhausted: all 8 of its points have been asked"):
        searcher.ask()
    assert searcher.to_json() == before  # nothing changed


def test_order_is_seeded_or_plain(space: Space) -> None:
    def order(**kwargs: object) -> list[tuple[object, ...]]:
        return [space.key(t.params) for t in GridSearch(space, n_points=3, **kwargs).ask(18)]  # type: ignore[arg-type]

    assert order(seed=1) == order(seed=1) != order(seed=2)
    assert order(seed=1, shuffle=False) == [space.key(c) for c in space.grid(3)]


def test_for_budget_picks_the_coarsest_grid_that_covers_it() -> None:
    two_d = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    assert GridSearch.for_budget(two_d, 60, seed=0).size == 64  # 8 x 8; 7 x 7 = 49 is too small
    assert GridSearch.for_budget(two_d, 64, seed=0).size == 64
    mixed = Space({"x": Float(0.0, 1.0), "c": Categorical(["a", "b", "c"])})
    assert GridSearch.for_budget(mixed, 10, seed=0).size == 12  # 4 x 3
    narrow = Space({"k": Int(1, 3), "j": Int(0, 1)})
    assert GridSearch.for_budget(narrow, 1000, seed=0).size == 6  # the whole space, then no further
    log_int = Space({"n": Int(1, 1000, log=True)})
    assert GridSearch.for_budget(log_int, 900, seed=0).size >= 900
    wide_and_long = Space({"k": Int(0, 1), "x": Float(0.0, 1.0)})
    assert GridSearch.for_budget(wide_and_long, 20_000, seed=0).size == 20_000  # bisection: fast
    choices = Space({"c": Categorical(["a", "b"])})
    assert GridSearch.for_budget(choices, 5, seed=0).size == 2


def test_grid_argument_errors(space: Space) -> None:
    with pytest.raises(ValueError, match=r"n_points must be >= 1, got 0"):
        GridSearch(space, n_points=0)
    with pytest.raises(TypeError, match=r"shuffle must be a bool, got 'yes'"):
        GridSearch(space, shuffle="yes")  # type: ignore[arg-type]
    wide = Space({f"x{i}": Float(0.0, 1.0) for i in range(9)})
    with pytest.raises(ValueError, match=r"the grid has 387420489 points, more than"):
        GridSearch(wide, n_points=9)
    assert math.prod(len(v) for v in wide.grid_values(5).values()) == GridSearch(wide, n_points=5, seed=0).size
    with pytest.raises(ValueError, match=r"needs 2 points per numeric parameter here, 16777216 in all"):
        GridSearch.for_budget(Space({f"x{i}": Float(0.0, 1.0) for i in range(24)}), 50)
