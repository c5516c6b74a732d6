"""Figures of multi-objective studies: the numbers drawn against the searcher's own front and hypervolume."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bohpo import plot
from bohpo.errors import TrialFailedWarning
from bohpo.objectives import hypervolume
from bohpo.plot_fronts import front_points, hypervolume_trace
from bohpo.searchers import RandomSearch
from bohpo.space import Float, Space

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})


def _study(seed: int, *, constraints: bool = True, n: int = 30) -> RandomSearch:
    """error = x, accuracy = 1 - (1 - x)^2 - 0.5 y (maximised), feasible when y >= 0.2; every seventh failed."""
    searcher = RandomSearch(
        SPACE, seed=seed, objectives={"error": "minimize", "accuracy": "maximize"},
        constraints=["limit"] if constraints else None,
    )  # fmt: skip
    for i in range(n):
        trial = searcher.ask()
        x, y = trial.params["x"], trial.params["y"]
        if i % 7 == 6:
            with pytest.warns(TrialFailedWarning):
                searcher.tell(trial, failed=True)
            continue
        values = {"error": x, "accuracy": 1 - (1 - x) ** 2 - 0.5 * y}
        searcher.tell(trial, values, constraints={"limit": 0.2 - y} if constraints else None)
    return searcher


def test_front_points_are_the_complete_trials_in_their_own_directions() -> None:
    searcher = _study(0)
    values, feasible, front = front_points(searcher)
    completed = searcher.completed
    assert values.tolist() == [list(t.values) for t in completed]  # type: ignore[arg-type]
    assert feasible.tolist() == [t.is_feasible for t in completed]
    assert [t for t, on in zip(completed, front, strict=True) if on] == searcher.pareto_front
    assert not (front & ~feasible).any()


def test_the_hypervolume_trace_is_the_hypervolume_of_each_prefix() -> None:
    searcher = _study(1)
    reference = {"error": 1.0, "accuracy": 0.0}
    trace = hypervolume_trace(searcher, reference)
    assert trace.shape == (len(searcher.history),) and (np.diff(trace) >= 0).all()
    assert trace[-1] == pytest.approx(searcher.hypervolume(reference))
    for n in (5, 12, 20):
        rows = [
            (t.values[0], -t.values[1])  # type: ignore[index]
            for t in searcher.history[:n]
            if t.values is not None and t.is_feasible
        ]
        expected = hypervolume(torch.tensor(rows), torch.tensor([1.0, 0.0])) if rows else 0.0
        assert trace[n - 1] == pytest.approx(expected)


def test_the_figures_draw_and_refuse_what_they_cannot_show() -> None:
    searcher = _study(2)
    fig, ax = plot.pareto_front(searcher)
    assert "error" in ax.get_xlabel() and "maximized" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["infeasible", "feasible", "Pareto front"]
    plot.close(fig)
    fig, ax = plot.objectives_parallel(searcher)
    red = [line for line in ax.get_lines() if line.get_color() == "C3"]
    assert len(red) == len(searcher.pareto_front)
    plot.close(fig)
    runs = {"random": [_study(s, constraints=False) for s in range(3)], "one": _study(4)}
    fig, ax = plot.hypervolume_curve(runs, [1.0, 0.0])
    assert [line.get_label() for line in ax.get_lines()] == ["random", "one"] and len(ax.collections) == 1
    plot.close(fig)
    single = RandomSearch(SPACE, seed=0)
    single.tell(single.ask(), 1.0)
    with pytest.raises(ValueError, match="has one"):
        plot.pareto_front(single)
    with pytest.raises(ValueError, match="pareto_front"):
        plot.history(searcher)
    with pytest.raises(ValueError, match="finite"):
        hypervolume_trace(searcher, [1.0, float("nan")])
