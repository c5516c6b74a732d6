"""Successive halving, Hyperband and BOHB: the paper's schedule, exact promotions, budgets spent, resuming."""

from __future__ import annotations

import math
import statistics
import warnings
from collections import Counter
from typing import Any

import pytest
import torch

from bohpo.errors import TrialFailedWarning
from bohpo.problems import Branin, FidelityBiased
from bohpo.searchers import BOHB, AsyncSuccessiveHalving, Hyperband, SuccessiveHalving, hyperband_brackets
from bohpo.searchers.hyperband import successive_halving_rungs
from bohpo.searchers.registry import make_fidelity_searcher
from bohpo.space import Categorical, Float, Int, Space
from bohpo.surrogates import GP, TPE
from bohpo.trial import Trial

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})


def _value(trial: Trial) -> float:
    """Deterministic, budget-aware: better near (0.3, 0.6), a little noisier at small budgets."""
    p = trial.params
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2 + 0.05 * math.sin(40 * p["x"]) / (trial.budget or 1.0)


def test_hyperbands_brackets_for_r81_eta3_are_the_papers_table() -> None:
    """Li et al. (2018), Table 1: (n_i, r_i) for every bracket s = 4..0."""
    table = [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    got = hyperband_brackets(1, 81, 3)
    assert [[(n, r) for n, r in bracket] for bracket in got] == table
    assert all(isinstance(n, int) and isinstance(r, float) for bracket in got for n, r in bracket)


def test_brackets_for_a_range_that_is_not_a_power_of_eta_end_at_max_budget() -> None:
    brackets = hyperband_brackets(1, 100, 3)  # s_max = 4; the smallest budget is 100 / 81
    assert len(brackets) == 5 and all(bracket[-1][1] == 100.0 for bracket in brackets)
    assert brackets[0][0][1] == pytest.approx(100 / 81) and brackets[0][0][1] >= 1


def _drive(searcher: Any, n: int, value: Any = _value) -> list[Trial]:
    trials = []
    for _ in range(n):
        trial = searcher.ask()
        searcher.tell(trial, value(trial))
        trials.append(trial)
    return trials


def test_successive_halving_promotes_exactly_the_best_third() -> None:
    sh = SuccessiveHalving(SPACE, min_budget=1, max_budget=9, eta=3, seed=0)
    first = _drive(sh, 9)
    assert {t.budget for t in first} == {1.0} and len({t.config_id for t in first}) == 9
    second = _drive(sh, 3)
    best_three = sorted(first, key=_value)[:3]
    assert [t.config_id for t in second] == [t.config_id for t in best_three]
    assert all(t.budget == 3.0 and t.params == b.params for t, b in zip(second, best_three, strict=True))
    (third,) = _drive(sh, 1)
    assert third.budget == 9.0 and third.config_id == min(second, key=_value).config_id
    assert sh.ask().budget == 1.0  # the next bracket starts


def test_a_failed_trial_is_never_promoted() -> None:
    """Nine trials, seven failed: only the two that completed go up, though the rung has room for three."""
    sh = SuccessiveHalving(SPACE, min_budget=1, max_budget=9, eta=3, seed=1)
    trials = sh.ask(9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialFailedWarning)
        for trial in trials[:7]:
            sh.tell(trial, failed=True)
    sh.tell(trials[7], 5.0)
    sh.tell(trials[8], 7.0)
    promoted = sh.ask(2)
    assert [t.config_id for t in promoted] == [trials[7].config_id, trials[8].config_id]
    assert all(t.budget == 3.0 for t in promoted)
    nxt = sh.ask()  # rung 1 holds two, not three: the bracket waits for them, so a new bracket starts
    assert nxt.budget == 1.0 and nxt.config_id == nxt.id


def test_a_rung_waits_for_stragglers_while_the_next_bracket_starts() -> None:
    hb = Hyperband(SPACE, min_budget=1, max_budget=9, eta=3, seed=2)  # brackets of 9, 5 and 3 configurations
    first = hb.ask(9)
    for trial in first[:8]:
        hb.tell(trial, _value(trial))
    waiting = hb.ask(5)  # rung 1 of the first bracket waits for the ninth trial: the second bracket starts
    assert [t.budget for t in waiting] == [3.0] * 5 and len({t.config_id for t in first + waiting}) == 14
    hb.tell(first[8], _value(first[8]))
    promoted = hb.ask()
    assert promoted.budget == 3.0 and promoted.config_id in {t.config_id for t in first}


def test_one_hyperband_iteration_spends_exactly_its_schedules_budget() -> None:
    hb = Hyperband(SPACE, min_budget=1, max_budget=81, eta=3, seed=3)
    schedule = hyperband_brackets(1, 81, 3)
    n_trials = sum(n for bracket in schedule for n, _ in bracket)
    trials = _drive(hb, n_trials)
    assert sum(t.budget for t in trials) == sum(n * r for bracket in schedule for n, r in bracket)  # type: ignore[misc]
    # the trials, bracket after bracket in the order asked (run one at a time, brackets do not overlap)
    start = 0
    for bracket in schedule:
        size = sum(n for n, _ in bracket)
        chunk = trials[start : start + size]
        assert Counter(t.budget for t in chunk) == Counter({r: n for n, r in bracket})
        start += size
    assert hb._brackets == []  # every bracket closed
    assert hb.ask().budget == 1.0  # and the next iteration begins with the most aggressive bracket


@pytest.mark.parametrize("eta", [2, 2.5, 4])
def test_other_rates_keep_the_shape_of_the_schedule(eta: float) -> None:
    brackets = hyperband_brackets(1, 64, eta)
    most = math.floor(math.log(64) / math.log(eta) + 1e-9)
    assert len(brackets) == most + 1
    for s, bracket in zip(range(most, -1, -1), brackets, strict=True):
        n = math.ceil((most + 1) / (s + 1) * eta**s - 1e-9)
        assert bracket[0][0] == n and bracket[-1][1] == 64.0
        for i, (n_i, r_i) in enumerate(bracket):
            assert n_i == math.floor(n / eta**i + 1e-9) and r_i == pytest.approx(64 / eta ** (s - i))
    hb = Hyperband(SPACE, 1, 64, eta=eta, seed=0)
    trials = _drive(hb, sum(n for n, _ in brackets[0]))
    assert sorted({t.budget for t in trials}) == pytest.approx(sorted({r for _, r in brackets[0]}))


def test_successive_halving_with_few_configurations_still_ends_at_the_full_budget() -> None:
    sh = SuccessiveHalving(SPACE, min_budget=1, max_budget=27, eta=3, n_configs=5, seed=0)
    assert sh.rungs == [(5, 9.0), (1, 27.0)]
    assert {t.budget for t in _drive(sh, 6)} == {9.0, 27.0}


def test_a_history_loads_only_into_a_searcher_with_the_same_settings() -> None:
    original = Hyperband(SPACE, 1, 9, seed=0)
    _drive(original, 5)
    with pytest.raises(ValueError, match=r"configured otherwise: max_budget 9\.0, this searcher has 10\.0"):
        Hyperband(SPACE, 1, 10).load_history(original.to_json())
    sh = SuccessiveHalving(SPACE, 1, 9, seed=0)
    _drive(sh, 3)
    with pytest.raises(ValueError, match="n_configs"):
        SuccessiveHalving(SPACE, 1, 9, n_configs=6).load_history(sh.to_json())


def test_a_promoted_configuration_keeps_its_identity() -> None:
    hb = Hyperband(SPACE, min_budget=1, max_budget=27, eta=3, seed=4)
    trials = _drive(hb, 60)
    first_seen = {}
    for t in trials:
        first_seen.setdefault(t.config_id, t)
    for t in trials:
        origin = first_seen[t.config_id]
        assert t.params == origin.params and origin.id == t.config_id and origin.budget <= t.budget  # type: ignore[operator]


@pytest.mark.parametrize("cut", [7, 40, 85])
def test_hyperband_rebuilt_from_history_mid_bracket_continues_the_same_schedule(cut: int) -> None:
    original = Hyperband(SPACE, min_budget=1, max_budget=27, eta=3, seed=5)
    _drive(original, cut)
    stragglers = original.ask(4)  # asked, not told, when the run stops
    resumed = Hyperband(SPACE, min_budget=1, max_budget=27, eta=3).load_history(original.to_json())
    for trial in stragglers:
        original.tell(trial, _value(trial))
        resumed.tell(trial, _value(trial))
    a, b = _drive(original, 60), _drive(resumed, 60)
    assert [(t.id, t.params, t.budget, t.config_id) for t in a] == [(t.id, t.params, t.budget, t.config_id) for t in b]


def test_best_is_read_at_the_largest_budget() -> None:
    sh = SuccessiveHalving(SPACE, min_budget=1, max_budget=3, eta=3, seed=6)
    low = sh.ask(3)
    for trial, value in zip(low, [0.5, 0.1, 0.9], strict=True):
        sh.tell(trial, value)
    assert sh.best is low[1]
    top = sh.ask()
    sh.tell(top, 0.3)  # worse than its own small-budget value, yet the only full-budget one
    assert sh.best is top


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"min_budget": 1, "max_budget": 9, "eta": 1}, ValueError, "eta must be a finite number > 1"),
        ({"min_budget": 9, "max_budget": 9}, ValueError, "max_budget must be a finite number > min_budget"),
        ({"min_budget": 0, "max_budget": 9}, ValueError, "min_budget must be a positive"),
        ({"min_budget": 1, "max_budget": math.inf}, ValueError, "max_budget"),
        ({"min_budget": "1", "max_budget": 9}, ValueError, "min_budget"),
        ({"min_budget": 1, "max_budget": 2}, ValueError, "at least eta"),
    ],
)
def test_bad_budgets_and_rates_are_refused(kwargs: dict[str, Any], error: type, match: str) -> None:
    for cls in (SuccessiveHalving, Hyperband, BOHB):
        with pytest.raises(error, match=match):
            cls(SPACE, **kwargs)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="n_configs must be >= 1"):
        SuccessiveHalving(SPACE, 1, 9, n_configs=0)
    with pytest.raises(ValueError, match="random_fraction must be a number in"):
        BOHB(SPACE, 1, 9, random_fraction=1.5)
    with pytest.raises(TypeError, match="surrogate must be"):
        BOHB(SPACE, 1, 9, surrogate="tpe")  # type: ignore[arg-type]


