"""The BO step (Proposer): built from parts, each replaceable; batches; fallbacks; state."""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any

import pytest
import torch
from torch import Tensor
from torch.quasirandom import SobolEngine

from bohpo.acquisition import (
    ConstantLiar,
    ExpectedImprovement,
    JointBatch,
    KrigingBeliever,
    LogExpectedImprovement,
    ModelOnly,
    MultiStartOptimizer,
    Proposer,
    RandomFraction,
    SamplingOptimizer,
    SobolDesign,
    Step,
    UpperConfidenceBound,
)
from bohpo.acquisition.propose import describe
from bohpo.errors import NumericalWarning
from bohpo.searchers import BayesianOptimizer
from bohpo.space import Categorical, Float, Int, Space
from bohpo.surrogates import GP, TPE, CholeskyError
from tests.acquisition.conftest import FAST, PlainGP, bowl, generator, history, plane


@pytest.mark.slow
def test_a_searcher_built_from_parts_finds_the_optimum() -> None:
    space = plane()
    proposer = Proposer(
        space, surrogate=GP(), acquisition=LogExpectedImprovement, optimizer=MultiStartOptimizer(n_raw=256),
        batch=KrigingBeliever(), design=SobolDesign(), exploration=ModelOnly(), n_initial=4,
    )  # fmt: skip
    searcher = BayesianOptimizer(space, proposer=proposer, seed=0)
    for _ in range(7):
        for trial in searcher.ask(2):
            searcher.tell(trial, bowl(trial.params))
    assert searcher.best is not None and searcher.best.value < 0.01  # type: ignore[operator]
    assert searcher.surrogate is proposer.surrogate and searcher.n_initial == 4


def test_the_first_points_are_the_design_and_continue_it_exactly() -> None:
    space = Space({"lr": Float(1e-5, 1e-1, log=True), "k": Int(1, 6), "c": Categorical(["a", "b"])})
    proposer = Proposer(space, seed=3)
    empty_X, empty_y = space.encode([]), torch.zeros(0, dtype=torch.float64)
    first = proposer.propose(empty_X, empty_y, n=3, generator=generator())
    more = proposer.propose(empty_X, empty_y, n=2, generator=generator())
    # the scrambled Sobol sequence, its leading dimension given to the categorical
    sequence = SobolEngine(3, scramble=True, seed=3).draw(7, dtype=torch.float64)
    U = sequence[:, [1, 2, 0]]
    assert first + more == space.from_unit(U[:5])
    resumed = Proposer(space, seed=99)
    resumed.load_state(proposer.state(), seed=3)
    assert resumed.design_configs(2) == proposer.design_configs(2) == space.from_unit(U[5:])
    assert SobolDesign()(7, 3, seed=3, start=0).equal(sequence)  # unbound: the sequence as it is


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_the_design_tries_every_combination_of_three_flags_in_eight_points(seed: int) -> None:
    numbers = {name: Float(0.0, 1.0) for name in ("a", "b", "c")}
    flags = {name: Categorical([False, True]) for name in ("f", "g", "h")}
    space = Space({**numbers, **flags})
    combinations = {tuple(config[name] for name in flags) for config in Proposer(space, seed=seed).design_configs(8)}
    assert len(combinations) == 8
    # unbound, the flags sit in the sequence's dimensions 3-5, which take only half the combinations together
    unbound = space.from_unit(SobolDesign()(8, 6, seed=seed, start=0))
    assert len({tuple(config[name] for name in flags) for config in unbound}) < 8
    with pytest.raises(ValueError, match="bound to a space of 6 parameters"):
        SobolDesign().bind(space)(8, 5, seed=seed, start=0)


