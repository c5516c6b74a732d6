"""Intermediate reports and pruners: each rule's decisions against hand-computed ones, reports kept and resumed,
pruned trials told and learned from, and ``minimize`` with a pruner."""

from __future__ import annotations

import json
import math

import pytest

from bohpo import BayesianOptimizer, RandomSearch, minimize
from bohpo.errors import TrialFailedWarning
from bohpo.pruners import (
    HyperbandPruner,
    MedianPruner,
    MedianStoppingRule,
    PatiencePruner,
    PercentilePruner,
    Pruner,
    SuccessiveHalvingPruner,
)
from bohpo.space import Float, Space
from bohpo.trial import Trial, TrialStatus

SPACE = Space({"x": Float(0.0, 1.0)})


def _searcher(direction: str = "minimize") -> RandomSearch:
    return RandomSearch(SPACE, seed=0, direction=direction)  # type: ignore[arg-type]


def _finished(searcher: RandomSearch, curves: list[list[float]]) -> None:
    """Complete trials with these learning curves (steps 0, 1, ...), each told its last value."""
    for curve in curves:
        trial = searcher.ask()
        for step, value in enumerate(curve):
            searcher.report(trial, step, value)
        searcher.tell(trial, curve[-1])


def _decisions(pruner: Pruner, searcher: RandomSearch, curve: list[float]) -> list[bool]:
    """The pruner's answer after each report of a new trial with this curve (reported to the end regardless)."""
    trial, answers = searcher.ask(), []
    for step, value in enumerate(curve):
        searcher.report(trial, step, value)
        answers.append(pruner.prune(searcher, trial))
    return answers


# -- reports on the searcher --------------------------------------------------------------------------------------
def test_reports_are_kept_in_the_trial_and_survive_a_json_resume() -> None:
    searcher = _searcher()
    trial = searcher.ask()
    searcher.report(trial, 0, 0.9)
    searcher.report(trial, 2, 0.5)
    with pytest.warns(RuntimeWarning, match="reported step 2 again; its first value 0.5 is kept"):
        searcher.report(trial, 2, 0.1)
    assert trial.intermediate == {0: 0.9, 2: 0.5} and trial.last_step == 2
    searcher.tell(trial, 0.5)
    pending = searcher.ask()
    searcher.report(pending, 0, 0.7)
    resumed = RandomSearch(SPACE).load_history(searcher.to_json())
    assert [t.intermediate for t in resumed.trials] == [{0: 0.9, 2: 0.5}, {0: 0.7}]
    resumed.report(resumed.pending[0], 1, 0.6)  # the pending trial goes on reporting after the resume
    assert resumed.pending[0].intermediate == {0: 0.7, 1: 0.6}


def test_a_bad_report_is_refused_before_anything_changes() -> None:
    searcher = _searcher()
    trial = searcher.ask()
    with pytest.raises(ValueError, match=r"trial 0 reported nan at step 1, not a finite number; tell a diverged"):
        searcher.report(trial, 1, float("nan"))
    with pytest.raises(ValueError, match="step must be >= 0"):
        searcher.report(trial, -1, 0.5)
    with pytest.raises(TypeError, match="step must be an int"):
        searcher.report(trial, 1.5, 0.5)  # type: ignore[arg-type]
    assert trial.intermediate == {}
    searcher.tell(trial, 0.5)
    with pytest.raises(ValueError, match="trial 0 was already told"):
        searcher.report(trial, 2, 0.5)
    with pytest.raises(ValueError, match="was not asked by this RandomSearch"):
        searcher.report(Trial(id=7, params={"x": 0.5}), 0, 0.5)


def test_a_pruned_trial_is_told_at_its_last_report_and_is_not_the_best() -> None:
    searcher = _searcher()
    _finished(searcher, [[3.0, 2.0]])
    trial = searcher.ask()
    searcher.report(trial, 0, 2.5)
    searcher.report(trial, 1, 1.5)  # better than the complete trial's final value, but not a final value itself
    told = searcher.tell(trial, pruned=True)
    assert (told.status, told.value) == (TrialStatus.PRUNED, 1.5)
    assert searcher.best is not None and searcher.best.value == 2.0
    resumed = RandomSearch(SPACE).load_history(searcher.to_json())
    assert resumed.trials[1].status is TrialStatus.PRUNED and resumed.trials[1].value == 1.5
    silent = searcher.ask()
    with pytest.raises(ValueError, match="trial 2 reported no value"):
        searcher.tell(silent, pruned=True)
    with pytest.raises(ValueError, match="pruned=True takes a pending Trial"):
        searcher.tell(silent, 1.0, pruned=True, failed=True)
    assert silent.status is TrialStatus.PENDING
    assert searcher.tell(silent, 0.7, pruned=True).value == 0.7  # a value given explicitly