def test_successive_halving_rungs_drop_empty_rungs() -> None:
    assert successive_halving_rungs(4, 3, 27, 3) == [(4, 1.0), (1, 3.0)]


# -- BOHB ---------------------------------------------------------------------------------------------------------


def test_bohb_models_the_largest_budget_with_enough_points() -> None:
    bohb = BOHB(SPACE, min_budget=1, max_budget=9, eta=3, min_points=4, seed=7)
    assert bohb.model_budget() is None
    _drive(bohb, 9)  # rung 0 of the first bracket: nine points at budget 1
    assert bohb.model_budget() == 1.0
    _drive(bohb, 4)  # three at budget 3, one at 9
    assert bohb.model_budget() == 1.0
    _drive(bohb, 5 + 1)  # the second bracket: five at 3 (eight at 3 now), then one promoted
    assert bohb.model_budget() == 3.0


@pytest.mark.parametrize("surrogate", [None, "gp"])
def test_bohbs_model_proposes_better_configurations_than_chance(surrogate: str | None) -> None:
    """On Branin (no fidelity bias), the first bracket's 27 points at budget 1 train the model; the second bracket's new
    configurations, all from the model, are better on average than random ones."""
    problem = FidelityBiased(Branin(), bias=0.0, min_budget=1, max_budget=27)
    model = GP() if surrogate == "gp" else None
    bohb = BOHB(problem.space, 1, 27, eta=3, random_fraction=0.0, min_points=20, seed=8, surrogate=model)
    trials = _drive(bohb, 40 + 12, value=lambda t: problem(t.params, t.budget))
    second_bracket = [t for t in trials[40:] if t.budget == 3.0 and t.config_id == t.id]
    assert len(second_bracket) == 12
    random_values = [problem(c) for c in problem.space.sample(200, generator=torch.Generator().manual_seed(9))]
    assert statistics.mean(t.value for t in second_bracket) < 0.5 * statistics.mean(random_values)  # type: ignore[misc]


