"""Several objectives and outcome constraints: the Searcher interface, and the contract in its multi-objective form
for every searcher that supports them."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

from bohpo.errors import TrialFailedWarning
from bohpo.objectives import hypervolume, pareto_mask
from bohpo.searchers import BayesianOptimizer, GeneticAlgorithm, GridSearch, RandomSearch, Searcher, SobolSearch
from bohpo.space import Categorical, Float, Int, Space
from bohpo.surrogates import TPE, IndependentOutputs
from bohpo.trial import Trial, TrialStatus

Factory = Callable[..., Searcher]

OBJECTIVES = {"error": "minimize", "accuracy": "maximize"}

MULTI = [
    pytest.param(lambda space, **kw: RandomSearch(space, **kw), id="random"),
    pytest.param(lambda space, **kw: SobolSearch(space, **kw), id="sobol"),
    pytest.param(lambda space, **kw: GridSearch(space, n_points=4, **kw), id="grid"),
    pytest.param(lambda space, **kw: GeneticAlgorithm(space, population_size=4, **kw), id="genetic"),
    pytest.param(
        lambda space, **kw: BayesianOptimizer(space, n_initial=4, n_raw=128, n_restarts=2, **kw), id="gp-ehvi"
    ),
    pytest.param(lambda space, **kw: BayesianOptimizer(space, surrogate=TPE(), n_initial=4, **kw), id="tpe"),
]


def _space() -> Space:
    return Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0), "k": Int(1, 4), "c": Categorical(["a", "b"])})


def _outcome(params: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """Two conflicting objectives (error falls with x, accuracy falls with x too) and a constraint on y."""
    x, y = params["x"], params["y"]
    offset = 0.1 * params["k"] + (0.2 if params["c"] == "b" else 0.0)
    error = x + offset * 0.5
    accuracy = 1.0 - (1.0 - x) ** 2 - y * 0.3 - offset
    return {"error": error, "accuracy": accuracy}, {"memory": y - 0.7}


def _drive(searcher: Searcher, n_rounds: int) -> list[Trial]:
    """Batches of two told out of order, every fifth trial failed; returns the trials in the order asked."""
    asked: list[Trial] = []
    for _ in range(n_rounds):
        batch = searcher.ask(2)
        asked.extend(batch)
        for trial in reversed(batch):
            values, constraints = _outcome(trial.params)
            if trial.id % 5 == 4:
                values["accuracy"] = math.nan
                with pytest.warns(TrialFailedWarning):
                    searcher.tell(trial, values, constraints=constraints)
            else:
                searcher.tell(trial, values, constraints=constraints)
    asked.append(searcher.ask())
    return asked


@pytest.mark.parametrize("make", MULTI)
def test_the_contract_holds_with_two_objectives_and_a_constraint(make: Factory) -> None:
    space = _space()
    searcher = make(space, seed=0, objectives=OBJECTIVES, constraints=["memory"])
    asked = _drive(searcher, 8)
    for trial in asked:
        assert space.validate(trial.params) == trial.params
    again = _drive(make(space, seed=0, objectives=OBJECTIVES, constraints=["memory"]), 8)
    assert [t.params for t in again] == [t.params for t in asked]
    assert len({space.key(t.params) for t in searcher.pending}) == len(searcher.pending)
    failed = [t for t in searcher.history if t.status is TrialStatus.FAILED]
    assert failed and all(t.values is None and t.value is None for t in failed)
    # the front: feasible complete trials, none dominated by another
    front = searcher.pareto_front
    assert front and all(t.is_feasible and t.status is TrialStatus.COMPLETE for t in front)
    feasible = [t for t in searcher.completed if t.is_feasible]
    for trial in feasible:
        dominated = any(
            o.values[0] <= trial.values[0] and o.values[1] >= trial.values[1] and o.values != trial.values  # type: ignore[index]
            for o in feasible
        )
        assert dominated == (trial not in front)
    # a rebuilt searcher continues exactly
    text = searcher.to_json()
    rebuilt = make(space, objectives=OBJECTIVES, constraints=["memory"]).load_history(text)
    assert [t.id for t in rebuilt.pareto_front] == [t.id for t in front]
    assert [t.params for t in rebuilt.ask(2)] == [t.params for t in searcher.ask(2)]


@pytest.mark.parametrize("make", MULTI)
def test_a_history_with_other_objectives_is_refused(make: Factory) -> None:
    space = _space()
    searcher = make(space, seed=0, objectives=OBJECTIVES)
    trial = searcher.ask()
    searcher.tell(trial, _outcome(trial.params)[0])
    others: list[dict[str, Any]] = [
        {"objectives": {"accuracy": "maximize", "error": "minimize"}},  # the same objectives in another order
        {"objectives": {"error": "minimize", "accuracy": "minimize"}},
        {"objectives": ["accuracy", "error"]},
        {"objectives": OBJECTIVES, "constraints": 1},
    ]
    for kwargs in others:
        with pytest.raises(ValueError, match="the history was saved with"):
            make(space, **kwargs).load_history(searcher.to_json())
    with pytest.raises(ValueError, match="saved with objectives"):
        make(space).load_history(searcher.to_json())  # one objective


def test_tell_checks_the_values_before_anything_changes() -> None:
    searcher = RandomSearch(_space(), seed=0, objectives=OBJECTIVES, constraints=["memory"])
    trial = searcher.ask()
    for values, constraints, match in [
        ({"error": 0.1}, {"memory": 0.0}, "missing"),
        ([0.1, 0.2, 0.3], {"memory": 0.0}, "3 objective values"),
        (0.5, {"memory": 0.0}, "mapping or a sequence"),
        ([0.1, 0.2], None, "tell the constraint values"),
        ([0.1, 0.2], {"mem": 0.0}, "unknown"),
    ]:
        with pytest.raises(ValueError, match=match):
            searcher.tell(trial, values, constraints=constraints)
        assert searcher.pending == [trial] and not searcher.history
    with pytest.raises(ValueError, match="single-objective"):
        searcher.tell(trial, [0.1, 0.2], constraints=[0.0], pruned=True)
    with pytest.warns(TrialFailedWarning, match="constraint values"):
        record = searcher.tell(trial, [0.1, 0.2], constraints=[math.inf])
    assert record.status is TrialStatus.FAILED and record.constraints is None
    told = searcher.tell({"x": 0.5, "y": 0.5, "k": 1, "c": "a"}, (0.3, 0.9), constraints=(-1.0,))
    assert told.values == (0.3, 0.9) and told.constraints == (-1.0,) and told.value is None
    assert searcher.pareto_front == [told]
    with pytest.raises(ValueError, match="no single best"):
        _ = searcher.best
    with pytest.raises(ValueError, match="without constraints"):
        RandomSearch(_space()).tell({"x": 0.5, "y": 0.5, "k": 1, "c": "a"}, 1.0, constraints=[1.0])


def test_with_one_objective_and_constraints_best_is_the_best_feasible_trial() -> None:
    searcher = RandomSearch(_space(), seed=0, constraints=["memory"])
    values = [(3.0, -1.0), (1.0, 0.5), (2.0, 0.0), (0.5, 2.0)]
    for value, constraint in values:
        trial = searcher.ask()
        searcher.tell(trial, value, constraints={"memory": constraint})
    assert searcher.best is not None and searcher.best.value == 2.0  # 1.0 and 0.5 are infeasible
    assert [t.value for t in searcher.pareto_front] == [2.0]
    rebuilt = RandomSearch(_space(), constraints=["memory"]).load_history(searcher.to_json())
    assert rebuilt.best is not None and rebuilt.best.id == searcher.best.id
    plain = RandomSearch(_space(), seed=0)
    plain.tell(plain.ask(), 1.0)
    assert "objectives" not in json.loads(plain.to_json())  # a plain history is unchanged


def test_the_hypervolume_is_that_of_the_front_in_the_users_directions() -> None:
    searcher = RandomSearch(_space(), seed=0, objectives=OBJECTIVES)
    points = [(0.2, 0.8), (0.5, 0.9), (0.1, 0.5), (0.6, 0.6)]
    for point in points:
        searcher.tell({"x": 0.5, "y": 0.5, "k": 1, "c": "a"}, point)
    assert sorted(t.values for t in searcher.pareto_front) == [(0.1, 0.5), (0.2, 0.8), (0.5, 0.9)]  # type: ignore[type-var]
    Y = torch.tensor([[e, -a] for e, a in points], dtype=torch.float64)
    expected = hypervolume(Y[pareto_mask(Y)], torch.tensor([1.0, -0.0], dtype=torch.float64))
    assert searcher.hypervolume({"error": 1.0, "accuracy": 0.0}) == pytest.approx(expected)
    # by hand: boxes up to error 1, accuracy down to 0
    assert expected == pytest.approx(0.1 * 0.5 + 0.3 * 0.8 + 0.5 * 0.9)
    with pytest.raises(ValueError, match="finite numbers"):
        searcher.hypervolume([1.0, math.inf])


def test_the_gp_searcher_fits_one_gp_per_objective_and_constraint() -> None:
    searcher = BayesianOptimizer(_space(), seed=0, objectives=OBJECTIVES, constraints=["memory"], n_initial=4)
    assert isinstance(searcher.surrogate, IndependentOutputs)
    assert (searcher.surrogate.n_objectives, searcher.surrogate.n_constraints) == (2, 1)
    told = []
    for _ in range(6):
        trial = searcher.ask()
        values, constraints = _outcome(trial.params)
        searcher.tell(trial, values, constraints=constraints)
        told.append((values["error"], values["accuracy"], constraints["memory"]))
    searcher.ask()  # the model step: every output fitted on its own column of the six trials
    error, accuracy, memory = torch.tensor(told, dtype=torch.float64).T
    outputs = searcher.surrogate.outputs
    # objectives on their own units (hypervolume is measured there), the constraint through Yeo-Johnson
    assert [gp.output_transform for gp in outputs] == [None, None, "yeo-johnson"]
    assert torch.allclose(outputs[0].train_values, error) and torch.allclose(outputs[1].train_values, -accuracy)
    assert torch.allclose(outputs[2].train_values, outputs[2].to_model_scale(memory))
    with pytest.raises(ValueError, match="not direction="):
        BayesianOptimizer(_space(), direction="maximize", objectives=OBJECTIVES)


def _branin_currin(x0: float, x1: float) -> tuple[float, float]:
    from botorch.test_functions.multi_objective import BraninCurrin

    value = BraninCurrin()(torch.tensor([[x0, x1]], dtype=torch.float64))[0]
    return float(value[0]), float(value[1])


@pytest.mark.slow
def test_ehvi_and_the_multi_objective_tpe_grow_the_hypervolume_faster_than_random_search() -> None:
    """Branin-Currin (minimised; BoTorch's reference point (18, 6), largest hypervolume 59.36), 30 evaluations:
    the GP with EHVI ends above 85% of the largest hypervolume on every one of three seeds, above random search's
    best of five; the TPE's mean over five seeds is above twice random search's."""
    space = Space({"x0": Float(0.0, 1.0), "x1": Float(0.0, 1.0)})
    reference = [18.0, 6.0]

    def run(make: Callable[[int], Searcher], seed: int) -> float:
        searcher = make(seed)
        for _ in range(30):
            trial = searcher.ask()
            searcher.tell(trial, _branin_currin(trial.params["x0"], trial.params["x1"]))
        return searcher.hypervolume(reference)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        random = [run(lambda s: RandomSearch(space, seed=s, objectives=["b", "c"]), s) for s in range(5)]
        gp = [run(lambda s: BayesianOptimizer(space, seed=s, objectives=["b", "c"]), s) for s in range(3)]
        tpe = [
            run(lambda s: BayesianOptimizer(space, surrogate=TPE(), seed=s, objectives=["b", "c"]), s) for s in range(5)
        ]
    assert min(gp) > 0.85 * 59.36 and min(gp) > max(random)
    assert sum(tpe) > 2 * sum(random)


def test_a_failed_value_needs_no_constraints_and_arrays_are_read() -> None:
    import numpy as np

    searcher = RandomSearch(_space(), seed=0, objectives=OBJECTIVES, constraints=["memory"])
    trial = searcher.ask()
    with pytest.warns(TrialFailedWarning, match="not a finite number"):
        assert searcher.tell(trial, [math.nan, 1.0]).status is TrialStatus.FAILED
    told = searcher.tell(searcher.ask(), np.array([0.2, 0.7]), constraints=np.array([-0.5]))
    assert told.values == (0.2, 0.7) and told.constraints == (-0.5,)


def test_one_named_objective_is_told_by_name_and_saved() -> None:
    searcher = RandomSearch(_space(), seed=0, objectives={"loss": "minimize"})
    for value in ({"loss": 0.3}, [0.2], 0.4):
        searcher.tell(searcher.ask(), value)
    assert [t.value for t in searcher.completed] == [0.3, 0.2, 0.4] and searcher.best.value == 0.2  # type: ignore[union-attr]
    assert json.loads(searcher.to_json())["objectives"] == {"objectives": [["loss", "minimize"]], "constraints": []}
    with pytest.raises(ValueError, match="saved with objectives"):
        RandomSearch(_space()).load_history(searcher.to_json())
    with pytest.raises(ValueError, match="unknown"):
        searcher.tell(searcher.ask(), {"value": 0.1})


def test_minimize_drives_several_objectives_and_constraints() -> None:
    from bohpo import minimize

    def objective(params: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
        return _outcome(params)

    searcher = RandomSearch(_space(), seed=0, objectives=OBJECTIVES, constraints=["memory"])
    minimize(objective, _space(), searcher, 12, progress=True)
    assert len(searcher.completed) == 12 and searcher.pareto_front
    assert all(t.constraints is not None for t in searcher.completed)
    with pytest.raises(TypeError, match=r"returns \(values, constraints\)"):
        minimize(lambda p: _outcome(p)[0], _space(), searcher, 3)
    assert not searcher.pending and searcher.history[-1].status is TrialStatus.FAILED  # recorded, not left pending
    multi = RandomSearch(_space(), seed=0, objectives=OBJECTIVES)
    with pytest.raises(ValueError, match="missing"):
        minimize(lambda p: {"error": 1.0}, _space(), multi, 3)
    assert not multi.pending and multi.history[-1].status is TrialStatus.FAILED


def test_the_gp_searcher_refuses_surrogates_that_do_not_fit_the_outcomes() -> None:
    from bohpo.acquisition import Proposer
    from bohpo.surrogates import GP

    with pytest.raises(ValueError, match="this searcher has 2 and 1"):
        BayesianOptimizer(
            _space(), objectives=OBJECTIVES, constraints=["memory"], surrogate=IndependentOutputs(n_objectives=2)
        )
    with pytest.raises(ValueError, match="this searcher has 1 and 0"):
        BayesianOptimizer(_space(), surrogate=IndependentOutputs(n_objectives=2))
    with pytest.raises(TypeError, match="models each of them"):
        BayesianOptimizer(_space(), objectives=OBJECTIVES, proposer=Proposer(_space(), surrogate=GP()))
    mine = IndependentOutputs(GP(), n_objectives=2, n_constraints=1)
    searcher = BayesianOptimizer(_space(), objectives=OBJECTIVES, constraints=["memory"], surrogate=mine, seed=0)
    assert searcher.surrogate is mine


def test_a_failed_fit_of_one_output_leaves_every_output_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    from bohpo.surrogates import GP, CholeskyError

    g = torch.Generator().manual_seed(0)
    X = torch.rand(8, 2, generator=g, dtype=torch.float64)
    model = IndependentOutputs(GP(), n_objectives=2).fit(X, torch.stack([X[:, 0], X[:, 1]], -1))
    before = model.train_values().clone()

    def broken(self: GP, X: torch.Tensor, y: torch.Tensor) -> GP:
        raise CholeskyError("not positive definite")

    monkeypatch.setattr(type(model.outputs[1]), "fit", broken)  # the second output fails (the first is refitted)
    X_new = torch.rand(10, 2, generator=g, dtype=torch.float64)
    with pytest.raises(CholeskyError):
        model.fit(X_new, torch.stack([X_new[:, 0], X_new[:, 1]], -1))
    assert torch.equal(model.train_values(), before)


def test_a_constraint_told_as_exactly_zero_is_feasible_to_the_acquisition() -> None:
    from bohpo.acquisition import LogExpectedHypervolumeImprovement

    for seed in range(10):
        g = torch.Generator().manual_seed(seed)
        X = torch.rand(12, 2, generator=g, dtype=torch.float64)
        C = torch.randint(-3, 3, (12,), generator=g).double()  # integer slack: several exactly 0
        Y = torch.stack([X[:, 0], 1 - X[:, 0], C], -1)
        model = IndependentOutputs(n_objectives=2, n_constraints=1).fit(X, Y)  # Yeo-Johnson on the constraint
        acquisition = LogExpectedHypervolumeImprovement(model)
        observed = model.train_values()
        assert int((observed[:, 2] <= acquisition.threshold).sum()) == int((C <= 0).sum())


def test_a_history_with_the_same_objectives_in_another_order_is_refused() -> None:
    searcher = RandomSearch(_space(), seed=0, objectives=["error", "seconds"])
    searcher.tell(searcher.ask(), [0.1, 30.0])
    with pytest.raises(ValueError, match="saved with objectives"):
        RandomSearch(_space(), objectives=["seconds", "error"]).load_history(searcher.to_json())


def test_the_tpe_good_group_cuts_a_front_by_hypervolume() -> None:
    """Three objectives, 24 trials told: one front of six (three extremes, far from the rest, and three that
    dominate much more), then dominated trials. gamma(24) = 3: the good group is the three central trials, where
    crowding distance would have put the extremes first."""
    space = Space({"a": Float(0.0, 1.0)})
    searcher = BayesianOptimizer(space, surrogate=TPE(), seed=0, objectives=["f", "g", "h"])
    front = [[0.0, 5.0, 5.0], [5.0, 0.0, 5.0], [5.0, 5.0, 0.0], [0.9, 1.0, 1.1], [1.0, 1.1, 0.9], [1.1, 0.9, 1.0]]
    rows = front + [[2.0 + i, 2.0 + i, 2.0 + i] for i in range(18)]
    for i, values in enumerate(rows):
        searcher.tell({"a": (i + 0.5) / len(rows)}, values)
    searcher.ask()  # fits the TPE on the 24 trials
    good = searcher.proposer.surrogate.good
    centres = sorted(round(float(x), 6) for x in good.mu[:-1, 0])  # the prior kernel last
    assert centres == [round((i + 0.5) / 24, 6) for i in (3, 4, 5)]