def test_a_bayesian_optimizer_learns_from_a_pruned_trial_at_its_value() -> None:
    """Pruned and complete trials enter the GP's data alike: the same proposals whether a value was told complete
    or pruned at that value (a failed trial, with no value, would not)."""
    runs = []
    for pruned in (False, True):
        searcher = BayesianOptimizer(SPACE, seed=1, n_initial=3)
        for i in range(6):
            trial = searcher.ask()
            value = (trial.params["x"] - 0.3) ** 2
            searcher.report(trial, 0, value)
            if pruned and i % 2 == 0:
                searcher.tell(trial, pruned=True)
            else:
                searcher.tell(trial, value)
        runs.append([searcher.ask().params for _ in range(2)])
    assert runs[0] == runs[1]


# -- the rules ----------------------------------------------------------------------------------------------------
def test_the_percentile_rule_against_hand_computed_percentiles() -> None:
    """Complete trials' values at step 1: 1, 2, 3, 4, 5. The 25th percentile is 2.0, the median 3.0 (numpy's
    linear interpolation); a trial whose best so far is 2.5 is pruned by the first and kept by the second."""
    searcher = _searcher()
    _finished(searcher, [[9.0, v] for v in (1.0, 2.0, 3.0, 4.0, 5.0)])
    quarter, median = PercentilePruner(25.0, n_startup_trials=5), MedianPruner(n_startup_trials=5)
    trial = searcher.ask()
    searcher.report(trial, 0, 4.0)
    searcher.report(trial, 1, 2.5)
    assert quarter.prune(searcher, trial) and not median.prune(searcher, trial)
    assert not MedianPruner(n_startup_trials=6).prune(searcher, trial)  # five complete trials only
    assert not MedianPruner(n_startup_trials=5, n_warmup_steps=2).prune(searcher, trial)
    assert not PercentilePruner(25.0, n_startup_trials=5, interval_steps=2).prune(searcher, trial)  # step 1 is odd
    assert not PercentilePruner(25.0, n_startup_trials=5, n_min_trials=6).prune(searcher, trial)
    # its best so far counts, not its latest value: 2.5 then 4.9 is still judged at 2.5
    searcher.report(trial, 2, 4.9)
    assert not PercentilePruner(25.0, n_startup_trials=5).prune(searcher, trial)  # nobody else reported step 2


def test_the_percentile_rule_in_the_maximising_direction() -> None:
    searcher = _searcher("maximize")
    _finished(searcher, [[0.0, v] for v in (1.0, 2.0, 3.0, 4.0, 5.0)])
    pruner = PercentilePruner(25.0, n_startup_trials=5)  # the best quarter: at least 4.0
    assert _decisions(pruner, searcher, [0.0, 3.5]) == [False, True]
    assert _decisions(pruner, searcher, [0.0, 4.0]) == [False, False]


def test_the_median_stopping_rule_compares_running_averages() -> None:
    """Complete curves 4, 2, 0 (running averages 4, 3, 2) and 10, 0, 0 (averages 10, 5, 3.33): the medians of the
    averages are 7, 4 and 2.67 at steps 0, 1, 2. A trial at 6, 4.5, 2.5 is stopped at step 1 only (4.5 > 4; its best
    2.5 at step 2 is below 2.67); one at 6, 3.9, 2.7 at step 2 only (2.7 > 2.67)."""
    searcher = _searcher()
    _finished(searcher, [[4.0, 2.0, 0.0], [10.0, 0.0, 0.0]])
    rule = MedianStoppingRule(n_startup_trials=2)
    assert _decisions(rule, searcher, [6.0, 4.5, 2.5]) == [False, True, False]
    assert _decisions(rule, searcher, [6.0, 3.9, 2.7]) == [False, False, True]
    # the value-at-step median would differ: at step 1 the values are 2 and 0, median 1
    assert _decisions(MedianPruner(n_startup_trials=2), searcher, [6.0, 3.9, 2.7]) == [False, True, True]