def test_bohb_with_a_tpe_binds_it_and_refuses_ucb() -> None:
    from bohpo.acquisition import UpperConfidenceBound

    tpe = TPE()
    BOHB(SPACE, 1, 9, surrogate=tpe)
    assert tpe.space == SPACE
    with pytest.raises(TypeError, match="no confidence bound"):
        BOHB(SPACE, 1, 9, surrogate=TPE(), acquisition=UpperConfidenceBound)


def test_bohb_treats_pending_promotions_as_known_and_new_pending_configurations_as_bad() -> None:
    """With parallel workers, a promoted configuration that is pending already has its value at the model's budget:
    it keeps that value, while a pending new configuration counts as worse than any."""
    bohb = BOHB(SPACE, min_budget=1, max_budget=9, eta=3, min_points=4, random_fraction=0.0, seed=10)
    _drive(bohb, 9)  # rung 0 of the first bracket, at budget 1
    promoted = bohb.ask(3)  # pending at budget 3; their values at budget 1 are known
    fresh = bohb.ask(2)  # the next bracket's first configurations (from the model), pending at budget 3
    assert [t.budget for t in promoted] == [3.0] * 3 and [t.budget for t in fresh] == [3.0] * 2
    bohb.ask()  # fits the model on budget 1: nine known values + the two new pending configurations as liars
    tpe = bohb.surrogate
    assert isinstance(tpe, TPE)
    assert tpe.good.weights.shape[0] + tpe.bad.weights.shape[0] - 2 == 9 + 2


