"""Figures of benchmark results (matplotlib). Every function returns ``(figure, axes)`` for a notebook to restyle.

convergence(results, problem)   best-so-far regret against evaluations, per searcher: median and inter-quartile
                                band (or mean ± standard error), log axis when the optimum is known;
rank_over_time(results)         mean rank of each searcher over problems and seeds, after each evaluation;
overhead(results)               seconds per ask against the number of observations, per searcher;
parameters(trials, space)       each parameter against the objective, for one run's trials;
brackets(trials)                a multi-fidelity run: each trial at its budget, a configuration's promotions joined;
budget_convergence(runs, ...)   best full-budget value against the budget spent, per method (median and band).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bohpo.bench.report import Results, rank_values, value_at
from bohpo.space import Categorical, Space

__all__ = [
    "brackets",
    "budget_convergence",
    "close",
    "convergence",
    "overhead",
    "parameters",
    "promotion_paths",
    "rank_over_time",
    "spent_and_best",
]


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
        normalised: Plot regret divided by the problem's scale (see :mod:`bohpo.bench.report`); a problem without
            one is plotted in plain regret, and the axis says so.
    """
    if band not in ("iqr", "se"):
        raise ValueError(f"band must be 'iqr' or 'se', got {band!r}")
    fig, ax = _axes(ax)
    normalised = normalised and results.scale(problem)[0] is not None
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


# -- multi-fidelity runs ------------------------------------------------------------------------------------------


def promotion_paths(trials: Sequence[Any]) -> dict[int, list[tuple[int, float, float]]]:
    """The told trials of one run grouped by configuration: ``{config_id: [(position, budget, value), ...]}``.

    ``trials`` are ``Trial`` s in the order asked; position is the index in ``trials``; failed trials and trials
    without a budget are left out. A configuration promoted twice has three entries, budgets increasing.
    """
    paths: dict[int, list[tuple[int, float, float]]] = {}
    for i, t in enumerate(trials):
        if t.value is None or t.budget is None:
            continue
        paths.setdefault(t.config_id, []).append((i, float(t.budget), float(t.value)))
    return paths


def brackets(trials: Sequence[Any], *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """One multi-fidelity run: each trial at (its position, its budget), coloured by value, the trials of a
    promoted configuration joined by a line — Hyperband's brackets and ASHA's rungs become visible."""
    fig, ax = _axes(ax, (8.0, 3.6))
    paths = promotion_paths(trials)
    for path in paths.values():
        if len(path) > 1:
            ax.plot([p[0] for p in path], [p[1] for p in path], color="0.75", lw=0.8, zorder=1)
    points = [p for path in paths.values() for p in path]
    if points:
        shown = ax.scatter(
            [p[0] for p in points], [p[1] for p in points], c=[p[2] for p in points], cmap="viridis_r", s=12,
            zorder=2,
        )  # fmt: skip
        fig.colorbar(shown, ax=ax, label="value")
    ax.set_yscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("budget")
    return fig, ax


def spent_and_best(trials: Sequence[Any], max_budget: float) -> tuple[np.ndarray, np.ndarray]:
    """After each told trial of one run: the budget spent so far, in full-budget evaluations (a trial at budget b
    costs b / max_budget; no budget means the full one), and the best value among full-budget evaluations (NaN
    before the first). Failed trials cost their budget and bring no value. Returns two (k,) arrays."""
    told = [t for t in trials if t.is_finished]
    budgets = np.array([max_budget if t.budget is None else float(t.budget) for t in told])
    spent = np.cumsum(budgets) / max_budget
    full = budgets >= max_budget * (1 - 1e-9)
    values = np.array([np.nan if t.value is None else float(t.value) for t in told])
    best = np.fmin.accumulate(np.where(full, values, np.nan)) if told else values
    return spent, best


def budget_convergence(
    runs: Mapping[str, Sequence[Sequence[Any]]],
    max_budget: float,
    *,
    optimum: float | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Best full-budget value (regret if ``optimum`` is given) against the budget spent: for each method
    (``{name: [trials of one run, ...]}``), the median over runs and the inter-quartile band, on a log axis."""
    fig, ax = _axes(ax)
    longest = max((spent_and_best(r, max_budget)[0][-1] for rs in runs.values() for r in rs if r), default=1.0)
    grid = np.linspace(longest / 200, longest, 200)
    for name, method_runs in runs.items():
        rows = []
        for run in method_runs:
            spent, best = spent_and_best(run, max_budget)
            index = np.searchsorted(spent, grid + 1e-9, side="right") - 1
            curve = np.where(index >= 0, best[np.clip(index, 0, None)], np.nan) - (optimum or 0.0)
            rows.append(np.where(np.isnan(curve), np.inf, curve))  # no value yet: worse than any
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, mid, high = np.percentile(np.array(rows), [25, 50, 75], axis=0)
        shown = np.isfinite(mid)
        (line,) = ax.plot(grid[shown], mid[shown], label=name)
        band = shown & np.isfinite(high)
        ax.fill_between(grid[band], low[band], high[band], color=line.get_color(), alpha=0.15)
    ax.set_yscale("log")
    ax.set_xlabel("budget spent (full-budget evaluations)")
    ax.set_ylabel("regret" if optimum is not None else "best full-budget value")
    ax.legend(frameon=False)
    return fig, ax
