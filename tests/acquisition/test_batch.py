"""Batch rules: kriging believer (with and without a conditionable surrogate), constant liar, joint q-batch."""

from __future__ import annotations

import pytest
import torch

from bohpo.acquisition import (
    ConstantLiar,
    ExpectedImprovement,
    JointBatch,
    Proposer,
    SamplingOptimizer,
)
from bohpo.searchers import BayesianOptimizer
from bohpo.space import Categorical, Int, Space
from bohpo.surrogates import GP, TPE, ConditionableSurrogate, supports
from tests.acquisition.conftest import FAST, PlainGP, bowl, generator, history, plane


@pytest.mark.slow
def test_the_joint_batch_rule_returns_distinct_new_points_and_improves() -> None:
    space = plane()
    proposer = Proposer(space, batch=JointBatch(n_restarts=2, n_raw=64, mc_samples=64), optimizer=FAST, n_initial=4)
    searcher = BayesianOptimizer(space, proposer=proposer, seed=1)
    initial = searcher.ask(4)
    for trial in initial:
        searcher.tell(trial, bowl(trial.params))
    waiting = searcher.ask(3)  # pending: BoTorch's X_pending for the next batch
    batch = searcher.ask(3)
    keys = [space.key(t.params) for t in [*initial, *waiting, *batch]]
    assert len(set(keys)) == len(keys) == 10
    for trial in [*waiting, *batch]:
        searcher.tell(trial, bowl(trial.params))
    assert searcher.best is not None
    assert searcher.best.value < min(bowl(t.params) for t in initial) / 2  # type: ignore[operator]


@pytest.mark.slow
def test_the_joint_batch_snaps_to_the_lattice_and_replaces_repeats() -> None:
    """Four ints only: the relaxed batch lands between lattice points and snaps onto told or repeated ones, which
    the rule replaces."""
    space = Space({"k": Int(0, 3), "j": Int(0, 2)})
    proposer = Proposer(space, batch=JointBatch(n_restarts=2, n_raw=32, mc_samples=32), optimizer=FAST, n_initial=1)
    told = [{"k": 0, "j": 0}, {"k": 3, "j": 2}, {"k": 1, "j": 1}]
    X = space.encode(told)
    y = torch.tensor([1.0, 0.5, 0.2], dtype=torch.float64)
    pending = space.encode([{"k": 2, "j": 1}])
    points = proposer.propose_by_model(X, y, pending=pending, n=5, generator=generator())
    assert torch.equal(space.snap(points), points)
    keys = [space.key(c) for c in space.decode(points)]
    assert len(set(keys)) == 5 and not set(keys) & {space.key(c) for c in [*told, {"k": 2, "j": 1}]}


def test_a_surrogate_without_condition_on_mean_is_refitted_with_its_fantasies() -> None:
    surrogate = PlainGP()
    assert not supports(surrogate, ConditionableSurrogate) and supports(GP(), ConditionableSurrogate)
    space = plane()
    proposer = Proposer(space, surrogate=surrogate, optimizer=FAST, n_initial=3)  # type: ignore[arg-type]
    X, y = history(space, 5)
    pending = space.encode([{"x": 0.5, "y": 0.5}])
    points = proposer.propose_by_model(X, y, pending=pending, n=3, generator=generator())
    assert surrogate.fits == 1 + 1 + 2  # the fit, the pending point believed, two chosen points believed
    assert len({tuple(p.tolist()) for p in points}) == 3
    assert proposer.state() == {"n_design": 0, "surrogate": None}  # nothing to warm-start


def test_a_density_ratio_surrogate_gets_the_constant_liar_and_sampling() -> None:
    space = Space({"k": Int(0, 7), "c": Categorical(["a", "b", "c"])})
    tpe = TPE()
    proposer = Proposer(space, surrogate=tpe, acquisition=ExpectedImprovement)
    assert isinstance(proposer.batch, ConstantLiar) and isinstance(proposer.optimizer, SamplingOptimizer)
    assert tpe.space == space and proposer.n_initial == 10
    X, y = history(space, 12)
    y[3] = torch.inf  # a failed row
    points = proposer.propose_by_model(X, y, pending=X[:0], n=4, generator=generator())
    keys = {space.key(c) for c in space.decode(points)}
    assert len(keys) == 4 and not keys & {space.key(c) for c in space.decode(X)}
    assert tpe.good.weights.shape[0] + tpe.bad.weights.shape[0] - 2 == 12 + 3  # refitted with 3 liars
