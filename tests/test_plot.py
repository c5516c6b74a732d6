"""Figures: one line per searcher, the right axes, restylable objects returned."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from bohpo import plot
from bohpo.bench.report import load_results
from bohpo.bench.runner import run_suite
from bohpo.bench.storage import Storage
from bohpo.problems import make_problem


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
