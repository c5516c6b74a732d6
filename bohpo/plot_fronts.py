"""Figures of multi-objective and constrained studies (re-exported by :mod:`bohpo.plot`).

pareto_front(study)            two objectives: every complete trial, the feasible front joined as its attainment
                               curve (the boundary of what it dominates), infeasible trials apart;
objectives_parallel(study)     any number of objectives: each trial a line across the objectives' axes, the front's
                               lines drawn over the rest;
hypervolume_curve(data, ref)   the hypervolume of the feasible front against the number of evaluations, one line per
                               searcher, or a median and band per method over several runs.

The numbers each figure draws come from functions of their own (:func:`front_points`, :func:`hypervolume_trace`),
tested against brute force; the figures only draw them. Values are shown in the objectives' own directions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bohpo.objectives import hypervolume, pareto_mask

__all__ = ["front_points", "hypervolume_curve", "hypervolume_trace", "objectives_parallel", "pareto_front"]


def _searcher(study: Any) -> Any:
    from bohpo.searchers.base import Searcher

    if not isinstance(study, Searcher):
        raise TypeError(f"give a searcher (its objectives say how to read its trials), got {type(study).__name__}")
    return study


def front_points(study: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A searcher's complete trials as points: ``values`` (n, m) in the objectives' own directions, in the order
    told; ``feasible`` (n,) bool; ``front`` (n,) bool, the feasible trials no other feasible one dominates (its
    :attr:`~bohpo.searchers.Searcher.pareto_front`)."""
    searcher = _searcher(study)
    completed = searcher.completed
    if not completed:
        m = searcher.objectives.count
        return np.zeros((0, m)), np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    Y, _ = searcher._outcomes(completed)  # minimised
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in searcher.objectives.directions])
    feasible = np.array([t.is_feasible for t in completed])
    front = np.zeros(len(completed), dtype=bool)
    if feasible.any():
        rows = np.flatnonzero(feasible)
        front[rows] = pareto_mask(Y[torch.as_tensor(rows)]).numpy()
    return Y.numpy() * signs, feasible, front


def hypervolume_trace(study: Any, reference: Mapping[str, float] | Sequence[float]) -> np.ndarray:
    """(n,) the hypervolume of the feasible trials told so far, after each told trial (failed ones included, which
    leave it unchanged), against ``reference`` (a value per objective, in its own direction)."""
    searcher = _searcher(study)
    point = searcher.objectives.values(reference)
    if point is None:
        raise ValueError(f"the reference point must hold finite numbers, got {reference!r}")
    ref = torch.tensor(searcher.objectives.minimised(point), dtype=torch.float64)
    told = searcher.history
    Y, C = searcher._outcomes(told)
    usable = torch.isfinite(Y).all(-1) & (C <= 0).all(-1)
    for row, trial in enumerate(told):
        usable[row] &= trial.status.value == "complete"
    trace, kept = np.zeros(len(told)), torch.zeros(0, Y.shape[1], dtype=torch.float64)
    volume = 0.0
    for i in range(len(told)):
        if usable[i]:
            kept = torch.cat([kept, Y[i : i + 1]])
            volume = hypervolume(kept, ref)
        trace[i] = volume
    return trace


