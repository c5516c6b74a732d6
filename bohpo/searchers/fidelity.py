"""The multi-fidelity side of the searcher interface, shared by successive halving, Hyperband, ASHA and BOHB.

A multi-fidelity searcher's ``ask`` decides, trial by trial, which configuration to run at which budget: a new
configuration, or one already evaluated at a smaller budget, promoted. A promoted trial keeps the ``config_id`` of
the configuration's first trial, so the user's code can resume training from its checkpoint. ``tell`` is the usual
one: the value at the trial's budget.

Glossary:
    R       max_budget / min_budget;  eta the halving rate (keep the best 1/eta);  s_max = floor(log_eta R).

Model-based searchers (BOHB, ASHA with a proposer) draw new configurations from a
:class:`~bohpo.acquisition.Proposer` fitted on the evaluations at one budget: the largest budget with at least the
proposer's ``n_initial`` completed ones. There, failed evaluations and pending new configurations count as worse
than any value; a pending promotion keeps the value it has at that budget.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from typing import Any, overload

import torch

from bohpo._checks import finite_float
from bohpo.acquisition.propose import NUMERICAL_FAILURES, Proposer
from bohpo.errors import NumericalWarning
from bohpo.searchers.base import _MAX_REDRAWS, Direction, Searcher, synchronized
from bohpo.seeding import SeedLike
from bohpo.space import Config, Space
from bohpo.trial import Trial, TrialStatus

__all__ = ["MultiFidelitySearcher", "check_fidelity", "s_max"]


def check_fidelity(min_budget: Any, max_budget: Any, eta: Any) -> tuple[float, float, float]:
    """Validate a budget range and halving rate; returns them as floats."""
    low, high, rate = finite_float(min_budget), finite_float(max_budget), finite_float(eta)
    if low is None or low <= 0:
        raise ValueError(f"min_budget must be a positive finite number, got {min_budget!r}")
    if high is None or high <= low:
        raise ValueError(f"max_budget must be a finite number > min_budget = {low!r}, got {max_budget!r}")
    if rate is None or rate <= 1:
        raise ValueError(f"eta must be a finite number > 1, got {eta!r}")
    if high / low < rate * (1 - 1e-9):
        raise ValueError(
            f"max_budget / min_budget must be at least eta (room for one halving), got {high!r} / {low!r} < {rate!r}"
        )
    return low, high, rate


def s_max(min_budget: float, max_budget: float, eta: float) -> int:
    """floor(log_eta(max_budget / min_budget)): how many times the smallest budget can grow eta-fold."""
    return math.floor(math.log(max_budget / min_budget) / math.log(eta) + 1e-9)


class MultiFidelitySearcher(Searcher):
    """Base of the searchers that choose budgets. Subclasses implement :meth:`_next_trial`, which creates one trial
    with :meth:`_create` (and records where it belongs in their schedule), and set ``proposer`` to draw new
    configurations from a model (BOHB, model-based ASHA) instead of at random.

    Args:
        space: The search space.
        min_budget, max_budget: The budget range (epochs, trees, data fraction...), 0 < min_budget < max_budget.
        eta: Halving rate, > 1.
        seed, direction: As for every searcher.
    """

    def __init__(
        self, space: Space, *, min_budget: float, max_budget: float, eta: float, seed: SeedLike,
        direction: Direction,
    ) -> None:  # fmt: skip
        min_budget, max_budget, eta = check_fidelity(min_budget, max_budget, eta)
        super().__init__(space, seed=seed, direction=direction)
        self.min_budget, self.max_budget, self.eta = min_budget, max_budget, eta
        self.proposer: Proposer | None = None
        self._warned_full: set[float] = set()  # budgets at which no untaken configuration was found

    @overload
    def ask(self, n: None = None) -> Trial: ...

    @overload
    def ask(self, n: int) -> list[Trial]: ...

    @synchronized
    def ask(self, n: int | None = None) -> Trial | list[Trial]:
        """The next trial (or ``n`` of them): each says its configuration, its budget and its ``config_id``.

        A new configuration's trial starts a ``config_id``; a promoted configuration's trial carries the
        ``config_id`` of its evaluations at smaller budgets. A batch is all or nothing: if proposing one of its
        trials raises (a model's error, an interrupt), the trials already made are taken back and the schedule is
        as before the call.
        """
        saved = _copied(self._state())  # the state holds the live rung lists
        return self._ask_each(n, self._next_trial, restore=lambda: self._load_state(saved))

    def _next_trial(self, generator: torch.Generator) -> Trial:
        raise NotImplementedError

    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        raise NotImplementedError(f"{type(self).__name__} asks through its schedule, not _propose")

    @property
    def best(self) -> Trial | None:
        """The best complete trial at the largest budget any trial completed at (values at smaller budgets are
        cheaper estimates, not comparable), or ``None`` before any."""
        completed = self.completed
        if not completed:
            return None
        top = max(t.budget if t.budget is not None else self.max_budget for t in completed)
        at_top = [t for t in completed if (t.budget if t.budget is not None else self.max_budget) == top]
        return self._ranked(at_top)[0]

    def _taken(self, budget: float) -> set[tuple[Any, ...]]:
        """Keys of the configurations a new one must not repeat at ``budget``: those pending anywhere, and those
        already evaluated (or failed) at that budget, whose value a second run would only repeat."""
        taken = {self.space.key(t.params) for t in self._pending.values()}
        taken |= {self._keys[t.id] for t in self._history if t.budget == budget}
        return taken

    def _new_config(self, generator: torch.Generator, budget: float) -> Config:
        """A new configuration to run at ``budget``: the proposer's (see :meth:`_model_config`), or a random one
        where there is no proposer, the model gives none, or it gives one taken at ``budget`` (see
        :meth:`_taken`)."""
        config = None if self.proposer is None else self._model_config(self.proposer, generator)
        taken = self._taken(budget)
        if config is not None and self.space.key(config) not in taken:
            return config
        for _ in range(_MAX_REDRAWS):
            params = self.space.sample(1, generator=generator)[0]
            if self.space.key(params) not in taken:
                return params
        if budget not in self._warned_full:  # once per budget: a small space runs out for good
            self._warned_full.add(budget)
            warnings.warn(
                f"{type(self).__name__} found no configuration that is neither pending nor evaluated at budget "
                f"{budget:g} in {_MAX_REDRAWS} draws (the space may have few configurations left); from now on it "
                f"repeats some, as it does with {params!r}",
                RuntimeWarning,
                stacklevel=2,
            )
        return params

    # -- a model of new configurations (BOHB, model-based ASHA) ------------------------------------------------
    def _model_budget(self, min_points: int) -> float | None:
        """The largest budget with at least ``min_points`` completed evaluations, or None."""
        counts: dict[float, int] = {}
        for t in self._history:
            if t.status is TrialStatus.COMPLETE and t.budget is not None:
                counts[t.budget] = counts.get(t.budget, 0) + 1
        enough = [b for b, k in counts.items() if k >= min_points]
        return max(enough) if enough else None

    def _model_config(self, proposer: Proposer, generator: torch.Generator) -> Config | None:
        """A new configuration from ``proposer``, fitted at the largest budget with ``proposer.n_initial`` completed
        evaluations; None where it gives none: no budget has enough, the proposer's exploration policy asks for a
        random one, or the model failed (with a warning)."""
        budget = self._model_budget(proposer.n_initial)
        if budget is None:
            return None
        sign = 1.0 if self.direction == "minimize" else -1.0
        rows = [t for t in self._history if t.budget == budget]
        # failed trials count as worse than any value; a pruned one at the value it was stopped at
        values = [math.inf if t.value is None else sign * t.value for t in rows]
        # pending configurations count as worse than any value (constant liar), unless the model already has their
        # value at this budget (a promoted configuration)
        known = {t.config_id for t in rows}
        others = [t.params for t in self._pending.values() if t.config_id not in known]
        X = self.space.encode([t.params for t in rows] + others)  # (n_rows, D)
        y = torch.tensor(values + [math.inf] * len(others), dtype=torch.float64)
        if proposer.n_from_design(X, y, generator=generator):
            return None
        try:
            x = proposer.propose_by_model(X, y, generator=generator)
        except NUMERICAL_FAILURES as err:
            warnings.warn(
                f"{type(self).__name__}: the model failed ({err}); drawing a random configuration",
                NumericalWarning,
                stacklevel=3,
            )
            return None
        return self.space.decode(x)[0]

    def _settings(self) -> dict[str, Any]:
        """What a saved history must agree on with the searcher that loads it."""
        return {"min_budget": self.min_budget, "max_budget": self.max_budget, "eta": self.eta}

    def _check_settings(self, state: Mapping[str, Any]) -> None:
        for name, mine in self._settings().items():
            if state.get(name) != mine:
                raise ValueError(f"the history was saved with {name} = {state.get(name)!r}, this searcher has {mine!r}")

    def _create(self, params: Config, budget: float, config_id: int | None) -> Trial:
        """A pending trial of ``params`` at ``budget`` (``config_id`` None: a new configuration)."""
        trial = self._add_trial(params, budget=budget, started_at=time.time(), config_id=config_id)
        self._pending[trial.id] = trial
        return trial

    def _ranked(self, trials: list[Trial]) -> list[Trial]:
        """Best first in this searcher's direction; failed (and pending) trials last; ties in the order asked."""
        sign = 1.0 if self.direction == "minimize" else -1.0

        def key(t: Trial) -> tuple[float, int]:
            return (sign * t.value if t.status is TrialStatus.COMPLETE else math.inf, t.id)  # type: ignore[operator]

        return sorted(trials, key=key)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(min_budget={self.min_budget}, max_budget={self.max_budget}, eta={self.eta}, "
            f"n_trials={len(self._trials)}, n_pending={len(self._pending)}, seed={self.seed})"
        )


def _copied(value: Any) -> Any:
    """A copy of JSON-like state whose lists and dicts can be changed without changing ``value`` (lists of numbers
    are copied whole: a deep copy of ASHA's rungs, every trial id, would cost milliseconds an ask)."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value] if value and isinstance(value[0], (list, dict)) else list(value)
    return value
