"""BayesianOptimizer: finds optima, batches and asynchronous asks, and never crashes on awkward data."""

from __future__ import annotations

import json
import statistics
import warnings
from functools import partial
from typing import Any

import pytest
import torch

from bohpo.acquisition import (
    ExpectedImprovement,
    LogExpectedImprovement,
    ProbabilityOfImprovement,
    SamplingOptimizer,
    UpperConfidenceBound,
)
from bohpo.errors import NumericalWarning, TrialFailedWarning
from bohpo.loop import minimize
from bohpo.problems import Branin
from bohpo.searchers import BayesianOptimizer, make_searcher
from bohpo.space import Categorical, Float, Int, Space
from bohpo.surrogates import GP, TPE
from bohpo.surrogates import gp as gp_module

FAST = {"n_raw": 256, "n_restarts": 4}


def _space() -> Space:
    return Space({"x": Float(-2.0, 2.0), "k": Int(0, 5), "c": Categorical(["a", "b", "c"])})


def _objective(p: dict[str, Any]) -> float:
    return (p["x"] - 0.7) ** 2 + 0.3 * abs(p["k"] - 3) + {"a": 1.0, "b": 0.0, "c": 0.5}[p["c"]]


@pytest.mark.slow
def test_beats_random_search_on_branin() -> None:
    problem = Branin()
    gp_regret, random_regret = [], []
    for seed in range(3):
        gp = minimize(problem, problem.space, BayesianOptimizer(problem.space, seed=seed, **FAST), 25)
        rs = minimize(problem, problem.space, "random", 25, seed=seed)
        gp_regret.append(gp.best.value - problem.optimum)  # type: ignore[union-attr, operator]
        rs_regret = rs.best.value - problem.optimum  # type: ignore[union-attr, operator]
        random_regret.append(rs_regret)
    assert statistics.median(gp_regret) < 0.1 < statistics.median(random_regret)


@pytest.mark.slow
def test_mixed_space_optimum_is_found() -> None:
    best = []
    for seed in range(3):
        searcher = minimize(_objective, _space(), BayesianOptimizer(_space(), seed=seed, **FAST), 30)
        assert searcher.best is not None and searcher.best.value is not None
        best.append(searcher.best.value)
    # the optimum is 0 at x = 0.7, k = 3, c = "b"; the runner-up combination (k = 3, c = "c") scores 0.5
    assert statistics.median(best) < 0.05


def test_a_batch_is_distinct_and_avoids_pending_trials() -> None:
    space = Space({"k": Int(0, 7), "c": Categorical(["a", "b", "c"])})  # discrete: distinct means really apart

    def objective(p: dict[str, Any]) -> float:
        return abs(p["k"] - 5) + {"a": 1.0, "b": 0.0, "c": 0.5}[p["c"]]

    searcher = BayesianOptimizer(space, n_initial=4, seed=0, **FAST)
    for trial in searcher.ask(4):
        searcher.tell(trial, objective(trial.params))
    waiting = searcher.ask(3)  # model-based, told later
    batch = searcher.ask(4)
    keys = [space.key(t.params) for t in [*waiting, *batch]]
    assert len(set(keys)) == 7
    observed = {space.key(t.params) for t in searcher.history}
    assert not observed & set(keys)
    for trial in reversed(waiting + batch):  # told out of order
        searcher.tell(trial, objective(trial.params))
    observed = {space.key(t.params) for t in searcher.history}
    assert space.key(searcher.ask().params) not in observed


def test_a_failed_configuration_is_not_proposed_again() -> None:
    space = Space({"k": Int(0, 9), "c": Categorical(["a", "b", "c"])})
    searcher = BayesianOptimizer(space, n_initial=3, seed=0, **FAST)
    for trial in searcher.ask(3):
        searcher.tell(trial, float(trial.params["k"]))
    failed = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialFailedWarning)
        for _ in range(5):  # say, the model runs out of memory at whatever it is given next
            trial = searcher.ask()
            assert space.key(trial.params) not in failed
            failed.add(space.key(trial.params))
            searcher.tell(trial, failed=True)


