"""Figures: one line per searcher, the right axes, restylable objects returned."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bohpo import plot
from bohpo.bench.report import load_results
from bohpo.bench.runner import run_suite
from bohpo.bench.storage import Storage
from bohpo.plot import brackets, budget_convergence, close, promotion_paths, spent_and_best
from bohpo.problems import make_problem
from bohpo.searchers import SuccessiveHalving
from bohpo.space import Float, Space
from bohpo.trial import Trial


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("plot") / "runs.db"
    run_suite(["branin", "knn-iris"], ["random", "sobol"], 3, 8, db)
    return load_results(db), db


def test_convergence_has_a_line_and_band_per_searcher(results) -> None:  # type: ignore[no-untyped-def]
    data, _ = results
    for band in ("iqr", "se"):
        fig, ax = plot.convergence(data, "branin", band=band)
        assert [line.get_label() for line in ax.get_lines()] == ["random", "sobol"]
        assert len(ax.collections) == 2 and ax.get_yscale() == "symlog"  # known optimum: log regret
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
