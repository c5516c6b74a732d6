"""The Searcher interface itself: ask/tell bookkeeping, errors that change nothing, JSON history checks."""

from __future__ import annotations

import json
import math
import warnings
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch

from bohpo.errors import TrialFailedWarning
from bohpo.searchers import GridSearch, RandomSearch, Searcher, SobolSearch
from bohpo.space import Categorical, Float, Int, Space
from bohpo.trial import Trial, TrialStatus


@pytest.fixture
def space() -> Space:
    return Space({"x": Float(-1.0, 1.0), "k": Int(0, 9), "c": Categorical(["a", "b"])})


def _snapshot(searcher: Searcher) -> str:
    return searcher.to_json()


def test_ask_returns_one_trial_or_a_list(space: Space) -> None:
    searcher = RandomSearch(space, seed=0)
    one = searcher.ask()
    batch = searcher.ask(3)
    assert isinstance(one, Trial) and [t.id for t in batch] == [1, 2, 3]
    assert all(t.status is TrialStatus.PENDING and t.started_at is not None for t in [one, *batch])
    assert searcher.pending == [one, *batch] and searcher.history == []
    assert searcher.best is None


@pytest.mark.parametrize(("n", "error"), [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError)])
def test_ask_rejects_bad_counts_before_changing_anything(space: Space, n: Any, error: type[Exception]) -> None:
    searcher = RandomSearch(space, seed=0)
    before = _snapshot(searcher)
    with pytest.raises(error, match="n must be"):
        searcher.ask(n)
    assert _snapshot(searcher) == before


def test_tell_records_values_in_order(space: Space) -> None:
    searcher = RandomSearch(space, seed=0)
    a, b, c = searcher.ask(3)
    searcher.tell(c, np.float32(0.5))
    searcher.tell(a, torch.tensor(-1.5))
    assert [t.id for t in searcher.history] == [2, 0]
    assert type(a.value) is float and a.value == -1.5 and a.finished_at is not None
    assert searcher.best is a and searcher.pending == [b]
    assert searcher.completed == [c, a]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, None, "0.3", True, [1.0]])
def test_values_that_are_not_finite_numbers_fail_the_trial(space: Space, value: Any) -> None:
    searcher = RandomSearch(space, seed=0)
    trial = searcher.ask()
    with pytest.warns(TrialFailedWarning, match=r"is not a finite number; it stays in the history as failed"):
        told = searcher.tell(trial, value)
    assert told is trial and trial.status is TrialStatus.FAILED and trial.value is None
    assert searcher.history == [trial] and searcher.best is None


def test_telling_twice_is_an_error_that_changes_nothing(space: Space) -> None:
    searcher = RandomSearch(space, seed=0)
    trial = searcher.ask()
    searcher.tell(trial, 1.0)
    before = _snapshot(searcher)
    with pytest.raises(ValueError, match=r"trial 0 was already told \(status 'complete'\)"):
        searcher.tell(trial, 0.0)
    with pytest.raises(ValueError, match=r"already told"):
        searcher.tell(trial, failed=True)
    assert _snapshot(searcher) == before and trial.value == 1.0


def test_a_trial_of_another_searcher_is_rejected(space: Space) -> None:
    mine, other = RandomSearch(space, seed=0), RandomSearch(space, seed=1)
    mine.ask(), other.ask()
    foreign = other.ask()
    mine_before = _snapshot(mine)
    with pytest.raises(ValueError, match=r"trial 1 was not asked by this RandomSearch"):
        mine.tell(foreign, 1.0)  # id 1 exists in mine too, with other params
    with pytest.raises(ValueError, match=r"trial 7 was not asked"):
        mine.tell(Trial(id=7, params=foreign.params), 1.0)
    assert _snapshot(mine) == mine_before


def test_a_trial_of_a_twin_searcher_is_rejected(space: Space) -> None:
    mine, twin = RandomSearch(space, seed=0), RandomSearch(space, seed=0)
    mine.ask()
    twin_trial = twin.ask()
    assert twin_trial.params == mine.pending[0].params  # same seed, same proposal, still not ours
    with pytest.raises(ValueError, match=r"trial 0 was not asked by this RandomSearch"):
        mine.tell(twin_trial, 1.0)


def test_a_trial_whose_params_changed_is_rejected(space: Space) -> None:
    searcher = RandomSearch(space, seed=0)
    trial = searcher.ask()
    original = dict(trial.params)
    del trial.params["c"]
    with pytest.raises(ValueError, match=r"trial 0 no longer has the params or budget it was asked with"):
        searcher.tell(trial, 1.0)
    trial.params.update(original, x=0.123456)
    with pytest.raises(ValueError, match=r"no longer has the params"):
        searcher.tell(trial, 1.0)
    trial.params.update(original)
    assert searcher.tell(trial, 1.0).status is TrialStatus.COMPLETE