def test_patience_stops_after_that_many_reports_without_improvement() -> None:
    searcher = _searcher()
    assert _decisions(PatiencePruner(2), searcher, [5.0, 4.0, 4.0, 4.5, 3.0]) == [False, False, False, True, False]
    assert _decisions(PatiencePruner(2, min_delta=0.5), searcher, [5.0, 4.8, 4.6]) == [False, False, True]
    with pytest.raises(ValueError, match="patience"):
        PatiencePruner(0)


def test_successive_halving_keeps_the_best_third_at_each_rung_when_the_trial_reaches_it() -> None:
    """Rungs at steps 1, 3, 9. At step 1 the values of earlier trials are 0.1, 0.5, 0.7, 0.9 (and 0.3 for the new
    trial): with n = 5, floor(5 / 3) = 1 goes on, the best; so 0.3 is stopped and 0.05 goes on. Between rungs (step 2)
    nothing is decided; at step 0, below the first rung, nothing either."""
    pruner = SuccessiveHalvingPruner(min_step=1, eta=3)
    assert pruner.rung_steps(10) == [1, 3, 9]
    assert SuccessiveHalvingPruner(min_step=2, eta=2, min_early_stopping_rate=1, max_step=16).rung_steps(99) == [4, 8]
    searcher = _searcher()
    _finished(searcher, [[1.0, v] for v in (0.1, 0.5, 0.7, 0.9)])
    assert _decisions(pruner, searcher, [1.0, 0.3, 0.0]) == [False, True, False]
    assert _decisions(pruner, searcher, [1.0, 0.05, 0.0, 0.0]) == [False, False, False, False]
    # the very first trial at a rung always goes on (max(1, n // eta) with n = 1)
    fresh = _searcher()
    assert _decisions(pruner, fresh, [1.0, 9.0, 9.0, 9.0]) == [False, False, False, False]
    # a trial reporting every other step reaches rung 3 at step 4: its value there is its value at step 4
    sparse = fresh.ask()
    for step, value in ((0, 1.0), (2, 0.5), (4, 0.4)):
        fresh.report(sparse, step, value)
    assert not pruner.prune(fresh, sparse)  # rung 3: 9.0 (the first trial, at step 3) and 0.4: the best goes on


def test_hyperband_brackets_follow_the_papers_table_and_compete_apart() -> None:
    """R = 81, eta = 3 (Li et al. 2018, Table 1): brackets of 81, 34, 15, 8 and 5 configurations."""
    pruner = HyperbandPruner(min_step=1, max_step=81)
    assert pruner.bracket_sizes == [81, 34, 15, 8, 5]
    cycle = [pruner.bracket_of(Trial(id=i, params={})) for i in range(143)]
    assert [cycle.count(s) for s in range(5)] == [81, 34, 15, 8, 5]
    # trials 0-80 are bracket 0 (rungs 1, 3, 9, 27), 81 is bracket 1 (rungs 3, 9, 27): at step 1 it meets no rung,
    # though the same curve among the same trials is stopped there by a pruner with a rung at 1
    searcher = _searcher()
    _finished(searcher, [[1.0, 0.1]] * 81)
    assert pruner.bracket_of(Trial(id=80, params={})) == 0 and pruner.bracket_of(Trial(id=81, params={})) == 1
    late = searcher.ask()
    searcher.report(late, 0, 9.0)
    searcher.report(late, 1, 9.0)
    assert not pruner.prune(searcher, late) and SuccessiveHalvingPruner(min_step=1).prune(searcher, late)
    assert pruner.rungs == [[1, 3, 9, 27], [3, 9, 27], [9, 27], [27], []]
    # R not a power of eta: the rungs count down from the full training, and the last bracket still has none
    assert HyperbandPruner(min_step=1, max_step=162).rungs[-1] == []
    assert pruner.bracket_of(Trial(id=138, params={})) == 4


def test_a_pruner_refuses_a_trial_that_is_not_pending() -> None:
    searcher = _searcher()
    _finished(searcher, [[1.0]])
    with pytest.raises(ValueError, match="trial 0 is not a pending trial of this RandomSearch"):
        MedianPruner().prune(searcher, searcher.trials[0])


