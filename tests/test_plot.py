"""Figures: one line per searcher, the right axes, restylable objects returned."""

from __future__ import annotations

import warnings
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bohpo import plot
from bohpo.bench.report import load_results
from bohpo.bench.runner import run_suite
from bohpo.bench.storage import Storage
from bohpo.importance import parameter_importance
from bohpo.plot import brackets, budget_convergence, close, promotion_paths, spent_and_best
from bohpo.problems import make_problem
from bohpo.searchers import RandomSearch, SobolSearch, SuccessiveHalving
from bohpo.space import Categorical, Float, Space
from bohpo.trial import Trial


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("plot") / "runs.db"
    run_suite(["branin", "knn-iris"], ["random", "sobol"], 3, 8, db)
    return load_results(db), db


def test_every_registered_searcher_has_a_colour_of_its_own() -> None:
    from bohpo.searchers import searcher_names

    names = searcher_names()
    assert len({plot.colour_of(name) for name in names}) == len(names)
    # any other name: the same colour in every call, one of the twenty that hashed names have always taken
    assert plot.colour_of("my-method") == plot.colour_of("my-method")
    assert plot.colour_of("my-method") in plot._PALETTE[:20]


def test_convergence_has_a_line_and_band_per_searcher(results) -> None:  # type: ignore[no-untyped-def]
    data, _ = results
    for band in ("iqr", "se"):
        fig, ax = plot.convergence(data, "branin", band=band)
        assert [line.get_label() for line in ax.get_lines()] == ["random", "sobol"]
        assert len(ax.collections) == 2 and ax.get_yscale() == "log"  # regrets over decades: log axis
        plot.close(fig)
    fig, ax = plot.convergence(data, "knn-iris", normalised=True)
    assert ax.get_yscale() == "linear" and "normalised" in ax.get_ylabel()
    plot.close(fig)
    with pytest.raises(ValueError, match="band must be 'iqr' or 'se'"):
        plot.convergence(data, "branin", band="minmax")


def test_figures_draw_into_given_axes(results) -> None:  # type: ignore[no-untyped-def]
    data, _ = results
    fig, axes = plt.subplots(1, 2)
    assert plot.rank_over_time(data, ax=axes[0]) == (fig, axes[0])
    plot.overhead(data, ax=axes[1])
    assert len(axes[0].get_lines()) == 2 and axes[1].get_yscale() == "log"
    ranks = axes[0].get_lines()[0].get_ydata()
    assert all(1.0 <= r <= 2.0 for r in ranks)
    plot.close(fig)


def test_parameters_of_one_run(results) -> None:  # type: ignore[no-untyped-def]
    _, db = results
    storage = Storage(db)
    run = next(r for r in storage.runs() if r.problem == "knn-iris")
    space = make_problem("knn-iris").space
    fig, axes = plot.parameters(storage.trials(run.id), space)
    assert len(axes) == 3 and axes[0].get_xscale() == "log"  # n_neighbors is a log int
    assert [t.get_text() for t in axes[1].get_xticklabels()] == ["uniform", "distance"]
    plot.close(fig)


# -- multi-fidelity runs ------------------------------------------------------------------------------------------


def _successive_halving_run() -> list[Trial]:
    sh = SuccessiveHalving(Space({"x": Float(0.0, 1.0)}), min_budget=1, max_budget=9, eta=3, seed=0)
    trials = []
    for _ in range(13):
        trial = sh.ask()
        sh.tell(trial, abs(trial.params["x"] - 0.4))
        trials.append(trial)
    return trials


def test_promotion_paths_follow_each_configuration_up_the_rungs() -> None:
    trials = _successive_halving_run()  # 9 at budget 1, the best 3 at 3, the best of those at 9
    paths = promotion_paths(trials)
    assert len(paths) == 9
    assert sorted(len(p) for p in paths.values()) == [1] * 6 + [2, 2, 3]
    (top,) = [p for p in paths.values() if len(p) == 3]
    assert [b for _, b, _ in top] == [1.0, 3.0, 9.0] and top[0][2] == min(v for p in paths.values() for _, _, v in p)


def test_spent_and_best_count_budget_and_read_full_budget_values_only() -> None:
    trials = _successive_halving_run()
    spent, best = spent_and_best(trials, max_budget=9)
    assert spent[-1] == pytest.approx((9 * 1 + 3 * 3 + 1 * 9) / 9) and spent[0] == pytest.approx(1 / 9)
    assert np.isnan(best[:12]).all() and best[12] == trials[12].value  # the only full-budget trial comes last