class _Recording:
    """An acquisition optimizer that records what it is asked and delegates to the default one."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, acquisition: Any, model: Any, **kwargs: Any) -> Tensor:
        self.calls.append({"model": model, **kwargs})
        return FAST(acquisition, model, **kwargs)


def test_a_user_acquisition_optimizer_is_called_for_every_point() -> None:
    space = plane()
    recording = _Recording()
    proposer = Proposer(space, optimizer=recording, n_initial=3)
    X, y = history(space, 5)
    pending = space.encode([{"x": 0.5, "y": 0.5}])
    points = proposer.propose_by_model(X, y, pending=pending, n=3, generator=generator())
    assert len(recording.calls) == 3
    first, last = recording.calls[0], recording.calls[-1]
    assert first["space"] == space and first["exclude"].shape == (6, 2)  # the told rows and the pending one
    assert torch.equal(last["exclude"][-2:], points[:2])  # then each point chosen before
    assert torch.equal(first["incumbents"][0], X[y.argmin()])
    assert first["model"] is not last["model"]  # the GP conditioned on the points believed so far


def test_tied_incumbents_come_in_the_order_observed() -> None:
    space = plane()
    X = space.encode(space.sample(30, generator=generator()))
    y = torch.tensor([1.0, 0.0, 2.0] * 10, dtype=torch.float64)  # ten rows tie at the best value
    recording = _Recording()
    Proposer(space, optimizer=recording, n_initial=3).propose_by_model(X, y, n=1, generator=generator())
    tied = torch.arange(1, 30, 3)
    assert torch.equal(recording.calls[0]["incumbents"], X[tied[:5]])


def test_a_model_failure_warns_and_proposes_design_points() -> None:
    class Broken(PlainGP):
        def fit(self, X: Tensor, y: Tensor) -> PlainGP:
            raise CholeskyError("the kernel matrix is not positive definite")

    space = plane()
    proposer = Proposer(space, surrogate=Broken(), optimizer=FAST, n_initial=2, seed=5)  # type: ignore[arg-type]
    X, y = history(space, 4)
    with pytest.warns(NumericalWarning, match=r"the model failed \(the kernel .*\); proposing space-filling"):
        configs = proposer.propose(X, y, n=2, generator=generator())
    assert configs == space.sobol(2, seed=5) and proposer.n_design == 2
    with pytest.raises(CholeskyError):
        proposer.propose_by_model(X, y, generator=generator())


class _Every:
    """An exploration policy that sends ``count`` points to the design."""

    def __init__(self, count: Any) -> None:
        self.count = count

    def __call__(self, step: Step) -> int:
        return self.count  # type: ignore[no-any-return]


def test_the_exploration_policy_chooses_how_many_points_come_from_the_design() -> None:
    space = plane()
    proposer = Proposer(space, optimizer=FAST, exploration=_Every(1), n_initial=3, seed=2)
    X, y = history(space, 5)
    configs = proposer.propose(X, y, n=3, generator=generator())
    assert configs[2] == space.sobol(1, seed=2)[0] and proposer.n_design == 1  # the model's two, then the design's
    assert Proposer(space, exploration=_Every(0), n_initial=9).n_from_design(X, y, n=3, generator=generator()) == 3
    for bad in (4, -1, 1.0, True):
        proposer = Proposer(space, exploration=_Every(bad), n_initial=3)
        with pytest.raises(ValueError, match=r"must return an int in \[0, 3\]"):
            proposer.propose(X, y, n=3, generator=generator())


def test_random_fraction_draws_one_number_per_point() -> None:
    space = plane()
    X, y = history(space, 5)
    for fraction, expected in [(0.0, 0), (1.0, 4)]:
        proposer = Proposer(space, exploration=RandomFraction(fraction), n_initial=1)
        seeded = generator()
        assert proposer.n_from_design(X, y, n=4, generator=seeded) == expected
        after = torch.rand(1, generator=seeded, dtype=torch.float64)
        assert torch.equal(after, torch.rand(5, generator=generator(), dtype=torch.float64)[4:])  # 4 draws taken
    with pytest.raises(ValueError, match=r"fraction must be a number in \[0, 1\], got 1.5"):
        RandomFraction(1.5)


def test_parts_that_cannot_work_together_are_refused() -> None:
    space = plane()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"surrogate": TPE(), "batch": KrigingBeliever()}, "KrigingBeliever needs a GaussianSurrogate"),
        ({"surrogate": TPE(), "batch": JointBatch()}, "JointBatch needs a GaussianSurrogate"),
        ({"batch": ConstantLiar()}, "ConstantLiar needs a DensityRatioSurrogate"),
        ({"optimizer": SamplingOptimizer()}, "SamplingOptimizer needs a DensityRatioSurrogate"),
        ({"surrogate": PlainGP(), "batch": JointBatch()}, "JointBatch needs bohpo's GP"),
        ({"surrogate": GP(input_warping=True), "batch": JointBatch()}, "without input warping"),
        ({"surrogate": TPE(), "acquisition": UpperConfidenceBound}, "no confidence bound"),
        ({"surrogate": "gp"}, "surrogate must be a GaussianSurrogate"),
        ({"optimizer": 3}, "optimizer must be callable"),
        ({"n_initial": 0}, "n_initial must be >= 1"),
    ]
    for kwargs, message in cases:
        with pytest.raises((TypeError, ValueError), match=message):
            Proposer(space, **kwargs)
    tpe = TPE()
    with pytest.raises(TypeError):
        Proposer(space, surrogate=tpe, batch=KrigingBeliever())
    assert tpe.space is None  # a refused proposer leaves its surrogate unbound


def test_malformed_histories_are_refused() -> None:
    space = plane()
    proposer = Proposer(space)
    X, y = history(space, 3)
    with pytest.raises(ValueError, match=r"X must be a tensor of shape \(n_rows, 2\)"):
        proposer.propose(X[:, :1], y, generator=generator())
    with pytest.raises(ValueError, match=r"y must be a tensor of shape \(3,\)"):
        proposer.propose(X, y[:2], generator=generator())
    with pytest.raises(ValueError, match="NaN or -inf"):
        proposer.propose(X, torch.tensor([1.0, float("nan"), 2.0], dtype=torch.float64), generator=generator())
    with pytest.raises(ValueError, match="at least one finite value"):
        proposer.propose_by_model(X, torch.full((3,), torch.inf, dtype=torch.float64), generator=generator())
    with pytest.raises(ValueError, match=r"malformed|n_design"):
        proposer.load_state({"n_design": -1})


def test_a_searcher_refuses_a_proposer_with_its_parts() -> None:
    space = plane()
    with pytest.raises(TypeError, match=r"pass either proposer= or surrogate=, n_raw=, not both"):
        BayesianOptimizer(space, proposer=Proposer(space), surrogate=GP(), n_raw=64)
    with pytest.raises(ValueError, match="another space"):
        BayesianOptimizer(space, proposer=Proposer(Space({"x": Float(0.0, 1.0)})))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = BayesianOptimizer(space, proposer=Proposer(space, seed=1), seed=4).ask(3)
        b = BayesianOptimizer(space, seed=4).ask(3)
    assert [t.params for t in a] == [t.params for t in b]  # the searcher seeds its proposer's design


@pytest.mark.parametrize(
    ("build", "differs"),
    [
        (lambda s: BayesianOptimizer(s, surrogate=TPE()), r"surrogate \"GP\(.*\)\", this searcher has \"TPE\("),
        (lambda s: BayesianOptimizer(s, n_initial=7), r"n_initial '5', this searcher has '7'$"),
        (lambda s: BayesianOptimizer(s, acquisition=partial(UpperConfidenceBound, beta=4.0)),
         r"acquisition 'LogExpectedImprovement', this searcher has 'UpperConfidenceBound\(beta=4\.0\)'"),
        (lambda s: BayesianOptimizer(s, surrogate=GP(categories="overlap")), r"categories='overlap'"),
        (lambda s: BayesianOptimizer(s, proposer=Proposer(s, exploration=ModelOnly())),
         r"exploration 'TieStagnation\(patience=5, tolerance=0.0\)', this searcher has 'ModelOnly\(\)'"),
        (lambda s: BayesianOptimizer(s, dtype=torch.float32),
         r"dtype 'torch.float64', this searcher has 'torch.float32'"),
    ],
)  # fmt: skip
def test_a_history_is_refused_by_a_searcher_configured_otherwise_naming_what_differs(build: Any, differs: str) -> None:
    space = plane()
    original = BayesianOptimizer(space, seed=0)
    for _ in range(6):
        trial = original.ask()
        original.tell(trial, trial.params["x"] ** 2)
    saved = original.to_json()
    other = build(space)
    with pytest.raises(ValueError, match=r"the history was saved by a searcher configured otherwise: .*" + differs):
        other.load_history(saved)
    assert other.history == [] and other.trials == []  # nothing changed
    resumed = BayesianOptimizer(space).load_history(saved)  # configured alike: taken
    assert resumed.ask().params == original.ask().params


def test_parts_are_described_alike_in_every_process() -> None:
    """What a history saves must not hold a memory address, or no other process could load it."""

    def local_acquisition(model: Any) -> Any:
        return LogExpectedImprovement(model)

    assert describe(partial(UpperConfidenceBound, beta=2.0)) == "UpperConfidenceBound(beta=2.0)"
    assert describe(local_acquisition).endswith("local_acquisition")
    assert " at 0x" not in describe(lambda m: m) and " at 0x" not in describe(object())
    assert describe(GP()) == repr(GP()) and "object at" not in repr(GP())


@pytest.mark.parametrize(
    ("name", "factory"),
    [("logei", LogExpectedImprovement), ("EI", ExpectedImprovement), ("ucb", UpperConfidenceBound)],
)
def test_an_acquisition_can_be_named(name: str, factory: Any) -> None:
    searcher = BayesianOptimizer(plane(), acquisition=name, n_raw=64, n_restarts=2, seed=0)
    assert searcher.acquisition is factory
    for _ in range(6):  # through the first model-based ask
        trial = searcher.ask()
        searcher.tell(trial, trial.params["x"] ** 2)
    assert len(searcher.history) == 6


def test_an_unknown_acquisition_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown acquisition 'logeii'; did you mean 'logei'.*known: logei, ei"):
        BayesianOptimizer(plane(), acquisition="logeii")
    with pytest.raises(TypeError, match=r"UpperConfidenceBound needs a GaussianSurrogate"):
        BayesianOptimizer(plane(), surrogate=TPE(), acquisition="ucb")


def test_one_surrogate_or_proposer_is_refused_by_a_second_searcher_while_the_first_lives() -> None:
    """Two searchers sharing one GP (or one proposer) would overwrite each other's fit and warm start."""
    import gc

    space = plane()
    gp = GP()
    first = BayesianOptimizer(space, surrogate=gp, seed=0, n_raw=64, n_restarts=2)
    with pytest.raises(ValueError, match=r"this GP object already serves another proposer .* give each its own"):
        BayesianOptimizer(Space({"z": Float(0.0, 1.0)}), surrogate=gp, n_raw=64, n_restarts=2)
    assert gp.blocks is not None and first.surrogate is gp  # the refused one did not rebind it to its space
    proposer = Proposer(space, n_initial=3)
    driver = BayesianOptimizer(space, proposer=proposer)
    with pytest.raises(ValueError, match=r"this proposer already drives another searcher"):
        BayesianOptimizer(space, proposer=proposer)
    assert driver.proposer is proposer
    del first
    gc.collect()
    BayesianOptimizer(space, surrogate=gp, n_raw=64, n_restarts=2)  # free again once its searcher is gone