# -- minimize -----------------------------------------------------------------------------------------------------
def _curve_objective(params: dict[str, float], report) -> float:  # type: ignore[no-untyped-def]
    """A loss falling over 27 epochs towards (x - 0.3)^2: bad configurations are bad from the start."""
    loss = math.inf
    for epoch in range(27):
        loss = (params["x"] - 0.3) ** 2 + 1.0 / (epoch + 1)
        report(epoch, loss)
    return loss


def test_minimize_with_a_pruner_stops_trials_and_keeps_their_curves() -> None:
    searcher = minimize(_curve_objective, SPACE, RandomSearch(SPACE, seed=0), 30, pruner=MedianPruner())
    statuses = [t.status for t in searcher.history]
    assert statuses.count(TrialStatus.PRUNED) >= 8 and statuses.count(TrialStatus.COMPLETE) >= 5
    epochs = sum(len(t.intermediate) for t in searcher.history)
    assert epochs < 0.7 * 27 * 30  # compute saved
    for trial in searcher.history:
        assert trial.value == trial.intermediate[trial.last_step]  # type: ignore[index]
    # the same trials without a pruner, every curve to the end
    plain = minimize(_curve_objective, SPACE, RandomSearch(SPACE, seed=0), 30)
    assert all(len(t.intermediate) == 27 for t in plain.history)
    assert [t.params for t in plain.history] == [t.params for t in searcher.history]


def test_minimize_refuses_a_pruner_without_reports_and_fails_a_trial_stopped_before_reporting() -> None:
    with pytest.raises(TypeError, match="the objective must take a 'report' argument"):
        minimize(lambda p: p["x"], SPACE, RandomSearch(SPACE, seed=0), 3, pruner=MedianPruner())
    with pytest.raises(TypeError, match=r"pruner must be a bohpo\.pruners\.Pruner"):
        minimize(_curve_objective, SPACE, RandomSearch(SPACE, seed=0), 3, pruner="median")  # type: ignore[arg-type]

    def stops_at_once(params: dict[str, float], report) -> float:  # type: ignore[no-untyped-def]
        from bohpo.errors import TrialPruned

        raise TrialPruned("no")

    with pytest.warns(TrialFailedWarning):
        searcher = minimize(stops_at_once, SPACE, RandomSearch(SPACE, seed=0), 2)
    assert [t.status for t in searcher.history] == [TrialStatus.FAILED] * 2
    assert json.loads(searcher.to_json())["trials"][0]["intermediate"] == []


def test_bohb_models_a_pruned_trial_at_its_value_not_as_a_failure() -> None:
    from bohpo.searchers import BOHB

    searcher = BOHB(Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}), 1, 9, 3, min_points=2, seed=0)
    assert searcher.proposer is not None
    seen = []
    fitted = searcher.proposer.propose_by_model

    def spy(X, y, generator):  # type: ignore[no-untyped-def]
        seen.append(y.clone())
        return fitted(X, y, generator=generator)

    searcher.proposer.propose_by_model = spy  # type: ignore[method-assign]
    for i in range(30):
        trial = searcher.ask()
        searcher.report(trial, 1, 0.5 + i / 100)
        if i % 2:
            searcher.tell(trial, pruned=True)
        else:
            searcher.tell(trial, 0.1 + i / 100)
    assert seen
    pruned_values = {round(0.5 + i / 100, 6) for i in range(1, 30, 2)}
    assert any(round(float(v), 6) in pruned_values for y in seen for v in y)  # a pruned trial's value reached it


def test_a_diverged_curve_fails_its_trial_and_the_study_goes_on() -> None:
    def diverges(params: dict[str, float], report) -> float:  # type: ignore[no-untyped-def]
        for epoch in range(3):
            report(epoch, float("nan") if params["x"] > 0.5 and epoch == 1 else params["x"])
        return params["x"]

    with pytest.warns(TrialFailedWarning, match=r"failed: it reported nan at step 1; the study goes on"):
        searcher = minimize(diverges, SPACE, RandomSearch(SPACE, seed=0), 12, pruner=MedianPruner())
    failed = [t for t in searcher.history if t.status is TrialStatus.FAILED]
    assert failed and all(t.params["x"] > 0.5 and t.intermediate == {0: t.params["x"]} for t in failed)
    assert len(searcher.history) == 12
