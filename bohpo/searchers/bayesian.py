"""Bayesian optimization: a surrogate fitted on the history, an acquisition built from it, maximised over the space.

The step itself is a :class:`~bohpo.acquisition.Proposer`; this searcher turns its trials into the proposer's rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import partial
from typing import Any, cast

import torch

from bohpo._checks import check_device
from bohpo.acquisition.analytic import (
    ExpectedImprovement,
    LogExpectedImprovement,
    LogProbabilityOfImprovement,
    ProbabilityOfImprovement,
    UpperConfidenceBound,
)
from bohpo.acquisition.hypervolume import LogExpectedHypervolumeImprovement
from bohpo.acquisition.propose import (
    AcquisitionFactory,
    Proposer,
    acquisition_by_name,
    default_optimizer,
    describe,
)
from bohpo.objectives import ConstraintsArg, ObjectivesArg, selection_order
from bohpo.searchers.base import Direction, Searcher
from bohpo.seeding import SeedLike, derive_seed
from bohpo.space import Config, Space
from bohpo.surrogates.base import (
    DensityRatioSurrogate,
    GaussianSurrogate,
    GoodGroupCount,
    is_gaussian_surrogate,
    supports,
)
from bohpo.surrogates.gp import GP
from bohpo.surrogates.outputs import IndependentOutputs
from bohpo.trial import Trial

__all__ = ["BayesianOptimizer"]

_INITIAL_STREAM = 2  # seeding key of the initial design
_ONE_OUTPUT = (ExpectedImprovement, LogProbabilityOfImprovement, ProbabilityOfImprovement, UpperConfidenceBound)


class BayesianOptimizer(Searcher):
    """Bayesian optimization with a Gaussian or a density-ratio surrogate and any acquisition that suits it, on
    mixed spaces, in batches or asynchronously.

    Each ``ask`` hands the history to a :class:`~bohpo.acquisition.Proposer`: the told trials as encoded rows
    (failed ones valued +inf), their values (negated when maximising) and the pending trials. The first
    ``n_initial`` trials come from a scrambled Sobol design; after that the proposer fits the surrogate and
    maximises a fresh acquisition, and a batch repeats that, each chosen point informing the next, so its points are
    distinct and spread. With a Gaussian surrogate (GP) the fit uses the completed trials and pending points are
    valued at the posterior mean (kriging believer); the acquisition is maximised by
    :func:`~bohpo.acquisition.optimize_acquisition`. With a density-ratio surrogate (TPE) pending and failed trials
    join the bad group as worse than any value (constant liar), and the acquisition is maximised over draws from the
    good density (:func:`~bohpo.acquisition.optimize_by_sampling`). If the model fails numerically the searcher warns
    and proposes a space-filling point. Pass ``proposer=`` to choose every part (a joint q-batch rule, another
    acquisition optimizer, an exploration policy...).

    Args:
        space: The search space.
        surrogate: A :class:`~bohpo.surrogates.GaussianSurrogate` (default:
            :func:`~bohpo.acquisition.default_surrogate`) or a :class:`~bohpo.surrogates.DensityRatioSurrogate` such
            as :class:`~bohpo.surrogates.TPE`. Optional features it may have (``condition_on_mean``, ``lengthscale``,
            ``warm_state``; see :mod:`bohpo.surrogates.base`) are used; the warm state is part of the history.
        acquisition: Class or callable building an acquisition module from the fitted surrogate (default
            ``LogExpectedImprovement``), or its name: ``"logei"``, ``"ei"``, ``"logpi"``, ``"pi"``, ``"ucb"``.
        n_initial: Size of the initial design (default: twice the number of parameters, clipped to [5, 10]; 10 for
            a density-ratio surrogate, whose densities need a few points per group whatever the dimension).
        n_raw: Pool size of the acquisition optimizer (default 1024); for a density-ratio surrogate, the number of
            candidates drawn from l(x) (default 24).
        n_restarts: Restarts refined by gradient (default 10).
        proposer: A whole :class:`~bohpo.acquisition.Proposer` instead of the five arguments above (giving both is
            refused). The searcher reseeds its design from ``seed``.
        seed, direction: As for every :class:`Searcher`.
        objectives, constraints: Several objectives and outcome constraints (as for every :class:`Searcher`). With
            a GP (the default, or ``surrogate=GP(...)``), each objective and constraint gets its own copy of it
            (:class:`~bohpo.surrogates.IndependentOutputs`) and the acquisition is
            :class:`~bohpo.acquisition.LogExpectedHypervolumeImprovement` (exact log EHVI times the probability of
            feasibility; with one objective and constraints, log EI times it). With TPE, its good group is the
            best trials in :func:`~bohpo.objectives.selection_order` (feasible first, then by Pareto front and
            crowding distance), as Optuna's multi-objective and constrained TPE split.
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
        acquisition: AcquisitionFactory | str | None = None,
        n_initial: int | None = None,
        n_raw: int | None = None,
        n_restarts: int | None = None,
        proposer: Proposer | None = None,
        seed: SeedLike = None,
        direction: Direction = "minimize",
        objectives: ObjectivesArg = None,
        constraints: ConstraintsArg = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        usable_device = check_device(device)
        super().__init__(space, seed=seed, direction=direction, objectives=objectives, constraints=constraints)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
        parts = {"surrogate": surrogate, "acquisition": acquisition, "n_initial": n_initial, "n_raw": n_raw,
                 "n_restarts": n_restarts}  # fmt: skip
        outcomes = not self.objectives.is_plain and (self.objectives.is_multi or bool(self.objectives.constraints))
        if proposer is None:
            restarts = 10 if n_restarts is None else n_restarts
            if outcomes and (surrogate is None or isinstance(surrogate, (GP, IndependentOutputs))):
                if not isinstance(surrogate, IndependentOutputs):
                    surrogate = IndependentOutputs(
                        surrogate, n_objectives=self.objectives.count, n_constraints=len(self.objectives.constraints)
                    )
                acquisition = _outcome_acquisition(acquisition)
            proposer = Proposer(
                space, surrogate=surrogate, acquisition=LogExpectedImprovement if acquisition is None else acquisition,
                optimizer=default_optimizer(surrogate, n_raw=n_raw, n_restarts=restarts), n_initial=n_initial,
            )  # fmt: skip
        else:
            check_proposer(proposer, space, parts)
        self._check_outputs(proposer.surrogate, outcomes)
        proposer.claim(self)
        proposer.reseed(derive_seed(self.seed, _INITIAL_STREAM))
        self.proposer = proposer
        self.device = usable_device
        self.dtype = dtype
        self._told_ids: list[int] = []  # the trials whose rows _told_X holds, in the order told
        self._told_X = self._encode([])

    @property
    def surrogate(self) -> GaussianSurrogate | DensityRatioSurrogate:
        """The proposer's surrogate."""
        return self.proposer.surrogate

    @property
    def acquisition(self) -> AcquisitionFactory:
        """The proposer's acquisition factory."""
        return self.proposer.acquisition

    @property
    def n_initial(self) -> int:
        """Size of the proposer's initial design."""
        return self.proposer.n_initial

    def _check_outputs(self, surrogate: object, outcomes: bool) -> None:
        """Refuse, before any trial, a surrogate that does not fit the study's outcomes: an
        :class:`~bohpo.surrogates.IndependentOutputs` with other counts (or for one plain objective), or a one-output
        Gaussian surrogate for several objectives or constraints (it would be fitted to rank positions)."""
        m, k = self.objectives.count, len(self.objectives.constraints)
        if isinstance(surrogate, IndependentOutputs):
            if not outcomes or (surrogate.n_objectives, surrogate.n_constraints) != (m, k):
                raise ValueError(
                    f"the surrogate models {surrogate.n_objectives} objective(s) and {surrogate.n_constraints} "
                    f"constraint(s); this searcher has {m} and {k}"
                )
        elif outcomes and is_gaussian_surrogate(surrogate):
            raise TypeError(
                f"with several objectives or outcome constraints a Gaussian surrogate models each of them: give a GP "
                f"(one copy per output is made) or IndependentOutputs, not {type(surrogate).__name__}"
            )

    # -- proposing ----------------------------------------------------------------------------------------------
    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        told = self.history
        pending = self._encode([t.params for t in self.pending])  # (k, D)
        y = self._model_values(told).to(dtype=self.dtype, device=self.device)
        return self.proposer.propose(self._told_rows(told), y, pending=pending, n=n, generator=generator)

    def _model_values(self, told: list[Trial]) -> torch.Tensor:
        """What the proposer's surrogate is fitted on, one row per told trial, +inf for a failed one (the proposer
        keeps failed rows out of a GP, or below every value of a TPE). A pruned trial enters at the value it was
        stopped at, a pessimistic one where the metric improves with training.

        One objective without constraints: (n_told,) the values, minimised. Several outputs and a multi-output
        surrogate (:class:`~bohpo.surrogates.IndependentOutputs`): (n_told, m + k), the objectives minimised, then
        the constraint values. Several outputs and a one-output surrogate (TPE): (n_told,) each trial's position in
        :func:`~bohpo.objectives.selection_order` (feasible first, then by Pareto front and crowding distance; the
        front that a TPE's good group cuts is cut by hypervolume subset selection), so that TPE's good group is the
        best fronts, as in Optuna's multi-objective TPE."""
        if not self.objectives.is_multi and not self.objectives.constraints:
            sign = 1.0 if self.direction == "minimize" else -1.0
            return torch.tensor([math.inf if t.value is None else sign * t.value for t in told], dtype=torch.float64)
        Y, C = self._outcomes(told)
        if isinstance(self.proposer.surrogate, IndependentOutputs):
            return torch.cat([Y, C], -1)
        valued = torch.isfinite(Y).all(-1)
        surrogate = self.proposer.surrogate
        first = (
            cast(GoodGroupCount, surrogate).good_count(int(valued.sum()))
            if supports(surrogate, GoodGroupCount)
            else None
        )
        order = selection_order(Y[valued], C[valued], first=first)
        positions = torch.empty(order.shape[0], dtype=torch.float64)
        positions[order] = torch.arange(order.shape[0], dtype=torch.float64)
        scores = torch.full((len(told),), math.inf, dtype=torch.float64)
        scores[valued] = positions
        return scores

    def _encode(self, configs: list[Config]) -> torch.Tensor:
        return self.space.encode(configs, dtype=self.dtype, device=self.device)

    def _told_rows(self, told: list[Trial]) -> torch.Tensor:
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

    # -- state --------------------------------------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        return {**self.proposer.settings(), "dtype": str(self.dtype)}

    def _state(self) -> dict[str, Any]:
        return self.proposer.state()

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self.proposer.load_state(state, seed=derive_seed(self.seed, _INITIAL_STREAM))


