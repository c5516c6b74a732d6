"""Figures of benchmark results and of a researcher's own studies (matplotlib). Every function returns
``(figure, axes)`` for a notebook to restyle; each method keeps one colour in every figure (:func:`colour_of`).

convergence(data, problem)      best so far against evaluations, per method: median and inter-quartile band (or mean
                                ± standard error), for benchmark results or for searchers / histories of one's own;
history(study)                  one study's values, its incumbent and its failed trials;
parameters(study)               slices: each parameter against the objective, coloured by trial order;
parallel_coordinates(study)     every trial across the parameters' axes, coloured by value;
importance(study)               each parameter's share of the importance (:mod:`bohpo.importance`);
critical_difference(results)    mean ranks across problems with the Nemenyi test's critical difference;
rank_over_time(results)         mean rank of each searcher over problems and seeds, after each evaluation;
overhead(results)               seconds per ask against the number of observations, per searcher;
brackets(trials)                a multi-fidelity run: each trial at its budget, a configuration's promotions joined;
budget_convergence(runs, ...)   best full-budget value against the budget spent, per method (median and band);
pareto_front(study)             two objectives: the trials, the feasible front and its attainment curve;
objectives_parallel(study)      any number of objectives: each trial a line across them, the front in colour;
hypervolume_curve(data, ref)    the front's hypervolume against evaluations, per searcher or method
                                (these three live in :mod:`bohpo.plot_fronts`).

A value axis is logarithmic only where every value shown is positive and they span a decade or more.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bohpo.bench.report import Results, rank_values, value_at
from bohpo.importance import trials_and_space
from bohpo.plot_fronts import hypervolume_curve, objectives_parallel, pareto_front
from bohpo.space import Categorical, Space

# tab10, then tab20's lighter partners: twenty colours, the first ten the most distinct
_PALETTE: list[tuple[float, float, float]] = [
    *plt.get_cmap("tab10").colors,  # type: ignore[attr-defined]
    *plt.get_cmap("tab20").colors[1::2],  # type: ignore[attr-defined]
]
_HASHED = len(_PALETTE)  # any other name takes one of these by a hash of it
_PALETTE += [plt.get_cmap("Dark2").colors[i] for i in (0, 3, 5)]  # type: ignore[attr-defined]
# the built-in searchers most often compared take the most distinct colours, always the same ones; every registered
# searcher has a slot of its own
_COLOUR_SLOTS = (
    "gp-logei", "tpe", "random", "sobol", "optuna-gp", "optuna-tpe", "botorch-logei", "grid", "gp-ei", "hyperband",
    "bohb", "asha", "gp-ucb", "gp-pi", "tpe-univariate", "successive-halving", "bohb-gp", "asha-gp", "optuna-cmaes",
    "optuna-tpe-univariate", "cmaes", "genetic", "optuna-nsga2",
)  # fmt: skip

__all__ = [
    "brackets",
    "budget_convergence",
    "close",
    "colour_of",
    "convergence",
    "critical_difference",
    "history",
    "hypervolume_curve",
    "importance",
    "nemenyi_critical_difference",
    "objectives_parallel",
    "overhead",
    "parallel_coordinates",
    "parameters",
    "pareto_front",
    "population",
    "promotion_paths",
    "rank_over_time",
    "spent_and_best",
    "study_runs",
]


def _axes(ax: Axes | None, size: tuple[float, float] = (6.0, 4.0)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig, new = plt.subplots(figsize=size)
    return fig, new


def close(fig: Figure) -> None:
    """Free a figure's memory (figures made for files, not for display)."""
    plt.close(fig)


def colour_of(name: str) -> tuple[float, float, float]:
    """The one colour ``name`` gets in every figure: a fixed slot for each built-in searcher, a slot chosen by a hash of
    the name (stable across sessions) for any other."""
    slot = _COLOUR_SLOTS.index(name) if name in _COLOUR_SLOTS else zlib.crc32(name.encode()) % _HASHED
    return _PALETTE[slot]


