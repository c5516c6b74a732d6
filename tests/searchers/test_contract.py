"""The contract every searcher keeps. A new searcher gets all of these checks by adding one line to SEARCHERS."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest

from bohpo.acquisition import (
    ExpectedImprovement,
    JointBatch,
    LogExpectedImprovement,
    MultiStartOptimizer,
    ProbabilityOfImprovement,
    Proposer,
    UpperConfidenceBound,
    default_surrogate,
)
from bohpo.errors import TrialFailedWarning
from bohpo.searchers import (
    BOHB,
    CMAES,
    AsyncSuccessiveHalving,
    BayesianOptimizer,
    GeneticAlgorithm,
    GridSearch,
    Hyperband,
    RandomSearch,
    Searcher,
    SobolSearch,
    SuccessiveHalving,
    make_searcher,
    searcher_names,
)
from bohpo.searchers.hyperband import bohb_proposer
from bohpo.searchers.peers import BoTorchLoop, OptunaSearcher, optuna_available
from bohpo.space import Categorical, Float, Int, Space
from bohpo.surrogates import TPE
from bohpo.trial import Trial, TrialStatus

Factory = Callable[..., Searcher]  # factory(space, seed=..., direction=...) -> Searcher

_OPTUNA = pytest.mark.skipif(not optuna_available(), reason="Optuna (bohpo[peers]) is not installed")


def _gp(acquisition: Any) -> Factory:
    """The registered GP searcher, with a smaller acquisition optimizer and initial design (same code path)."""
    return lambda space, **kw: BayesianOptimizer(
        space, acquisition=acquisition, n_initial=3, n_raw=128, n_restarts=2, **kw
    )


def _gp_proposer(space: Space) -> Proposer:
    return bohb_proposer(space, surrogate=default_surrogate(), acquisition=LogExpectedImprovement, min_points=2,
                         n_raw=128)  # fmt: skip


def _joint_batch(space: Space, **kw: Any) -> Searcher:
    batch = JointBatch(n_restarts=1, n_raw=16, mc_samples=16)
    optimizer = MultiStartOptimizer(n_raw=128, n_restarts=2)
    return BayesianOptimizer(space, proposer=Proposer(space, batch=batch, optimizer=optimizer, n_initial=3), **kw)


def _botorch(space: Space, **kw: Any) -> Searcher:
    return BoTorchLoop(space, n_initial=3, n_restarts=2, n_raw=32, **kw)


# ids are the registry's names (test_every_registered_searcher_is_covered), plus variants of the same classes
SEARCHERS = [
    pytest.param(lambda space, **kw: RandomSearch(space, **kw), id="random"),
    pytest.param(lambda space, **kw: SobolSearch(space, **kw), id="sobol"),
    pytest.param(lambda space, **kw: GridSearch(space, n_points=4, **kw), id="grid"),
    pytest.param(lambda space, **kw: CMAES(space, population_size=4, **kw), id="cmaes"),
    pytest.param(lambda space, **kw: CMAES(space, **kw), id="cmaes-default-population"),
    pytest.param(lambda space, **kw: GeneticAlgorithm(space, population_size=3, **kw), id="genetic"),
    pytest.param(_gp(LogExpectedImprovement), id="gp-logei"),
    pytest.param(_gp(ExpectedImprovement), id="gp-ei"),
    pytest.param(_gp(ProbabilityOfImprovement), id="gp-pi"),
    pytest.param(_gp(UpperConfidenceBound), id="gp-ucb"),
    pytest.param(_joint_batch, id="gp-joint-batch"),
    pytest.param(lambda space, **kw: BayesianOptimizer(space, surrogate=TPE(), n_initial=3, **kw), id="tpe"),
    pytest.param(
        lambda space, **kw: BayesianOptimizer(space, surrogate=TPE(multivariate=False), n_initial=3, **kw),
        id="tpe-univariate",
    ),
    pytest.param(_botorch, id="botorch-logei"),
    pytest.param(lambda space, **kw: SuccessiveHalving(space, 1, 9, **kw), id="successive-halving"),
    pytest.param(lambda space, **kw: Hyperband(space, 1, 9, **kw), id="hyperband"),
    pytest.param(lambda space, **kw: AsyncSuccessiveHalving(space, 1, 9, **kw), id="asha"),
    pytest.param(
        lambda space, **kw: AsyncSuccessiveHalving(space, 1, 9, proposer=_gp_proposer(space), **kw), id="asha-gp"
    ),
    pytest.param(lambda space, **kw: BOHB(space, 1, 9, min_points=2, **kw), id="bohb"),
    pytest.param(lambda space, **kw: BOHB(space, 1, 9, proposer=_gp_proposer(space), **kw), id="bohb-gp"),
    pytest.param(lambda space, **kw: OptunaSearcher(space, "tpe", **kw), id="optuna-tpe", marks=_OPTUNA),
    pytest.param(
        lambda space, **kw: OptunaSearcher(space, "tpe", multivariate=False, **kw),
        id="optuna-tpe-univariate",
        marks=_OPTUNA,
    ),
    pytest.param(lambda space, **kw: OptunaSearcher(space, "gp", **kw), id="optuna-gp", marks=_OPTUNA),
    pytest.param(lambda space, **kw: OptunaSearcher(space, "cmaes", **kw), id="optuna-cmaes", marks=_OPTUNA),
    pytest.param(
        lambda space, **kw: OptunaSearcher(space, "nsga2", population_size=4, **kw), id="optuna-nsga2", marks=_OPTUNA
    ),
]


def test_every_registered_searcher_is_covered() -> None:
    assert set(searcher_names()) <= {param.id for param in SEARCHERS}


def _objective(space: Space, params: dict[str, Any]) -> float:
    return float(space.encode([params]).sub(0.3).square().sum())


def _drive(searcher: Searcher, n_rounds: int) -> list[Trial]:
    """Batches of two told out of order, every fifth trial failed; returns the trials in the order asked."""
    asked: list[Trial] = []
    for _ in range(n_rounds):
        batch = searcher.ask(2)
        asked.extend(batch)
        for trial in reversed(batch):
            if trial.id % 5 == 4:
                with pytest.warns(TrialFailedWarning):
                    searcher.tell(trial, float("nan"))
            else:
                searcher.tell(trial, _objective(searcher.space, trial.params))
    asked.append(searcher.ask())
    return asked


@pytest.mark.parametrize("make", SEARCHERS)
def test_trials_lie_in_the_space(make: Factory, mixed_space: Space) -> None:
    for trial in _drive(make(mixed_space, seed=0), 10):
        assert mixed_space.validate(trial.params) == trial.params


@pytest.mark.parametrize("make", SEARCHERS)
def test_same_seed_gives_same_trials(make: Factory, mixed_space: Space) -> None:
    a = _drive(make(mixed_space, seed=7), 8)
    b = _drive(make(mixed_space, seed=7), 8)
    assert [t.params for t in a] == [t.params for t in b]


@pytest.mark.parametrize("make", SEARCHERS)
def test_different_seeds_give_different_trials(make: Factory, mixed_space: Space) -> None:
    a = _drive(make(mixed_space, seed=1), 4)
    b = _drive(make(mixed_space, seed=2), 4)
    assert [t.params for t in a] != [t.params for t in b]


@pytest.mark.parametrize("make", SEARCHERS)
def test_pending_trials_are_never_proposed_twice(make: Factory) -> None:
    space = Space({"k": Int(0, 3), "c": Categorical(["a", "b", "c", "d"])})  # 16 configurations
    searcher = make(space, seed=3)
    pending = [*searcher.ask(4), searcher.ask(), *searcher.ask(5)]
    assert len({space.key(t.params) for t in pending}) == 10
    searcher.tell(pending[0], 1.0)
    more = searcher.ask(3)
    keys = [space.key(t.params) for t in pending[1:] + more]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("make", SEARCHERS)
def test_failed_trials_are_accepted_and_the_study_goes_on(make: Factory, mixed_space: Space) -> None:
    searcher = make(mixed_space, seed=0)
    first, second, third = searcher.ask(3)
    with pytest.warns(TrialFailedWarning, match=r"trial 0 failed: it was told as failed"):
        searcher.tell(first, failed=True)
    with pytest.warns(TrialFailedWarning, match=r"trial 1 failed: its value inf is not a finite number"):
        searcher.tell(second, float("inf"))
    searcher.tell(third, 2.0)
    assert [t.status for t in searcher.history] == [TrialStatus.FAILED, TrialStatus.FAILED, TrialStatus.COMPLETE]
    assert searcher.best is third
    next_trial = searcher.ask()
    assert next_trial.id == 3 and mixed_space.validate(next_trial.params) == next_trial.params


@pytest.mark.parametrize("make", SEARCHERS)
def test_a_searcher_rebuilt_from_json_continues_exactly(make: Factory, mixed_space: Space) -> None:
    original = make(mixed_space, seed=11)
    _drive(original, 6)
    original.ask(2)  # pending when the run stops, with the one _drive left
    stuck = original.pending
    saved = original.to_json()

    resumed = make(mixed_space).load_history(saved)
    assert resumed.seed == original.seed
    assert [t.to_dict() for t in resumed.trials] == [t.to_dict() for t in original.trials]
    assert [t.id for t in resumed.history] == [t.id for t in original.history]
    assert [t.id for t in resumed.pending] == [t.id for t in stuck]

    # The pending trials can still be told (as copies, as if they came back from a worker process).
    for trial in stuck:
        value = _objective(mixed_space, trial.params)
        original.tell(trial, value)
        resumed.tell(pickle.loads(pickle.dumps(trial)), value)
    after_original, after_resumed = _drive(original, 4), _drive(resumed, 4)
    assert [(t.id, t.params) for t in after_resumed] == [(t.id, t.params) for t in after_original]
    assert resumed.best is not None and original.best is not None
    assert resumed.best.params == original.best.params


@pytest.mark.parametrize("make", SEARCHERS)
def test_a_resumed_searcher_keeps_avoiding_the_pending_trials(make: Factory) -> None:
    space = Space({"k": Int(0, 3), "c": Categorical(["a", "b", "c", "d"])})  # 16 configurations
    original = make(space, seed=5)
    original.tell({"k": 0, "c": "a"}, 3.0)  # a configuration evaluated elsewhere
    for trial in original.ask(4):
        original.tell(trial, float(trial.params["k"]))
    original.ask(6)  # left pending
    resumed = make(space).load_history(original.to_json())
    more = resumed.ask(3)
    keys = [space.key(t.params) for t in resumed.pending]
    assert len(set(keys)) == len(keys) == 9
    assert [t.params for t in more] == [t.params for t in original.ask(3)]


@pytest.mark.parametrize("make", SEARCHERS)
def test_maximize_picks_the_largest_value(make: Factory, mixed_space: Space) -> None:
    searcher = make(mixed_space, seed=0, direction="maximize")
    trials = searcher.ask(3)
    for trial, value in zip(trials, [1.0, 3.0, 2.0], strict=True):
        searcher.tell(trial, value)
    assert searcher.best is trials[1]


@pytest.mark.slow
@pytest.mark.parametrize("make", SEARCHERS)
def test_resumed_before_every_ask_a_searcher_asks_what_it_would_have(make: Factory, mixed_space: Space) -> None:
    """The strictest resume: the searcher is rebuilt from its JSON before every single ask, past its initial design
    into the model's steps, and must ask exactly what the uninterrupted one asks."""
    original = make(mixed_space, seed=5)
    resumed = make(mixed_space, seed=5)
    for _ in range(9):
        resumed = make(mixed_space, seed=5).load_history(resumed.to_json())
        expected, got = original.ask(), resumed.ask()
        assert (got.id, got.params, got.budget) == (expected.id, expected.params, expected.budget)
        value = _objective(mixed_space, expected.params)
        original.tell(expected, value)
        resumed.tell(got, value)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["random", "gp-logei", "tpe", "hyperband"])
