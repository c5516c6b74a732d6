"""Reports: regrets, normalisation and ranks computed from hand-made runs, checked against hand arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bohpo.bench.report import load_results, markdown, rank_values, write_report
from bohpo.bench.storage import Storage
from bohpo.problems import make_problem

BRANIN_OPT = make_problem("branin").optimum


def _store(path: Path, runs: dict[tuple[str, str, int], list[float | None]]) -> Storage:
    storage = Storage(path)
    for (problem, searcher, seed), values in runs.items():
        run = storage.open_run(problem, searcher, seed=seed, budget=len(values))
        for number, value in enumerate(values):
            storage.commit_trial(
                run.id, number, params={"x0": float(number)}, value=value,
                status="failed" if value is None else "complete", ask_seconds=0.01 * (number + 1),
                eval_seconds=0.0, state="{}",
            )  # fmt: skip
        storage.finish_run(run.id)
    return storage


def test_regret_normalisation_and_ranks_by_hand(tmp_path: Path) -> None:
    opt = BRANIN_OPT
    assert opt is not None
    storage = _store(
        tmp_path / "runs.db",
        {
            ("branin", "random", 0): [opt + 4, opt + 2, None, opt + 3],
            ("branin", "random", 1): [opt + 8, opt + 8, opt + 6, opt + 6],
            ("branin", "gp-logei", 0): [opt + 5, opt + 1, opt + 0.5, opt + 0.5],
            ("branin", "gp-logei", 1): [None, opt + 6, opt + 6, opt + 0.25],
            ("knn-iris", "random", 0): [0.2, 0.1, 0.1, 0.1],
            ("knn-iris", "gp-logei", 0): [0.3, 0.1, 0.05, 0.05],
        },
    )
    results = load_results(storage)
    assert results.known_optimum == {"branin"} and results.best_known["knn-iris"] == 0.05  # the best seen
    np.testing.assert_allclose(results.regret("branin", "random")[0], [4, 2, 2, 2])  # a failure is no improvement
    assert np.isnan(results.curves[("branin", "gp-logei")][1, 0])  # nothing yet after a failed first trial
    # random's final regrets 2 and 6: median 4
    assert results.scale("branin") == (4.0, "random search's median final regret")
    np.testing.assert_allclose(results.normalised("branin", "gp-logei")[:, -1], [0.125, 0.0625])
    assert results.ranks("branin") == {"gp-logei": 1.0, "random": 2.0}
    assert results.ranks("branin", at=1) == {"gp-logei": 2.0, "random": 1.0}  # seed 0: gp worse; seed 1: no gp value
    # knn-iris: regret against the best seen (0.05): random 0.05 → scale 0.05; gp 0
    assert results.scale("knn-iris")[0] == pytest.approx(0.05)
    text = markdown(results)
    assert "| branin | gp-logei | 2 | " in text and "0.094 ± 0.031 | 1.00 |" in text  # (0.125 + 0.0625) / 2
    assert "| gp-logei | 0.047 | 1.00 | 2 |" in text  # overall: mean of 0.094 and 0.0
    seconds = results.ask_seconds["random"]
    assert seconds.size == 12 and results.ask_observations["random"].tolist()[:4] == [0, 1, 2, 3]


def test_ties_share_their_mean_rank_and_missing_values_come_last() -> None:
    assert rank_values([3.0, 1.0, 3.0, float("nan")]) == [2.5, 1.0, 2.5, 4.0]


def test_without_random_search_the_report_says_what_it_normalised_by(tmp_path: Path) -> None:
    storage = _store(tmp_path / "runs.db", {("knn-iris", "sobol", 0): [0.3, 0.2], ("knn-iris", "gp-ei", 0): [0.4, 0.1]})
    assert "the median final regret of all searchers (no random search in the file)" in markdown(load_results(storage))


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds no runs"):
        write_report(Storage(tmp_path / "empty.db"), tmp_path / "out")


def test_unfinished_runs_are_left_out_and_counted(tmp_path: Path) -> None:
    opt = BRANIN_OPT
    assert opt is not None
    storage = _store(tmp_path / "runs.db", {("branin", "random", 0): [opt + 4, opt + 2]})
    interrupted = storage.open_run("branin", "random", seed=1, budget=2)
    storage.commit_trial(interrupted.id, 0, params={"x0": 0.0}, value=opt + 100, status="complete",
                         ask_seconds=0.0, eval_seconds=0.0, state="{}")  # fmt: skip
    results = load_results(storage)
    assert results.seeds[("branin", "random")] == [0] and results.unfinished == 1
    assert "1 unfinished run(s) are left out." in markdown(results)
