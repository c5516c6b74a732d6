"""Reports: regrets, normalisation and ranks computed from hand-made runs, checked against hand arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bohpo.bench.report import load_results, markdown, rank_test, rank_values, significance, write_report
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


def test_a_problem_without_a_normaliser_is_reported_apart_and_out_of_the_means(tmp_path: Path) -> None:
    """On k-NN random search's typical run reaches the best value seen: its regrets cannot be divided by 0, and
    printing them raw under "normalised regret" would mix a scale-dependent number into every mean."""
    opt = BRANIN_OPT
    assert opt is not None
    storage = _store(
        tmp_path / "runs.db",
        {
            ("branin", "random", 0): [opt + 4, opt + 2],
            ("branin", "random", 1): [opt + 8, opt + 6],
            ("branin", "gp-logei", 0): [opt + 5, opt + 1],
            ("branin", "gp-logei", 1): [opt + 6, opt + 0.5],
            ("knn-iris", "random", 0): [0.2, 0.05],
            ("knn-iris", "random", 1): [0.1, 0.05],
            ("knn-iris", "gp-logei", 0): [0.3, 0.25],
            ("knn-iris", "gp-logei", 1): [0.3, 0.35],
        },
    )
    results = load_results(storage)
    assert results.scale("knn-iris") == (None, "nothing: random search's median final regret is 0")
    with pytest.raises(ValueError, match=r"knn-iris's regret cannot be normalised"):
        results.normalised("knn-iris", "gp-logei")
    text = markdown(results)
    normalised_part, plain_part = text.split("plain regret, not in the normalised means.")
    assert "| knn-iris |" not in normalised_part and "| regret @2 |" in plain_part
    # gp's best values 0.25 and 0.3 against the best seen 0.05; random's median final regret is 0
    assert "| knn-iris | gp-logei | 2 | 0.250 ± 0.000 | 0.225 ± 0.025 | 2.00 | 0.221 |" in plain_part
    # branin alone sets the means: gp's final regrets 1 and 0.5 over random's median 4
    assert "| gp-logei | 0.188 | 1.50 | 2 | 0 |" in text and "| random | 1.000 | 1.50 | 2 | 0 |" in text
    assert "the mean over the normalised problems (1)" in text


def test_each_searcher_is_tested_against_the_problems_best_by_hand(tmp_path: Path) -> None:
    """Five seeds each, every gp run below every random run: the exact two-sided Mann–Whitney p is 2 / C(10, 5)."""
    opt = BRANIN_OPT
    assert opt is not None
    runs: dict[tuple[str, str, int], list[float | None]] = {}
    for seed in range(5):
        runs[("branin", "gp-logei", seed)] = [opt + 0.1 * (seed + 1)]
        runs[("branin", "random", seed)] = [opt + 1.0 + seed]
        runs[("branin", "sobol", seed)] = [opt + 0.05 + 0.2 * seed]  # interleaves gp: not significant
    results = load_results(_store(tmp_path / "runs.db", runs))
    tests = significance(results, "branin")
    assert tests["gp-logei"][0] != tests["gp-logei"][0]  # the best: NaN
    assert tests["random"] == (pytest.approx(2 / 252), True)
    assert tests["sobol"][0] > 0.5 and tests["sobol"][1]
    text = markdown(results)
    assert "| best |" in text and f"| {2 / 252:.3f} * |" in text
    assert "| random | 1.000 | 3.00 | 1 | 1 |" in text  # significantly worse than the best on its one problem


def test_the_rank_test_across_problems_is_friedmans_by_hand(tmp_path: Path) -> None:
    """Three searchers ranked 1, 2, 3 on each of three problems: chi2 = 12 / (n k (k + 1)) sum R^2 - 3 n (k + 1) = 6
    with 2 degrees of freedom, p = exp(-3)."""
    runs: dict[tuple[str, str, int], list[float | None]] = {}
    for problem in ("knn-iris", "knn-wine", "decision-tree-diabetes"):
        for offset, searcher in enumerate(("gp-logei", "sobol", "random")):
            runs[(problem, searcher, 0)] = [1.0 + offset]
    results = load_results(_store(tmp_path / "runs.db", runs))
    sentence = rank_test(results)
    assert f"p = {np.exp(-3.0):.3g}" in sentence and "ranks differ" in sentence
    two = load_results(_store(tmp_path / "two.db", {k: v for k, v in runs.items() if k[1] != "random"}))
    assert rank_test(two).startswith("No rank test across problems: it needs at least three searchers")


def test_stored_names_can_neither_leave_the_folder_nor_break_the_markdown(tmp_path: Path) -> None:
    """A database from elsewhere may hold any name: figure files stay in --out, names are escaped in REPORT.md."""
    crafted = {("../../escape|x", "a|b<i>", 0): [3.0, 2.0], ("../../escape|x", "random", 0): [4.0, 1.0]}
    storage = _store(tmp_path / "runs.db", crafted)
    out = tmp_path / "out" / "report"
    write_report(storage, out)
    assert sorted(p.parent for p in tmp_path.rglob("*.png")) == [out] * 3  # convergence, rank, overhead: all inside
    text = (out / "REPORT.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len({line.count("|") - line.count("\\|") for line in rows if "escape" in line}) == 1  # one cell layout
    assert "a\\|b&lt;i&gt;" in text and "<i>" not in text


def test_a_report_writes_nothing_into_the_store(tmp_path: Path) -> None:
    opt = BRANIN_OPT
    assert opt is not None
    path = tmp_path / "runs.db"
    _store(path, {("branin", "random", 0): [opt + 4, opt + 2]}).close()
    Storage(path).close()
    for extra in tmp_path.glob("runs.db-*"):  # the writer's WAL files, checkpointed and gone on a clean close
        extra.unlink()
    before = path.read_bytes()
    write_report(path, tmp_path / "out")
    assert path.read_bytes() == before  # not a byte of the store changed (SQLite may add its -shm/-wal beside it)
    assert {p.name for p in tmp_path.iterdir()} <= {"out", "runs.db", "runs.db-wal", "runs.db-shm"}
    with pytest.raises(PermissionError, match=r"runs.db: opened read-only"):
        Storage(path, read_only=True).open_run("branin", "random", seed=1, budget=2)
