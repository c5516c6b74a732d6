"""Population-based training (Jaderberg et al. 2017): a population trains in segments, and at the end of each
segment a member among the worst copies the training state of one among the best and perturbs its hyperparameters.

A trial is one segment of one member's training:

- ``trial.config_id`` is the member (the id of its first trial);
- ``trial.checkpoint`` is the trial whose final state the segment starts from: the member's own last segment
  (continue), the last segment of a better member (exploit), or ``None`` for a member's first segment (from scratch);
- ``trial.budget`` is the step the segment trains up to (a member's first segment trains to ``interval``, each next
  one ``interval`` further than its checkpoint's budget);
- ``trial.params`` are the hyperparameters for the segment.

The training code keeps each trial's final state under the trial's id and starts a trial from
``trial.checkpoint``'s (:meth:`PopulationBasedTraining.schedule` gives a member's hyperparameters over its steps).

When a member's segment ends (it is told), the member is *ready*: at its next ask it is ranked among the members
that reached the same step, by the value of their segment that ended there. In the bottom ``quantile`` it exploits
(truncation selection, as the paper): it takes the checkpoint (at that step) and hyperparameters of a member drawn
uniformly from the top ``quantile``, then
explores: each hyperparameter is, with probability ``resample_probability``, drawn anew from the space, and
otherwise a number is multiplied by one of ``perturbation``'s factors (0.8 or 1.2) and kept in its bounds (an int
moves by at least one), a categorical kept. Otherwise the member continues from its own checkpoint with its own
hyperparameters. A failed segment ranks below every value and leaves no state: its member goes again from the step
the segment started at, from a top member's state there (explored as above), or drawn anew at step 0. The member
that is furthest behind asks first, so the population advances together, and asynchronous workers each take a ready
member. A configuration told from elsewhere is refused: it has no training state to continue.

Everything is a function of the history and the per-ask generator, so ``ask(n)``, workers and JSON resume need no
other state. PBT runs at most ``population_size`` trials at once: an ask when every member is training or finished
raises :class:`~bohpo.errors.SearchExhausted`, saying which.

Why written here: PBT is a schedule over checkpoints, not an optimizer a library offers behind ask and tell (Ray
Tune's owns the training loop).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, overload

import torch

from bohpo._checks import check_count, check_probability, finite_float
from bohpo.errors import SearchExhausted
from bohpo.searchers.base import Direction, Searcher, synchronized
from bohpo.seeding import SeedLike
from bohpo.space import Categorical, Config, Float, Int, Space
from bohpo.trial import Trial, TrialStatus

__all__ = ["PopulationBasedTraining"]


class PopulationBasedTraining(Searcher):
    """Population-based training over ``space``'s hyperparameters.

    Args:
        space: The hyperparameters that may change during training.
        population_size: Members training side by side, >= 2.
        interval: Steps per segment (between two ready points), >= 1.
        max_step: The step a member's training ends at, > interval.
        quantile: The fraction of the population that is the bottom (exploits) and the top (is copied), in (0, 0.5].
        perturbation: Factors a number is multiplied by when explored, one drawn uniformly.
        resample_probability: Probability that an explored hyperparameter is drawn anew from the space.
        initial: The first members' hyperparameters (the rest are drawn from the space).
        seed, direction: As for every searcher.

    Example:
        The PBT paper's toy (``PBTToy``): two members start from h = (1, 0) and (0, 1), whose best trained alone
        ends at loss 0.8242; the training code keeps each trial's final state and starts from its checkpoint's.

        >>> from bohpo.problems import PBTToy
        >>> toy = PBTToy()
        >>> paper = [{"h0": 1.0, "h1": 0.0}, {"h0": 0.0, "h1": 1.0}]
        >>> pbt = PopulationBasedTraining(toy.space, population_size=2, interval=4, max_step=100, initial=paper, seed=0)
        >>> states = {}
        >>> while not pbt.finished:
        ...     trial = pbt.ask()
        ...     state, loss = toy.train(trial.params, states.get(trial.checkpoint), until=int(trial.budget))
        ...     states[trial.id] = state
        ...     _ = pbt.tell(trial, loss)
        >>> round(pbt.best.value, 4), len(pbt.trials)
        (0.0444, 50)
    """

    def __init__(
        self,
        space: Space,
        *,
        population_size: int = 8,
        interval: int,
        max_step: int,
        quantile: float = 0.25,
        perturbation: tuple[float, ...] = (0.8, 1.2),
        resample_probability: float = 0.25,
        initial: Sequence[Mapping[str, Any]] = (),
        seed: SeedLike = None,
        direction: Direction = "minimize",
    ) -> None:
        super().__init__(space, seed=seed, direction=direction)
        if isinstance(initial, Mapping) or not isinstance(initial, Sequence):
            raise TypeError(f"initial must be a sequence of configurations, got {type(initial).__name__}")
        checked = []
        for i, config in enumerate(initial):
            try:
                checked.append(space.validate(config))
            except (TypeError, ValueError) as err:
                raise type(err)(f"initial[{i}]: {err}") from None
        self.population_size = check_count(population_size, "population_size", minimum=2)
        self.interval = check_count(interval, "interval", minimum=1)
        self.max_step = check_count(max_step, "max_step", minimum=self.interval + 1)
        q = finite_float(quantile)
        if q is None or not 0.0 < q <= 0.5:
            raise ValueError(f"quantile must be in (0, 0.5], got {quantile!r}")
        self.quantile = q
        factors = tuple(finite_float(f) for f in perturbation) if isinstance(perturbation, (tuple, list)) else ()
        if not factors or any(f is None or f <= 0 for f in factors):
            raise ValueError(f"perturbation must be a non-empty tuple of positive factors, got {perturbation!r}")
        self.perturbation: tuple[float, ...] = tuple(float(f) for f in factors)  # type: ignore[arg-type]
        self.resample_probability = check_probability(resample_probability, "resample_probability")
        if len(checked) > self.population_size:
            raise ValueError(
                f"initial has {len(checked)} configurations, more than population_size = {population_size}"
            )
        self.initial = checked

    def _settings(self) -> dict[str, Any]:
        return {
            "population_size": self.population_size, "interval": self.interval, "max_step": self.max_step,
            "quantile": self.quantile, "perturbation": list(self.perturbation),
            "resample_probability": self.resample_probability,
            "initial": [self.space.config_to_json(c) for c in self.initial],
        }  # fmt: skip

    # -- the population -----------------------------------------------------------------------------------------
    def members(self) -> dict[int, list[Trial]]:
        """``{member: its segments in order}`` (a member is the id of its first trial)."""
        out: dict[int, list[Trial]] = {}
        for trial in self._trials.values():
            out.setdefault(trial.config_id, []).append(trial)  # type: ignore[arg-type]
        return out

    def schedule(self, member: int) -> list[tuple[float, float, Config]]:
        """A member's hyperparameter schedule: ``(from_step, to_step, params)`` per segment, following the
        checkpoints back to the start (so a member that copied another's training shows the other's early
        schedule, as its weights saw it)."""
        segments = self.members()[member]
        chain, trial = [], segments[-1]
        while True:
            chain.append(trial)
            if trial.checkpoint is None:
                break
            trial = self._trials[trial.checkpoint]
        out = []
        for t in reversed(chain):
            start = 0.0 if t.checkpoint is None else float(self._trials[t.checkpoint].budget or 0.0)
            out.append((start, float(t.budget or 0.0), dict(t.params)))
        return out

    @property
    def finished(self) -> bool:
        """Whether every member has trained to ``max_step`` (and nothing is pending)."""
        members = self.members()
        return (
            len(members) == self.population_size
            and not self._pending
            and all(self._done(segments[-1]) for segments in members.values())
        )

    def _done(self, trial: Trial) -> bool:
        """Whether a member whose last segment is ``trial`` has trained to the end (a failed last segment has not)."""
        return trial.value is not None and (trial.budget or 0.0) >= self.max_step

    def _start_step(self, trial: Trial) -> float:
        """The step a segment starts from: its checkpoint's budget, 0 from scratch."""
        return 0.0 if trial.checkpoint is None else float(self._trials[trial.checkpoint].budget or 0.0)

    def _ready(self, members: dict[int, list[Trial]]) -> list[int]:
        """Members whose last segment was told and who have not trained to the end."""
        return [m for m, segments in members.items() if segments[-1].is_finished and not self._done(segments[-1])]

    @property
    def best(self) -> Trial | None:
        """The best complete segment that trained to ``max_step``, else the best complete segment so far."""
        full = [t for t in self.completed if (t.budget or 0.0) >= self.max_step]
        pool = full or self.completed
        if not pool:
            return None
        sign = 1.0 if self.direction == "minimize" else -1.0
        return min(pool, key=lambda t: (sign * t.value, t.id))  # type: ignore[operator]

    # -- ask ----------------------------------------------------------------------------------------------------
    @overload
    def ask(self, n: None = None) -> Trial: ...

    @overload
    def ask(self, n: int) -> list[Trial]: ...

    @synchronized
    def ask(self, n: int | None = None) -> Trial | list[Trial]:
        """The next segment, or ``n`` of them (fewer when fewer members are ready): a new member's first, or a ready
        member's next (continue or exploit).

        Raises:
            SearchExhausted: no member is ready: all are training or done (nothing changes).
        """
        members = self.members()
        available = self.population_size - len(members) + len(self._ready(members))
        if available == 0:
            training = sum(1 for segments in members.values() if segments[-1].status is TrialStatus.PENDING)
            raise SearchExhausted(
                f"no member of the population is ready: {training} training, {len(members) - training} done; PBT "
                f"runs at most population_size = {self.population_size} trials at once"
            )
        return self._ask_each(None if n is None else min(check_count(n, "n", minimum=1), available), self._next_segment)

    @synchronized
    def tell(
        self,
        trial: Trial | Mapping[str, Any],
        value: Any = None,
        *,
        failed: bool = False,
        budget: float | None = None,
        pruned: bool = False,
        constraints: Any = None,
    ) -> Trial:
        """As :meth:`Searcher.tell`, for this searcher's own trials only: a configuration evaluated elsewhere has no
        training state a member could continue from.

        Raises:
            ValueError: ``trial`` is a configuration, not a trial (nothing changes); and as :meth:`Searcher.tell`.
        """
        if not isinstance(trial, Trial):
            raise ValueError(
                "PopulationBasedTraining is told its own trials only: a configuration evaluated elsewhere has no "
                f"checkpoint a member could continue from (got a {type(trial).__name__})"
            )
        return super().tell(trial, value, failed=failed, budget=budget, pruned=pruned, constraints=constraints)

    def _next_segment(self, generator: torch.Generator) -> Trial:
        members = self.members()
        if len(members) < self.population_size:  # the initial population: ``initial``, then drawn from the space
            given = len(members) < len(self.initial)
            params = dict(self.initial[len(members)]) if given else self.space.sample(1, generator=generator)[0]
            return self._create(
                params, budget=float(min(self.interval, self.max_step)), config_id=None, checkpoint=None
            )
        ready = self._ready(members)

        def position(member: int) -> float:  # where a member stands: a failed segment's start
            last = members[member][-1]
            return float(last.budget or 0.0) if last.value is not None else self._start_step(last)

        member = min(ready, key=lambda m: (position(m), m))  # the furthest behind first
        last = members[member][-1]
        step = position(member)
        bottom, top = self._bottom_and_top(members, step)
        if last.value is None:  # its segment failed and left no state: it goes again from where the segment
            # started, copying a top member's state there (maybe its own) and exploring; at step 0, drawn anew
            if top:
                source = top[int(torch.randint(0, len(top), (), generator=generator))]
                params, checkpoint = self._explore(source.params, generator), source.id
            elif step == 0:
                params, checkpoint = self.space.sample(1, generator=generator)[0], None
            else:
                params, checkpoint = dict(last.params), last.checkpoint
        elif member in bottom and top:
            source = top[int(torch.randint(0, len(top), (), generator=generator))]
            params, checkpoint = self._explore(source.params, generator), source.id
        else:
            params, checkpoint = dict(last.params), last.id
        budget = min(step + self.interval, float(self.max_step))
        return self._create(params, budget=budget, config_id=member, checkpoint=checkpoint)

    def _bottom_and_top(self, members: dict[int, list[Trial]], step: float) -> tuple[set[int], list[Trial]]:
        """At ``step``: the members in the bottom ``quantile`` and the segments (ending at ``step``) of those in the
        top, ranked by the value of their segment that ended at ``step`` (a failed one ranks last; members that have
        not reached ``step`` are not ranked). Members compare and copy at the same step, so a copy never jumps a
        member's training ahead: every member trains ``max_step`` steps."""
        sign = 1.0 if self.direction == "minimize" else -1.0
        scored = []
        for member, segments in members.items():
            at = [t for t in segments if t.is_finished and t.budget == step]
            if not at:
                continue
            value = sign * at[-1].value if at[-1].status is TrialStatus.COMPLETE else math.inf  # type: ignore[operator]
            scored.append((value, member, at[-1]))
        if len(scored) < 2:
            return set(), []
        scored.sort(key=lambda entry: (entry[0], entry[1]))
        k = max(1, math.floor(self.quantile * len(scored)))
        top = [t for v, _, t in scored[:k] if math.isfinite(v)]
        bottom = {m for _, m, _ in scored[-k:]} - {t.config_id for t in top}
        return bottom, top

    def _explore(self, params: Config, generator: torch.Generator) -> Config:
        """``params`` explored: each hyperparameter resampled with ``resample_probability``, else a number scaled by
        a perturbation factor (kept in bounds; an int moved by at least one), a categorical kept."""
        U = torch.rand(1, len(self.space), generator=generator, dtype=torch.float64)
        out: Config = {}
        for j, (name, param) in enumerate(self.space.items()):  # parents before children: a tree stays valid
            resample = float(torch.rand((), generator=generator, dtype=torch.float64)) < self.resample_probability
            factor = self.perturbation[int(torch.randint(0, len(self.perturbation), (), generator=generator))]
            if not self.space.is_active(name, out):
                continue
            if resample or name not in params:  # drawn anew; or newly active after a parent was drawn anew
                out[name] = param._from_unit(U[:, j])[0]
            elif isinstance(param, Float):
                out[name] = min(max(params[name] * factor, param.low), param.high)
            elif isinstance(param, Int):
                moved = round(params[name] * factor)
                if moved == params[name] and factor != 1.0:
                    moved += 1 if factor > 1.0 else -1
                out[name] = int(min(max(moved, param.low), param.high))
            else:
                assert isinstance(param, Categorical)
                out[name] = params[name]
        return self.space.validate(out)

    def _create(self, params: Config, *, budget: float, config_id: int | None, checkpoint: int | None) -> Trial:
        trial = self._add_trial(
            params, budget=budget, started_at=time.time(), config_id=config_id, checkpoint=checkpoint
        )
        self._pending[trial.id] = trial
        return trial

    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        raise NotImplementedError("PopulationBasedTraining asks through its population, not _propose")
