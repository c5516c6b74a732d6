"""Objectives and the comparisons of outcomes: each against brute force on random points."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from bohpo.objectives import (
    Objectives,
    crowding_distance,
    hypervolume,
    hypervolume_subset,
    nondominated_ranks,
    pareto_mask,
    reference_point,
    selection_order,
    total_violation,
)


def _dominates(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool((a <= b).all() and (a < b).any())


def _points(seed: int, n: int, m: int, *, grid: int | None = None) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    Y = torch.rand(n, m, generator=g, dtype=torch.float64)
    return (Y * grid).floor() if grid else Y  # on a grid: ties and duplicates


@pytest.mark.parametrize(("seed", "m", "grid"), [(0, 2, None), (1, 3, None), (2, 2, 4), (3, 3, 3), (4, 4, None)])
def test_the_pareto_mask_is_the_brute_force_set_of_undominated_rows(seed: int, m: int, grid: int | None) -> None:
    Y = _points(seed, 40, m, grid=grid)
    expected = [not any(_dominates(Y[j], Y[i]) for j in range(len(Y))) for i in range(len(Y))]
    assert pareto_mask(Y).tolist() == expected


@pytest.mark.parametrize(("seed", "m", "grid"), [(5, 2, None), (6, 3, 4)])
def test_each_front_is_undominated_by_the_rows_left_and_dominated_by_the_front_before(
    seed: int, m: int, grid: int | None
) -> None:
    Y = _points(seed, 50, m, grid=grid)
    ranks = nondominated_ranks(Y)
    assert int(ranks.min()) == 0 and (ranks >= 0).all()
    for i, j in itertools.product(range(len(Y)), repeat=2):
        if _dominates(Y[j], Y[i]):
            assert ranks[j] < ranks[i]  # a dominating row is on an earlier front
    for i in range(len(Y)):
        if ranks[i] > 0:
            assert any(_dominates(Y[j], Y[i]) for j in range(len(Y)) if ranks[j] == ranks[i] - 1)


def test_the_crowding_distance_of_a_front_is_its_neighbours_gap_over_the_range() -> None:
    Y = torch.tensor([[0.0, 4.0], [1.0, 2.0], [3.0, 1.0], [4.0, 0.0]], dtype=torch.float64)
    distance = crowding_distance(Y)
    assert distance[0] == distance[3] == float("inf")
    # row 1: neighbours (0, 4) and (3, 1): 3/4 + 3/4; row 2: (1, 2) and (4, 0): 3/4 + 2/4
    assert distance[1:3].tolist() == pytest.approx([1.5, 1.25])
    assert crowding_distance(Y[:2]).isinf().all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_hypervolume_of_two_objectives_is_the_area_of_the_union_of_boxes(seed: int) -> None:
    Y = _points(seed, 12, 2)
    reference = torch.tensor([0.9, 1.1], dtype=torch.float64)
    # exact area: sweep the points in the first objective, each adds the strip up to the next better second value
    inside = sorted(tuple(row) for row in Y.tolist() if row[0] < 0.9 and row[1] < 1.1)
    area, best_second = 0.0, 1.1
    for i, (x, y) in enumerate(inside):
        next_x = inside[i + 1][0] if i + 1 < len(inside) else 0.9
        best_second = min(best_second, y)
        area += (next_x - x) * (1.1 - best_second)
    assert hypervolume(Y, reference) == pytest.approx(area, rel=1e-12)


def test_the_hypervolume_of_three_objectives_agrees_with_monte_carlo() -> None:
    Y = _points(7, 10, 3)
    reference = torch.ones(3, dtype=torch.float64)
    samples = torch.rand(200_000, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    dominated = (Y.unsqueeze(0) <= samples.unsqueeze(1)).all(-1).any(-1).double().mean()
    # standard error sqrt(p(1-p)/n) < 0.0012
    assert hypervolume(Y, reference) == pytest.approx(float(dominated), abs=0.005)


def test_points_not_better_than_the_reference_add_no_hypervolume() -> None:
    Y = torch.tensor([[0.5, 0.5], [2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    assert hypervolume(Y, torch.ones(2, dtype=torch.float64)) == pytest.approx(0.25)
    assert hypervolume(Y[1:], torch.ones(2, dtype=torch.float64)) == 0.0
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        hypervolume(Y, torch.ones(3, dtype=torch.float64))


def test_the_reference_point_lies_strictly_beyond_every_front_point_even_where_a_range_is_zero() -> None:
    front = torch.tensor([[0.0, 3.0], [1.0, 3.0], [4.0, 3.0]], dtype=torch.float64)  # the second objective constant
    worst, span = front.max(0).values, front.max(0).values - front.min(0).values
    point = reference_point(worst, span)
    assert point.tolist() == pytest.approx([4.0 + 0.4, 3.0 + 0.1])
    assert bool((front < point).all())  # every point adds hypervolume, the worst ones too
    assert hypervolume(front, point) > 0


def test_with_one_objective_the_selection_order_is_the_order_of_the_values_feasible_first() -> None:
    Y = torch.tensor([[3.0], [1.0], [2.0], [1.0], [0.0]], dtype=torch.float64)
    assert selection_order(Y).tolist() == [4, 1, 3, 2, 0]
    C = torch.tensor([[0.0], [-1.0], [0.5], [0.0], [2.0]], dtype=torch.float64)
    assert selection_order(Y, C).tolist() == [1, 3, 0, 2, 4]  # infeasible 2 (0.5) before 4 (2.0)
    assert total_violation(torch.tensor([[0.5, -1.0, 0.25]])).tolist() == [0.75]


def test_with_several_objectives_the_order_is_by_front_then_crowding() -> None:
    Y = _points(8, 30, 2)
    order = selection_order(Y)
    ranks = nondominated_ranks(Y)[order]
    assert (ranks[1:] >= ranks[:-1]).all() and sorted(order.tolist()) == list(range(30))
    front = order[ranks == 0]
    crowding = crowding_distance(Y[front])
    assert (crowding[1:] <= crowding[:-1]).all()


@pytest.mark.parametrize(("seed", "m"), [(0, 2), (1, 3), (2, 4)])
def test_the_hypervolume_subset_is_the_greedy_one_and_near_the_best_subset(seed: int, m: int) -> None:
    Y = _points(seed, 10, m)
    reference = torch.full((m,), 1.1, dtype=torch.float64)
    chosen = hypervolume_subset(Y, 4, reference).tolist()
    greedy: list[int] = []  # brute-force greedy: every gain recomputed at every step
    for _ in range(4):
        gains = {i: hypervolume(Y[[*greedy, i]], reference) for i in range(10) if i not in greedy}
        greedy.append(max(gains, key=lambda i: (gains[i], -i)))
    assert chosen == greedy
    best = max(hypervolume(Y[list(c)], reference) for c in itertools.combinations(range(10), 4))
    assert hypervolume(Y[chosen], reference) >= (1 - 1 / math.e) * best
    assert hypervolume_subset(Y, 20, reference).shape == (10,)  # k above p: every row, in greedy order


def test_a_good_group_cut_inside_a_front_is_cut_by_hypervolume_not_crowding() -> None:
    # three objectives: a front whose extremes (infinite crowding) lie far from the rest
    Y = torch.tensor(
        [[0.0, 5.0, 5.0], [5.0, 0.0, 5.0], [5.0, 5.0, 0.0], [0.9, 1.0, 1.1], [1.0, 1.1, 0.9], [1.1, 0.9, 1.0],
         [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]],
        dtype=torch.float64,
    )  # fmt: skip
    assert nondominated_ranks(Y).tolist() == [0, 0, 0, 0, 0, 0, 1, 2]
    assert set(selection_order(Y)[:3].tolist()) <= {0, 1, 2, 3, 4, 5}
    assert set(selection_order(Y)[:3].tolist()) & {0, 1, 2}  # crowding takes an extreme first
    order = selection_order(Y, first=3)
    assert set(order[:3].tolist()) == {3, 4, 5}  # the three that dominate the most
    span = Y[:6].max(0).values - Y[:6].min(0).values
    reference = Y[:6].max(0).values + 0.1 * span
    assert order[:3].tolist() == hypervolume_subset(Y[:6], 3, reference).tolist()  # in the order taken
    assert order[3:6].tolist() == [0, 1, 2] and order[6:].tolist() == [6, 7]  # the rest of the front, then fronts
    # a cut at a front's end, or beyond the feasible rows, changes nothing
    assert torch.equal(selection_order(Y, first=6), selection_order(Y))
    assert torch.equal(selection_order(Y, first=8), selection_order(Y))
    with pytest.raises(ValueError, match="first"):
        selection_order(Y, first=-1)


def test_objectives_read_a_mapping_or_a_sequence_and_name_what_is_wrong() -> None:
    o = Objectives.of(objectives={"error": "minimize", "size": "maximize"}, constraints=2)
    assert o.constraints == ("c0", "c1") and o.is_multi and o.count == 2
    assert o.values([0.1, 3]) == (0.1, 3.0) and o.values({"size": 3, "error": 0.1}) == (0.1, 3.0)
    assert o.values({"error": float("nan"), "size": 1}) is None
    assert o.minimised((0.1, 3.0)) == (0.1, -3.0)
    with pytest.raises(ValueError, match=r"missing \['size'\]"):
        o.values({"error": 0.1})
    with pytest.raises(ValueError, match=r"unknown \['speed'\]"):
        o.values({"error": 0.1, "size": 1, "speed": 2})
    with pytest.raises(ValueError, match="3 objective values told"):
        o.values([1, 2, 3])
    with pytest.raises(ValueError, match="mapping or a sequence"):
        o.values(0.5)
    with pytest.raises(ValueError, match="tell the constraint values"):
        o.constraint_values(None)
    with pytest.raises(ValueError, match="objective 'a': direction"):
        Objectives.of(objectives={"a": "up"})
    with pytest.raises(ValueError, match="must differ"):
        Objectives.of(objectives=["a", "a"])
    with pytest.raises(ValueError, match="names both"):
        Objectives.of(objectives=["a", "b"], constraints=["a"])
    with pytest.raises(ValueError, match="not direction="):
        Objectives.of("maximize", objectives=["a", "b"])
    single = Objectives.of("maximize")
    assert single.names == ("value",) and single.values(2.0) == (2.0,) and not single.is_multi
    with pytest.raises(ValueError, match="without constraints"):
        single.constraint_values([1.0])
