"""ASHA: rungs, promotion as soon as a rung allows, no waiting, resuming."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from bohpo.acquisition import MultiStartOptimizer, Proposer, RandomFraction
from bohpo.errors import NumericalWarning, TrialFailedWarning
from bohpo.searchers import AsyncSuccessiveHalving
from bohpo.space import Float, Space
from bohpo.surrogates import GP, TPE, CholeskyError
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


def test_every_promotion_was_in_the_top_fraction_of_its_rung_when_it_went_up() -> None:
    """Replay the run: when a trial is promoted from rung k, its configuration is among the best floor(n / eta)
    of the n trials completed on rung k at that moment, and is not promoted twice."""
    asha = AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=9, eta=3, seed=1)
    trials = []
    for _ in range(40):
        trial = asha.ask()
        if trial.budget > 1.0:  # type: ignore[operator]
            k = asha.budgets.index(trial.budget)  # type: ignore[arg-type]
            done = sorted((t for t in trials if t.budget == asha.budgets[k - 1]), key=_value)
            top = {t.config_id for t in done[: len(done) // 3]}
            assert trial.config_id in top
            assert sum(t.config_id == trial.config_id and t.budget == trial.budget for t in trials) == 0
        asha.tell(trial, _value(trial))
        trials.append(trial)
    assert {t.budget for t in trials} == set(asha.budgets)  # every rung was reached
    assert all(asha.rung_of(t) == asha.budgets.index(t.budget) for t in trials)  # type: ignore[arg-type]


def test_failed_trials_are_never_promoted() -> None:
    asha = AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=9, eta=3, seed=4)
    first = asha.ask(3)
    with pytest.warns(TrialFailedWarning):
        for trial in first:
            asha.tell(trial, failed=True)
    assert asha.ask().budget == 1.0  # nothing completed on rung 0: nothing to promote


def test_a_non_integer_rate_promotes_floor_of_completed_over_eta() -> None:
    """11 completed at eta = 1.1: floor(11 / 1.1) = 10 promotable (float floor division would give 9)."""
    asha = AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=1.21, eta=1.1, seed=5)
    for trial in asha.ask(11):
        asha.tell(trial, _value(trial))
    promoted = [asha.ask() for _ in range(11)]
    assert [t.budget for t in promoted].count(asha.budgets[1]) == 10


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
    with pytest.raises(ValueError, match="min_early_stopping_rate must be at most 1"):
        AsyncSuccessiveHalving(SPACE, 1, 9, min_early_stopping_rate=3)
    with pytest.raises(ValueError, match="eta must be a finite number > 1"):
        AsyncSuccessiveHalving(SPACE, 1, 9, eta=0.5)
    with pytest.raises(ValueError, match="max_budget must be"):
        AsyncSuccessiveHalving(SPACE, 5, 2)


# -- model-based ASHA (with a proposer) ---------------------------------------------------------------------------


def _model_asha(seed: int | None, *, surrogate: Any = None, n_initial: int = 5) -> AsyncSuccessiveHalving:
    proposer = Proposer(
        SPACE, surrogate=TPE() if surrogate is None else surrogate, n_initial=n_initial,
        optimizer=MultiStartOptimizer(n_raw=64, n_restarts=2) if isinstance(surrogate, GP) else None,
    )  # fmt: skip
    return AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=9, proposer=proposer, seed=seed)


def test_model_based_asha_uses_the_model_once_a_rung_has_enough_evaluations(monkeypatch: pytest.MonkeyPatch) -> None:
    asha = _model_asha(0)
    plain = AsyncSuccessiveHalving(SPACE, min_budget=1, max_budget=9, seed=0)
    fits: list[int] = []
    proposed: list[torch.Tensor] = []
    real = Proposer.propose_by_model

    def counted(self: Proposer, X: torch.Tensor, y: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        fits.append(X.shape[0])
        proposed.append(real(self, X, y, **kwargs))
        return proposed[-1]

    monkeypatch.setattr(Proposer, "propose_by_model", counted)
    early = [asha.ask() for _ in range(5)]  # nothing told: random, as plain ASHA
    assert [t.params for t in early] == [plain.ask().params for _ in range(5)] and not fits
    for trial in early:
        asha.tell(trial, _value(trial))
    assert asha.model_budget() == 1.0
    promoted = asha.ask()  # the best of five goes up first
    assert promoted.budget == 3.0 and not fits
    new = asha.ask()  # then a new configuration, from the model fitted on rung 0
    assert new.budget == 1.0 and fits == [5]  # five told on rung 0 (the pending promotion's value there is known)
    assert new.params == SPACE.decode(proposed[0])[0]


@pytest.mark.slow
def test_model_based_asha_resumes_exactly_with_its_models_warm_start() -> None:
    original = _model_asha(3, surrogate=GP(), n_initial=3)
    for _ in range(8):
        trial = original.ask()
        original.tell(trial, _value(trial))
    waiting = original.ask(2)
    saved = original.to_json()
    assert '"proposer"' in saved and '"surrogate": {' in saved  # the GP's hyperparameters travel with the history
    resumed = _model_asha(None, surrogate=GP(), n_initial=3).load_history(saved)
    for trial in waiting:
        original.tell(trial, _value(trial))
        resumed.tell(trial, _value(trial))
    for _ in range(6):
        a, b = original.ask(), resumed.ask()
        assert (a.id, a.params, a.budget, a.config_id) == (b.id, b.params, b.budget, b.config_id)
        original.tell(a, _value(a))
        resumed.tell(b, _value(b))


def test_model_based_asha_draws_at_random_when_its_model_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    asha = _model_asha(1, surrogate=GP(), n_initial=2)
    for trial in asha.ask(3):
        asha.tell(trial, _value(trial))
    assert asha.ask().budget == 3.0  # a promotion first

    def broken(self: GP, X: torch.Tensor, y: torch.Tensor) -> GP:
        raise CholeskyError("the kernel matrix is not positive definite")

    monkeypatch.setattr(GP, "fit", broken)
    with pytest.warns(NumericalWarning, match="AsyncSuccessiveHalving: the model failed .*; drawing a random"):
        trial = asha.ask()
    assert trial.budget == 1.0 and 0.0 <= trial.params["x"] <= 1.0


def test_model_based_asha_takes_the_proposers_exploration_policy() -> None:
    proposer = Proposer(SPACE, surrogate=TPE(), exploration=RandomFraction(1.0), n_initial=2)
    asha = AsyncSuccessiveHalving(SPACE, 1, 9, proposer=proposer, seed=2)
    plain = AsyncSuccessiveHalving(SPACE, 1, 9, seed=2)
    for searcher in (asha, plain):
        for trial in searcher.ask(3):
            searcher.tell(trial, _value(trial))
        searcher.ask()  # the promotion
    # every new configuration random: the same as plain ASHA's but for the one uniform draw of the policy
    assert asha.ask().params != plain.ask().params
    with pytest.raises(TypeError, match="proposer must be a bohpo Proposer"):
        AsyncSuccessiveHalving(SPACE, 1, 9, proposer=TPE())  # type: ignore[arg-type]