def convergence(
    data: Results | Any,
    problem: str | None = None,
    *,
    band: str = "iqr",
    normalised: bool = False,
    optimum: float | None = None,
    direction: str | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Best so far against the number of evaluations, one line and band per method.

    Args:
        data: Benchmark :class:`~bohpo.bench.report.Results` (with ``problem``); or the researcher's own studies: a
            searcher, a list of searchers (grouped by class: one method's seeds, or several methods), a mapping
            ``{method: searcher | [searchers] | trials | [trials, ...]}``, or one run's trials.
        problem: The problem of benchmark results.
        band: ``"iqr"`` (median line, 25-75% band) or ``"se"`` (mean line, ± one standard error).
        normalised: For benchmark results, regret divided by the problem's scale (see :mod:`bohpo.bench.report`); a
            problem without one is plotted in plain regret, and the axis says so.
        optimum: For studies, plot the regret from this value instead of the best value itself.
        direction: For trials given without their searcher (default ``"minimize"``); a searcher brings its own.

    The best so far follows the direction (a maximised study's best is its highest value). The value axis is
    logarithmic only where every value shown is positive and they span at least a decade (a symmetric log with a
    linear band at the smallest positive value where regrets reach 0), with ticks at 1, 2 and 5 times the powers of
    ten where it spans less than three decades; otherwise linear.
    """
    if band not in ("iqr", "se"):
        raise ValueError(f"band must be 'iqr' or 'se', got {band!r}")
    fig, ax = _axes(ax)
    if isinstance(data, Results):
        if problem is None:
            raise ValueError("benchmark results need the problem to plot")
        normalised = normalised and data.scale(problem)[0] is not None
        curves = {
            s: data.normalised(problem, s) if normalised else data.regret(problem, s)
            for s in data.searchers
            if (problem, s) in data.curves
        }
        what = "normalised regret" if normalised else "regret (best so far - best known)"
        title = problem
    else:
        runs, sense = study_runs(data, direction)
        curves = {}
        for method, values in runs.items():
            best = [_best_so_far(v, sense) for v in values]
            width = max(len(b) for b in best)
            rows = np.array([np.pad(b, (0, width - len(b)), constant_values=np.nan) for b in best])  # (runs, width)
            curves[method] = np.abs(rows - optimum) if optimum is not None else rows
        what = "regret (|best so far - optimum|)" if optimum is not None else f"best value so far ({sense}d)"
        title = "convergence"
    shown = []
    for method, rows in curves.items():
        x = np.arange(1, rows.shape[1] + 1)
        line, low, high = _centre_and_band(rows, band)
        colour = colour_of(method)
        ax.plot(x, line, label=method, color=colour)
        if rows.shape[0] > 1:
            ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
        shown.append(rows)
    _value_axis(ax, np.concatenate([r.ravel() for r in shown]) if shown else np.zeros(0))
    ax.set_xlabel("evaluations")
    ax.set_ylabel(what)
    runs_shown = max((r.shape[0] for r in shown), default=0)
    summary = ("median, 25-75%" if band == "iqr" else "mean ± SE") if runs_shown > 1 else "one run"
    ax.set_title(f"{title}: {summary}")
    ax.legend(frameon=False)
    return fig, ax


def history(
    study: Any, *, optimum: float | None = None, direction: str | None = None, ax: Axes | None = None
) -> tuple[Figure, Axes]:
    """One study's optimization history: each completed trial's value (dots), the incumbent (a step line), and the
    failed trials (crosses on the lower edge). ``study`` is a searcher or one run's trials; with ``optimum`` the
    values are regrets. The value axis is chosen as :func:`convergence` chooses it."""
    fig, ax = _axes(ax)
    runs, sense = study_runs(study, direction)
    if len(runs) != 1 or len(next(iter(runs.values()))) != 1:
        raise ValueError("history draws one study: give one searcher or one run's trials")
    (method, (values,)) = next(iter(runs.items()))
    shown = np.abs(values - optimum) if optimum is not None else values
    best = np.abs(_best_so_far(values, sense) - optimum) if optimum is not None else _best_so_far(values, sense)
    x = np.arange(1, len(values) + 1)
    colour = colour_of(method)
    ax.scatter(x, shown, s=12, color=colour, alpha=0.6, label="trials")
    ax.step(x, best, where="post", color=colour, label="best so far")
    failed = np.isnan(values)
    if failed.any():
        ax.scatter(x[failed], np.zeros(int(failed.sum())), marker="x", color="0.3", clip_on=False,
                   transform=ax.get_xaxis_transform(), label="failed")  # fmt: skip
    _value_axis(ax, shown)
    ax.set_xlabel("trial")
    ax.set_ylabel("regret" if optimum is not None else f"value ({sense}d)")
    ax.set_title(f"{method}: history")
    ax.legend(frameon=False)
    return fig, ax


def study_runs(study: Any, direction: str | None = None) -> tuple[dict[str, list[np.ndarray]], str]:
    """A study, in any of the forms :func:`convergence` takes, as ``{method: [values of each run]}`` (each a (n,)
    array in the order told, NaN for a failed trial) and the direction they share.

    Raises:
        ValueError: searchers of opposite directions, or a ``direction`` that contradicts theirs.
    """
    from bohpo.searchers.base import Searcher

    directions: set[str] = set()

    def values_of(run: Any) -> np.ndarray:
        if isinstance(run, Searcher):
            if run.objectives.is_multi:
                raise ValueError(
                    f"this {type(run).__name__} has {run.objectives.count} objectives: draw it with "
                    "plot.pareto_front, plot.objectives_parallel or plot.hypervolume_curve"
                )
            directions.add(run.direction)
            run = run.history
        return np.array([np.nan if t.value is None else float(t.value) for t in run if t.is_finished])

    def is_run(item: Any) -> bool:
        return isinstance(item, Searcher) or (isinstance(item, Sequence) and all(hasattr(t, "value") for t in item))

    runs: dict[str, list[np.ndarray]] = {}
    if isinstance(study, Mapping):
        for method, item in study.items():
            group = [item] if isinstance(item, Searcher) or _is_trials(item) else list(item)
            runs[str(method)] = [values_of(run) for run in group]
    elif isinstance(study, Searcher) or _is_trials(study):
        runs[type(study).__name__ if isinstance(study, Searcher) else "study"] = [values_of(study)]
    elif isinstance(study, Sequence) and study and all(is_run(item) for item in study):
        for item in study:
            name = type(item).__name__ if isinstance(item, Searcher) else "study"
            runs.setdefault(name, []).append(values_of(item))
    else:
        raise TypeError(
            "a study is a searcher, a list of searchers, one run's trials, or a mapping {method: searcher | "
            f"[searchers] | trials | [trials, ...]}}, got {type(study).__name__}"
        )
    if direction is not None and direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    if direction is not None and directions - {direction}:
        raise ValueError(f"direction={direction!r} contradicts the searchers' {sorted(directions)}")
    if len(directions) > 1:
        raise ValueError("the searchers disagree on the direction: plot minimised and maximised studies apart")
    return runs, direction or (directions.pop() if directions else "minimize")


def _is_trials(item: Any) -> bool:
    return isinstance(item, Sequence) and bool(item) and all(hasattr(t, "value") and hasattr(t, "params") for t in item)


def _best_so_far(values: np.ndarray, direction: str) -> np.ndarray:
    """(n,) the best value after each trial in ``direction`` (NaN before the first completed one)."""
    if not values.size:
        return values
    return np.fmax.accumulate(values) if direction == "maximize" else np.fmin.accumulate(values)


def _centre_and_band(rows: np.ndarray, band: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(width,) line and band of (runs, width) curves: median and quartiles, or mean ± standard error."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: runs of different lengths
        if band == "iqr":
            return np.nanmedian(rows, axis=0), np.nanpercentile(rows, 25, axis=0), np.nanpercentile(rows, 75, axis=0)
        mean = np.nanmean(rows, axis=0)
        se = np.nanstd(rows, axis=0, ddof=1) / np.sqrt(np.sum(~np.isnan(rows), axis=0))
        return mean, mean - se, mean + se


def _value_axis(ax: Axes, values: np.ndarray) -> None:
    """Log where every finite value is positive and they span a decade or more (a symmetric log, linear below the
    smallest positive value, where some are 0); linear otherwise. Over less than three decades the log axis is
    labelled at 1, 2 and 5 times each power of ten, so that it always reads at several ticks."""
    finite = values[np.isfinite(values)]
    positive = finite[finite > 0]
    if not positive.size or finite.min() < 0 or positive.max() / positive.min() < 10:
        ax.set_yscale("linear")
        return
    if finite.min() > 0:
        ax.set_yscale("log")
    else:
        ax.set_yscale("symlog", linthresh=float(positive.min()))
    if positive.max() / positive.min() < 1000:
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())


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
            ax.plot(x, totals[i] / counts, label=searcher, color=colour_of(searcher))
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
        ax.plot(counts, medians, label=searcher, color=colour_of(searcher))
    ax.set_yscale("log")
    ax.set_xlabel("observations")
    ax.set_ylabel("seconds per ask (median)")
    ax.set_title("searcher overhead")
    ax.legend(frameon=False)
    return fig, ax


def parameters(
    study: Any, space: Space | None = None, *, axes: Sequence[Axes] | None = None
) -> tuple[Figure, Sequence[Axes]]:
    """Slices: each parameter against the objective, one panel per parameter, for one study (a searcher, or its
    trials — objects with ``params`` and ``value``, such as ``Trial`` s or stored ``TrialRecord`` s — with their
    ``space``). Failed trials are left out. Log parameters get a log axis, categoricals their choices as ticks; the
    colour is the trial's order, read on the colour bar."""
    trials, space = trials_and_space(study, space)
    done = [t for t in trials if t.value is not None]
    names = space.names
    if axes is None:
        fig, grid = plt.subplots(1, len(names), figsize=(3.2 * len(names) + 0.8, 3.0), squeeze=False, sharey=True)
        axes = list(grid[0])
    else:
        fig = axes[0].figure  # type: ignore[assignment]
    values = np.array([t.value for t in done])
    order = np.arange(1, len(done) + 1)
    shown = None
    for ax, name in zip(axes, names, strict=True):
        param = space[name]
        if isinstance(param, Categorical):
            xs = np.array([_choice_index(param, t.params[name]) for t in done])
            ax.set_xticks(range(len(param.choices)), [str(c) for c in param.choices], rotation=30)
        else:
            xs = np.array([t.params[name] for t in done], dtype=float)
            if getattr(param, "log", False):
                ax.set_xscale("log")
        shown = ax.scatter(xs, values, c=order, cmap="viridis", s=14)
        ax.set_xlabel(name)
    axes[0].set_ylabel("objective")
    if shown is not None:
        fig.colorbar(shown, ax=list(axes), label="trial")
    return fig, axes


def parallel_coordinates(study: Any, space: Space | None = None, *, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Every completed trial of one study as a line across one vertical axis per parameter (each scaled to its range:
    log parameters on a log scale, a categorical's choices evenly spaced), coloured by its value on a colour bar;
    the best trials are drawn last, on top. ``study`` as for :func:`parameters`."""
    trials, space = trials_and_space(study, space)
    done = [t for t in trials if t.value is not None]
    fig, ax = _axes(ax, (1.6 * len(space) + 2.0, 4.0))
    if not done:
        raise ValueError("parallel coordinates need at least one completed trial")
    direction = getattr(study, "direction", "minimize")
    values = np.array([float(t.value) for t in done])
    rows = np.array([[_unit_position(space[name], t.params[name]) for name in space.names] for t in done])
    order = np.argsort(values if direction == "maximize" else -values)  # worst first, best last (on top)
    norm = plt.Normalize(float(values.min()), float(values.max()))
    cmap = plt.get_cmap("viridis_r" if direction == "minimize" else "viridis")
    x = np.arange(len(space))
    for i in order:
        ax.plot(x, rows[i], color=cmap(norm(values[i])), lw=0.9, alpha=0.8)
    for j, (_, param) in enumerate(space.items()):
        ax.axvline(j, color="0.6", lw=0.6)
        low, high = _axis_labels(param)
        ax.annotate(low, (j, 0), xytext=(3, 2), textcoords="offset points", ha="left", va="bottom", fontsize=7)
        ax.annotate(high, (j, 1), xytext=(3, -2), textcoords="offset points", ha="left", va="top", fontsize=7)
    ax.set_xticks(x, space.names)
    ax.set_yticks([])
    ax.set_ylim(-0.05, 1.05)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=f"value ({direction}d)")
    return fig, ax


def importance(study: Any, space: Space | None = None, *, seed: int = 0, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Each parameter's share of the importance, as :func:`bohpo.importance.parameter_importance` estimates it (a
    permutation importance of random forests on held-out trials), largest at the top."""
    from bohpo.importance import parameter_importance

    shares = parameter_importance(study, space, seed=seed)
    ranked = sorted(shares.items(), key=lambda item: item[1])
    fig, ax = _axes(ax, (5.0, 0.45 * len(ranked) + 1.2))
    ax.barh([name for name, _ in ranked], [share for _, share in ranked], color=_PALETTE[0])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of importance (permutation, random forest)")
    return fig, ax


def critical_difference(results: Results, *, alpha: float = 0.05, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Demšar's critical-difference diagram: each searcher at its mean rank over the problems every searcher ran
    (each problem's ranks averaged over its seeds), and a bar joining searchers whose mean ranks differ by less than
    the Nemenyi test's critical difference at ``alpha``. The title gives the Friedman test's p-value; read the bars
    only when it is small."""
    from bohpo.bench.report import friedman_p

    searchers = results.searchers
    problems = [p for p in results.problems if len(results.ranks(p)) == len(searchers)]
    if len(searchers) < 2 or not problems:
        raise ValueError("a critical-difference diagram needs two searchers and a problem that all of them ran")
    mean_rank = {s: float(np.mean([results.ranks(p)[s] for p in problems])) for s in searchers}
    cd = nemenyi_critical_difference(len(searchers), len(problems), alpha)
    fig, ax = _axes(ax, (7.0, 0.35 * len(searchers) + 1.6))
    k = len(searchers)
    ordered = sorted(searchers, key=lambda s: mean_rank[s])
    ax.set_xlim(k + 0.2, 0.8)  # rank 1 (best) on the right, as in Demšar's figures
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.xaxis.set_ticks_position("top")
    ax.set_xticks(range(1, k + 1))
    for spine in ("left", "right", "bottom"):
        ax.spines[spine].set_visible(False)
    for i, s in enumerate(ordered):
        y = 0.85 - 0.7 * (i + 0.5) / k
        ax.plot([mean_rank[s]] * 2, [1, y], color=colour_of(s), lw=1)
        ax.annotate(f"{s} ({mean_rank[s]:.2f})", (mean_rank[s], y), xytext=(0, -2), textcoords="offset points",
                    ha="center", va="top", fontsize=8, color=colour_of(s))  # fmt: skip
    groups = _cliques([mean_rank[s] for s in ordered], cd)
    for j, (first, last) in enumerate(groups):
        y = 0.95 - 0.04 * j
        ax.plot([mean_rank[ordered[first]], mean_rank[ordered[last]]], [y, y], color="black", lw=3)
    ax.plot([1, 1 + cd], [0.05, 0.05], color="black", lw=1)
    ax.annotate(f"CD = {cd:.2f}", (1 + cd / 2, 0.05), xytext=(0, 3), textcoords="offset points", ha="center",
                fontsize=8)  # fmt: skip
    p_value, _ = friedman_p(results)
    friedman = "" if p_value is None else f"; Friedman p = {p_value:.3g}"
    ax.set_title(f"mean rank over {len(problems)} problems{friedman}", fontsize=9)
    return fig, ax


def nemenyi_critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """The Nemenyi test's critical difference of mean ranks for ``k`` methods over ``n`` problems (Demšar 2006):
    q_alpha sqrt(k (k + 1) / (6 n)), with q_alpha the studentized range's quantile over sqrt 2."""
    from scipy.stats import studentized_range

    q = float(studentized_range.ppf(1 - alpha, k, np.inf)) / np.sqrt(2)
    return q * float(np.sqrt(k * (k + 1) / (6 * n)))


def _cliques(ranks: Sequence[float], cd: float) -> list[tuple[int, int]]:
    """The maximal runs [first, last] of sorted ``ranks`` spanning less than ``cd`` (groups not shown to differ),
    runs of one left out."""
    out: list[tuple[int, int]] = []
    for first in range(len(ranks)):
        last = first
        while last + 1 < len(ranks) and ranks[last + 1] - ranks[first] < cd:
            last += 1
        if last > first and not any(a <= first and last <= b for a, b in out):
            out.append((first, last))
    return out


def _unit_position(param: Any, value: Any) -> float:
    """Where ``value`` sits on its parameter's axis, in [0, 1]."""
    if isinstance(param, Categorical):
        return _choice_index(param, value) / max(len(param.choices) - 1, 1)
    low, high = float(param.low), float(param.high)
    if getattr(param, "log", False):
        return float((np.log(value) - np.log(low)) / (np.log(high) - np.log(low)))
    return (float(value) - low) / (high - low) if high > low else 0.5


def _axis_labels(param: Any) -> tuple[str, str]:
    if isinstance(param, Categorical):
        return str(param.choices[0]), str(param.choices[-1])
    return f"{param.low:.3g}", f"{param.high:.3g}"


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


def population(pbt: Any, *, axes: Sequence[Axes] | None = None) -> tuple[Figure, Sequence[Axes]]:
    """Population-based training: each member's score at the end of each of its segments (top panel) and, below, one
    panel per numeric hyperparameter with each member's schedule as its weights saw it (the segments it trained
    through, following the checkpoints it continued or copied: :meth:`PopulationBasedTraining.schedule`), against
    the training step. Categorical hyperparameters are drawn as their choice's index."""
    space = pbt.space
    members = pbt.members()
    names = space.names
    if axes is None:
        fig, grid = plt.subplots(1 + len(names), 1, figsize=(7.0, 2.2 * (1 + len(names))), sharex=True, squeeze=False)
        axes = list(grid[:, 0])
    else:
        fig = axes[0].figure  # type: ignore[assignment]
    for member, segments in sorted(members.items()):
        colour = _PALETTE[member % len(_PALETTE)]
        done = [t for t in segments if t.value is not None]
        axes[0].plot([t.budget for t in done], [t.value for t in done], color=colour, marker=".", lw=1)
        schedule = pbt.schedule(member)
        for ax, name in zip(axes[1:], names, strict=True):
            param = space[name]
            xs, ys = [], []
            for start, end, params in schedule:
                if name not in params:
                    continue
                value = _choice_index(param, params[name]) if isinstance(param, Categorical) else params[name]
                xs += [start, end]
                ys += [value, value]
            ax.plot(xs, ys, color=colour, lw=1)
            if getattr(param, "log", False):
                ax.set_yscale("log")
            ax.set_ylabel(name)
    axes[0].set_ylabel("score")
    axes[-1].set_xlabel("step")
    return fig, axes


def spent_and_best(
    trials: Sequence[Any], max_budget: float, *, direction: str = "minimize"
) -> tuple[np.ndarray, np.ndarray]:
    """After each told trial of one run: the budget spent so far, in full-budget evaluations (a trial at budget b
    costs b / max_budget; no budget means the full one), and the best value in ``direction`` among full-budget
    evaluations (NaN before the first). Failed trials cost their budget and bring no value. Returns two (k,)
    arrays."""
    told = [t for t in trials if t.is_finished]
    budgets = np.array([max_budget if t.budget is None else float(t.budget) for t in told])
    spent = np.cumsum(budgets) / max_budget
    full = budgets >= max_budget * (1 - 1e-9)
    values = np.array([np.nan if t.value is None else float(t.value) for t in told])
    best = _best_so_far(np.where(full, values, np.nan), direction) if told else values
    return spent, best


def budget_convergence(
    runs: Mapping[str, Sequence[Sequence[Any]]],
    max_budget: float,
    *,
    optimum: float | None = None,
    direction: str = "minimize",
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Best full-budget value (regret, ``|best - optimum|``, if ``optimum`` is given) against the budget spent: for
    each method (``{name: [trials of one run, ...]}``), the median over runs and the inter-quartile band. The best
    follows ``direction``; the value axis is chosen as :func:`convergence` chooses it (log only where the values
    allow)."""
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    fig, ax = _axes(ax)
    longest = max(
        (spent_and_best(r, max_budget, direction=direction)[0][-1] for rs in runs.values() for r in rs if r),
        default=1.0,
    )
    grid = np.linspace(longest / 200, longest, 200)
    worst = -np.inf if direction == "maximize" else np.inf  # no value yet: worse than any, in the median's order
    shown_values = []
    for name, method_runs in runs.items():
        rows = []
        for run in method_runs:
            spent, best = spent_and_best(run, max_budget, direction=direction)
            index = np.searchsorted(spent, grid + 1e-9, side="right") - 1
            curve = np.where(index >= 0, best[np.clip(index, 0, None)], np.nan)
            curve = np.abs(curve - optimum) if optimum is not None else curve
            rows.append(np.where(np.isnan(curve), np.inf if optimum is not None else worst, curve))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, mid, high = np.percentile(np.array(rows), [25, 50, 75], axis=0)
        shown = np.isfinite(mid)
        colour = colour_of(name)
        ax.plot(grid[shown], mid[shown], label=name, color=colour)
        band = shown & np.isfinite(high) & np.isfinite(low)
        ax.fill_between(grid[band], low[band], high[band], color=colour, alpha=0.15)
        shown_values.append(mid[shown])
    _value_axis(ax, np.concatenate(shown_values) if shown_values else np.zeros(0))
    ax.set_xlabel("budget spent (full-budget evaluations)")
    ax.set_ylabel("regret" if optimum is not None else f"best full-budget value ({direction}d)")
    ax.legend(frameon=False)
    return fig, ax