def test_one_searcher_shared_by_threads_stays_consistent(name: str) -> None:
    """Four threads ask and tell one searcher at once: no error, every trial once, no configuration proposed while
    another trial of it was pending, and the history is what a saved copy reloads."""
    import threading

    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0), "c": Categorical(["a", "b"])})
    budgets = (1.0, 9.0) if name == "hyperband" else None
    searcher = make_searcher(name, space, seed=0, budgets=budgets)
    errors: list[BaseException] = []
    clashes: list[Any] = []

    def work() -> None:
        try:
            for _ in range(6):
                trial = searcher.ask()
                if any(space.key(t.params) == space.key(trial.params) for t in searcher.pending if t.id != trial.id):
                    clashes.append(trial.params)
                searcher.tell(trial, float(trial.params["x"] ** 2 + trial.params["y"] + (trial.params["c"] == "b")))
        except BaseException as err:  # any error in a thread is the finding
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert errors == [] and clashes == []
    assert sorted(t.id for t in searcher.history) == list(range(24)) and searcher.pending == []
    copy = make_searcher(name, space, seed=0, budgets=budgets).load_history(searcher.to_json())
    assert [t.params for t in copy.history] == [t.params for t in searcher.history]


def _tree_space() -> Space:
    """Model selection as a tree: an SVM's kernel (and the polynomial kernel's degree) or a k-NN's k."""
    return Space(
        {
            "model": Categorical(["svm", "knn"]),
            "kernel": Categorical(["rbf", "poly"]),
            "degree": Int(2, 5),
            "C": Float(1e-2, 1e2, log=True),
            "k": Int(1, 30),
        },
        conditions={"kernel": {"model": "svm"}, "degree": {"kernel": "poly"}, "C": {"model": "svm"},
                    "k": {"model": "knn"}},
    )  # fmt: skip


