"""ASHA: rungs, promotion as soon as a rung allows, no waiting, resuming."""

from __future__ import annotations

import pytest

from bohpo.searchers import AsyncSuccessiveHalving
from bohpo.space import Float, Space
from bohpo.trial import Trial

SPACE = Space({"x": Float(0.0, 1.0)})


def _value(trial: Trial) -> float:
    return abs(trial.params["x"] - 0.3) + 0.01 / (trial.budget or 1.0)


def test_rungs_run_from_the_smallest_budget_to_the_largest() -> None:
    assert AsyncSuccessiveHalving(SPACE, 1, 81).budgets == [1.0, 3.0, 9.0, 27.0, 81.0]
    assert AsyncSuccessiveHalving(SPACE, 1, 81, min_early_stopping_rate=2).budgets == [9.0, 27.0, 81.0]
    assert AsyncSuccessiveHalving(SPACE, 1, 100).budgets[-1] == 100.0


def test_a_configuration_is_promoted_as_soon_as_its_rung_allows() -> None:
    asha = AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=9, eta=3, seed=0)
    first = asha.ask(3)
    asha.tell(first[0], 0.5)
    asha.tell(first[1], 0.2)
    assert asha.ask().budget == 1.0  # two told: floor(2 / 3) = 0 promotable, so a new configuration
    asha.tell(first[2], 0.9)  # three told: the best of them may go up, though a rung-0 trial is still pending
    promoted = asha.ask()
    assert promoted.budget == 3.0 and promoted.config_id == first[1].config_id
    assert promoted.params == first[1].params
    assert asha.ask().budget == 1.0  # the same configuration is not promoted twice


def test_promotions_climb_every_rung_and_start_at_the_top() -> None:
    asha = AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=9, eta=3, seed=1)
    trials = []
    for _ in range(40):
        trial = asha.ask()
        asha.tell(trial, _value(trial))
        trials.append(trial)
    by_rung = {b: [t for t in trials if t.budget == b] for b in asha.budgets}
    for lower, upper in zip(asha.budgets, asha.budgets[1:], strict=False):
        told = by_rung[lower]
        assert 0 < len(by_rung[upper]) <= len(told) // 3 + 1
        # every promoted configuration was in the top third of its rung when it went up
        assert {t.config_id for t in by_rung[upper]} <= {t.config_id for t in told}
    assert all(asha.rung_of(t) == asha.budgets.index(t.budget) for t in trials)  # type: ignore[arg-type]


def test_asha_never_waits_however_many_trials_are_pending() -> None:
    asha = AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=27, seed=2)
    pending = asha.ask(50)
    assert len(pending) == 50 and {t.budget for t in pending} == {1.0}


def test_asha_rebuilt_from_history_continues_exactly() -> None:
    original = AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=27, seed=3)
    for _ in range(20):
        trial = original.ask()
        original.tell(trial, _value(trial))
    waiting = original.ask(3)
    resumed = AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=27).load_history(original.to_json())
    for trial in waiting:
        original.tell(trial, _value(trial))
        resumed.tell(trial, _value(trial))
    for _ in range(30):
        a, b = original.ask(), resumed.ask()
        assert (a.id, a.params, a.budget, a.config_id) == (b.id, b.params, b.budget, b.config_id)
        original.tell(a, _value(a))
        resumed.tell(b, _value(b))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="min_early_stopping_rate must be at most 2"):
        AsyncSuccessiveHalving(SPACE, 1, 9, min_early_stopping_rate=3)
    with pytest.raises(ValueError, match="eta must be a finite number > 1"):
        AsyncSuccessiveHalving(SPACE, 1, 9, eta=0.5)
    with pytest.raises(ValueError, match="max_budget must be"):
        AsyncSuccessiveHalving(SPACE, 5, 2)
