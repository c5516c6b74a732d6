"""Synchronous multi-fidelity search: successive halving, Hyperband and BOHB.

Glossary:
    R       max_budget / min_budget, the range of budgets;  eta the halving rate (keep the best 1/eta).
    s_max   floor(log_eta R): the number of halvings of the most aggressive bracket.
    bracket one run of successive halving: rungs i = 0..s, rung i evaluates n_i configurations at budget r_i, and
            the best n_{i+1} of them (n_{i+1} = floor(n_i / eta)) move on to rung i + 1.
    Hyperband bracket s (Li et al. 2018): n = ceil((s_max + 1) / (s + 1) * eta^s) configurations,
            n_i = floor(n eta^-i), r_i = max_budget eta^(i - s), for s = s_max, s_max - 1, ..., 0, then again.

A rung is promoted once every trial of the rung below is told; only completed trials are promoted (a rung gets
fewer configurations when failures leave fewer than n_i). While the open brackets
wait for stragglers, ``ask`` opens the next bracket of the schedule, so workers never idle. A promoted
configuration keeps its ``config_id``. The brackets (which trials sit on which rung) are part of the saved history,
so a searcher rebuilt from it continues the same schedule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from bohpo._checks import check_count, finite_float
from bohpo.acquisition.analytic import ExpectedImprovement
from bohpo.acquisition.propose import AcquisitionFactory, Proposer, RandomFraction, default_optimizer
from bohpo.searchers.base import Direction
from bohpo.searchers.bayesian import check_proposer
from bohpo.searchers.fidelity import MultiFidelitySearcher, check_fidelity, s_max
from bohpo.seeding import SeedLike
from bohpo.space import Space
from bohpo.surrogates.base import DensityRatioSurrogate, GaussianSurrogate, is_gaussian_surrogate
from bohpo.surrogates.tpe import TPE
from bohpo.trial import Trial, TrialStatus

__all__ = ["BOHB", "Hyperband", "SuccessiveHalving", "hyperband_brackets", "successive_halving_rungs"]

Rungs = list[tuple[int, float]]  # (configurations, budget) of each rung of a bracket


def successive_halving_rungs(n_configs: int, s: int, max_budget: float, eta: float) -> Rungs:
    """Rungs of one bracket: ``n_configs`` configurations halved ``s`` times, ending at ``max_budget``.

    Returns:
        ``[(n_i, r_i)]`` for i = 0..s, n_i = floor(n_configs eta^-i), r_i = max_budget eta^(i - s); rungs that
        would hold no configuration are dropped.
    """
    rungs = []
    for i in range(s + 1):
        n_i = math.floor(n_configs / eta**i + 1e-9)
        if n_i < 1:
            break
        rungs.append((n_i, max_budget / eta ** (s - i)))
    return rungs


def hyperband_brackets(min_budget: float, max_budget: float, eta: float = 3) -> list[Rungs]:
    """Hyperband's brackets, most aggressive first (Li et al. 2018, Algorithm 1).

    Example (the paper's table for R = 81, eta = 3):
        >>> [[(n, int(r)) for n, r in rungs] for rungs in hyperband_brackets(1, 81, 3)][:2]
        [[(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)], [(34, 3), (11, 9), (3, 27), (1, 81)]]
    """
    min_budget, max_budget, eta = check_fidelity(min_budget, max_budget, eta)
    most = s_max(min_budget, max_budget, eta)
    brackets = []
    for s in range(most, -1, -1):
        n = math.ceil((most + 1) / (s + 1) * eta**s - 1e-9)
        brackets.append(successive_halving_rungs(n, s, max_budget, eta))
    return brackets


class _Bracket:
    """One bracket in progress: its rungs, and the trial ids asked on each."""

    def __init__(self, index: int, rungs: Rungs, asked: list[list[int]] | None = None) -> None:
        self.index, self.rungs = index, rungs
        self.asked: list[list[int]] = asked if asked is not None else [[] for _ in rungs]

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "asked": self.asked}


class _SynchronousHalving(MultiFidelitySearcher):
    """Shared machinery: a schedule of brackets, opened one after another; subclasses say which brackets and how
    new configurations are drawn."""

    def __init__(
        self, space: Space, *, min_budget: float, max_budget: float, eta: float, seed: SeedLike,
        direction: Direction,
    ) -> None:  # fmt: skip
        super().__init__(space, min_budget=min_budget, max_budget=max_budget, eta=eta, seed=seed, direction=direction)
        self._brackets: list[_Bracket] = []  # open ones, oldest first
        self._n_opened = 0

    # -- what subclasses say ------------------------------------------------------------------------------------
    def _schedule(self, index: int) -> Rungs:
        """Rungs of the ``index``-th bracket opened."""
        raise NotImplementedError

    # -- asking -------------------------------------------------------------------------------------------------
    def _next_trial(self, generator: torch.Generator) -> Trial:
        for bracket in self._brackets:
            trial = self._job(bracket, generator)
            if trial is not None:
                return trial
        bracket = _Bracket(self._n_opened, self._schedule(self._n_opened))
        self._n_opened += 1
        self._brackets.append(bracket)
        trial = self._job(bracket, generator)
        assert trial is not None  # a fresh bracket always has a configuration to start
        return trial

    def _job(self, bracket: _Bracket, generator: torch.Generator) -> Trial | None:
        """The bracket's next trial, created and registered, or None while it waits for trials to be told."""
        for i, (_, budget) in enumerate(bracket.rungs):
            asked = bracket.asked[i]
            size = self._rung_size(bracket, i)
            if size is None:
                return None  # the rung below still has trials out
            if len(asked) >= size:
                continue
            if i == 0:
                trial = self._create(self._new_config(generator, budget), budget, None)
            else:
                below = [self._trials[t] for t in bracket.asked[i - 1]]
                promoted = {self._trials[t].config_id for t in asked}
                best = next(t for t in self._completed_best(below)[:size] if t.config_id not in promoted)
                trial = self._create(dict(best.params), budget, best.config_id)
            asked.append(trial.id)
            self._retire()
            return trial
        return None

    def _rung_size(self, bracket: _Bracket, i: int) -> int | None:
        """How many trials rung i gets: n_0 on the first rung; above, n_i or fewer if fewer trials completed
        below (a failed trial is never promoted); None while the rung below is not all asked and told."""
        n_i = bracket.rungs[i][0]
        if i == 0:
            return n_i
        below = bracket.asked[i - 1]
        below_size = self._rung_size(bracket, i - 1)
        if below_size is None or len(below) < below_size:
            return None
        trials = [self._trials[t] for t in below]
        if any(t.status is TrialStatus.PENDING for t in trials):
            return None
        return min(n_i, sum(t.status is TrialStatus.COMPLETE for t in trials))

    def _completed_best(self, trials: list[Trial]) -> list[Trial]:
        return self._ranked([t for t in trials if t.status is TrialStatus.COMPLETE])

    def _retire(self) -> None:
        """Drop brackets whose every rung is asked and told."""

        def finished(bracket: _Bracket) -> bool:
            for i, asked in enumerate(bracket.asked):
                size = self._rung_size(bracket, i)
                if size is None or len(asked) < size:
                    return False
            return all(self._trials[t].is_finished for a in bracket.asked for t in a)

        self._brackets = [b for b in self._brackets if not finished(b)]

    def _on_tell(self, trial: Trial) -> None:
        self._retire()

    # -- state --------------------------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {
            **self._settings(),
            "n_opened": self._n_opened,
            "brackets": [b.to_json() for b in self._brackets],
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self._check_settings(state)
        n_opened = check_count(state.get("n_opened"), "state['n_opened']")
        brackets = []
        for row in state.get("brackets", []):
            index = check_count(row.get("index"), "bracket index")
            rungs = self._schedule(index)
            asked = [[check_count(t, "trial id") for t in ids] for ids in row.get("asked", [])]
            ids = [t for rung in asked for t in rung]
            if (
                index >= n_opened
                or len(asked) != len(rungs)
                or len(set(ids)) != len(ids)
                or any(t not in self._trials for t in ids)
                or any(len(a) > n for a, (n, _) in zip(asked, rungs, strict=True))
                or any(self._trials[t].budget != r for a, (_, r) in zip(asked, rungs, strict=True) for t in a)
            ):
                raise ValueError(f"malformed history: bracket {row!r} does not fit the schedule or the trials")
            brackets.append(_Bracket(index, rungs, asked))
        self._n_opened, self._brackets = n_opened, brackets


class SuccessiveHalving(_SynchronousHalving):
    """Successive halving (Jamieson & Talwalkar 2016): ``n_configs`` random configurations at the smallest budget,
    the best 1/eta of each rung promoted to a budget eta times larger, up to ``max_budget``; then again with new
    configurations.

    Args:
        space: The search space.
        min_budget, max_budget: The budget range (epochs, trees, data fraction...), 0 < min_budget < max_budget.
        eta: Halving rate, > 1 (3 by default: keep the best third).
        n_configs: Configurations per bracket (default eta^s_max, so the last rung holds one). With fewer, the
            bracket halves fewer times and starts at a larger budget, so it still ends at ``max_budget``.
        seed, direction: As for every searcher.

    Example:
        >>> from bohpo.space import Float, Space
        >>> sh = SuccessiveHalving(Space({"x": Float(0.0, 1.0)}), min_budget=1, max_budget=9, eta=3, seed=0)
        >>> [(n, r) for n, r in sh.rungs]
        [(9, 1.0), (3, 3.0), (1, 9.0)]
    """

    def __init__(
        self,
        space: Space,
        min_budget: float,
        max_budget: float,
        eta: float = 3,
        *,
        n_configs: int | None = None,
        seed: SeedLike = None,
        direction: Direction = "minimize",
    ) -> None:
        super().__init__(space, min_budget=min_budget, max_budget=max_budget, eta=eta, seed=seed, direction=direction)
        most = s_max(self.min_budget, self.max_budget, self.eta)
        default = math.ceil(self.eta**most - 1e-9)
        self.n_configs = default if n_configs is None else check_count(n_configs, "n_configs", minimum=1)
        # as many halvings as the configurations allow (the last rung holds one or more, at max_budget)
        s = min(most, math.floor(math.log(self.n_configs) / math.log(self.eta) + 1e-9))
        self.rungs = successive_halving_rungs(self.n_configs, s, self.max_budget, self.eta)

    def _schedule(self, index: int) -> Rungs:
        return self.rungs

    def _settings(self) -> dict[str, Any]:
        return {**super()._settings(), "n_configs": self.n_configs}


class Hyperband(_SynchronousHalving):
    """Hyperband (Li et al. 2018): successive halving over every trade-off between the number of configurations
    and their budget, the brackets of :func:`hyperband_brackets` in turn, again and again.

    Args:
        space: The search space.
        min_budget, max_budget: The budget range, 0 < min_budget < max_budget.
        eta: Halving rate, > 1 (default 3).
        seed, direction: As for every searcher.

    Example:
        >>> from bohpo.space import Float, Space
        >>> hb = Hyperband(Space({"x": Float(0.0, 1.0)}), min_budget=1, max_budget=81, seed=0)
        >>> trial = hb.ask()
        >>> trial.budget, trial.config_id
        (1.0, 0)
    """

    def __init__(
        self,
        space: Space,
        min_budget: float,
        max_budget: float,
        eta: float = 3,
        *,
        seed: SeedLike = None,
        direction: Direction = "minimize",
    ) -> None:
        super().__init__(space, min_budget=min_budget, max_budget=max_budget, eta=eta, seed=seed, direction=direction)
        self.brackets = hyperband_brackets(self.min_budget, self.max_budget, self.eta)

    def _schedule(self, index: int) -> Rungs:
        return self.brackets[index % len(self.brackets)]


class BOHB(Hyperband):
    """BOHB (Falkner et al. 2018): Hyperband whose new configurations come from a model.

    A new configuration is random with probability ``random_fraction``; otherwise a
    :class:`~bohpo.acquisition.Proposer` is fitted on the evaluations at the largest budget that has enough of them
    (``min_points``; failed and pending new configurations count as worse than any value there) and proposes it.
    Before any budget has enough evaluations, configurations are random. If the model fails numerically the
    searcher warns and draws a random configuration.

    Args:
        space: The search space.
        min_budget, max_budget, eta: As for :class:`Hyperband`.
        surrogate: Any surrogate ``BayesianOptimizer`` takes (default ``TPE(gamma=0.15)``, BOHB's 15% split);
            a GP drives it too.
        acquisition: Built from the fitted surrogate (default ``ExpectedImprovement``).
        random_fraction: Share of new configurations drawn at random, in [0, 1] (default 1/3): the proposer's
            exploration policy, :class:`~bohpo.acquisition.RandomFraction`.
        min_points: Evaluations a budget needs before its model is used (default: parameters + 3, the paper's
            N_min + 2 with N_min = d + 1): the proposer's ``n_initial``.
        n_raw: Candidates drawn from l(x) for a density-ratio model (default 64), the pool of the acquisition
            optimizer for a Gaussian one (default 512).
        proposer: A whole :class:`~bohpo.acquisition.Proposer` instead of the five arguments above (giving both is
            refused). Its ``n_initial`` is ``min_points`` and its exploration policy decides which configurations
            are random; its initial design is not used (a configuration not from the model is drawn at random).
        seed, direction: As for every searcher.
    """

    def __init__(
        self,
        space: Space,
        min_budget: float,
        max_budget: float,
        eta: float = 3,
        *,
        surrogate: GaussianSurrogate | DensityRatioSurrogate | None = None,
        acquisition: AcquisitionFactory | str | None = None,
        random_fraction: float | None = None,
        min_points: int | None = None,
        n_raw: int | None = None,
        proposer: Proposer | None = None,
        seed: SeedLike = None,
        direction: Direction = "minimize",
    ) -> None:
        super().__init__(space, min_budget, max_budget, eta, seed=seed, direction=direction)
        parts = {"surrogate": surrogate, "acquisition": acquisition, "random_fraction": random_fraction,
                 "min_points": min_points, "n_raw": n_raw}  # fmt: skip
        if proposer is not None:
            check_proposer(proposer, space, parts)
        else:
            proposer = bohb_proposer(
                space, surrogate=surrogate, acquisition=acquisition, random_fraction=random_fraction,
                min_points=min_points, n_raw=n_raw,
            )  # fmt: skip
        proposer.claim(self)
        self.proposer = proposer

    @property
    def _model(self) -> Proposer:
        """The proposer, which BOHB always has."""
        assert self.proposer is not None
        return self.proposer

    @property
    def surrogate(self) -> GaussianSurrogate | DensityRatioSurrogate:
        """The proposer's surrogate."""
        return self._model.surrogate

    @property
    def min_points(self) -> int:
        """Completed evaluations a budget needs before its model is used (the proposer's ``n_initial``)."""
        return self._model.n_initial

    def model_budget(self) -> float | None:
        """The largest budget with at least ``min_points`` completed evaluations, or None."""
        return self._model_budget(self.min_points)

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "proposer": self._model.state()}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        if "proposer" in state:  # histories saved before the proposer's state was kept have none
            self._model.load_state(state["proposer"])
        super()._load_state(state)


def bohb_proposer(
    space: Space,
    *,
    surrogate: GaussianSurrogate | DensityRatioSurrogate | None = None,
    acquisition: AcquisitionFactory | str | None = None,
    random_fraction: float | None = None,
    min_points: int | None = None,
    n_raw: int | None = None,
) -> Proposer:
    """The proposer of BOHB's new configurations (the arguments and defaults of :class:`BOHB`); model-based ASHA
    takes one too."""
    fraction = 1 / 3 if random_fraction is None else finite_float(random_fraction)
    if fraction is None or not 0 <= fraction <= 1:
        raise ValueError(f"random_fraction must be a number in [0, 1], got {random_fraction!r}")
    model = TPE(gamma=0.15) if surrogate is None else surrogate
    default_raw = 512 if is_gaussian_surrogate(model) else 64
    return Proposer(
        space, surrogate=model, acquisition=ExpectedImprovement if acquisition is None else acquisition,
        optimizer=default_optimizer(model, n_raw=default_raw if n_raw is None else n_raw),
        exploration=RandomFraction(fraction),
        n_initial=len(space) + 3 if min_points is None else check_count(min_points, "min_points", minimum=1),
    )  # fmt: skip