def test_multifidelity_figures_draw() -> None:
    trials = _successive_halving_run()
    fig, ax = brackets(trials)
    assert ax.get_yscale() == "log" and len(ax.collections) == 1
    close(fig)
    fig, ax = budget_convergence({"sh": [trials, trials]}, max_budget=9)
    assert [line.get_label() for line in ax.get_lines()] == ["sh"]
    close(fig)


def test_budget_convergence_follows_a_maximised_study_and_keeps_a_linear_axis_for_negative_values() -> None:
    sh = SuccessiveHalving(
        Space({"x": Float(0.0, 1.0)}), min_budget=1, max_budget=9, eta=3, seed=0, direction="maximize"
    )
    trials = []
    for _ in range(26):  # two brackets: two full-budget values
        trial = sh.ask()
        sh.tell(trial, -abs(trial.params["x"] - 0.4))  # values below 0, the best the highest
        trials.append(trial)
    _, best = spent_and_best(trials, 9, direction="maximize")
    full = [t.value for t in trials if t.budget == 9]
    assert len(full) == 2 and best[-1] == max(full)  # the maximum, not the minimum
    fig, ax = budget_convergence({"sh": [trials]}, max_budget=9, direction="maximize")
    assert ax.get_yscale() == "linear" and np.nanmax(ax.get_lines()[0].get_ydata()) == max(full)
    close(fig)


# -- a researcher's own studies ------------------------------------------------------------------------------------


def _study(searcher: Any, n: int, f: Any) -> Any:
    for _ in range(n):
        trial = searcher.ask()
        searcher.tell(trial, f(trial.params))
    return searcher


def _bowl(p: dict[str, Any]) -> float:
    return (p["x"] - 0.3) ** 2 + 0.01


def test_convergence_of_ones_own_searchers_median_of_the_seeds_by_hand() -> None:
    space = Space({"x": Float(0.0, 1.0)})
    randoms = [_study(RandomSearch(space, seed=s), 12, _bowl) for s in range(3)]
    sobol = _study(SobolSearch(space, seed=0), 12, _bowl)
    fig, ax = plot.convergence({"random": randoms, "sobol": sobol})
    random_line, sobol_line = ax.get_lines()
    by_hand = np.median([np.minimum.accumulate([t.value for t in r.history]) for r in randoms], axis=0)
    np.testing.assert_allclose(random_line.get_ydata(), by_hand)
    np.testing.assert_allclose(sobol_line.get_ydata(), np.minimum.accumulate([t.value for t in sobol.history]))
    assert len(ax.collections) == 1  # a band for the three seeds only
    assert random_line.get_color() == plot.colour_of("random") and ax.get_yscale() == "log"  # over a decade
    close(fig)
    fig, ax = plot.convergence([*randoms, sobol])  # a plain list: grouped by class
    assert [line.get_label() for line in ax.get_lines()] == ["RandomSearch", "SobolSearch"]
    close(fig)


def test_a_maximised_study_plots_its_highest_value_so_far() -> None:
    space = Space({"x": Float(0.0, 1.0)})
    up = _study(RandomSearch(space, seed=0, direction="maximize"), 15, lambda p: -_bowl(p))
    fig, ax = plot.convergence(up)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), np.maximum.accumulate([t.value for t in up.history]))
    assert "maximized" in ax.get_ylabel() and ax.get_yscale() == "linear"  # negative values: never a log axis
    close(fig)
    down = _study(RandomSearch(space, seed=0), 5, _bowl)
    with pytest.raises(ValueError, match="disagree on the direction"):
        plot.convergence([up, down])


@pytest.mark.parametrize(
    ("values", "scale"),
    [([1.0, 0.5, 0.2], "linear"), ([5.0, 0.5, 0.01], "log"), ([1.0, 0.1, 0.0], "symlog"), ([3.0, -1.0], "linear")],
)
def test_the_value_axis_is_log_only_where_the_values_allow(values: list[float], scale: str) -> None:
    """And a log axis over a few decades reads at several labelled ticks (the issue: one label on Hartmann6's)."""
    space = Space({"x": Float(0.0, 1.0)})
    study = RandomSearch(space, seed=0)
    for v in values:
        study.tell(study.ask(), v)
    fig, ax = plot.convergence(study)
    assert ax.get_yscale() == scale
    if scale == "symlog":
        assert ax.yaxis.get_transform().linthresh == pytest.approx(0.1)  # type: ignore[attr-defined]
    if scale == "log":
        fig.canvas.draw()
        low, high = ax.get_ylim()
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text() and low <= t.get_position()[1] <= high]
        assert len(labels) >= 4 and "0.05" in labels  # 0.01, 0.02, 0.05, 0.1, ... on an axis of three decades
    close(fig)