@pytest.mark.parametrize("make", SEARCHERS)
def test_on_a_conditional_space_every_trial_is_a_valid_tree_and_a_resume_is_exact(make: Factory) -> None:
    """Every searcher asks valid trees only (its active parameters, no inactive one) and, rebuilt from its JSON,
    goes on with the trials it would have asked."""
    space = _tree_space()
    original = make(space, seed=3)
    for trial in _drive(original, 6):
        assert space.validate(trial.params) == trial.params
        assert list(trial.params) == space.active_names(trial.params)
    assert {t.params["model"] for t in original.trials} == {"svm", "knn"}
    resumed = make(space).load_history(original.to_json())
    for trial in original.pending:
        value = _objective(space, trial.params)
        original.tell(trial, value)
        resumed.tell(pickle.loads(pickle.dumps(trial)), value)
    assert [(t.id, t.params) for t in _drive(resumed, 2)] == [(t.id, t.params) for t in _drive(original, 2)]


def test_on_a_conditional_space_the_gp_never_repeats_a_pending_tree() -> None:
    """The acquisition's discrete moves switch branches on the tree, not on the columns: a move that deactivates a
    parameter leaves it at its fixed value, so a candidate that decodes to a pending tree is recognised and skipped
    (before, two asks of one batch came back as the same k-NN, after redraws that cost seconds each)."""
    import warnings

    space = _tree_space()
    searcher = _gp(LogExpectedImprovement)(space, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "found no configuration that is not already pending"
        for _ in range(8):
            batch = searcher.ask(2)
            assert space.key(batch[0].params) != space.key(batch[1].params)
            for trial in batch:
                searcher.tell(trial, _objective(space, trial.params))


@_OPTUNA
def test_an_optuna_searcher_records_a_tree_told_from_elsewhere_with_its_active_parameters_only() -> None:
    space = _tree_space()
    searcher = OptunaSearcher(space, "tpe", seed=0)
    searcher.tell({"model": "knn", "k": 9}, 0.1)
    (recorded,) = searcher._study.get_trials()
    assert recorded.params == {"model": 1, "k": 9}  # the choice by its index, as bohpo's distributions have it
    resumed = OptunaSearcher(space, "tpe").load_history(searcher.to_json())
    assert [t.params for t in resumed.trials] == [{"model": "knn", "k": 9}]
    assert space.validate(resumed.ask().params)


@pytest.mark.parametrize("make", SEARCHERS)
def test_reports_and_pruned_trials_are_kept_and_a_resume_goes_on_exactly(make: Factory, mixed_space: Space) -> None:
    """Learning curves reported on any searcher's trials, some trials pruned at their last report: the history keeps
    both, and a searcher rebuilt from its JSON asks what the original asks."""
    original = make(mixed_space, seed=7)
    for _ in range(3):
        for i, trial in enumerate(original.ask(4)):
            value = _objective(mixed_space, trial.params)
            for step in range(3):
                original.report(trial, step, value + 1.0 / (step + 1))
            if i == 1:
                original.tell(trial, pruned=True)
            else:
                original.tell(trial, value)
    pruned = [t for t in original.history if t.status is TrialStatus.PRUNED]
    assert len(pruned) == 3 and all(t.value == t.intermediate[2] for t in pruned)
    resumed = make(mixed_space).load_history(original.to_json())
    assert [t.to_dict() for t in resumed.trials] == [t.to_dict() for t in original.trials]
    assert [(t.id, t.params) for t in _drive(resumed, 2)] == [(t.id, t.params) for t in _drive(original, 2)]
