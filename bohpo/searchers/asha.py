"""Asynchronous successive halving (ASHA; Li et al. 2020): successive halving for many workers, where no rung ever
waits for stragglers.

Glossary:
    K       the top rung: floor(log_eta(max_budget / min_budget)) - min_early_stopping_rate.
    rung k  budget max_budget eta^(k - K), k = 0..K: the smallest is at least min_budget, the top one max_budget.

Each ``ask`` looks at the rungs from the top down: in rung k, the best floor(n_k / eta) of its n_k completed trials are
promotable, and the first of them not yet promoted goes up to rung k + 1 (keeping its ``config_id``). Only when no
rung has a promotable configuration does a new configuration start at rung 0 (Algorithm 2 of the paper): a random
one, or, given a :class:`~bohpo.acquisition.Proposer`, one from a model fitted on the largest rung with enough
completed evaluations, as BOHB does (model-based ASHA).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from bohpo._checks import check_count
from bohpo.acquisition.propose import Proposer
from bohpo.searchers.base import Direction
from bohpo.searchers.fidelity import MultiFidelitySearcher, s_max
from bohpo.seeding import SeedLike
from bohpo.space import Space
from bohpo.trial import Trial, TrialStatus

__all__ = ["AsyncSuccessiveHalving"]


class AsyncSuccessiveHalving(MultiFidelitySearcher):
    """ASHA: promote a configuration as soon as it is in the top 1/eta of the trials completed on its rung.

    Args:
        space: The search space.
        min_budget, max_budget: The budget range, 0 < min_budget < max_budget.
        eta: Halving rate, > 1 (default 3).
        min_early_stopping_rate: s in the paper: rungs skipped at the bottom (the smallest budget is
            min_budget eta^s), >= 0 and below the number of halvings the range allows.
        proposer: Where new configurations come from once a rung has the proposer's ``n_initial`` completed
            evaluations: the proposer fitted on the largest such rung (failed and pending new configurations count
            as worse than any value), its exploration policy choosing random ones. Default None: always random.
            Its initial design is not used. :func:`~bohpo.searchers.hyperband.bohb_proposer` builds BOHB's.
        seed, direction: As for every searcher.

    Example:
        >>> from bohpo.space import Float, Space
        >>> asha = AsyncSuccessiveHalving(Space({"x": Float(0.0, 1.0)}), min_budget=1, max_budget=9, seed=0)
        >>> asha.budgets
        [1.0, 3.0, 9.0]
    """

    def __init__(
        self,
        space: Space,
        min_budget: float,
        max_budget: float,
        eta: float = 3,
        *,
        min_early_stopping_rate: int = 0,
        proposer: Proposer | None = None,
        seed: SeedLike = None,
        direction: Direction = "minimize",
    ) -> None:
        super().__init__(space, min_budget=min_budget, max_budget=max_budget, eta=eta, seed=seed, direction=direction)
        halvings = s_max(self.min_budget, self.max_budget, self.eta)
        rate = check_count(min_early_stopping_rate, "min_early_stopping_rate")
        if rate >= halvings:  # at least one promotion must remain
            raise ValueError(
                f"min_early_stopping_rate must be at most {halvings - 1} (one less than the {halvings} halvings from "
                f"{self.min_budget} to {self.max_budget} at eta = {self.eta}), got {rate}"
            )
        self.min_early_stopping_rate = rate
        top = halvings - rate
        self.budgets = [self.max_budget / self.eta ** (top - k) for k in range(top + 1)]
        self._rungs: list[list[int]] = [[] for _ in self.budgets]  # trial ids asked on each rung
        if proposer is not None and not isinstance(proposer, Proposer):
            raise TypeError(f"proposer must be a bohpo Proposer or None, got {type(proposer).__name__}")
        if proposer is not None and proposer.space != space:
            raise ValueError(f"the proposer was built for another space: {proposer.space!r}")
        if proposer is not None:
            proposer.claim(self)
        self.proposer = proposer

    def _next_trial(self, generator: torch.Generator) -> Trial:
        for k in range(len(self.budgets) - 2, -1, -1):
            done = [self._trials[t] for t in self._rungs[k] if self._trials[t].status is TrialStatus.COMPLETE]
            above = {self._trials[t].config_id for t in self._rungs[k + 1]}
            for candidate in self._ranked(done)[: math.floor(len(done) / self.eta + 1e-9)]:
                if candidate.config_id not in above:
                    trial = self._create(dict(candidate.params), self.budgets[k + 1], candidate.config_id)
                    self._rungs[k + 1].append(trial.id)
                    return trial
        trial = self._create(self._new_config(generator, self.budgets[0]), self.budgets[0], None)
        self._rungs[0].append(trial.id)
        return trial

    def model_budget(self) -> float | None:
        """The largest budget with at least the proposer's ``n_initial`` completed evaluations (None without a
        proposer, or before any has enough)."""
        return None if self.proposer is None else self._model_budget(self.proposer.n_initial)

    def rung_of(self, trial: Trial) -> int | None:
        """The rung ``trial`` was asked on, or None for a trial ASHA did not schedule (told from elsewhere)."""
        for k, ids in enumerate(self._rungs):
            if trial.id in ids:
                return k
        return None

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "min_early_stopping_rate": self.min_early_stopping_rate}

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = {**self._settings(), "rungs": self._rungs}
        if self.proposer is not None:
            state["proposer"] = self.proposer.state()
        return state

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self._check_settings(state)
        rungs = [[check_count(t, "trial id") for t in ids] for ids in state.get("rungs", [])]
        ids = [t for rung in rungs for t in rung]
        if (
            len(rungs) != len(self.budgets)
            or len(set(ids)) != len(ids)
            or any(t not in self._trials for t in ids)
            or any(self._trials[t].budget != b for rung, b in zip(rungs, self.budgets, strict=True) for t in rung)
        ):
            raise ValueError(f"malformed history: rungs {rungs!r} do not fit {len(self.budgets)} rungs or the trials")
        if self.proposer is not None and "proposer" in state:  # older histories have no proposer state
            self.proposer.load_state(state["proposer"])
        self._rungs = rungs