@pytest.mark.parametrize("make", [Hyperband, SuccessiveHalving, BOHB, AsyncSuccessiveHalving])
def test_a_batch_that_fails_halfway_leaves_the_searcher_as_it_was(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    searcher = make(SPACE, 1, 9, seed=3)
    twin = make(SPACE, 1, 9, seed=3)
    _drive(searcher, 6)
    _drive(twin, 6)
    pending = searcher.ask(2)
    twin.ask(2)
    before = searcher.to_json()
    draws = {"n": 0}
    real = type(searcher)._new_config

    def fails_on_the_third_draw(self: Any, generator: torch.Generator, budget: float) -> Any:
        draws["n"] += 1
        if draws["n"] == 3:
            raise KeyboardInterrupt  # or a model's error: whatever stops the batch halfway
        return real(self, generator, budget)

    monkeypatch.setattr(type(searcher), "_new_config", fails_on_the_third_draw)
    with pytest.raises(KeyboardInterrupt):
        searcher.ask(8)
    assert draws["n"] == 3  # two trials were made before the failure...
    assert searcher.to_json() == before  # ...and taken back, schedule included
    assert {t.id for t in searcher.pending} == {t.id for t in pending}
    monkeypatch.undo()
    # the searcher goes on exactly as one whose batch never failed (its schedule and its randomness; a model that
    # warm-starts from its last fit, as bohb-gp's GP does, may start its next fit from the failed batch's)
    after, expected = searcher.ask(8), twin.ask(8)
    assert [(t.id, t.params, t.budget, t.config_id) for t in after] == [
        (t.id, t.params, t.budget, t.config_id) for t in expected
    ]


def test_bohb_takes_a_whole_proposer_or_its_parts_not_both() -> None:
    from bohpo.acquisition import Proposer, RandomFraction

    proposer = Proposer(SPACE, surrogate=TPE(), exploration=RandomFraction(0.0), n_initial=4)
    bohb = BOHB(SPACE, 1, 9, proposer=proposer, seed=10)
    assert bohb.proposer is proposer and bohb.min_points == 4 and bohb.surrogate is proposer.surrogate
    _drive(bohb, 9)
    assert bohb.model_budget() == 1.0
    with pytest.raises(TypeError, match=r"pass either proposer= or random_fraction=, min_points=, not both"):
        BOHB(SPACE, 1, 9, proposer=proposer, random_fraction=0.5, min_points=3)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hyperband", "asha", "bohb", "bohb-gp"])
def test_a_new_configuration_never_repeats_one_evaluated_at_its_budget(name: str) -> None:
    """On an integer space of 441 configurations, 150 trials: no new configuration is one whose value at that budget
    is already known (a second evaluation would only repeat it); promotions are the only repeats."""
    space = Space({"a": Int(0, 20), "b": Int(0, 20)})
    searcher = make_fidelity_searcher(name, space, budgets=(1, 9), seed=0)
    seen: dict[float, set[tuple[Any, ...]]] = {}
    for _ in range(150):
        trial = searcher.ask()
        new = all(t.config_id != trial.config_id for t in searcher.trials if t.id != trial.id)
        assert trial.budget is not None
        assert not (new and space.key(trial.params) in seen.get(trial.budget, set())), trial
        seen.setdefault(trial.budget, set()).add(space.key(trial.params))
        searcher.tell(trial, float((trial.params["a"] - 7) ** 2 + abs(trial.params["b"] - 3)) / trial.budget)


def test_a_space_that_runs_out_warns_once_per_budget() -> None:
    space = Space({"a": Int(0, 2), "b": Categorical(["x", "y"])})  # 6 configurations
    searcher = Hyperband(space, 1, 9, seed=0)
    with pytest.warns(RuntimeWarning, match=r"neither pending nor evaluated at budget 1 .* from now on it repeats"):
        trials = [searcher.ask() for _ in range(7)]  # the first bracket wants 9 at budget 1
    assert len({space.key(t.params) for t in trials[:6]}) == 6  # every configuration once before any repeat