@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
def test_ask_works_inside_a_no_grad_block(mode: Any) -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    searcher = BayesianOptimizer(space, n_initial=3, seed=0, **FAST)
    for trial in searcher.ask(3):
        searcher.tell(trial, trial.params["x"] + trial.params["y"])
    with mode():
        trial = searcher.ask()
    assert space.validate(trial.params) == trial.params


def test_the_default_surrogate_is_a_gp_with_the_measured_output_transform() -> None:
    searcher = BayesianOptimizer(_space())
    assert isinstance(searcher.surrogate, GP)
    assert searcher.surrogate.output_transform == "yeo-johnson" and searcher.surrogate.input_warping is False
    assert searcher.surrogate is not BayesianOptimizer(_space()).surrogate  # one model per searcher


def test_names_build_the_usual_pairings() -> None:
    for name, expected in [
        ("gp-ei", ExpectedImprovement),
        ("gp-logei", LogExpectedImprovement),
        ("gp-pi", ProbabilityOfImprovement),
        ("gp-ucb", UpperConfidenceBound),
    ]:
        searcher = make_searcher(name, _space(), seed=0)
        assert isinstance(searcher, BayesianOptimizer)
        for trial in searcher.ask(searcher.n_initial):
            searcher.tell(trial, _objective(trial.params))
        searcher.surrogate.fit(
            _space().encode([t.params for t in searcher.history]),
            torch.tensor([t.value for t in searcher.history], dtype=torch.float64),
        )
        assert isinstance(searcher.acquisition(searcher.surrogate), expected)


def test_maximize_turns_the_objective_around() -> None:
    space = Space({"x": Float(0.0, 1.0)})
    searcher = minimize(lambda p: -((p["x"] - 0.25) ** 2), space, BayesianOptimizer(space, seed=0, direction="maximize",
                                                                                    **FAST), 12)  # fmt: skip
    assert searcher.best is not None and abs(searcher.best.params["x"] - 0.25) < 0.05


@pytest.mark.parametrize(
    "case", ["one observation", "constant", "duplicates", "tiny scale", "huge scale", "outliers", "mostly failed"]
)
def test_awkward_histories_still_give_valid_trials(case: str) -> None:
    space = _space()
    searcher = BayesianOptimizer(space, n_initial=1, seed=0, **FAST)
    configs = space.sample(12, generator=torch.Generator().manual_seed(0))
    values = [_objective(c) for c in configs]
    if case == "one observation":
        configs, values = configs[:1], values[:1]
    elif case == "constant":
        values = [2.0] * len(values)
    elif case == "duplicates":
        configs, values = [configs[0]] * 6 + [configs[1]] * 6, [1.0] * 6 + [2.0] * 6
    elif case == "tiny scale":
        values = [v * 1e-12 for v in values]
    elif case == "huge scale":
        values = [v * 1e12 for v in values]
    elif case == "outliers":
        values[0], values[5] = 1e9, -1e9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialFailedWarning)
        for i, (config, value) in enumerate(zip(configs, values, strict=True)):
            failed = case == "mostly failed" and i % 6 != 0
            searcher.tell(config, value, failed=failed)
    for trial in [searcher.ask(), *searcher.ask(3)]:
        assert space.validate(trial.params) == trial.params
    assert len({space.key(t.params) for t in searcher.pending}) == 4


def test_a_model_failure_falls_back_to_space_filling(monkeypatch: pytest.MonkeyPatch) -> None:
    space = _space()
    searcher = BayesianOptimizer(space, n_initial=3, seed=0, **FAST)
    for trial in searcher.ask(5):
        searcher.tell(trial, _objective(trial.params))

    def broken(K: torch.Tensor) -> tuple[torch.Tensor, float]:
        raise gp_module.CholeskyError("the kernel matrix is not positive definite")

    monkeypatch.setattr(gp_module, "robust_cholesky", broken)
    with pytest.warns(NumericalWarning, match=r"the model failed .*; proposing space-filling points instead"):
        trial = searcher.ask()
    assert space.validate(trial.params) == trial.params