def pareto_front(study: Any, *, objectives: tuple[int, int] = (0, 1), ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Two of a searcher's objectives: its feasible trials (dots, coloured by the order told), its infeasible ones
    (grey crosses) and the feasible front (larger dots) joined by its attainment curve."""
    from bohpo.plot import _axes

    searcher = _searcher(study)
    names = searcher.objectives.names
    if len(names) < 2:
        raise ValueError("pareto_front draws two objectives; this searcher has one (use plot.history)")
    i, j = objectives
    if not (0 <= i < len(names) and 0 <= j < len(names) and i != j):
        raise ValueError(f"objectives must be two different indices below {len(names)}, got {objectives!r}")
    fig, ax = _axes(ax, (5.0, 4.0))
    values, feasible, front = front_points(searcher)
    order = np.arange(len(values))
    if (~feasible).any():
        ax.scatter(values[~feasible, i], values[~feasible, j], marker="x", color="0.6", s=14, label="infeasible")
    dots = ax.scatter(values[feasible, i], values[feasible, j], c=order[feasible], cmap="viridis", s=14, alpha=0.7,
                      label="feasible")  # fmt: skip
    if front.any():
        points = values[front][:, [i, j]]
        points = points[np.argsort(points[:, 0] * (1 if searcher.objectives.directions[i] == "minimize" else -1))]
        ax.scatter(points[:, 0], points[:, 1], s=40, facecolors="none", edgecolors="C3", label="Pareto front")
        if len(names) == 2:  # with more objectives, the front of two of them is not a staircase
            ax.step(points[:, 0], points[:, 1], where="post", color="C3", linewidth=1.2)
    if feasible.any():
        fig.colorbar(dots, ax=ax, label="trial (order told)")
    ax.set_xlabel(f"{names[i]} ({searcher.objectives.directions[i]}d)")
    ax.set_ylabel(f"{names[j]} ({searcher.objectives.directions[j]}d)")
    ax.set_title(f"{type(searcher).__name__}: {int(front.sum())} trials on the front")
    ax.legend(frameon=False, fontsize="small")
    return fig, ax


def objectives_parallel(study: Any, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Every feasible complete trial as a line across the objectives' axes (each scaled to [0, 1] over the trials
    shown, 0 the best end), the front's lines drawn last, in colour."""
    from bohpo.plot import _axes

    searcher = _searcher(study)
    fig, ax = _axes(ax, (6.0, 4.0))
    values, feasible, front = front_points(searcher)
    minimised = values[feasible] * np.array([1.0 if d == "minimize" else -1.0 for d in searcher.objectives.directions])
    if minimised.shape[0]:
        low, high = minimised.min(0), minimised.max(0)
        scaled = (minimised - low) / np.where(high > low, high - low, 1.0)
        on_front = front[feasible]
        x = np.arange(minimised.shape[1])
        for row in scaled[~on_front]:
            ax.plot(x, row, color="0.75", linewidth=0.6)
        for row in scaled[on_front]:
            ax.plot(x, row, color="C3", linewidth=1.2)
    ax.set_xticks(range(searcher.objectives.count), searcher.objectives.names)
    ax.set_ylabel("scaled value (0: best)")
    ax.set_title(f"{type(searcher).__name__}: {int(front.sum())} trials on the front (red)")
    return fig, ax


def hypervolume_curve(
    data: Any, reference: Mapping[str, float] | Sequence[float], *, ax: Axes | None = None
) -> tuple[Figure, Axes]:
    """Hypervolume against evaluations: ``data`` a searcher, a list of searchers, or a mapping ``{method: searcher
    | [searchers]}`` (several runs of a method: their median and inter-quartile band)."""
    from bohpo.plot import _axes, _centre_and_band, colour_of
    from bohpo.searchers.base import Searcher

    if isinstance(data, Searcher):
        groups: dict[str, list[Any]] = {type(data).__name__: [data]}
    elif isinstance(data, Mapping):
        groups = {str(k): [v] if isinstance(v, Searcher) else list(v) for k, v in data.items()}
    elif isinstance(data, Sequence) and all(isinstance(s, Searcher) for s in data):
        groups = {}
        for s in data:
            groups.setdefault(type(s).__name__, []).append(s)
    else:
        raise TypeError(
            f"give a searcher, a list of them, or a mapping of method to searchers; got {type(data).__name__}"
        )
    fig, ax = _axes(ax)
    for method, searchers in groups.items():
        traces = [hypervolume_trace(s, reference) for s in searchers]
        width = max(len(t) for t in traces)
        rows = np.full((len(traces), width), np.nan)
        for r, t in enumerate(traces):
            rows[r, : len(t)] = t
        centre, low, high = _centre_and_band(rows, "iqr")
        x = np.arange(1, width + 1)
        colour = colour_of(method)
        ax.plot(x, centre, color=colour, label=method)
        if len(traces) > 1:
            ax.fill_between(x, low, high, color=colour, alpha=0.2)
    ax.set_xlabel("evaluations")
    ax.set_ylabel("hypervolume")
    ax.legend(frameon=False)
    return fig, ax
