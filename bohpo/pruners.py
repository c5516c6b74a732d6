"""Pruners: stop unpromising trials early, from the values they report while they train.

A pruner answers one question, ``pruner.prune(searcher, trial)``: should this pending trial stop now? It decides from
the trial's reported values (``searcher.report(trial, step, value)``, kept in ``trial.intermediate``) and from the
other trials of the same searcher, in the searcher's direction, and keeps no state of its own: a searcher rebuilt from
its JSON prunes as the original would. So a pruner composes with any searcher (random, GP, TPE, CMA-ES...): the
searcher proposes, the pruner stops, and a stopped trial is told ``tell(trial, pruned=True)``, with its last reported
value::

    for epoch in range(epochs):
        searcher.report(trial, epoch, validation_loss(epoch))
        if pruner.prune(searcher, trial):
            searcher.tell(trial, pruned=True)
            break
    else:
        searcher.tell(trial, validation_loss(epochs - 1))

``minimize(..., pruner=...)`` runs that loop for an objective that takes a ``report`` argument.

The rules, each as its paper or reference implementation states it:

- :class:`PercentilePruner` (Optuna's): stop when the trial's best value so far is worse than a percentile of the
  values the complete trials reported at the same step; :class:`MedianPruner` is its 50th percentile.
- :class:`MedianStoppingRule` (Golovin et al. 2017, Google Vizier): stop when the trial's best value so far is worse
  than the median, over complete trials, of their running averages up to the same step.
- :class:`PatiencePruner`: early stopping within a trial: stop when its best value has not improved (by
  ``min_delta``) for ``patience`` reports.
- :class:`SuccessiveHalvingPruner`: asynchronous successive halving (ASHA, Li et al. 2020) as a pruner: rungs at
  steps ``min_step * eta**(s + k)``; a trial that reaches a rung goes on only if its value there is among the best
  ``1/eta`` of the values every trial had at that rung (the best one always goes on).
- :class:`HyperbandPruner`: Hyperband's brackets of successive halving (Li et al. 2018) as a pruner, their rungs at
  the resources Hyperband gives them (counted down from the full training): each trial is given a bracket by its
  id, in proportion to the trials Hyperband gives each bracket, and competes within it.

Why written here: Optuna's pruners read an Optuna study; the rules are a few lines each over bohpo's trials.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

import numpy as np

from bohpo._checks import check_count, finite_float, unknown_name
from bohpo.searchers.base import Searcher
from bohpo.trial import Trial, TrialStatus

__all__ = [
    "HyperbandPruner",
    "MedianPruner",
    "MedianStoppingRule",
    "PatiencePruner",
    "PercentilePruner",
    "Pruner",
    "SuccessiveHalvingPruner",
    "make_pruner",
    "pruner_names",
]


class Pruner:
    """Base class: :meth:`prune` looks up the trial's record in the searcher and calls :meth:`_prune`."""

    def prune(self, searcher: Searcher, trial: Trial) -> bool:
        """Whether the pending ``trial`` of ``searcher`` should stop now, given what it and the others reported.

        Raises:
            ValueError: ``trial`` is not a pending trial of ``searcher``.
        """
        trials = searcher.trials
        record = next((t for t in trials if t.id == trial.id), None)
        if record is None or trial.searcher_id != searcher.id or record.status is not TrialStatus.PENDING:
            raise ValueError(f"trial {trial.id} is not a pending trial of this {type(searcher).__name__}")
        if not record.intermediate:
            return False
        sign = 1.0 if searcher.direction == "minimize" else -1.0
        return self._prune(record, trials, sign)

    def _prune(self, trial: Trial, trials: Sequence[Trial], sign: float) -> bool:
        """The rule, on ``trial`` (with at least one report) among every trial; ``sign`` * value is minimised."""
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


def _steps(trial: Trial, sign: float) -> tuple[list[int], list[float]]:
    """The trial's reported steps in increasing order and their signed values."""
    steps = sorted(trial.intermediate)
    return steps, [sign * trial.intermediate[s] for s in steps]


class _StartupAndWarmup(Pruner):
    """Shared by the rules that compare with complete trials: nothing is pruned before ``n_startup_trials`` trials
    are complete, nor before step ``n_warmup_steps``, and then only every ``interval_steps`` steps."""

    def __init__(self, n_startup_trials: int, n_warmup_steps: int, interval_steps: int) -> None:
        self.n_startup_trials = check_count(n_startup_trials, "n_startup_trials")
        self.n_warmup_steps = check_count(n_warmup_steps, "n_warmup_steps")
        self.interval_steps = check_count(interval_steps, "interval_steps", minimum=1)

    def _applies(self, trial: Trial, complete: Sequence[Trial]) -> bool:
        step = trial.last_step
        assert step is not None
        return (
            len(complete) >= self.n_startup_trials
            and step >= self.n_warmup_steps
            and (step - self.n_warmup_steps) % self.interval_steps == 0
        )


