"""Peers as searchers: Optuna's samplers and the canonical BoTorch loop behind bohpo's interface."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from bohpo.searchers import make_searcher, searcher_names
from bohpo.searchers.peers import BoTorchLoop, OptunaSearcher
from bohpo.space import Categorical, Float, Int, Space


def _space() -> Space:
    return Space({"x": Float(0.0, 1.0), "n": Int(1, 8, log=True), "c": Categorical(["a", "b", 3])})


def _value(p: dict[str, Any]) -> float:
    return (p["x"] - 0.3) ** 2 + 0.1 * p["n"] + (p["c"] != "b")


def test_the_peers_are_registered_names() -> None:
    assert {"botorch-logei", "optuna-tpe", "optuna-gp", "optuna-cmaes"} <= set(searcher_names())
    assert isinstance(make_searcher("optuna-tpe", _space(), seed=0), OptunaSearcher)
    assert isinstance(make_searcher("botorch-logei", _space(), seed=0), BoTorchLoop)


def test_optuna_learns_from_what_it_is_told() -> None:
    searcher = OptunaSearcher(_space(), "tpe", seed=0)
    for _ in range(30):
        trial = searcher.ask()
        searcher.tell(trial, _value(trial.params))
    assert searcher.best is not None and searcher.best.value < 0.5  # type: ignore[operator]
    assert len(searcher._study.trials) == 30  # one Optuna trial per bohpo trial


def test_optuna_hears_of_configurations_evaluated_elsewhere() -> None:
    searcher = OptunaSearcher(_space(), "tpe", seed=0)
    searcher.tell({"x": 0.3, "n": 1, "c": "b"}, 0.1)
    trials = searcher._study.trials
    assert len(trials) == 1 and trials[0].params == {"x": 0.3, "n": 1, "c": 1} and trials[0].value == 0.1


def test_a_bad_sampler_is_refused() -> None:
    with pytest.raises(ValueError, match=r"sampler must be one of \('tpe', 'gp', 'cmaes', 'nsga2'\), got 'random'"):
        OptunaSearcher(_space(), "random")


def test_the_botorch_loop_proposes_in_the_space_in_batches_too() -> None:
    searcher = BoTorchLoop(_space(), n_initial=4, n_restarts=2, n_raw=32, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(6):
            trial = searcher.ask()
            searcher.tell(trial, _value(trial.params))
        batch = searcher.ask(3)  # a q-batch with the pending points
    space = _space()
    assert all(space.validate(t.params) == t.params for t in batch)
    assert len({space.key(t.params) for t in batch}) == 3


def test_the_botorch_loop_repeats_under_a_seed_whatever_the_global_generator() -> None:
    import torch

    def run(global_seed: int, resume_at: int | None = None) -> list[dict[str, Any]]:
        searcher = BoTorchLoop(_space(), n_initial=3, n_restarts=2, n_raw=32, seed=4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(6):
                if i == resume_at:  # continue in a fresh searcher from the saved history
                    searcher = BoTorchLoop(_space(), n_initial=3, n_restarts=2, n_raw=32).load_history(
                        searcher.to_json()
                    )
                torch.manual_seed(global_seed + i)  # the caller's global state must not matter
                trial = searcher.ask()
                searcher.tell(trial, _value(trial.params))
        return [t.params for t in searcher.history]

    first = run(1)
    assert run(2) == first and run(3, resume_at=4) == first


def test_optuna_leaves_no_trial_running_behind_a_batch() -> None:
    import optuna

    small = Space({"k": Int(0, 2), "c": Categorical(["a", "b"])})  # six configurations: repeats are likely
    searcher = OptunaSearcher(small, "tpe", seed=0)
    for _ in range(3):
        batch = searcher.ask(3)
        for trial in batch:
            searcher.tell(trial, float(trial.params["k"]))
    states = [t.state for t in searcher._study.trials]
    assert optuna.trial.TrialState.RUNNING not in states
    assert states.count(optuna.trial.TrialState.COMPLETE) == 9


@pytest.mark.slow
def test_the_botorch_loop_falls_back_where_botorch_raises() -> None:
    """One told value of 1e300 makes BoTorch's initial conditions NaN (torch.multinomial raises): the ask warns and
    proposes a random configuration instead of ending the study."""
    from bohpo.errors import NumericalWarning

    space = Space({"x": Float(0.0, 1.0), "lr": Float(1e-4, 1.0, log=True), "k": Int(1, 40)})
    searcher = BoTorchLoop(space, n_initial=3, n_restarts=2, n_raw=32, seed=0)
    for i in range(4):
        trial = searcher.ask()
        searcher.tell(trial, 1e300 if i == 1 else trial.params["x"] ** 2)
    with pytest.warns(NumericalWarning, match=r"BoTorchLoop: the model step failed .* a random configuration"):
        trial = searcher.ask()
    assert space.validate(trial.params) == trial.params