def test_history_shows_every_value_the_incumbent_and_the_failures() -> None:
    space = Space({"x": Float(0.0, 1.0)})
    study = RandomSearch(space, seed=1)
    values = [0.5, None, 0.7, 0.2, None, 0.3]
    for v in values:
        trial = study.ask()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.tell(trial, failed=True) if v is None else study.tell(trial, v)
    fig, ax = plot.history(study, optimum=0.1)
    dots, crosses = ax.collections
    np.testing.assert_allclose(dots.get_offsets()[:, 1].compressed(), [0.4, 0.6, 0.1, 0.2])  # |value - optimum|
    assert len(crosses.get_offsets()) == 2
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.4, 0.4, 0.4, 0.1, 0.1, 0.1])
    close(fig)


def test_slices_have_a_colour_bar_and_take_a_searcher() -> None:
    space = Space({"x": Float(0.0, 1.0), "c": Categorical(["a", "b"])})
    study = _study(RandomSearch(space, seed=0), 10, lambda p: p["x"] + (p["c"] == "b"))
    fig, axes = plot.parameters(study)
    assert len(axes) == 2 and len(fig.axes) == 3 and fig.axes[-1].get_ylabel() == "trial"
    close(fig)


def test_parallel_coordinates_draw_each_trial_best_last_on_the_parameters_scales() -> None:
    space = Space({"C": Float(1e-2, 1e2, log=True), "c": Categorical(["a", "b", "c"])})
    study = RandomSearch(space, seed=0)
    for params, value in [({"C": 1.0, "c": "b"}, 0.3), ({"C": 1e-2, "c": "a"}, 0.9), ({"C": 1e2, "c": "c"}, 0.1)]:
        study.tell(params, value)
    fig, ax = plot.parallel_coordinates(study)
    lines = [line for line in ax.get_lines() if list(line.get_xdata()) == [0, 1]]  # not the vertical axes
    assert len(lines) == 3
    np.testing.assert_allclose(lines[-1].get_ydata(), [1.0, 1.0])  # the best (0.1) on top, at the ranges' ends
    np.testing.assert_allclose(lines[1].get_ydata(), [0.5, 0.5])  # C = 1 halfway on the log axis; "b" of three
    assert fig.axes[-1].get_ylabel() == "value (minimized)"
    close(fig)


@pytest.mark.slow
def test_importance_ranks_the_parameter_that_matters_first() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0), "noise": Categorical(["a", "b", "c"])})
    study = _study(RandomSearch(space, seed=0), 120, lambda p: 10 * (p["x"] - 0.5) ** 2 + 0.5 * p["y"])
    shares = parameter_importance(study, seed=0)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["x"] > 0.6 and shares["x"] > shares["y"] > shares["noise"] and shares["noise"] < 0.05
    assert parameter_importance(study, seed=0) == shares  # the same seed, the same estimate
    fig, ax = plot.importance(study)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "x"  # largest at the top
    close(fig)
    with pytest.raises(ValueError, match="at least 4 completed trials, got 3"):
        parameter_importance(_study(RandomSearch(space, seed=0), 3, lambda p: p["x"]))
    assert sum(parameter_importance(_study(RandomSearch(space, seed=0), 6, lambda p: p["x"])).values()) <= 1 + 1e-12


def test_the_nemenyi_critical_difference_matches_demsars_table() -> None:
    """Demšar (2006), table 5(a): q_0.05 for k = 2..10 methods."""
    table = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
    for k, q in zip(range(2, 11), table, strict=True):
        n = 14
        assert plot.nemenyi_critical_difference(k, n) / np.sqrt(k * (k + 1) / (6 * n)) == pytest.approx(q, abs=2e-3)


def test_the_critical_difference_diagram_places_each_searcher_at_its_mean_rank(results) -> None:  # type: ignore[no-untyped-def]
    data, _ = results
    fig, ax = plot.critical_difference(data)
    texts = {t.get_text() for t in ax.texts}
    for searcher in data.searchers:
        mean = np.mean([data.ranks(p)[searcher] for p in data.problems])
        assert f"{searcher} ({mean:.2f})" in texts
    assert any(t.startswith("CD = ") for t in texts) and ax.get_xlim()[0] > ax.get_xlim()[1]  # rank 1 on the right
    close(fig)
