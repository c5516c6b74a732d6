"""Benchmark results read back from storage, summarised as tables and written as a markdown report with figures.

Glossary (per problem):
    best known   the problem's optimum when it is known, else the lowest value any run in the file reached;
    regret       best-so-far value minus the best known (>= 0);
    normalised   regret divided by random search's median final regret on that problem (when the file holds random
                 search runs; otherwise by the median final regret of all runs, and the report says so), so that
                 problems of any scale average together: below 1 beats random search's typical run;
    rank         per problem and seed, the searchers ranked by best value found (1 = best, ties share the mean).
Failed trials count as no improvement. Only finished runs (status ``done``) are read: an interrupted run would be
compared at a budget the others passed; the report says how many were left out.
"""

from __future__ import annotations

import math
import re
import statistics
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from bohpo._checks import is_import_path
from bohpo.bench.runner import _SPENT_TOLERANCE, split_pruner, trial_cost
from bohpo.bench.storage import Storage, TrialRecord
from bohpo.objectives import hypervolume
from bohpo.problems import MultiObjectiveProblem, Problem, make_problem
from bohpo.searchers import searcher_needs_budgets

__all__ = [
    "Results",
    "friedman_p",
    "load_results",
    "markdown",
    "rank_test",
    "rank_values",
    "significance",
    "value_at",
    "write_report",
]

_RANDOM_BASIS = "random search's median final regret"


@dataclass
class Results:
    """Best-so-far curves and per-ask timings of every run in a storage file.

    Attributes:
        curves: ``{(problem, searcher): array (seeds, budget)}`` best value so far after each trial, or, for a
            multi-fidelity searcher, after each full-budget evaluation's worth of budget spent (NaN past a run's end
            or before its first successful full-budget trial).
        seeds: ``{(problem, searcher): [seed, ...]}`` in the rows' order.
        ask_seconds: ``{searcher: array (trials,)}`` seconds per ``ask`` over all its runs, and
            ``ask_observations`` the number of observations the searcher had at each of those asks.
        best_known: ``{problem: value}``; ``known_optimum``: the problems whose optimum is known.
        steps_trained: ``{(problem, searcher): array (seeds,)}`` the learning-curve steps each run's trials
            trained (the sum of their last reported steps: epochs, trees; the compute a pruner saves), for runs on
            problems that report curves.
        pruned: ``{(problem, searcher): array (seeds,)}`` how many of each run's trials were pruned.
        hypervolume: The problems with several objectives. Their "value" after a trial is minus the hypervolume of
            the feasible trials so far (against the problem's reference point), so that the best value so far,
            regret (hypervolume regret), normalised regret, ranks and tests read as for one objective. On a problem
            with one objective and outcome constraints only feasible trials count.
    """

    curves: dict[tuple[str, str], np.ndarray]
    seeds: dict[tuple[str, str], list[int]]
    ask_seconds: dict[str, np.ndarray]
    ask_observations: dict[str, np.ndarray]
    best_known: dict[str, float]
    known_optimum: set[str] = field(default_factory=set)
    unfinished: int = 0  # runs left out because they are not done (interrupted, or still running)
    steps_trained: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    pruned: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    hypervolume: set[str] = field(default_factory=set)  # problems of several objectives: values are -hypervolume

    @property
    def problems(self) -> list[str]:
        return sorted({p for p, _ in self.curves})

    @property
    def searchers(self) -> list[str]:
        return sorted({s for _, s in self.curves})

    def regret(self, problem: str, searcher: str) -> np.ndarray:
        """(seeds, budget) best-so-far regret."""
        return np.maximum(self.curves[(problem, searcher)] - self.best_known[problem], 0.0)

    def scale(self, problem: str) -> tuple[float | None, str]:
        """The normaliser of ``problem``'s regrets and what it is; ``None`` when the typical run already reaches the
        best known value (a median final regret of 0), where no division makes the problem comparable with others:
        such a problem is reported apart, in plain regret, and left out of every normalised mean."""
        key = (problem, "random")
        if key in self.curves:
            final = _final(self.regret(*key))
            basis = _RANDOM_BASIS
        else:
            final = np.concatenate(
                [_final(self.regret(problem, s)) for s in self.searchers if (problem, s) in self.curves]
            )
            basis = "the median final regret of all searchers (no random search in the file)"
        median = float(np.nanmedian(final)) if final.size else math.nan
        if not median > 0:
            whose = "random search's" if key in self.curves else "the runs'"
            return None, f"nothing: {whose} median final regret is 0"
        return median, basis

    def normalised(self, problem: str, searcher: str) -> np.ndarray:
        """(seeds, budget) regret / the problem's scale.

        Raises:
            ValueError: the problem has no scale (see :meth:`scale`).
        """
        scale, basis = self.scale(problem)
        if scale is None:
            raise ValueError(f"{problem}'s regret cannot be normalised ({basis}); read its plain regret")
        return self.regret(problem, searcher) / scale

    def final_values(self, problem: str, searcher: str) -> np.ndarray:
        """(seeds,) each run's best value at its end (NaN for a run without any)."""
        return np.array([value_at(row, None) for row in self.curves[(problem, searcher)]])

    def ranks(self, problem: str, at: int | None = None) -> dict[str, float]:
        """Mean rank of each searcher over the seeds all of them ran, by best value after ``at`` steps (default:
        each run's end)."""
        searchers = [s for s in self.searchers if (problem, s) in self.curves]
        common = sorted(set.intersection(*(set(self.seeds[(problem, s)]) for s in searchers))) if searchers else []
        totals = dict.fromkeys(searchers, 0.0)
        for seed in common:
            values = []
            for s in searchers:
                row = self.curves[(problem, s)][self.seeds[(problem, s)].index(seed)]
                values.append(value_at(row, at))
            for s, r in zip(searchers, rank_values(values), strict=True):
                totals[s] += r
        return {s: totals[s] / len(common) for s in searchers} if common else {}