def test_constructor_errors() -> None:
    with pytest.raises(TypeError, match=r"surrogate must be a GaussianSurrogate .*, got str"):
        BayesianOptimizer(_space(), surrogate="gp")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"acquisition must be a class or callable"):
        BayesianOptimizer(_space(), acquisition=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"n_initial must be >= 1, got 0"):
        BayesianOptimizer(_space(), n_initial=0)
    with pytest.raises(ValueError, match=r"dtype must be torch.float32 or torch.float64"):
        BayesianOptimizer(_space(), dtype=torch.int64)
    with pytest.raises(ValueError, match=r"device 'gpu0' is not usable here: Invalid device string"):
        BayesianOptimizer(_space(), device="gpu0")
    assert BayesianOptimizer(_space(), device="cpu").device == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present: device='cuda' is usable here")
def test_a_cuda_device_without_cuda_is_refused_in_one_line() -> None:
    # torch itself would raise a bare AssertionError at the first ask, deep inside the model
    with pytest.raises(ValueError, match=r"^device 'cuda' is not usable here: [^\n]+$"):
        BayesianOptimizer(_space(), device="cuda")


@pytest.mark.slow
def test_float32_runs_too() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    searcher = BayesianOptimizer(space, n_initial=4, seed=0, dtype=torch.float32, **FAST)
    minimize(lambda p: (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2, space, searcher, 10)
    assert searcher.best is not None and searcher.best.value < 0.05  # type: ignore[operator]


class BoTorchSurrogate:
    """A Gaussian surrogate that is not bohpo's GP: BoTorch's default SingleTaskGP, fitted by fit_gpytorch_mll."""

    def __init__(self) -> None:
        self.fits = 0

    def fit(self, X: torch.Tensor, y: torch.Tensor) -> BoTorchSurrogate:
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from gpytorch.mlls import ExactMarginalLogLikelihood

        self.model = SingleTaskGP(X, y.unsqueeze(-1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(self.model.likelihood, self.model))
        self._best_y = y.min()
        self.fits += 1
        return self

    @property
    def best_y(self) -> torch.Tensor:
        return self._best_y

    def predict(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        posterior = self.model.posterior(X.unsqueeze(-2))  # one point per batch: the marginals
        return posterior.mean.reshape(X.shape[:-1]), posterior.variance.reshape(X.shape[:-1])


def test_any_gaussian_surrogate_drives_the_search_and_its_batches() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    surrogate = BoTorchSurrogate()
    searcher = BayesianOptimizer(space, surrogate=surrogate, n_initial=4, seed=0, **FAST)

    def bowl(p: dict[str, Any]) -> float:
        return (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BoTorch's advice on input scaling
        minimize(bowl, space, searcher, 12)
        fits = surrogate.fits
        batch = searcher.ask(3)  # no condition_on_mean: each fantasy is a refit
    assert surrogate.fits == fits + 3
    assert len({space.key(t.params) for t in batch}) == 3
    assert searcher.best is not None and searcher.best.value < 0.01  # type: ignore[operator]
    assert searcher.to_json()  # no warm state to save: still serialisable


def test_a_gpytorch_failure_in_any_surrogate_falls_back_to_space_filling() -> None:
    from linear_operator.utils.errors import NotPSDError

    class Broken(BoTorchSurrogate):
        def fit(self, X: torch.Tensor, y: torch.Tensor) -> BoTorchSurrogate:
            raise NotPSDError("Matrix not positive definite after repeatedly adding jitter")

    space = Space({"x": Float(0.0, 1.0)})
    searcher = BayesianOptimizer(space, surrogate=Broken(), n_initial=2, seed=0, **FAST)
    for trial in searcher.ask(2):
        searcher.tell(trial, trial.params["x"])
    with pytest.warns(NumericalWarning, match="the model failed"):
        trial = searcher.ask()
    assert 0.0 <= trial.params["x"] <= 1.0


# -- with a density-ratio surrogate (TPE) -------------------------------------------------------------------------


@pytest.mark.parametrize("multivariate", [True, False])
def test_tpe_beats_random_search_on_branin(multivariate: bool) -> None:
    problem = Branin()
    tpe_regret, random_regret = [], []
    for seed in range(5):
        searcher = BayesianOptimizer(
            problem.space, surrogate=TPE(multivariate=multivariate), acquisition=ExpectedImprovement, seed=seed
        )
        tpe_regret.append(minimize(problem, problem.space, searcher, 60).best.value - problem.optimum)  # type: ignore[union-attr, operator]
        random = minimize(problem, problem.space, "random", 60, seed=seed)
        random_regret.append(random.best.value - problem.optimum)  # type: ignore[union-attr, operator]
    assert statistics.median(tpe_regret) < statistics.median(random_regret) / 2


def test_tpe_is_bound_to_the_space_and_draws_24_candidates_by_default() -> None:
    tpe = TPE()
    searcher = BayesianOptimizer(_space(), surrogate=tpe, acquisition=ExpectedImprovement)
    optimizer = searcher.proposer.optimizer
    assert tpe.space == _space() and isinstance(optimizer, SamplingOptimizer) and optimizer.n_candidates == 24
    other = BayesianOptimizer(_space(), surrogate=TPE(), n_raw=500).proposer.optimizer
    assert isinstance(other, SamplingOptimizer) and other.n_candidates == 500


def test_tpe_batches_treat_pending_and_failed_points_as_worse_than_any_value() -> None:
    space = Space({"k": Int(0, 7), "c": Categorical(["a", "b", "c"])})
    searcher = BayesianOptimizer(space, surrogate=TPE(), acquisition=ExpectedImprovement, n_initial=6, seed=0)
    for trial in searcher.ask(6):
        searcher.tell(trial, abs(trial.params["k"] - 5) + {"a": 1.0, "b": 0.0, "c": 0.5}[trial.params["c"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialFailedWarning)
        searcher.tell(searcher.ask(), failed=True)
    waiting = searcher.ask(3)
    batch = searcher.ask(5)
    keys = [space.key(t.params) for t in [*waiting, *batch]]
    told = {space.key(t.params) for t in searcher.history}
    assert len(set(keys)) == 8 and not told & set(keys)
    tpe = searcher.surrogate
    assert isinstance(tpe, TPE)
    # the last fit of the batch: 6 values, 1 failure, 3 waiting, 4 of the batch chosen before the last
    assert tpe.good.weights.shape[0] + tpe.bad.weights.shape[0] - 2 == 6 + 1 + 3 + 4
    assert tpe.good_fraction == pytest.approx(1 / 14)


def test_tpe_names_build_tpe_with_expected_improvement() -> None:
    for name, multivariate in [("tpe", True), ("tpe-univariate", False)]:
        searcher = make_searcher(name, _space(), seed=0)
        assert isinstance(searcher, BayesianOptimizer)
        assert isinstance(searcher.surrogate, TPE) and searcher.surrogate.multivariate is multivariate
        assert searcher.acquisition is ExpectedImprovement


def test_tpe_maximises_when_asked() -> None:
    space = Space({"x": Float(0.0, 1.0)})
    searcher = BayesianOptimizer(space, surrogate=TPE(), direction="maximize", seed=0)
    searcher = minimize(lambda p: -((p["x"] - 0.25) ** 2), space, searcher, 40)
    assert searcher.best is not None and abs(searcher.best.params["x"] - 0.25) < 0.05


def test_a_tpe_searcher_refuses_ucb_at_construction_and_leaves_its_surrogate_alone() -> None:
    tpe = TPE()
    with pytest.raises(TypeError, match="no confidence bound"):
        BayesianOptimizer(_space(), surrogate=tpe, acquisition=partial(UpperConfidenceBound, beta=3.0))
    with pytest.raises(ValueError, match="dtype"):
        BayesianOptimizer(_space(), surrogate=tpe, dtype=torch.float16)
    assert tpe.space is None  # not bound by a searcher that was refused


@pytest.mark.parametrize("damage", [float("nan"), 1e308, "1.0", True])
def test_a_damaged_warm_state_is_refused_on_load_and_nothing_changes(damage: Any) -> None:
    space = Space({"x": Float(0.0, 1.0)})
    original = BayesianOptimizer(space, seed=0, **FAST)
    for _ in range(7):
        trial = original.ask()
        original.tell(trial, (trial.params["x"] - 0.3) ** 2)
    data = json.loads(original.to_json())
    data["state"]["surrogate"]["covar_module.base_kernel.raw_lengthscale"] = [damage]
    fresh = BayesianOptimizer(space, **FAST)
    with pytest.raises(ValueError, match=r"a GP warm state holds finite raw hyperparameters.*damaged, nothing was"):
        fresh.load_history(data)
    assert fresh.trials == [] and fresh.history == []