def test_a_configuration_never_asked_joins_the_history(space: Space) -> None:
    searcher = RandomSearch(space, seed=0)
    asked = searcher.ask()
    manual = searcher.tell({"c": "b", "x": 0.25, "k": np.int64(4)}, 0.1, budget=3)
    assert manual.id == 1 and manual.params == {"x": 0.25, "k": 4, "c": "b"} and manual.budget == 3.0
    assert manual.status is TrialStatus.COMPLETE and searcher.best is manual
    assert searcher.pending == [asked]
    assert searcher.ask().id == 2


@pytest.mark.parametrize(
    ("config", "kwargs", "error", "message"),
    [
        ({"x": 2.0, "k": 1, "c": "a"}, {}, ValueError, r"parameter 'x' = 2\.0 is outside"),
        ({"x": 0.0, "k": 1}, {}, ValueError, r"missing parameter 'c'"),
        ({"x": 0.0, "k": 1, "c": "a"}, {"budget": -1}, ValueError, r"budget must be a positive finite number"),
        ("x=0", {}, TypeError, r"tell takes a Trial or a configuration mapping, got str"),
    ],
)
def test_bad_tells_change_nothing(
    space: Space, config: Any, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    searcher = RandomSearch(space, seed=0)
    searcher.ask()
    before = _snapshot(searcher)
    with pytest.raises(error, match=message):
        searcher.tell(config, 1.0, **kwargs)
    assert _snapshot(searcher) == before


def test_a_trial_brings_its_own_budget(space: Space) -> None:
    searcher = RandomSearch(space, seed=0)
    trial = searcher.ask()
    with pytest.raises(ValueError, match="budget can only be given with a configuration"):
        searcher.tell(trial, 1.0, budget=2)
    assert trial.status is TrialStatus.PENDING


def test_constructor_errors(space: Space) -> None:
    with pytest.raises(ValueError, match=r"direction must be 'minimize' or 'maximize', got 'min'"):
        RandomSearch(space, direction="min")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"space must be a bohpo Space, got dict"):
        RandomSearch({"x": Float(0.0, 1.0)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"seed must be a non-negative int, got -3"):
        RandomSearch(space, seed=-3)


def test_seed_none_draws_fresh_entropy_that_reproduces(space: Space) -> None:
    a, b = RandomSearch(space), RandomSearch(space)
    assert a.seed != b.seed
    assert RandomSearch(space, seed=a.seed).ask().params == a.ask().params


def test_a_generator_seed_is_accepted(space: Space) -> None:
    first = RandomSearch(space, seed=torch.Generator().manual_seed(5)).ask(3)
    again = RandomSearch(space, seed=torch.Generator().manual_seed(5)).ask(3)
    assert [t.params for t in first] == [t.params for t in again]


def test_ask_touches_no_global_random_state(space: Space) -> None:
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()[1].tolist()
    for searcher in (RandomSearch(space, seed=0), SobolSearch(space, seed=0), GridSearch(space, seed=0)):
        searcher.tell(searcher.ask(), 1.0)
    assert torch.equal(torch.get_rng_state(), torch_state) and np.random.get_state()[1].tolist() == np_state


def test_a_space_too_small_for_the_pending_trials_warns(space: Space) -> None:
    tiny = Space({"c": Categorical(["a", "b"])})
    searcher = RandomSearch(tiny, seed=0)
    assert {t.params["c"] for t in searcher.ask(2)} == {"a", "b"}
    with pytest.warns(RuntimeWarning, match=r"no configuration that is not already pending"):
        third = searcher.ask()
    assert third.params["c"] in {"a", "b"}


# -- history JSON ---------------------------------------------------------------------------------------------------


def _saved(space: Space) -> tuple[RandomSearch, str]:
    searcher = RandomSearch(space, seed=4)
    for _ in range(3):
        trial = searcher.ask()
        searcher.tell(trial, trial.params["x"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialFailedWarning)
        searcher.tell(searcher.ask(), failed=True)
    searcher.ask()
    return searcher, searcher.to_json()


def test_history_json_is_plain_json_with_categoricals_by_index(space: Space) -> None:
    _, text = _saved(space)
    data = json.loads(text)
    assert data["searcher"] == "RandomSearch" and data["seed"] == 4 and data["n_asks"] == 5
    assert [t["status"] for t in data["trials"]] == ["complete"] * 3 + ["failed", "pending"]
    assert all(t["params"]["c"] in (0, 1) for t in data["trials"])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: SobolSearch(s), r"saved with searcher 'RandomSearch', this searcher has 'SobolSearch'"),
        (lambda s: RandomSearch(Space({"x": Float(-1.0, 2.0)})), r"saved with another space"),
        (lambda s: RandomSearch(s, direction="maximize"), r"saved with direction 'minimize'"),
    ],
)
def test_a_history_of_another_kind_is_refused(space: Space, make: Any, message: str) -> None:
    _, text = _saved(space)
    with pytest.raises(ValueError, match=message):
        make(space).load_history(text)


def test_load_history_needs_a_fresh_searcher(space: Space) -> None:
    searcher, text = _saved(space)
    with pytest.raises(RuntimeError, match=r"load_history needs a fresh searcher; this one has 5 trials"):
        searcher.load_history(text)