def _final(regret: np.ndarray) -> np.ndarray:
    """(seeds,) each run's last best-so-far regret."""
    return np.array([value_at(row, None) for row in regret])


def value_at(row: np.ndarray, at: int | None) -> float:
    """The best-so-far value after ``at`` steps, trials or full evaluations' worth (or at the run's end), NaN if there
    is none yet."""
    finite = row[: at if at is not None else len(row)]
    finite = finite[~np.isnan(finite)]
    return float(finite[-1]) if finite.size else math.nan


def rank_values(values: Sequence[float]) -> list[float]:
    """Ranks (1 = lowest), ties sharing their mean rank, NaN ranked last."""
    keyed = [math.inf if math.isnan(v) else v for v in values]
    order = sorted(range(len(keyed)), key=lambda i: keyed[i])
    ranks = [0.0] * len(keyed)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and keyed[order[j + 1]] == keyed[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def load_results(storage: Storage | str | Path, *, import_paths: bool = False) -> Results:
    """Read every run of a storage file into best-so-far curves and timings (the file is opened read-only).

    ``import_paths``: a problem stored under an import path (``package.module:attribute``) is imported, to read its
    optimum and budgets, only when this is true — importing what a database names runs code, so trust the file
    first; otherwise such a problem's optimum is unknown (regret from the best value any run reached).

    On a multi-fidelity problem only evaluations at its full budget count towards the best value so far (a value at
    a smaller budget is a cheaper, biased estimate). A step of a multi-fidelity searcher's curve is one full-budget
    evaluation's worth of budget (what its run was given; see :mod:`bohpo.bench.runner`): a trial counts from the
    step in which its cumulative cost ends, so the curves of all searchers are read at equal cost.
    """
    store = storage if isinstance(storage, Storage) else Storage(storage, read_only=True)
    store.check_integrity()
    every = store.runs()
    runs = [r for r in every if r.status == "done"]
    trials_by_run: dict[int, list] = {r.id: [] for r in runs}
    for t in store.trials():
        if t.run_id in trials_by_run:
            trials_by_run[t.run_id].append(t)
    rows: dict[tuple[str, str], list[tuple[int, np.ndarray]]] = {}
    asks: dict[str, list[tuple[int, float]]] = {}
    lowest: dict[str, float] = {}
    problems: dict[str, Problem | MultiObjectiveProblem | None] = {}
    work: dict[tuple[str, str], list[tuple[int, int, int]]] = {}  # (seed, steps reported, trials pruned) per run
    for run in runs:
        trials = trials_by_run[run.id]
        problem = problems.setdefault(run.problem, _problem(run.problem, import_paths))
        full = _full_budget(problem)
        if isinstance(problem, MultiObjectiveProblem):
            values = outcome_values(problem, trials)
        else:
            values = np.array(
                [
                    t.value if t.status == "complete" and t.value is not None and full(t.budget) else np.nan
                    for t in trials
                ]
            )
        searcher_name = split_pruner(run.searcher)[0]
        if (import_paths or not is_import_path(searcher_name)) and searcher_needs_budgets(searcher_name):
            values = _per_budget_step(values, [t.budget for t in trials], _cost(problem), run.budget)
        best = np.fmin.accumulate(values) if values.size else values
        rows.setdefault((run.problem, run.searcher), []).append((run.seed, best))
        if any(t.intermediate for t in trials):
            work.setdefault((run.problem, run.searcher), []).append(
                (
                    run.seed,
                    sum(max(t.intermediate, default=0) for t in trials),
                    sum(t.status == "pruned" for t in trials),
                )
            )
        observed = np.cumsum(np.r_[0, [t.status != "pending" for t in trials]])[:-1]
        asks.setdefault(run.searcher, []).extend(zip(observed.tolist(), [t.ask_seconds for t in trials], strict=True))
        if np.isfinite(values).any():
            lowest[run.problem] = min(lowest.get(run.problem, math.inf), float(np.nanmin(values)))
    curves, seeds = {}, {}
    for key, entries in rows.items():
        entries.sort()
        width = max((len(b) for _, b in entries), default=0)
        curves[key] = np.array([np.pad(b, (0, width - len(b)), constant_values=np.nan) for _, b in entries])
        seeds[key] = [s for s, _ in entries]
    best_known, known = {}, set()
    for name in {p for p, _ in rows}:
        built = problems[name]
        optimum = None if built is None else built.optimum
        if isinstance(built, MultiObjectiveProblem) and built.objectives.is_multi:
            optimum = None if built.max_hypervolume is None else -built.max_hypervolume
        if optimum is not None:
            best_known[name] = min(optimum, lowest.get(name, math.inf))
            known.add(name)
        else:
            best_known[name] = lowest.get(name, math.nan)
    steps_trained = {key: np.array([steps for _, steps, _ in sorted(v)]) for key, v in work.items()}
    pruned = {key: np.array([n for _, _, n in sorted(v)]) for key, v in work.items()}
    return Results(
        steps_trained=steps_trained,
        pruned=pruned,
        curves=curves,
        seeds=seeds,
        ask_seconds={s: np.array([sec for _, sec in v]) for s, v in asks.items()},
        ask_observations={s: np.array([n for n, _ in v]) for s, v in asks.items()},
        best_known=best_known,
        known_optimum=known,
        unfinished=len(every) - len(runs),
        hypervolume={
            name
            for name, built in problems.items()
            if isinstance(built, MultiObjectiveProblem) and built.objectives.is_multi and name in best_known
        },
    )


def outcome_values(problem: MultiObjectiveProblem, trials: Sequence[TrialRecord]) -> np.ndarray:
    """(trials,) what a multi-objective or constrained problem's run is read as: with several objectives, minus the
    hypervolume of the feasible complete trials up to each one (against ``problem.reference``; NaN before the first
    such trial); with one, each feasible complete trial's value (NaN for the others)."""
    objectives = problem.objectives

    def feasible(t: TrialRecord) -> bool:
        return t.status == "complete" and (t.constraints is None or all(c <= 0 for c in t.constraints))

    if not objectives.is_multi:
        return np.array([t.value if feasible(t) and t.value is not None else np.nan for t in trials])
    reference = torch.tensor(
        objectives.minimised([problem.reference[n] for n in objectives.names]), dtype=torch.float64
    )
    kept: list[tuple[float, ...]] = []
    out = np.full(len(trials), np.nan)
    for i, t in enumerate(trials):
        if feasible(t) and t.values is not None:
            kept.append(objectives.minimised(t.values))
            out[i] = -hypervolume(torch.tensor(kept, dtype=torch.float64), reference)
        elif kept:
            out[i] = out[i - 1]
    return out


def _per_budget_step(
    values: np.ndarray, budgets: list[float | None], cost: Callable[[float | None], float], steps: int
) -> np.ndarray:
    """values (trials,) -> (k,): the best value of the trials whose cumulative cost ends in each step (1 full
    evaluation's worth each), for the k <= ``steps`` steps the run reached (a run given less, or stored when its
    budget counted trials, ends earlier); the run's last trial, which may overshoot, counts in the last step."""
    if not budgets:
        return np.full(0, np.nan)
    ends = np.cumsum([cost(b) for b in budgets])
    reached = min(steps, max(math.ceil(ends[-1] - _SPENT_TOLERANCE), 1))
    step = np.clip(np.ceil(ends - _SPENT_TOLERANCE).astype(int), 1, reached) - 1  # (trials,) 0-based
    out = np.full(reached, np.nan)
    np.fmin.at(out, step, values)
    return out


def _problem(name: str, import_paths: bool) -> Problem | MultiObjectiveProblem | None:
    """The problem a stored name means, or ``None`` when it is unknown here (a newer or another registry) or is an
    import path that the caller did not allow to be imported: importing a module that a database names runs its
    code, so a report of a file from elsewhere does not, unless told to trust it."""
    if is_import_path(name) and not import_paths:
        return None
    try:
        return make_problem(name)
    except (ValueError, TypeError):
        return None


def _cost(problem: Problem | MultiObjectiveProblem | None) -> Callable[[float | None], float]:
    return (lambda budget: 1.0) if problem is None else trial_cost(problem)  # unknown: every trial costs one


def _full_budget(problem: Problem | MultiObjectiveProblem | None) -> Callable[[float | None], bool]:
    """Whether a trial's budget is the problem's full one (None is; so is any budget of a problem without)."""
    top = None if problem is None else problem.max_budget
    if top is None:
        return lambda budget: True
    return lambda budget: budget is None or budget >= top * (1 - 1e-9)


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return math.nan, math.nan
    se = float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0
    return float(values.mean()), se


def markdown(results: Results, *, checkpoints: Sequence[float] = (0.25, 0.5, 1.0), alpha: float = 0.05) -> str:
    """The report's tables: regret per problem at several budgets with each searcher's significance against the
    problem's best, the overall means and ranks with a rank test across problems, and the overhead.

    Problems without a normaliser (see :meth:`Results.scale`) get a table of their own in plain regret and are left
    out of the normalised means; ranks, which need no scale, count every problem.
    """
    problems, searchers = results.problems, results.searchers
    budget = max(c.shape[1] for c in results.curves.values())
    points = sorted({max(1, round(f * budget)) for f in checkpoints})
    scaled = [p for p in problems if results.scale(p)[0] is not None]
    plain = [p for p in problems if results.scale(p)[0] is None]
    by_basis: dict[str, list[str]] = {}
    for problem in scaled:
        by_basis.setdefault(results.scale(problem)[1], []).append(problem)
    if len(by_basis) == 1:
        bases = next(iter(by_basis))
    else:
        bases = "; ".join(
            f"{basis} ({', '.join(map(escape_markdown, names))})" for basis, names in sorted(by_basis.items())
        )
    lines = [
        "Regret is the best value found so far minus the best known value (the optimum where it is known: "
        + (", ".join(escape_markdown(p) for p in sorted(results.known_optimum)) or "none")
        + "; elsewhere the best value any run reached). Normalised regret divides it by "
        + (bases or "nothing")
        + " on the same problem"
        + (", so below 1 beats random search's typical run" if set(by_basis) == {_RANDOM_BASIS} else "")
        + ". Mean ± standard error over seeds. p: the two-sided Mann–Whitney U test of the runs' final best values "
        + f"against those of the problem's best searcher (lowest mean final regret, marked best); * marks p < {alpha}"
        + " where the searcher is the worse."
        + (f" {results.unfinished} unfinished run(s) are left out." if results.unfinished else "")
        + (
            " On "
            + ", ".join(escape_markdown(p) for p in sorted(results.hypervolume))
            + " (several objectives) a value is minus the hypervolume of the feasible trials so far, against the "
            "problem's reference point, so regret is hypervolume regret."
            if results.hypervolume
            else ""
        ),
        "",
    ]
    worse_than_best: dict[str, int] = dict.fromkeys(searchers, 0)
    overall: dict[str, list[float]] = {s: [] for s in searchers}
    for names, normalise in ((scaled, True), (plain, False)):
        if not names:
            continue
        if not normalise:
            lines += [
                "",
                "Problems on which the typical run already reaches the best known value (median final regret 0): "
                "plain regret, not in the normalised means.",
                "",
            ]
        what = "normalised regret" if normalise else "regret"
        lines += [
            "| problem | searcher | seeds | " + " | ".join(f"{what} @{n}" for n in points) + " | mean rank | p |",
            "| --- | --- | ---: | " + " | ".join("---:" for _ in points) + " | ---: | ---: |",
        ]
        for problem in names:
            ranks = results.ranks(problem)
            tests = significance(results, problem)
            for searcher in searchers:
                if (problem, searcher) not in results.curves:
                    continue
                regret = results.normalised(problem, searcher) if normalise else results.regret(problem, searcher)
                cells = []
                for n in points:
                    mean, se = _mean_se(np.array([value_at(row, n) for row in regret]))
                    cells.append(f"{mean:.3f} ± {se:.3f}")
                if normalise:
                    overall[searcher].append(float(np.nanmean([value_at(row, None) for row in regret])))
                p_value, worse = tests[searcher]
                if worse and p_value < alpha:
                    worse_than_best[searcher] += 1
                p_cell = (
                    "best" if math.isnan(p_value) else f"{p_value:.3f}" + (" *" if worse and p_value < alpha else "")
                )
                n_seeds = len(results.seeds[(problem, searcher)])
                rank = ranks.get(searcher, math.nan)
                lines.append(
                    f"| {escape_markdown(problem)} | {escape_markdown(searcher)} | {n_seeds} | "
                    + " | ".join(cells)
                    + f" | {rank:.2f} | {p_cell} |"
                )
    rank_means = {s: [results.ranks(p).get(s, math.nan) for p in problems] for s in searchers}
    lines += [
        "",
        f"Overall: the mean over the normalised problems ({len(scaled)}) of each problem's mean final normalised "
        f"regret; the mean rank over all {len(problems)} problems; on how many problems the searcher is "
        "significantly worse than the problem's best.",
        "",
        "| searcher | mean normalised regret | mean rank | problems | significantly worse than the best on | "
        "median seconds per ask |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for searcher in sorted(searchers, key=lambda s: statistics.fmean(overall[s]) if overall[s] else math.inf):
        seconds = results.ask_seconds.get(searcher, np.array([]))
        median = float(np.median(seconds)) if seconds.size else math.nan
        mean = statistics.fmean(overall[searcher]) if overall[searcher] else math.nan
        lines.append(
            f"| {escape_markdown(searcher)} | {mean:.3f} | {np.nanmean(rank_means[searcher]):.2f} | "
            f"{sum(not math.isnan(r) for r in rank_means[searcher])} | {worse_than_best[searcher]} | {median:.4f} |"
        )
    if results.steps_trained:
        lines += [
            "",
            "Compute: the learning-curve steps (epochs, trees) the trials of a run trained, mean ± standard error over "
            "its seeds, and the trials a pruner stopped.",
            "",
            "| problem | searcher | steps trained per run | trials pruned per run |",
            "| --- | --- | ---: | ---: |",
        ]
        for (problem, searcher), steps in sorted(results.steps_trained.items()):
            mean, se = _mean_se(steps.astype(float))
            pruned = float(np.mean(results.pruned[(problem, searcher)]))
            lines.append(
                f"| {escape_markdown(problem)} | {escape_markdown(searcher)} | {mean:.0f} ± {se:.0f} | {pruned:.1f} |"
            )
    lines += ["", rank_test(results)]
    return "\n".join(lines)


def significance(results: Results, problem: str) -> dict[str, tuple[float, bool]]:
    """Each searcher on ``problem`` against the problem's best (lowest mean final regret): the two-sided
    Mann–Whitney U p-value of their runs' final best values and whether the searcher's mean is the worse. The best
    itself gets NaN; a pair whose values are all equal gets p = 1."""
    from scipy.stats import mannwhitneyu

    finals = {s: results.final_values(problem, s) for s in results.searchers if (problem, s) in results.curves}
    finals = {s: v[~np.isnan(v)] for s, v in finals.items()}
    best = min(finals, key=lambda s: float(np.mean(finals[s])) if finals[s].size else math.inf)
    out: dict[str, tuple[float, bool]] = {}
    for searcher, values in finals.items():
        if searcher == best:
            out[searcher] = (math.nan, False)
            continue
        reference = finals[best]
        if not values.size or not reference.size:
            out[searcher] = (1.0, False)
            continue
        pooled = np.concatenate([values, reference])
        p_value = 1.0 if np.all(pooled == pooled[0]) else float(mannwhitneyu(values, reference).pvalue)
        out[searcher] = (p_value, float(np.mean(values)) > float(np.mean(reference)))
    return out


def friedman_p(results: Results) -> tuple[float | None, int]:
    """The Friedman test of whether the searchers' mean ranks differ across the problems that every searcher ran
    (the problems are the blocks, each problem's ranks averaged over its seeds): its p-value, or ``None`` with fewer
    than three searchers or two such problems, and the number of those problems."""
    from scipy.stats import friedmanchisquare

    searchers = results.searchers
    complete = [p for p in results.problems if len(results.ranks(p)) == len(searchers)]
    if len(searchers) < 3 or len(complete) < 2:
        return None, len(complete)
    table = np.array([[results.ranks(p)[s] for p in complete] for s in searchers])  # (searchers, problems)
    with np.errstate(all="ignore"):
        p_value = float(friedmanchisquare(*table).pvalue)
    return (1.0 if math.isnan(p_value) else p_value), len(complete)  # NaN: every problem ties every searcher


def rank_test(results: Results) -> str:
    """One sentence on :func:`friedman_p`."""
    p_value, n_problems = friedman_p(results)
    if p_value is None:
        return (
            "No rank test across problems: it needs at least three searchers and two problems that every searcher "
            f"ran (here {len(results.searchers)} and {n_problems})."
        )
    verdict = (
        "the searchers' ranks differ."
        if p_value < 0.05
        else "no evidence that the searchers' ranks differ; the means above may be noise."
    )
    return (
        f"Friedman test over the {n_problems} problems every searcher ran (each problem's mean ranks): p = "
        f"{p_value:.3g} — {verdict}"
    )


def file_stem(name: str) -> str:
    """A file name for ``name`` (a problem's, as stored) that stays inside the report's folder: letters, digits,
    ``-``, ``_`` and inner dots kept, anything else (a ``/``, ``..``, ``:``) replaced, and a short hash of the name
    added whenever something was, so that two names never share a file."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "_"
    return stem if stem == name else f"{stem}-{zlib.crc32(name.encode()):08x}"


def escape_markdown(text: str) -> str:
    """``text`` as literal markdown: table separators, links, HTML and emphasis characters escaped, one line."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|#!])", r"\\\1", text)


def write_report(
    storage: Storage | str | Path, out: str | Path, *, title: str = "Benchmark report", import_paths: bool = False
) -> Path:
    """Write ``REPORT.md`` and the figures (PNG) into ``out``; returns the report's path. ``import_paths`` as for
    :func:`load_results`. File names made from stored names cannot leave ``out`` (:func:`file_stem`), and names are
    escaped in the markdown."""
    from bohpo import plot

    results = load_results(storage, import_paths=import_paths)
    if not results.curves:
        raise ValueError(f"{storage} holds no runs to report")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    figures = []
    for problem in results.problems:
        name = f"convergence_{file_stem(problem)}.png"
        fig, _ = plot.convergence(results, problem)
        fig.savefig(folder / name, dpi=110, bbox_inches="tight")
        plot.close(fig)
        figures.append((f"Convergence on {escape_markdown(problem)}", name))
    for name, title_, draw in (
        ("rank.png", "Mean rank over evaluations", plot.rank_over_time),
        ("overhead.png", "Seconds per ask against observations", plot.overhead),
    ):
        fig, _ = draw(results)
        fig.savefig(folder / name, dpi=110, bbox_inches="tight")
        plot.close(fig)
        figures.append((title_, name))
    text = [f"# {escape_markdown(title)}", "", markdown(results), "", "## Figures", ""]
    text += [f"### {caption}\n\n![{caption}]({name})\n" for caption, name in figures]
    path = folder / "REPORT.md"
    path.write_text("\n".join(text))
    return path
