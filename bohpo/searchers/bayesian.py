"""Bayesian optimization: a surrogate fitted on the history, an acquisition built from it, maximised over the space."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast

import torch
from linear_operator.utils.errors import NanError, NotPSDError
from torch import Tensor, nn

from bohpo._checks import check_count
from bohpo.acquisition.analytic import LogExpectedImprovement, UpperConfidenceBound
from bohpo.acquisition.optimize import optimize_acquisition, optimize_by_sampling
from bohpo.errors import NumericalWarning
from bohpo.searchers.base import Direction, Searcher
from bohpo.seeding import SeedLike, derive_seed
from bohpo.space import Config, Space
from bohpo.surrogates.base import (
    DensityRatioSurrogate,
    GaussianSurrogate,
    is_density_ratio_surrogate,
    is_gaussian_surrogate,
)
from bohpo.surrogates.gp import GP, CholeskyError
from bohpo.trial import Trial, TrialStatus

__all__ = ["NUMERICAL_FAILURES", "AcquisitionFactory", "BayesianOptimizer", "default_surrogate", "suggest"]

AcquisitionFactory = Callable[[Any], nn.Module]
"""Builds a fresh acquisition module from a fitted surrogate: a class such as ``LogExpectedImprovement``, or
``functools.partial(UpperConfidenceBound, beta=4.0)``."""

_INITIAL_STREAM = 2  # seeding key of the initial Sobol design
_N_INCUMBENTS = 5  # best observed points perturbed in the acquisition optimizer's pool
_N_RAW_GAUSSIAN = 1024  # default pool of the gradient-based acquisition optimizer
_N_RAW_DENSITY_RATIO = 24  # default draws from l(x) for a density-ratio surrogate (Hyperopt's and Optuna's)
_N_INITIAL_DENSITY_RATIO = 10  # default initial design before TPE takes over (Optuna's n_startup_trials)
NUMERICAL_FAILURES = (CholeskyError, torch.linalg.LinAlgError, NotPSDError, NanError)
"""What a surrogate may raise when its linear algebra fails (bohpo's GP, torch, gpytorch's linear operators): a
searcher catches these, warns and proposes a space-filling point."""


def default_surrogate() -> GP:
    """The GP that ``BayesianOptimizer`` uses unless given one: Yeo–Johnson output transform, no input warping.

    Both HEBO options were measured (``benchmarks/results/transforms.md``: 7 problems x 10 seeds, 60 evaluations,
    mean normalised regret): plain GP 0.274, Yeo–Johnson 0.179, Kumaraswamy warping 0.288, both 0.233. The transform
    helps most where values span orders of magnitude (Rosenbrock, the mixed Branin's category offsets) and costs
    nothing measurable; warping helped only on Rosenbrock and makes each fit a few times slower.
    """
    return GP(output_transform="yeo-johnson")


class BayesianOptimizer(Searcher):
    """Bayesian optimization with a Gaussian or a density-ratio surrogate and any acquisition that suits it, on
    mixed spaces, in batches or asynchronously.

    The first ``n_initial`` trials come from a scrambled Sobol design. After that each ``ask`` fits the surrogate and
    maximises a fresh acquisition; a batch repeats that, each chosen point informing the next, so its points are
    distinct and spread. With a Gaussian surrogate (GP) the fit uses the completed trials (failed ones are left out)
    and pending points are valued at the posterior mean (kriging believer); the acquisition is maximised by
    :func:`~bohpo.acquisition.optimize_acquisition`. With a density-ratio surrogate (TPE) pending and failed trials
    join the bad group as worse than any value (constant liar), and the acquisition is maximised over draws from the
    good density (:func:`~bohpo.acquisition.optimize_by_sampling`). If the model fails numerically the searcher warns
    and proposes a space-filling point.

    Args:
        space: The search space.
        surrogate: A :class:`~bohpo.surrogates.GaussianSurrogate` (default: :func:`default_surrogate`) or a
            :class:`~bohpo.surrogates.DensityRatioSurrogate` such as :class:`~bohpo.surrogates.TPE` (bound to the
            space through its ``bind`` when it has one). What the searcher uses when a Gaussian surrogate has it:
            ``condition_on_mean`` for fantasies (otherwise it refits with the fantasies as data), ``lengthscale``
            to scale the acquisition optimizer's steps, and ``warm_state`` / ``load_warm_state``, which become
            part of the searcher's history.
        acquisition: Class or callable building an acquisition module from the fitted surrogate.
        n_initial: Size of the initial design (default: twice the number of parameters, clipped to [5, 10]; 10 for
            a density-ratio surrogate, whose densities need a few points per group whatever the dimension).
        n_raw: Pool size of the acquisition optimizer (default 1024); for a density-ratio surrogate, the number of
            candidates drawn from l(x) (default 24).
        n_restarts: Restarts refined by gradient.
        seed, direction: As for every :class:`Searcher`.
        device, dtype: Where and in what precision the model runs (default CPU, float64).

    Example:
        >>> from bohpo.space import Float, Space
        >>> space = Space({"x": Float(-1.0, 1.0), "y": Float(-1.0, 1.0)})
        >>> searcher = BayesianOptimizer(space, n_initial=4, seed=0)
        >>> for _ in range(12):
        ...     trial = searcher.ask()
        ...     _ = searcher.tell(trial, trial.params["x"] ** 2 + trial.params["y"] ** 2)
        >>> searcher.best.value < 0.01
        True
    """

    def __init__(
        self,
        space: Space,
        *,
        surrogate: GaussianSurrogate | DensityRatioSurrogate | None = None,
        acquisition: AcquisitionFactory = LogExpectedImprovement,
        n_initial: int | None = None,
        n_raw: int | None = None,
        n_restarts: int = 10,
        seed: SeedLike = None,
        direction: Direction = "minimize",
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__(space, seed=seed, direction=direction)
        density_ratio = surrogate is not None and not is_gaussian_surrogate(surrogate)
        if density_ratio and not is_density_ratio_surrogate(surrogate):
            raise TypeError(
                "surrogate must be a GaussianSurrogate (with fit, predict and best_y, such as bohpo's GP) or a "
                "DensityRatioSurrogate (with fit, log_densities, sample_good, good_fraction and improvement_scale, "
                f"such as bohpo's TPE), got {type(surrogate).__name__}"
            )
        if not callable(acquisition):
            raise TypeError(f"acquisition must be a class or callable that builds a module, got {acquisition!r}")
        default_initial = _N_INITIAL_DENSITY_RATIO if density_ratio else min(10, max(5, 2 * len(space)))
        n_initial = default_initial if n_initial is None else check_count(n_initial, "n_initial", minimum=1)
        default_raw = _N_RAW_DENSITY_RATIO if density_ratio else _N_RAW_GAUSSIAN
        self.n_raw = default_raw if n_raw is None else check_count(n_raw, "n_raw", minimum=1)
        self.n_initial = n_initial
        self.n_restarts = check_count(n_restarts, "n_restarts", minimum=1)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
        if density_ratio:
            check_density_ratio_pairing(acquisition, type(surrogate).__name__)
        self.surrogate: GaussianSurrogate | DensityRatioSurrogate = (
            default_surrogate() if surrogate is None else surrogate
        )
        bind = getattr(self.surrogate, "bind", None)
        if callable(bind):  # last: every check has passed, so a refused searcher leaves the surrogate as it was
            bind(space)
        self.density_ratio = density_ratio
        self.acquisition = acquisition
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.dtype = dtype
        self._design = space.sobol_engine(seed=derive_seed(self.seed, _INITIAL_STREAM))
        self._n_design = 0
        self._told_ids: list[int] = []  # the trials whose rows _told_X holds, in the order told
        self._told_X = self._encode([])

    # -- proposing ----------------------------------------------------------------------------------------------
    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        completed = self.completed
        if len(completed) < self.n_initial:
            return self._space_filling(n)
        if self.density_ratio:
            return self._propose_by_density_ratio(n, generator)
        surrogate = cast(GaussianSurrogate, self.surrogate)
        told = self.history
        told_X = self._told_rows(told)  # (n_told, D)
        complete = torch.tensor([t.status is TrialStatus.COMPLETE for t in told], dtype=torch.bool)
        X, failed_X = (
            told_X[complete.to(told_X.device)],
            told_X[~complete.to(told_X.device)],
        )  # (n_obs, D), (n_failed, D)
        sign = 1.0 if self.direction == "minimize" else -1.0
        y = torch.tensor([sign * t.value for t in completed], dtype=self.dtype, device=self.device)  # type: ignore[operator]
        pending_X = self._encode([t.params for t in self.pending])  # (n_pending, D)
        try:
            # The acquisition optimizer differentiates through the model, whatever the caller's grad mode.
            with torch.inference_mode(False), torch.enable_grad():
                surrogate.fit(X, y)
                believer = _Believer(surrogate, X, y)
                if pending_X.shape[0]:
                    believer.observe_mean(pending_X)
                return self.space.decode(self._batch(believer, X, y, pending_X, failed_X, n, generator))
        except NUMERICAL_FAILURES as err:
            return self._fall_back(err, n)

    def _propose_by_density_ratio(self, n: int, generator: torch.Generator) -> list[Config]:
        """``n`` points, each chosen after refitting with the ones before as worse than any value (constant liar).

        The rows are the told trials in the order told (failed ones valued +inf), then the pending ones (+inf)."""
        surrogate = cast(DensityRatioSurrogate, self.surrogate)
        told = self.history
        sign = 1.0 if self.direction == "minimize" else -1.0
        values = [sign * t.value if t.status is TrialStatus.COMPLETE else math.inf for t in told]  # type: ignore[operator]
        X = torch.cat([self._told_rows(told), self._encode([t.params for t in self.pending])])  # (n_rows, D)
        y = torch.tensor(values + [math.inf] * (X.shape[0] - len(told)), dtype=self.dtype, device=self.device)
        chosen: list[Tensor] = []
        try:
            for _ in range(n):
                x = suggest(self.space, surrogate, self.acquisition, X, y, generator=generator, n_raw=self.n_raw)
                chosen.append(x)
                X, y = torch.cat([X, x.unsqueeze(0)]), torch.cat([y, y.new_tensor([math.inf])])
        except NUMERICAL_FAILURES as err:
            return self._fall_back(err, n)
        return self.space.decode(torch.stack(chosen))

    def _encode(self, configs: list[Config]) -> Tensor:
        return self.space.encode(configs, dtype=self.dtype, device=self.device)

    def _told_rows(self, told: list[Trial]) -> Tensor:
        """(n_told, D) the told trials encoded, in the order told.

        Encoding validates every configuration, which at thousands of trials costs more than fitting a TPE, so the
        rows are kept and only trials told since the last ask are encoded (all of them again if the history was
        replaced, as by ``load_history``)."""
        ids = [t.id for t in told]
        known = len(self._told_ids)
        if ids[:known] != self._told_ids:
            self._told_ids, self._told_X, known = [], self._encode([]), 0
        if len(ids) > known:
            self._told_X = torch.cat([self._told_X, self._encode([t.params for t in told[known:]])])
            self._told_ids = ids
        return self._told_X

    def _batch(
        self,
        believer: _Believer,
        X: Tensor,
        y: Tensor,
        pending_X: Tensor,
        failed_X: Tensor,
        n: int,
        generator: torch.Generator,
    ) -> Tensor:
        """(n, D) points chosen one by one, each conditioning the model for the next (kriging believer).

        Observed, pending and failed points are never proposed again (a configuration that failed would otherwise
        keep winning: the model knows nothing of it)."""
        exclude = torch.cat([X, pending_X, failed_X])
        incumbents = X[y.argsort()[:_N_INCUMBENTS]]
        chosen = []
        for i in range(n):
            model = believer.model
            x, _ = optimize_acquisition(
                self.acquisition(model), self.space, generator=generator, exclude=exclude, incumbents=incumbents,
                warm_starts=incumbents[:1], n_raw=self.n_raw, n_restarts=self.n_restarts,
                scales=_lengthscales(model, X.shape[-1]), dtype=self.dtype, device=self.device,
            )  # fmt: skip
            chosen.append(x)
            exclude = torch.cat([exclude, x.unsqueeze(0)])
            if i + 1 < n:
                believer.observe_mean(x.unsqueeze(0))
        return torch.stack(chosen)

    def _fall_back(self, err: Exception, n: int) -> list[Config]:
        """When the model fails numerically: warn, and propose ``n`` space-filling points."""
        warnings.warn(
            f"BayesianOptimizer: the model failed ({err}); proposing space-filling points instead",
            NumericalWarning,
            stacklevel=4,
        )
        return self._space_filling(n)

    def _space_filling(self, n: int) -> list[Config]:
        self._n_design += n
        return self.space.from_unit(self._design.draw(n, dtype=torch.float64))

    # -- state --------------------------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        warm_state = getattr(self.surrogate, "warm_state", None)
        return {"n_design": self._n_design, "surrogate": warm_state() if callable(warm_state) else None}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        n_design = check_count(state.get("n_design"), "state['n_design']")
        design = self.space.sobol_engine(seed=derive_seed(self.seed, _INITIAL_STREAM))
        if n_design:
            design.fast_forward(n_design)
        load_warm_state = getattr(self.surrogate, "load_warm_state", None)
        if callable(load_warm_state):
            load_warm_state(state.get("surrogate"))
        self._design, self._n_design = design, n_design


def check_density_ratio_pairing(acquisition: AcquisitionFactory, surrogate_name: str) -> None:
    """Refuse, before any trial, an acquisition that needs a posterior spread (UCB, also inside a ``partial``) for a
    density-ratio surrogate; the acquisition itself would refuse it only at the first model-based ask."""
    factory = acquisition.func if isinstance(acquisition, partial) else acquisition
    if factory is UpperConfidenceBound:
        raise TypeError(
            f"UpperConfidenceBound needs a GaussianSurrogate (a posterior mean and variance, such as GP); "
            f"{surrogate_name} models the densities of good and bad points, which give no confidence bound. "
            "Use ExpectedImprovement or ProbabilityOfImprovement (or their Log forms) with it."
        )


def suggest(
    space: Space,
    surrogate: GaussianSurrogate | DensityRatioSurrogate,
    acquisition: AcquisitionFactory,
    X: Tensor,
    y: Tensor,
    *,
    generator: torch.Generator,
    n_raw: int,
    n_restarts: int = 10,
) -> Tensor:
    """One point chosen by a model: fit ``surrogate`` on the rows, maximise a fresh acquisition, avoid every row.

    Args:
        space: The search space.
        surrogate: A Gaussian surrogate (fitted on the finite rows; the acquisition maximised by
            :func:`~bohpo.acquisition.optimize_acquisition`) or a density-ratio one (fitted on all rows, +inf ones
            in its bad group; maximised over draws from l(x) by :func:`~bohpo.acquisition.optimize_by_sampling`).
        acquisition: Builds the acquisition module from the fitted surrogate.
        X: (n, D) encoded rows, in the order observed; none of them is proposed again.
        y: (n,) their values, minimised; +inf for a pending or failed configuration.
        generator: Randomness of the acquisition optimizer.
        n_raw: Its pool size, or the draws from l(x).
        n_restarts: Gradient restarts, for a Gaussian surrogate.

    Returns:
        (D,) the point, on the space's lattice.

    Raises:
        Any of :data:`NUMERICAL_FAILURES` when the model fails.
    """
    if is_gaussian_surrogate(surrogate):
        gaussian = cast(GaussianSurrogate, surrogate)
        finite = torch.isfinite(y)
        X_obs, y_obs = X[finite], y[finite]
        incumbents = X_obs[y_obs.argsort()[:_N_INCUMBENTS]]
        with torch.inference_mode(False), torch.enable_grad():
            gaussian.fit(X_obs, y_obs)
            x, _ = optimize_acquisition(
                acquisition(gaussian), space, generator=generator, exclude=X, incumbents=incumbents,
                warm_starts=incumbents[:1], n_raw=n_raw, n_restarts=n_restarts,
                scales=_lengthscales(gaussian, X.shape[-1]), dtype=X.dtype, device=X.device,
            )  # fmt: skip
        return x
    ratio = cast(DensityRatioSurrogate, surrogate)
    ratio.fit(X, y)
    x, _ = optimize_by_sampling(acquisition(ratio), ratio, space, generator=generator, exclude=X, n_candidates=n_raw)
    return x


class _Believer:
    """A fitted surrogate and the fantasies it has been told: ``observe_mean`` adds points valued at the current
    posterior mean (kriging believer). A surrogate with ``condition_on_mean`` (the GP: one factorisation, same
    hyperparameters) does it itself; any other is refitted on the observations plus the fantasies."""

    def __init__(self, model: GaussianSurrogate, X: Tensor, y: Tensor) -> None:
        self.model, self._X, self._y = model, X, y

    def observe_mean(self, X_new: Tensor) -> None:
        """X_new: (k, D) encoded points."""
        condition = getattr(self.model, "condition_on_mean", None)
        if callable(condition):
            self.model = condition(X_new)
            return
        with torch.no_grad():
            mean, _ = self.model.predict(X_new)
        self._X, self._y = torch.cat([self._X, X_new]), torch.cat([self._y, mean.detach()])
        self.model.fit(self._X, self._y)


def _lengthscales(model: GaussianSurrogate, D: int) -> Tensor | None:
    """(D,) the model's lengthscales, when it has them, to scale the acquisition optimizer's steps."""
    lengthscale = getattr(model, "lengthscale", None)
    if isinstance(lengthscale, Tensor) and lengthscale.shape == (D,) and bool((lengthscale > 0).all()):
        return lengthscale
    return None
