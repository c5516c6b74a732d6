"""CMAES: the cmaes package behind ask and tell, generations with workers, IPOP restarts, a replayed resume."""

from __future__ import annotations

import json
import math
import warnings

import cmaes
import numpy as np
import pytest

from bohpo.errors import TrialFailedWarning
from bohpo.searchers import CMAES, make_searcher
from bohpo.seeding import derive_seed
from bohpo.space import Categorical, Float, Int, Space


def _sphere_space(d: int) -> Space:
    return Space({f"x{i}": Float(-5.0, 5.0) for i in range(d)})


def _sphere(params: dict[str, float]) -> float:
    return sum((value - 1.0) ** 2 for value in params.values())


def _mixed_space() -> Space:
    return Space({
        "x": Float(-3.0, 3.0),
        "lr": Float(1e-3, 1.0, log=True),
        "k": Int(0, 20),
        "n": Int(1, 1000, log=True),
        "kind": Categorical(["a", "b", "c", "d"]),
    })  # fmt: skip


def _mixed(params: dict[str, object]) -> float:
    """Minimum 0 at x = 1, lr = 0.01, k = 7, n = 50, kind = "c"."""
    x, lr, k, n = (float(params[name]) for name in ("x", "lr", "k", "n"))  # type: ignore[arg-type]
    offset = {"a": 1.0, "b": 0.5, "c": 0.0, "d": 2.0}[params["kind"]]  # type: ignore[index]
    return (x - 1) ** 2 + math.log10(lr / 0.01) ** 2 + abs(k - 7) + abs(math.log10(n / 50)) + offset


def _run(searcher: CMAES, objective, n: int) -> CMAES:  # type: ignore[no-untyped-def]
    for _ in range(n):
        trial = searcher.ask()
        searcher.tell(trial, objective(trial.params))
    return searcher


def test_on_floats_it_draws_and_moves_exactly_as_the_cmaes_package() -> None:
    """Two generations against a hand-driven cmaes.CMA with the same seed, mean, step size and bounds: the same
    draws (decoded), so the searcher adds nothing to the algorithm but the bookkeeping."""
    d, seed = 3, 4
    space = _sphere_space(d)
    searcher = CMAES(space, seed=seed)
    reference = cmaes.CMA(mean=np.full(d, 0.5), sigma=1 / 6, bounds=np.array([[0.0, 1.0]] * d),
                          population_size=searcher.population_size, seed=derive_seed(seed, 2, 0) % 2**32)  # fmt: skip
    for _ in range(2):
        draws = [reference.ask() for _ in range(searcher.population_size)]
        trials = searcher.ask(searcher.population_size)
        for draw, trial in zip(draws, trials, strict=True):
            assert [trial.params[f"x{i}"] for i in range(d)] == pytest.approx((10 * draw - 5).tolist(), abs=1e-10)
        values = [_sphere(t.params) for t in trials]
        for trial, value in zip(trials, values, strict=True):
            searcher.tell(trial, value)
        reference.tell(list(zip(draws, values, strict=True)))


def test_it_finds_the_sphere_minimum_and_the_mixed_optimum() -> None:
    sphere = _run(CMAES(_sphere_space(5), seed=0), _sphere, 300)
    assert sphere.best is not None and sphere.best.value < 0.01  # random search: about 5 after 300
    mixed = _run(CMAES(_mixed_space(), seed=1), _mixed, 300)
    assert mixed.best is not None
    assert {k: mixed.best.params[k] for k in ("k", "kind")} == {"k": 7, "kind": "c"}
    assert mixed.best.value < 0.05


def test_maximize_climbs() -> None:
    searcher = CMAES(_sphere_space(2), seed=2, direction="maximize")
    _run(searcher, lambda p: -_sphere(p), 150)
    assert searcher.best is not None and searcher.best.value > -0.01