def _outcome_acquisition(acquisition: AcquisitionFactory | str | None) -> AcquisitionFactory:
    """The GP's acquisition for several objectives or constraints: LogEHVI for ``None`` or LogEI (LogEI's form for
    several outcomes; with one objective and constraints, LogEI times the probability of feasibility); a factory
    that scores one output is refused; any other is the caller's."""
    chosen = None if acquisition is None else acquisition_by_name(acquisition)
    factory = chosen.func if isinstance(chosen, partial) else chosen
    if factory in _ONE_OUTPUT:
        raise TypeError(
            f"{describe(chosen)} scores one output; with several objectives or outcome constraints the GP's "
            "acquisition is LogExpectedHypervolumeImprovement (the default)"
        )
    return LogExpectedHypervolumeImprovement if chosen in (None, LogExpectedImprovement) else chosen


def check_proposer(proposer: object, space: Space, parts: Mapping[str, object]) -> None:
    """Refuse a ``proposer`` given with any of the ``parts`` it replaces, or one that is not a Proposer of
    ``space``."""
    given = [name for name, value in parts.items() if value is not None]
    if given:
        raise TypeError(f"pass either proposer= or {', '.join(f'{n}=' for n in given)}, not both: the proposer "
                        "holds the surrogate, the acquisition and their settings")  # fmt: skip
    if not isinstance(proposer, Proposer):
        raise TypeError(f"proposer must be a bohpo Proposer, got {type(proposer).__name__}")
    if proposer.space != space:
        raise ValueError(f"the proposer was built for another space: {proposer.space!r}")
