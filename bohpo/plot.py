"""Figures of benchmark results (matplotlib). Every function returns ``(figure, axes)`` for a notebook to restyle.

convergence(results, problem)   best-so-far regret against evaluations, per searcher: median and inter-quartile
                                band (or mean ± standard error), log axis when the optimum is known;
rank_over_time(results)         mean rank of each searcher over problems and seeds, after each evaluation;
overhead(results)               seconds per ask against the number of observations, per searcher;
parameters(trials, space)       each parameter against the objective, for one run's trials.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bohpo.bench.report import Results, rank_values, value_at
from bohpo.space import Categorical, Space

__all__ = ["close", "convergence", "overhead", "parameters", "rank_over_time"]


def _axes(ax: Axes | None, size: tuple[float, float] = (6.0, 4.0)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig, new = plt.subplots(figsize=size)
    return fig, new


def close(fig: Figure) -> None:
    """Free a figure's memory (figures made for files, not for display)."""
    plt.close(fig)


def convergence(
    results: Results, problem: str, *, band: str = "iqr", normalised: bool = False, ax: Axes | None = None
) -> tuple[Figure, Axes]:
    """Best-so-far regret against the number of evaluations, one line and band per searcher.

    Args:
        band: ``"iqr"`` (median line, 25-75% band) or ``"se"`` (mean line, ± one standard error).
        normalised: Plot regret divided by the problem's scale (see :mod:`bohpo.bench.report`).
    """
    if band not in ("iqr", "se"):
        raise ValueError(f"band must be 'iqr' or 'se', got {band!r}")
    fig, ax = _axes(ax)
    for searcher in results.searchers:
        if (problem, searcher) not in results.curves:
            continue
        regret = results.normalised(problem, searcher) if normalised else results.regret(problem, searcher)
        x = np.arange(1, regret.shape[1] + 1)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: runs of different lengths
            if band == "iqr":
                line = np.nanmedian(regret, axis=0)
                low, high = np.nanpercentile(regret, 25, axis=0), np.nanpercentile(regret, 75, axis=0)
            else:
                line = np.nanmean(regret, axis=0)
                se = np.nanstd(regret, axis=0, ddof=1) / np.sqrt(np.sum(~np.isnan(regret), axis=0))
                low, high = line - se, line + se
        (drawn,) = ax.plot(x, line, label=searcher)
        ax.fill_between(x, low, high, color=drawn.get_color(), alpha=0.2, linewidth=0)
    if problem in results.known_optimum:
        ax.set_yscale("symlog", linthresh=1e-6)
    ax.set_xlabel("evaluations")
    what = "normalised regret" if normalised else "regret (best so far - best known)"
    ax.set_ylabel(what)
    ax.set_title(f"{problem}: {'median, 25-75%' if band == 'iqr' else 'mean ± SE'}")
    ax.legend(frameon=False)
    return fig, ax


def rank_over_time(results: Results, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Mean rank (1 = best) of each searcher after each evaluation, over problems and common seeds."""
    fig, ax = _axes(ax)
    searchers = results.searchers
    budget = max(c.shape[1] for c in results.curves.values())
    totals = np.zeros((len(searchers), budget))
    counts = np.zeros(budget)
    for problem in results.problems:
        if not all((problem, s) in results.curves for s in searchers):
            continue
        common = sorted(set.intersection(*(set(results.seeds[(problem, s)]) for s in searchers)))
        for seed in common:
            rows = [results.curves[(problem, s)][results.seeds[(problem, s)].index(seed)] for s in searchers]
            for n in range(1, budget + 1):
                totals[:, n - 1] += rank_values([value_at(row, n) for row in rows])
                counts[n - 1] += 1
    x = np.arange(1, budget + 1)
    with np.errstate(all="ignore"):
        for i, searcher in enumerate(searchers):
            ax.plot(x, totals[i] / counts, label=searcher)
    ax.set_xlabel("evaluations")
    ax.set_ylabel("mean rank (1 = best)")
    ax.set_title("rank over time")
    ax.legend(frameon=False)
    return fig, ax


def overhead(results: Results, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Seconds per ``ask`` against the number of observations the searcher had, median per observation count."""
    fig, ax = _axes(ax)
    for searcher in results.searchers:
        seconds, observed = results.ask_seconds.get(searcher), results.ask_observations.get(searcher)
        if seconds is None or observed is None or not seconds.size:
            continue
        counts = np.unique(observed)
        medians = [float(np.median(seconds[observed == c])) for c in counts]
        ax.plot(counts, medians, label=searcher)
    ax.set_yscale("log")
    ax.set_xlabel("observations")
    ax.set_ylabel("seconds per ask (median)")
    ax.set_title("searcher overhead")
    ax.legend(frameon=False)
    return fig, ax


def parameters(
    trials: Sequence[Any], space: Space, *, axes: Sequence[Axes] | None = None
) -> tuple[Figure, Sequence[Axes]]:
    """Each parameter of one run against the objective: ``trials`` are objects with ``params`` and ``value`` (a
    ``Trial`` or a stored ``TrialRecord``); failed ones are left out. Log parameters get a log axis, categoricals
    their choices as ticks; colour is the trial's order."""
    done = [t for t in trials if t.value is not None]
    names = space.names
    if axes is None:
        fig, grid = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.0), squeeze=False, sharey=True)
        axes = list(grid[0])
    else:
        fig = axes[0].figure  # type: ignore[assignment]
    values = np.array([t.value for t in done])
    order = np.arange(len(done))
    for ax, name in zip(axes, names, strict=True):
        param = space[name]
        if isinstance(param, Categorical):
            xs = np.array([_choice_index(param, t.params[name]) for t in done])
            ax.set_xticks(range(len(param.choices)), [str(c) for c in param.choices], rotation=30)
        else:
            xs = np.array([t.params[name] for t in done], dtype=float)
            if getattr(param, "log", False):
                ax.set_xscale("log")
        ax.scatter(xs, values, c=order, cmap="viridis", s=14)
        ax.set_xlabel(name)
    axes[0].set_ylabel("objective")
    return fig, axes


def _choice_index(param: Categorical, value: Any) -> int:
    for i, choice in enumerate(param.choices):
        if choice == value or str(choice) == str(value):
            return i
    raise ValueError(f"{value!r} is not a choice of this categorical ({param.choices!r})")
