"""Other libraries' optimizers as bohpo searchers, so a suite can compare against them in one run.

    optuna-tpe, optuna-gp, optuna-cmaes   Optuna's TPESampler, GPSampler and CmaEsSampler (needs ``bohpo[peers]``);
    botorch-logei                          the canonical BoTorch loop: SingleTaskGP (its defaults), fit_gpytorch_mll,
                                           LogExpectedImprovement, optimize_acqf (10 restarts, 512 raw samples).

They follow the searcher contract like bohpo's own: seeded, batch and asynchronous asks, resumable from a saved
history with the same next trials. Each ask draws a fresh seed for the peer from the searcher's seed and ask counter
(an Optuna sampler is rebuilt with it; BoTorch's optimizer takes it), which is what makes a resumed searcher ask
what the uninterrupted one would have.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Mapping
from typing import Any

import torch

from bohpo._checks import check_count
from bohpo._threads import single_threaded_torch
from bohpo.acquisition.propose import NUMERICAL_FAILURES
from bohpo.errors import NumericalWarning
from bohpo.searchers.base import Direction, Searcher
from bohpo.seeding import SeedLike, seed_entropy
from bohpo.space import Categorical, Config, Float, Int, Space
from bohpo.trial import Trial, TrialStatus

__all__ = ["BoTorchLoop", "OptunaSearcher", "optuna_available"]

_SAMPLERS = ("tpe", "gp", "cmaes", "nsga2")
_REPEATS = 8  # Optuna asks per proposal before a repeat of a pending configuration is let through


def optuna_available() -> bool:
    """Whether Optuna can be imported (without importing it)."""
    return importlib.util.find_spec("optuna") is not None


class OptunaSearcher(Searcher):
    """An Optuna sampler behind bohpo's searcher interface, on an in-memory Optuna study.

    Categorical parameters are handed to Optuna as the indices of their choices (any Python object can be a bohpo
    choice; Optuna's must be primitives), which changes nothing for its samplers.

    Args:
        space: The search space.
        sampler: ``"tpe"``, ``"gp"``, ``"cmaes"`` or ``"nsga2"``.
        seed, direction: As for every searcher.
        **options: Passed to the sampler's constructor (for example ``multivariate=True`` for TPE).
    """

    def __init__(
        self, space: Space, sampler: str = "tpe", *, seed: SeedLike = None, direction: Direction = "minimize",
        **options: Any,
    ) -> None:  # fmt: skip
        if sampler not in _SAMPLERS:
            raise ValueError(f"sampler must be one of {_SAMPLERS}, got {sampler!r}")
        if not optuna_available():
            raise ImportError(f"optuna-{sampler} needs Optuna: pip install 'bohpo[peers]'")
        super().__init__(space, seed=seed, direction=direction)
        self.sampler = sampler
        self.options = dict(options)
        self._distributions = _distributions(space)
        self._study = self._new_study()
        self._asked: dict[tuple[Any, ...], list[int]] = {}  # config key -> Optuna trial numbers asked, oldest first

    def _new_study(self) -> Any:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        return optuna.create_study(direction="minimize", sampler=self._sampler(0))

    def _sampler(self, seed: int) -> Any:
        import optuna

        cls = {
            "tpe": optuna.samplers.TPESampler,
            "gp": optuna.samplers.GPSampler,
            "cmaes": optuna.samplers.CmaEsSampler,
            "nsga2": optuna.samplers.NSGAIISampler,
        }
        return cls[self.sampler](seed=seed, **self.options)

    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        """n configurations, none of them pending: a repeat is told to Optuna as failed at once and asked again
        (a few times), so no Optuna trial is left running without a bohpo trial behind it."""
        import optuna

        taken = {self.space.key(t.params) for t in self.pending}
        configs = []
        for _ in range(n):
            for attempt in range(_REPEATS):
                self._study.sampler = self._sampler(seed_entropy(generator) % 2**31)
                with single_threaded_torch():  # Optuna's GP computes with torch: the same trials whatever the threads
                    optuna_trial = self._ask_optuna()
                config = self._from_optuna(optuna_trial.params)
                key = self.space.key(config)
                if key not in taken or attempt == _REPEATS - 1:
                    break
                self._study.tell(optuna_trial.number, state=optuna.trial.TrialState.FAIL)
            taken.add(key)
            self._asked.setdefault(key, []).append(optuna_trial.number)
            configs.append(config)
        return configs

    def _ask_optuna(self) -> Any:
        """An Optuna trial with every parameter sampled; in a conditional space define-by-run, the active ones only
        (each decided by the values of its parents sampled before it), as Optuna's own tree-structured use goes."""
        if not self.space.conditions:
            return self._study.ask(self._distributions)
        optuna_trial = self._study.ask()
        config: dict[str, Any] = {}
        for name in self.space:
            if not self.space.is_active(name, config):
                continue
            value = _suggest(optuna_trial, name, self._distributions[name])
            param = self.space[name]
            config[name] = param.choices[value] if isinstance(param, Categorical) else value
        return optuna_trial

    def _on_tell(self, trial: Trial) -> None:
        numbers = self._asked.get(self.space.key(trial.params))
        if numbers:
            number = numbers.pop(0)
        else:  # a configuration evaluated elsewhere, or asked before a resume: Optuna learns of it now
            self._study.enqueue_trial(self._to_optuna(trial.params), skip_if_exists=False)
            number = self._ask_optuna().number  # the enqueued configuration
        self._tell_optuna(number, trial)

    def _tell_optuna(self, number: int, trial: Trial) -> None:
        import optuna

        sign = 1.0 if self.direction == "minimize" else -1.0
        if trial.status is TrialStatus.COMPLETE:
            self._study.tell(number, sign * float(trial.value))  # type: ignore[arg-type]
        elif trial.status is TrialStatus.PRUNED:  # as Optuna's own pruning leaves it: its curve, state PRUNED
            storage, study_id = self._study._storage, self._study._study_id
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, number)
            for step, value in trial.intermediate.items():
                storage.set_trial_intermediate_value(trial_id, step, sign * value)
            self._study.tell(number, state=optuna.trial.TrialState.PRUNED)
        else:
            self._study.tell(number, state=optuna.trial.TrialState.FAIL)

    def _state(self) -> dict[str, Any]:
        """Optuna's trials, finished and running, with their system attributes (CMA-ES keeps its state there), and
        the study's system attributes (NSGA-II keeps each generation's parents there)."""
        import optuna

        states = optuna.trial.TrialState
        kept = (states.COMPLETE, states.FAIL, states.PRUNED, states.RUNNING)
        storage, study_id = self._study._storage, self._study._study_id
        return {
            "study_system_attrs": storage.get_study_system_attrs(study_id),
            "optuna_trials": [
                {
                    "params": t.params,
                    "value": t.value,
                    "state": t.state.name,
                    "system_attrs": t.system_attrs,
                    "intermediate": [[step, value] for step, value in t.intermediate_values.items()],
                }
                for t in self._study.get_trials(deepcopy=False)
                if t.state in kept
            ],
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        import optuna

        saved = state.get("optuna_trials")
        if not isinstance(saved, list):
            raise ValueError("an Optuna searcher's state must hold 'optuna_trials', a list")
        study = self._new_study()
        asked: dict[tuple[Any, ...], list[int]] = {}
        for number, t in enumerate(saved):
            state_ = optuna.trial.TrialState[t["state"]]
            study.add_trial(
                optuna.trial.create_trial(
                    params=t["params"], distributions={name: self._distributions[name] for name in t["params"]},
                    value=t["value"] if state_ is optuna.trial.TrialState.COMPLETE else None,
                    state=state_, system_attrs=t.get("system_attrs") or {},
                    intermediate_values={int(step): float(v) for step, v in t.get("intermediate") or []},
                )
            )  # fmt: skip
            if state_ is optuna.trial.TrialState.RUNNING:  # a pending trial: its tell will come
                asked.setdefault(self.space.key(self._from_optuna(t["params"])), []).append(number)
        study_attrs = state.get("study_system_attrs", {})  # absent from histories saved before they were kept
        if not isinstance(study_attrs, Mapping):
            raise ValueError("an Optuna searcher's 'study_system_attrs' must be a mapping")
        for key, value in study_attrs.items():
            study._storage.set_study_system_attr(study._study_id, key, value)
        self._study, self._asked = study, asked

    def _to_optuna(self, config: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for name, param in self.space.items():
            if name not in config:  # inactive in a conditional space
                continue
            value = config[name]
            if isinstance(param, Categorical):
                value = next(i for i, choice in enumerate(param.choices) if choice == value)
            out[name] = value
        return out

    def _from_optuna(self, params: Mapping[str, Any]) -> Config:
        config = {}
        for name, param in self.space.items():
            if name not in params:  # inactive in a conditional space
                continue
            value = params[name]
            config[name] = param.choices[value] if isinstance(param, Categorical) else value
        return self.space.validate(config)


def _suggest(optuna_trial: Any, name: str, distribution: Any) -> Any:
    """``optuna_trial.suggest_*`` for ``distribution``: the define-by-run form of ``study.ask(distributions)``."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    if isinstance(distribution, CategoricalDistribution):
        return optuna_trial.suggest_categorical(name, distribution.choices)
    if isinstance(distribution, FloatDistribution):
        return optuna_trial.suggest_float(name, distribution.low, distribution.high, log=distribution.log)
    return optuna_trial.suggest_int(name, distribution.low, distribution.high, log=distribution.log)


def _distributions(space: Space) -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for name, param in space.items():
        if isinstance(param, Float):
            out[name] = FloatDistribution(param.low, param.high, log=param.log)
        elif isinstance(param, Int):
            out[name] = IntDistribution(param.low, param.high, log=param.log)
        elif isinstance(param, Categorical):
            out[name] = CategoricalDistribution(list(range(len(param.choices))))
        else:  # pragma: no cover - the space admits no other kind
            raise TypeError(f"parameter {name!r} of kind {type(param).__name__} has no Optuna distribution")
    return out


class BoTorchLoop(Searcher):
    """The canonical BoTorch loop, the reference a GP searcher is measured against.

    A random initial design (``n_initial`` trials, as bohpo's default), then at each ask: ``SingleTaskGP`` with its
    defaults on the encoded observations (maximising -y), ``fit_gpytorch_mll``, and ``optimize_acqf`` with 10
    restarts and 512 raw samples over the unit cube — ``LogExpectedImprovement`` for one point,
    ``qLogExpectedImprovement`` with the pending points as ``X_pending`` for a batch or asynchronous ask.
    Candidates are snapped onto the space's lattice (ints rounded, one-hot categoricals at their largest entry).

    BoTorch draws from torch's global generator; each ask seeds it from the searcher's seed and ask counter inside
    ``torch.random.fork_rng`` (the caller's global state is given back), so a seed gives the same trials. Failed
    configurations are not excluded, as in the canonical loop: a region that always fails can be proposed again;
    pending ones are (a repeat is redrawn at random). Where the canonical loop raises (a told value of 1e300 makes
    BoTorch's initial conditions NaN), the ask warns and proposes a random configuration, as bohpo's searchers do.
    """

    def __init__(
        self,
        space: Space,
        *,
        n_initial: int | None = None,
        n_restarts: int = 10,
        n_raw: int = 512,
        seed: SeedLike = None,
        direction: Direction = "minimize",
    ) -> None:
        super().__init__(space, seed=seed, direction=direction)
        self.n_initial = min(10, max(5, 2 * len(space))) if n_initial is None else check_count(n_initial, "n_initial")
        self.n_restarts = check_count(n_restarts, "n_restarts", minimum=1)
        self.n_raw = check_count(n_raw, "n_raw", minimum=1)

    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        import warnings

        completed = self.completed
        if len(completed) < self.n_initial:
            return self._avoid_pending(self.space.sample(n, generator=generator), generator)
        X = self.space.encode([t.params for t in completed])
        sign = -1.0 if self.direction == "minimize" else 1.0
        y = torch.tensor([[sign * float(t.value)] for t in completed], dtype=torch.float64)  # type: ignore[arg-type]
        pending = self.pending
        X_pending = self.space.encode([t.params for t in pending]) if pending else None
        seed = seed_entropy(generator) % 2**31
        # BoTorch draws from torch's global generator (initial conditions, the q-batch sampler): seed it for this ask
        # and give the caller's state back afterwards
        try:
            candidates = self._model_step(X, y, X_pending, n, seed)
        except (RuntimeError, ValueError, *NUMERICAL_FAILURES) as err:
            warnings.warn(
                f"BoTorchLoop: the model step failed ({type(err).__name__}: {str(err)[:120]}); a random configuration "
                "instead",
                NumericalWarning,
                stacklevel=4,
            )
            return self._avoid_pending(self.space.sample(n, generator=generator), generator)
        return self._avoid_pending(self.space.decode(self.space.snap(candidates)), generator)

    def _model_step(self, X: torch.Tensor, y: torch.Tensor, X_pending: torch.Tensor | None, n: int, seed: int) -> Any:
        """(n, D) candidates of the canonical loop in the unit cube."""
        import warnings

        from botorch.acquisition import LogExpectedImprovement, qLogExpectedImprovement
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.optim import optimize_acqf
        from botorch.sampling import SobolQMCNormalSampler
        from gpytorch.mlls import ExactMarginalLogLikelihood

        with warnings.catch_warnings(), torch.random.fork_rng(), single_threaded_torch():  # threads: bohpo._threads
            torch.manual_seed(seed)
            warnings.simplefilter("ignore")  # BoTorch's advice on input scaling and fit retries
            model = SingleTaskGP(X, y)
            with contextlib.suppress(Exception):  # the canonical loop keeps the prior-mode values if fitting fails
                fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            if n == 1 and X_pending is None:
                acquisition: Any = LogExpectedImprovement(model, best_f=y.max())
            else:
                sampler = SobolQMCNormalSampler(torch.Size([128]), seed=seed)
                acquisition = qLogExpectedImprovement(model, best_f=y.max(), X_pending=X_pending, sampler=sampler)
            bounds = torch.stack([torch.zeros(self.space.dim), torch.ones(self.space.dim)]).double()
            candidates, _ = optimize_acqf(
                acquisition, bounds=bounds, q=n, num_restarts=self.n_restarts, raw_samples=self.n_raw,
                options={"seed": seed},
            )  # fmt: skip
        return candidates.detach()

    def _avoid_pending(self, configs: list[Config], generator: torch.Generator) -> list[Config]:
        """``configs`` with each one that repeats a pending configuration, or an earlier one of the batch, redrawn
        uniformly (a few times, then kept): like bohpo's searchers, the loop never hands out a pending configuration
        twice. Snapping onto the lattice can map distinct candidates, and a random initial design distinct draws, to
        one configuration."""
        taken = {self.space.key(t.params) for t in self.pending}
        distinct = []
        for config in configs:
            for _ in range(_REPEATS):
                if self.space.key(config) not in taken:
                    break
                config = self.space.sample(1, generator=generator)[0]
            taken.add(self.space.key(config))
            distinct.append(config)
        return distinct