class PercentilePruner(_StartupAndWarmup):
    """Stop a trial whose best value so far is worse than the ``percentile``-th best of the values the complete
    trials reported at its latest step (``numpy.percentile``'s linear interpolation between them).

    Args:
        percentile: In [0, 100]; 25 keeps the trials that are at least as good as the best quarter.
        n_startup_trials: Complete trials needed before anything is pruned.
        n_warmup_steps: Steps before which a trial is never pruned.
        interval_steps: Prune only at every ``interval_steps``-th step after the warm-up.
        n_min_trials: Complete trials that must have reported the step for a comparison.

    Example:
        >>> from bohpo import RandomSearch, Space, Float
        >>> searcher, pruner = RandomSearch(Space({"x": Float(0.0, 1.0)}), seed=0), MedianPruner(n_startup_trials=2)
        >>> for final in (1.0, 3.0):  # two complete trials, their curves falling to ``final``
        ...     trial = searcher.ask()
        ...     for step in range(3):
        ...         searcher.report(trial, step, final + 2 - step)
        ...     _ = searcher.tell(trial, final)
        >>> trial = searcher.ask()
        >>> searcher.report(trial, 0, 3.5)  # the median at step 0 is 4.0
        >>> pruner.prune(searcher, trial)
        False
        >>> searcher.report(trial, 1, 4.5)  # best so far 3.5, the median at step 1 is 3.0
        >>> pruner.prune(searcher, trial)
        True
    """

    def __init__(
        self,
        percentile: float,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        number = finite_float(percentile)
        if number is None or not 0.0 <= number <= 100.0:
            raise ValueError(f"percentile must be a number in [0, 100], got {percentile!r}")
        super().__init__(n_startup_trials, n_warmup_steps, interval_steps)
        self.percentile = number
        self.n_min_trials = check_count(n_min_trials, "n_min_trials", minimum=1)

    def _prune(self, trial: Trial, trials: Sequence[Trial], sign: float) -> bool:
        complete = [t for t in trials if t.status is TrialStatus.COMPLETE]
        if not self._applies(trial, complete):
            return False
        step = trial.last_step
        others = [sign * t.intermediate[step] for t in complete if step in t.intermediate]
        if len(others) < self.n_min_trials:
            return False
        return min(_steps(trial, sign)[1]) > float(np.percentile(others, self.percentile))


class MedianPruner(PercentilePruner):
    """:class:`PercentilePruner` at the 50th percentile: stop a trial whose best value so far is worse than the
    median of the complete trials' values at the same step."""

    def __init__(
        self, *, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1, n_min_trials: int = 1
    ) -> None:
        super().__init__(
            50.0, n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps, interval_steps=interval_steps,
            n_min_trials=n_min_trials,
        )  # fmt: skip


class MedianStoppingRule(_StartupAndWarmup):
    """Google Vizier's median stopping rule (Golovin et al. 2017): stop a trial at step s when its best value so far
    is strictly worse than the median, over the complete trials, of each one's average of the values it reported up
    to step s. The running averages make the rule robust to noisy curves and to trials that report other steps.

    Args:
        n_startup_trials, n_warmup_steps, interval_steps: As for :class:`PercentilePruner`.
    """

    def __init__(self, *, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1) -> None:
        super().__init__(n_startup_trials, n_warmup_steps, interval_steps)

    def _prune(self, trial: Trial, trials: Sequence[Trial], sign: float) -> bool:
        complete = [t for t in trials if t.status is TrialStatus.COMPLETE]
        if not self._applies(trial, complete):
            return False
        step = trial.last_step
        assert step is not None
        averages = []
        for other in complete:
            upto = [sign * v for s, v in other.intermediate.items() if s <= step]
            if upto:
                averages.append(sum(upto) / len(upto))
        if not averages:
            return False
        return min(_steps(trial, sign)[1]) > statistics.median(averages)


class PatiencePruner(Pruner):
    """Stop a trial whose best value has not improved by more than ``min_delta`` over its last ``patience`` reports
    (early stopping, as Keras's ``EarlyStopping``), whatever the other trials did.

    Args:
        patience: Reports without improvement that are tolerated, >= 1.
        min_delta: The least change that counts as an improvement, >= 0.
    """

    def __init__(self, patience: int, *, min_delta: float = 0.0) -> None:
        self.patience = check_count(patience, "patience", minimum=1)
        delta = finite_float(min_delta)
        if delta is None or delta < 0:
            raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta!r}")
        self.min_delta = delta

    def _prune(self, trial: Trial, trials: Sequence[Trial], sign: float) -> bool:
        _, values = _steps(trial, sign)
        best, since = values[0], 0
        for value in values[1:]:
            if value < best - self.min_delta:
                best, since = value, 0
            else:
                since += 1
        return since >= self.patience