def test_a_malformed_history_changes_nothing(space: Space) -> None:
    _, text = _saved(space)
    data = json.loads(text)
    fresh = RandomSearch(space, seed=9)
    for broken, message in [
        ({**data, "version": 99}, r"not a bohpo history of version 1"),
        ({**data, "told": data["told"][:-1]}, r"told list does not match"),
        ({**data, "trials": data["trials"][1:]}, r"numbered 0, 1, \.\.\. in order"),
        ({**data, "n_asks": -1}, r"n_asks must be >= 0"),
        ({**data, "trials": None}, r"malformed history: TypeError"),
        ({**data, "trials": [{"id": 0}]}, r"malformed history: KeyError: 'params'"),
        ({**data, "id": 5}, r"id must be a string"),
    ]:
        with pytest.raises(ValueError, match=message):
            fresh.load_history(broken)
        assert fresh.trials == [] and fresh.seed == 9
    bad_params = json.loads(text)
    bad_params["trials"][0]["params"]["c"] = 5
    with pytest.raises(ValueError, match=r"parameter 'c': 5 is not a choice index below 2"):
        fresh.load_history(bad_params)
    other_grid = GridSearch(space, n_points=3, seed=0).to_json()
    with pytest.raises(ValueError, match=r"the history's grid has n_points=3, this one has 5"):
        GridSearch(space, seed=0).load_history(other_grid)
    with pytest.raises(ValueError, match=r"the history's grid has shuffle=True, this one has False"):
        GridSearch(space, n_points=3, shuffle=False, seed=0).load_history(other_grid)
    bad_state = json.loads(GridSearch(space, seed=0).to_json())
    bad_state["state"]["position"] = 10**7
    grid = GridSearch(space, seed=1)
    with pytest.raises(ValueError, match=r"past the end of a grid"):
        grid.load_history(bad_state)
    assert grid.seed == 1 and grid.trials == []


def test_history_of_a_space_with_object_choices_names_no_addresses() -> None:
    class Widget:
        pass

    space = Space({"act": Categorical([torch.tanh, torch.nn.ReLU, Widget(), None, 1.5])})
    signature = json.dumps(space.signature())
    assert "0x" not in signature and "tanh" in signature and "Widget" in signature
    searcher = RandomSearch(space, seed=0)
    searcher.tell(searcher.ask(), 1.0)
    resumed = RandomSearch(space).load_history(searcher.to_json())
    assert resumed.history[0].params == searcher.history[0].params


@pytest.mark.parametrize(
    ("value", "told"),
    [
        (Fraction(1, 4), 0.25),
        (Decimal("0.125"), 0.125),
        (np.array([0.5]), 0.5),  # a metric that returns one-element arrays
        (torch.tensor([1.5]), 1.5),
        (np.float32(2.0), 2.0),
    ],
)
def test_any_real_number_is_a_value(value: Any, told: float) -> None:
    searcher = RandomSearch(Space({"x": Float(0.0, 1.0)}), seed=0)
    trial = searcher.ask()
    searcher.tell(trial, value)
    assert searcher.history[0].status is TrialStatus.COMPLETE and searcher.history[0].value == told


@pytest.mark.parametrize("value", [10**400, -(10**400), Decimal("NaN"), np.array([1.0, 2.0]), "0.5", True])
def test_a_value_that_is_no_finite_number_fails_its_trial_with_a_warning(value: Any) -> None:
    searcher = RandomSearch(Space({"x": Float(0.0, 1.0)}), seed=0)
    trial = searcher.ask()
    with pytest.warns(TrialFailedWarning, match=r"is not a finite number"):
        searcher.tell(trial, value)
    assert searcher.history[0].status is TrialStatus.FAILED


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ([], TypeError, r"a history is the JSON text that to_json\(\) returns.*got list"),
        (None, TypeError, r"got NoneType"),
        (3, TypeError, r"got int"),
        (b"{}", TypeError, r"got bytes"),
        ("[]", ValueError, r"a history is a JSON object \(to_json\(\)'s\), got a JSON list"),
        ("{nope", ValueError, r"a history must be JSON; this text is not"),
    ],
)
def test_a_history_of_the_wrong_type_gets_a_clear_error(data: Any, error: type[Exception], message: str) -> None:
    searcher = RandomSearch(Space({"x": Float(0.0, 1.0)}), seed=0)
    with pytest.raises(error, match=message):
        searcher.load_history(data)
    assert searcher.trials == []


def test_threads_sharing_a_searcher_take_turns() -> None:
    """A proposal that reads the searcher's trials, then takes its time: without one lock per searcher, two threads
    asking at once would read the same trials and propose the same configuration."""
    import threading
    import time

    class SlowCounter(Searcher):
        def _propose(self, n: int, generator: torch.Generator) -> list[dict[str, Any]]:
            k = len(self._trials)  # what has been asked so far
            time.sleep(0.02)  # another thread asks meanwhile
            return [{"x": (k + i) / 100} for i in range(n)]

    searcher = SlowCounter(Space({"x": Float(0.0, 1.0)}), seed=0)
    threads = [threading.Thread(target=lambda: [searcher.ask() for _ in range(3)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(t.params["x"] for t in searcher.trials) == [k / 100 for k in range(12)]  # no two alike
