"""Bayesian optimization: a surrogate fitted on the history, an acquisition built from it, maximised over the space."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from bohpo._checks import check_count
from bohpo.acquisition.analytic import LogExpectedImprovement
from bohpo.acquisition.optimize import optimize_acquisition
from bohpo.errors import NumericalWarning
from bohpo.searchers.base import Direction, Searcher
from bohpo.seeding import SeedLike, derive_seed
from bohpo.space import Config, Space
from bohpo.surrogates.gp import GP, CholeskyError
from bohpo.trial import TrialStatus

__all__ = ["AcquisitionFactory", "BayesianOptimizer"]

AcquisitionFactory = Callable[[GP], nn.Module]
"""Builds a fresh acquisition module from a fitted surrogate: a class such as ``LogExpectedImprovement``, or
``functools.partial(UpperConfidenceBound, beta=4.0)``."""

_INITIAL_STREAM = 2  # seeding key of the initial Sobol design
_N_INCUMBENTS = 5  # best observed points perturbed in the acquisition optimizer's pool


class BayesianOptimizer(Searcher):
    """GP-based Bayesian optimization with any acquisition, on mixed spaces, in batches or asynchronously.

    The first ``n_initial`` trials come from a scrambled Sobol design. After that each ``ask`` fits the surrogate on
    the completed trials (failed ones are left out), conditions it on the pending trials at their posterior mean
    (kriging believer), and maximises a fresh acquisition; a batch repeats the last two steps, so its points are
    distinct and spread. If the model fails numerically the searcher warns and proposes a space-filling point.

    Args:
        space: The search space.
        surrogate: A :class:`~bohpo.surrogates.GP` (its warm-start state is part of the searcher's history).
        acquisition: Class or callable building an acquisition module from the fitted surrogate.
        n_initial: Size of the initial design (default: twice the number of parameters, clipped to [5, 10]).
        n_raw: Pool size of the acquisition optimizer.
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
        surrogate: GP | None = None,
        acquisition: AcquisitionFactory = LogExpectedImprovement,
        n_initial: int | None = None,
        n_raw: int = 1024,
        n_restarts: int = 10,
        seed: SeedLike = None,
        direction: Direction = "minimize",
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__(space, seed=seed, direction=direction)
        if surrogate is not None and not isinstance(surrogate, GP):
            raise TypeError(f"surrogate must be a bohpo GP, got {type(surrogate).__name__}")
        if not callable(acquisition):
            raise TypeError(f"acquisition must be a class or callable that builds a module, got {acquisition!r}")
        self.surrogate = GP() if surrogate is None else surrogate
        self.acquisition = acquisition
        default_initial = min(10, max(5, 2 * len(space)))
        self.n_initial = default_initial if n_initial is None else check_count(n_initial, "n_initial", minimum=1)
        self.n_raw = check_count(n_raw, "n_raw", minimum=1)
        self.n_restarts = check_count(n_restarts, "n_restarts", minimum=1)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.dtype = dtype
        self._design = space.sobol_engine(seed=derive_seed(self.seed, _INITIAL_STREAM))
        self._n_design = 0

    # -- proposing ----------------------------------------------------------------------------------------------
    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        completed = self.completed
        if len(completed) < self.n_initial:
            return self._space_filling(n)
        X = self.space.encode([t.params for t in completed], dtype=self.dtype, device=self.device)  # (n_obs, D)
        sign = 1.0 if self.direction == "minimize" else -1.0
        y = torch.tensor([sign * t.value for t in completed], dtype=self.dtype, device=self.device)  # type: ignore[operator]
        failed = [t.params for t in self.history if t.status is TrialStatus.FAILED]
        failed_X = self.space.encode(failed, dtype=self.dtype, device=self.device)  # (n_failed, D)
        try:
            # The acquisition optimizer differentiates through the model, whatever the caller's grad mode.
            with torch.inference_mode(False), torch.enable_grad():
                model = self.surrogate.fit(X, y)
                pending = self.pending
                if pending:
                    model = model.condition_on_mean(
                        self.space.encode([t.params for t in pending], dtype=self.dtype, device=self.device)
                    )
                return self.space.decode(self._batch(model, X, y, failed_X, n, generator))
        except CholeskyError as err:
            warnings.warn(
                f"BayesianOptimizer: the model failed ({err}); proposing space-filling points instead",
                NumericalWarning,
                stacklevel=3,
            )
            return self._space_filling(n)

    def _batch(self, model: GP, X: Tensor, y: Tensor, failed_X: Tensor, n: int, generator: torch.Generator) -> Tensor:
        """(n, D) points chosen one by one, each conditioning the model for the next (kriging believer).

        Observed, pending and failed points are never proposed again (a configuration that failed would otherwise
        keep winning: the model knows nothing of it)."""
        exclude = torch.cat([model.train_X, failed_X])
        incumbents = X[y.argsort()[:_N_INCUMBENTS]]
        chosen = []
        for i in range(n):
            x, _ = optimize_acquisition(
                self.acquisition(model), self.space, generator=generator, exclude=exclude, incumbents=incumbents,
                n_raw=self.n_raw, n_restarts=self.n_restarts, dtype=self.dtype, device=self.device,
            )  # fmt: skip
            chosen.append(x)
            if i + 1 < n:
                model = model.condition_on_mean(x.unsqueeze(0))
                exclude = torch.cat([model.train_X, failed_X])
        return torch.stack(chosen)

    def _space_filling(self, n: int) -> list[Config]:
        self._n_design += n
        return self.space.from_unit(self._design.draw(n, dtype=torch.float64))

    # -- state --------------------------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {"n_design": self._n_design, "surrogate": self.surrogate.warm_state()}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        n_design = check_count(state.get("n_design"), "state['n_design']")
        design = self.space.sobol_engine(seed=derive_seed(self.seed, _INITIAL_STREAM))
        if n_design:
            design.fast_forward(n_design)
        self.surrogate.load_warm_state(state.get("surrogate"))
        self._design, self._n_design = design, n_design