class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving as a pruner: rung k at step ``min_step * eta**(min_early_stopping_rate + k)``.

    A trial's value at a rung is the value of its first report at or after the rung's step. When a report takes a
    trial to a new rung, the trial goes on if that value is among the best ``max(1, n // eta)`` of the n values that
    the trials of the searcher (itself included, any status) had at that rung, and is stopped otherwise; between
    rungs nothing is stopped. So a trial is never stopped for what trials reach its rung after it (ASHA's rule).

    Args:
        min_step: The first rung's step (at ``min_early_stopping_rate`` 0), >= 1.
        eta: The reduction factor, > 1: the best 1/eta go on at each rung.
        min_early_stopping_rate: Rungs skipped at the bottom (s in the paper), >= 0.
        max_step: The last step a trial reports, if known: no rung at or beyond it (a trial that trained to the end
            is told complete, not stopped).

    Example:
        >>> pruner = SuccessiveHalvingPruner(min_step=1, eta=3)
        >>> pruner.rung_steps(30)
        [1, 3, 9, 27]
    """

    def __init__(
        self, *, min_step: int = 1, eta: float = 3, min_early_stopping_rate: int = 0, max_step: int | None = None
    ) -> None:
        self.min_step = check_count(min_step, "min_step", minimum=1)
        rate = finite_float(eta)
        if rate is None or rate <= 1:
            raise ValueError(f"eta must be a number > 1, got {eta!r}")
        self.eta = rate
        self.min_early_stopping_rate = check_count(min_early_stopping_rate, "min_early_stopping_rate")
        self.max_step = None if max_step is None else check_count(max_step, "max_step", minimum=1)

    def rung_steps(self, up_to: int) -> list[int]:
        """The rungs' steps up to ``up_to`` (each rounded up to a whole step; below ``max_step``, where a trial
        ends anyway)."""
        steps: list[int] = []
        if self.max_step is not None:
            up_to = min(up_to, self.max_step - 1)
        k = self.min_early_stopping_rate
        while (step := math.ceil(self.min_step * self.eta**k - 1e-9)) <= up_to:
            if not steps or step > steps[-1]:
                steps.append(step)
            k += 1
        return steps

    def _prune(self, trial: Trial, trials: Sequence[Trial], sign: float) -> bool:
        return _stopped_at_rung(trial, trials, self.rung_steps, self.eta, sign)


def _stopped_at_rung(
    trial: Trial, competitors: Sequence[Trial], rung_steps: Callable[[int], list[int]], eta: float, sign: float
) -> bool:
    """ASHA's rule as a pruner: when the trial's last report takes it to a new rung (of ``rung_steps(up_to)``), it
    goes on only if its value there is among the best ``max(1, n // eta)`` of the n values the competitors (itself
    included) had at that rung."""
    steps, _ = _steps(trial, sign)
    last = steps[-1]
    before = steps[-2] if len(steps) > 1 else -1
    reached = [r for r in rung_steps(last) if r > before]  # rungs this report takes the trial to
    if not reached:
        return False
    rung = reached[-1]
    value = _rung_value(trial, rung, sign)
    assert value is not None  # its last report is at or after the rung
    values = sorted(v for t in competitors if t.id != trial.id and (v := _rung_value(t, rung, sign)) is not None)
    values = sorted([*values, value])
    keep = max(1, int(len(values) // eta))
    return value > values[keep - 1]


def _rung_value(trial: Trial, rung: int, sign: float) -> float | None:
    """The signed value of the trial's first report at or after step ``rung``, ``None`` if it never got there."""
    at = [s for s in trial.intermediate if s >= rung]
    return sign * trial.intermediate[min(at)] if at else None


class HyperbandPruner(Pruner):
    """Hyperband's brackets of successive halving, as pruners (Li et al. 2018).

    With s_max = floor(log_eta(max_step / min_step)), bracket s (s = 0 .. s_max) has its rungs at the resources
    Hyperband gives its brackets, counted down from the full training: ``max_step / eta**k`` for k = s_max - s down
    to 1 (rounded up to whole steps). Bracket 0 stops most aggressively, from its first rung near ``min_step``;
    bracket s_max has no rung and never stops anything. At a rung a trial goes on if it is among the best 1/eta of
    its bracket there (as :class:`SuccessiveHalvingPruner`). Trial ids are dealt to the brackets in turn, bracket s
    getting ceil((s_max + 1) / (s_max + 1 - s) * eta**(s_max - s)) of every cycle (as many as Hyperband starts in
    it), and a trial competes only within its bracket.

    Args:
        min_step: The most aggressive bracket's first rung is the smallest ``max_step / eta**k`` not below it, >= 1.
        max_step: The last step a trial reports (its full training), > min_step.
        eta: The reduction factor, > 1.

    Example:
        >>> pruner = HyperbandPruner(min_step=1, max_step=162)
        >>> pruner.bracket_sizes, pruner.rungs
        ([81, 34, 15, 8, 5], [[2, 6, 18, 54], [6, 18, 54], [18, 54], [54], []])
    """

    def __init__(self, *, min_step: int = 1, max_step: int, eta: float = 3) -> None:
        self.min_step = check_count(min_step, "min_step", minimum=1)
        self.max_step = check_count(max_step, "max_step", minimum=self.min_step + 1)
        self.eta = SuccessiveHalvingPruner(eta=eta).eta
        s_max = math.floor(math.log(self.max_step / self.min_step, self.eta) + 1e-9)
        self.rungs = [
            sorted({math.ceil(self.max_step / self.eta**k - 1e-9) for k in range(1, s_max - s + 1)})
            for s in range(s_max + 1)
        ]
        self.bracket_sizes = [
            math.ceil((s_max + 1) / (s_max + 1 - s) * self.eta ** (s_max - s) - 1e-9) for s in range(s_max + 1)
        ]
        self._cycle = [s for s, size in enumerate(self.bracket_sizes) for _ in range(size)]

    def bracket_of(self, trial: Trial) -> int:
        """The bracket (its s) of a trial, from its id."""
        return self._cycle[trial.id % len(self._cycle)]

    def _prune(self, trial: Trial, trials: Sequence[Trial], sign: float) -> bool:
        s = self.bracket_of(trial)
        same = [t for t in trials if self.bracket_of(t) == s]
        rungs = self.rungs[s]
        return _stopped_at_rung(trial, same, lambda up_to: [r for r in rungs if r <= up_to], self.eta, sign)

    def __repr__(self) -> str:
        return f"HyperbandPruner(min_step={self.min_step}, max_step={self.max_step}, eta={self.eta})"


def _by_name() -> dict[str, Callable[[int | None], Pruner]]:
    return {
        "median": lambda max_step: MedianPruner(),
        "percentile": lambda max_step: PercentilePruner(25.0),
        "median-stopping": lambda max_step: MedianStoppingRule(),
        "patience": lambda max_step: PatiencePruner(3),
        "successive-halving": lambda max_step: SuccessiveHalvingPruner(max_step=max_step),
        "hyperband": lambda max_step: HyperbandPruner(max_step=_needs_max_step(max_step)),
    }


def _needs_max_step(max_step: int | None) -> int:
    if max_step is None:
        raise ValueError("the hyperband pruner needs the last step of a full evaluation (max_step)")
    return max_step


def pruner_names() -> list[str]:
    """The pruners :func:`make_pruner` builds by name, sorted."""
    return sorted(_by_name())


def make_pruner(name: str, *, max_step: int | None = None) -> Pruner:
    """A pruner by its short name, with its defaults: ``"median"`` (:class:`MedianPruner`), ``"percentile"`` (the
    25th), ``"median-stopping"`` (:class:`MedianStoppingRule`), ``"patience"`` (3 reports), ``"successive-halving"``
    (rungs at steps 1, 3, 9, ... below ``max_step``) and ``"hyperband"`` (brackets up to ``max_step``, required).

    Example:
        >>> make_pruner("hyperband", max_step=27).bracket_sizes
        [27, 12, 6, 4]
    """
    factories = _by_name()
    if name not in factories:
        raise unknown_name("pruner", name, factories)
    return factories[name](max_step)