def test_a_generation_moves_with_its_first_complete_draws_only() -> None:
    """Workers: more draws than a generation holds, a failure among them; the first population_size complete
    draws (in the order told) end the generation, the rest stay in the history without moving the distribution."""
    searcher = CMAES(_sphere_space(2), population_size=4, seed=0)
    trials = searcher.ask(6)
    with pytest.warns(TrialFailedWarning):
        searcher.tell(trials[5], float("nan"))
    for trial in (trials[4], trials[0], trials[2]):
        searcher.tell(trial, _sphere(trial.params))
    generations = json.loads(searcher.to_json())["state"]["generations"]
    assert len(generations) == 1 and generations[0]["told"] == [4, 0, 2]  # open: three of four complete
    searcher.tell(trials[3], _sphere(trials[3].params))
    searcher.tell(trials[1], _sphere(trials[1].params))  # late: the generation ended with trial 3
    generations = json.loads(searcher.to_json())["state"]["generations"]
    assert generations[0] == {"restart": 0, "draws": [0, 1, 2, 3, 4, 5], "told": [4, 0, 2, 3]}
    assert generations[1] == {"restart": 0, "draws": [], "told": []}
    assert len(searcher.completed) == 5


def test_a_flat_objective_stops_the_run_and_ipop_restarts_it_with_twice_the_population() -> None:
    searcher = CMAES(_sphere_space(2), seed=0)
    first = searcher.population_size
    _run(searcher, lambda p: 1.0, 200)
    assert searcher.n_restarts >= 1 and searcher.population_size == first * 2**searcher.n_restarts
    single = _run(CMAES(_sphere_space(2), seed=0, restarts=False), lambda p: 1.0, 200)
    assert single.n_restarts == 0 and single.population_size == first


def test_a_resume_across_restarts_replays_the_run_exactly() -> None:
    space = _mixed_space()
    original = CMAES(space, population_size=4, seed=5)
    _run(original, lambda p: 1.0, 300)  # flat: the run stops and restarts
    assert original.n_restarts >= 1
    pending = original.ask(3)
    resumed = CMAES(space, population_size=4).load_history(original.to_json())
    assert (resumed.n_restarts, resumed.population_size) == (original.n_restarts, original.population_size)
    for trial in pending:
        original.tell(trial, 0.5)
        resumed.tell(trial, 0.5)
    assert [t.params for t in resumed.ask(5)] == [t.params for t in original.ask(5)]


def test_a_state_that_does_not_replay_is_refused_and_changes_nothing() -> None:
    space = _sphere_space(2)
    original = _run(CMAES(space, population_size=4, seed=1), _sphere, 10)
    saved = json.loads(original.to_json())
    swapped = json.loads(json.dumps(saved))
    draws = swapped["state"]["generations"][0]["draws"]
    draws[0], draws[1] = draws[1], draws[0]
    fresh = CMAES(space, population_size=4)
    with pytest.raises(ValueError, match="trial 1 is not the draw recorded for it"):
        fresh.load_history(swapped)
    assert fresh.trials == [] and fresh.n_restarts == 0
    short = json.loads(json.dumps(saved))
    short["state"]["generations"][0]["told"] = [0, 1]
    with pytest.raises(ValueError, match="not all full but the last"):
        CMAES(space, population_size=4).load_history(short)
    with pytest.raises(ValueError, match="population_size 4, this searcher has 6"):
        CMAES(space, population_size=6).load_history(saved)
    assert [t.params for t in CMAES(space, population_size=4).load_history(saved).ask(2)] == [
        t.params for t in original.ask(2)
    ]


def test_bad_settings_are_refused_by_name() -> None:
    space = _sphere_space(2)
    with pytest.raises(ValueError, match="population_size"):
        CMAES(space, population_size=3)
    with pytest.raises(TypeError, match="restarts"):
        CMAES(space, restarts="ipop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a parameter that varies"):
        CMAES(Space({"only": Categorical(["one"])}))


def test_categoricals_alone_and_conditions_work_and_the_registry_builds_it() -> None:
    space = Space({"a": Categorical(["x", "y", "z"]), "b": Categorical([True, False])})
    searcher = _run(CMAES(space, seed=0), lambda p: float(p["a"] != "z") + float(p["b"]), 40)
    assert searcher.best is not None and searcher.best.params == {"a": "z", "b": False}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no stopping-rule warning from a run without a Gaussian
        searcher.ask()
    assert isinstance(make_searcher("cmaes", space, seed=0), CMAES)
