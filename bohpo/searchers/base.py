"""The ``Searcher`` interface every optimizer implements: ask, tell, history, best, resume from JSON.

A subclass implements one method, :meth:`Searcher._propose`, which returns configurations; the base class turns them
into trials, keeps pending trials apart (a configuration that is pending is not proposed again), records what it is
told, and saves and restores its whole history as JSON.

Randomness: the searcher reduces ``seed`` to one integer (``self.seed``) and hands ``_propose`` a fresh
``torch.Generator`` for each call of ``ask``, derived from ``(seed, number of earlier asks)`` only. A searcher rebuilt
from its JSON therefore asks exactly what the original would have asked next.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast, overload

import torch

from bohpo._checks import check_count, finite_float, scalar
from bohpo.errors import TrialFailedWarning
from bohpo.objectives import (
    ConstraintsArg,
    Direction,
    Objectives,
    ObjectivesArg,
    hypervolume,
    pareto_mask,
    selection_order,
)
from bohpo.seeding import SeedLike, seed_entropy, torch_generator
from bohpo.space import Config, Space
from bohpo.trial import Trial, TrialStatus

__all__ = ["Direction", "Searcher"]

_HISTORY_FORMAT = "bohpo.history"
_HISTORY_VERSION = 1
_ASK_STREAM = 0  # seeding key of the generator handed to _propose: (_ASK_STREAM, ask_index)
_MAX_REDRAWS = 100  # draws per slot before a configuration that is already pending is accepted with a warning


_Method = TypeVar("_Method", bound=Callable[..., Any])


def synchronized(method: _Method) -> _Method:
    """Run ``method`` under its searcher's lock: threads that share one searcher take turns in its ``ask``,
    ``tell``, ``to_json`` and ``load_history`` (each sees the searcher as the one before left it), while threads on
    different searchers never wait for each other."""

    @functools.wraps(method)
    def locked(self: Searcher, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return cast(_Method, locked)


class Searcher:
    """Base class of every searcher (random, grid, Bayesian, multi-fidelity).

    Args:
        space: The search space.
        seed: Int, ``SeedSequence``, numpy/torch generator, or ``None`` (fresh entropy, kept in ``self.seed``).
        direction: ``"minimize"`` (default) or ``"maximize"`` the told values.
        objectives: For several objectives (searchers that support them), a mapping of names to directions,
            ``{"error": "minimize", "seconds": "minimize"}`` (or a list of names, all minimised); ``tell`` then takes
            a mapping or a sequence of values, and the study's result is ``pareto_front`` rather than ``best``.
        constraints: Names of outcome constraints (or their number) told with each trial (``tell(...,
            constraints=...)``); a trial is feasible when every one is <= 0, and ``best`` and ``pareto_front``
            count feasible trials only.

    Attributes:
        space: The search space.
        seed: The integer all randomness of this searcher derives from.
        id: A random identity, stamped on the searcher's trials and kept in its history.
        direction: ``"minimize"`` or ``"maximize"`` (the first objective's).
        objectives: The study's :class:`~bohpo.objectives.Objectives` (names, directions, constraints).

    Example:
        >>> from bohpo.searchers import RandomSearch
        >>> from bohpo.space import Float, Space
        >>> searcher = RandomSearch(Space({"x": Float(0.0, 1.0)}), seed=0)
        >>> trials = searcher.ask(2)
        >>> _ = searcher.tell(trials[1], 0.5)
        >>> len(searcher.pending), searcher.best is trials[1]
        (1, True)
        >>> resumed = RandomSearch(Space({"x": Float(0.0, 1.0)})).load_history(searcher.to_json())
        >>> resumed.ask().params == searcher.ask().params
        True

    Threads: a searcher may be shared between threads; its ``ask``, ``tell``, ``to_json`` and ``load_history``
    take turns (one lock per searcher), so each proposal sees every trial asked before it, and threads on
    different searchers run in parallel.
    """

    def __init__(
        self,
        space: Space,
        *,
        seed: SeedLike = None,
        direction: Direction = "minimize",
        objectives: ObjectivesArg = None,
        constraints: ConstraintsArg = None,
    ) -> None:
        if not isinstance(space, Space):
            raise TypeError(f"space must be a bohpo Space, got {type(space).__name__}")
        self.objectives = Objectives.of(direction, objectives, constraints)
        self.space = space
        self.seed = seed_entropy(seed)
        self.id = uuid.uuid4().hex  # stamped on every trial, so tell can tell its own trials from others'
        self._trials: dict[int, Trial] = {}  # every trial, by id
        self._keys: dict[int, tuple[Any, ...]] = {}  # space.key of each trial's params as created
        self._pending: dict[int, Trial] = {}
        self._history: list[Trial] = []  # told trials, in the order they were told
        self._n_asks = 0
        self._lock = threading.RLock()  # one ask, tell, save or load at a time (see synchronized)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]  # a lock does not pickle; the copy gets its own
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    # -- what subclasses implement ------------------------------------------------------------------------------
    def _propose(self, n: int, generator: torch.Generator) -> list[Config]:
        """Return ``n`` valid configurations to evaluate next.

        Called once per ``ask`` (and again, one configuration at a time, to replace a proposal that is already
        pending). Raise :class:`~bohpo.errors.SearchExhausted` when nothing is left, before changing any state.
        """
        raise NotImplementedError

    def _on_ask(self, trials: list[Trial]) -> None:
        """Called once per ``ask`` with the trials it created, in order (each holds the proposal ``_propose`` made
        for it; proposals redrawn because they were pending have none); for searchers that track their draws."""

    def _on_tell(self, trial: Trial) -> None:
        """Called after ``trial`` (complete, failed or pruned) joined the history; for searchers that keep extra
        state."""

    def _settings(self) -> dict[str, Any]:
        """JSON-safe settings a saved history must agree on with the searcher that loads it (what was chosen when
        it was built, beyond its class, space and direction)."""
        return {}

    def _state(self) -> dict[str, Any]:
        """Extra JSON-safe state to save with the history (a position in a sequence, for instance)."""
        return {}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`_state` saved; called after the trials are restored. Validate before changing."""

    # -- reading ------------------------------------------------------------------------------------------------
    @property
    def direction(self) -> Direction:
        """``"minimize"`` or ``"maximize"``: the (first) objective's direction."""
        return self.objectives.directions[0]

    @property
    def trials(self) -> list[Trial]:
        """Every trial, pending or told, in id order."""
        return list(self._trials.values())

    @property
    def history(self) -> list[Trial]:
        """Told trials (complete and failed), in the order they were told."""
        return list(self._history)

    @property
    def pending(self) -> list[Trial]:
        """Trials asked and not yet told."""
        return list(self._pending.values())

    @property
    def completed(self) -> list[Trial]:
        """Trials told with a finite value, in the order they were told."""
        return [t for t in self._history if t.status is TrialStatus.COMPLETE]

    @property
    def best(self) -> Trial | None:
        """The complete (and feasible) trial with the best value (the first such, on ties), or ``None`` before any.

        Raises:
            ValueError: the searcher has several objectives (read :attr:`pareto_front`).
        """
        if self.objectives.is_multi:
            raise ValueError(
                f"this searcher has {self.objectives.count} objectives {list(self.objectives.names)!r}, so no single "
                "best trial: read pareto_front"
            )
        completed = [t for t in self.completed if t.is_feasible]
        if not completed:
            return None
        pick = min if self.direction == "minimize" else max
        return pick(completed, key=lambda t: t.value)  # type: ignore[arg-type, return-value]

    @property
    def pareto_front(self) -> list[Trial]:
        """The complete, feasible trials that no other such trial dominates (at least as good in every objective,
        better in one), in the order told; trials with equal values are all kept. With one objective, the trials
        with the best value."""
        completed = [t for t in self.completed if t.is_feasible]
        if not completed:
            return []
        Y, _ = self._outcomes(completed)
        return [t for t, keep in zip(completed, pareto_mask(Y).tolist(), strict=True) if keep]

    def hypervolume(self, reference: Mapping[str, float] | list[float] | tuple[float, ...]) -> float:
        """The hypervolume of :attr:`pareto_front`: the volume of the objective region that its trials dominate and
        that dominates ``reference`` (a value per objective, in the objectives' own directions: a point every
        trial of interest should beat). Trials not better than the reference in every objective add nothing.

        Raises:
            ValueError: the reference has a missing, extra or non-finite value.
        """
        point = self.objectives.values(reference)
        if point is None:
            raise ValueError(f"the reference point must hold finite numbers, got {reference!r}")
        front = self.pareto_front
        if not front:
            return 0.0
        Y, _ = self._outcomes(front)
        return hypervolume(Y, torch.tensor(self.objectives.minimised(point), dtype=torch.float64))

    # -- outcomes as tensors, for searchers ---------------------------------------------------------------------
    def _outcomes(self, trials: list[Trial]) -> tuple[torch.Tensor, torch.Tensor]:
        """Y (n, m) the trials' objective values, minimised (a maximised objective negated), +inf in every column
        of a failed trial (a pruned one at the value it was stopped at); C (n, k) their constraint values, +inf for
        a failed trial."""
        m, k = self.objectives.count, len(self.objectives.constraints)
        Y = torch.full((len(trials), m), torch.inf, dtype=torch.float64)
        C = torch.full((len(trials), k), torch.inf, dtype=torch.float64)
        for row, trial in enumerate(trials):
            values = trial.values if trial.values is not None else None if trial.value is None else (trial.value,)
            if values is not None:
                Y[row] = torch.tensor(self.objectives.minimised(values), dtype=torch.float64)
                C[row] = 0.0 if trial.constraints is None else torch.tensor(trial.constraints, dtype=torch.float64)
        return Y, C

    def _ranked(self, trials: list[Trial]) -> list[Trial]:
        """The trials with values (complete or pruned), best first: feasible before infeasible, then by Pareto front
        and crowding distance (:func:`~bohpo.objectives.selection_order`); with one objective, by value, ties in
        the order given."""
        valued = [t for t in trials if t.value is not None or t.values is not None]
        if not valued:
            return []
        Y, C = self._outcomes(valued)
        return [valued[i] for i in selection_order(Y, C).tolist()]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_trials={len(self._trials)}, n_pending={len(self._pending)}, "
            f"direction={self.direction!r}, seed={self.seed})"
        )

    # -- ask ----------------------------------------------------------------------------------------------------
    @overload
    def ask(self, n: None = None) -> Trial: ...

    @overload
    def ask(self, n: int) -> list[Trial]: ...

    @synchronized
    def ask(self, n: int | None = None) -> Trial | list[Trial]:
        """Propose the next trial, or a list of ``n`` distinct trials (of fewer, when a searcher with a finite set
        of configurations, a grid, has fewer left).

        Pending trials are taken into account: a configuration that is pending is not proposed again (unless the
        space has no other left, which warns).

        Raises:
            SearchExhausted: the searcher has nothing left to propose (nothing changes).
        """
        count = 1 if n is None else check_count(n, "n", minimum=1)
        generator = torch_generator(self.seed, _ASK_STREAM, self._n_asks)
        proposals = self._propose_distinct(count, generator)
        self._n_asks += 1
        now = time.time()
        trials = [self._add_trial(params, budget=None, started_at=now) for params in proposals]
        for trial in trials:
            self._pending[trial.id] = trial
        self._on_ask(trials)
        return trials[0] if n is None else trials

    def _ask_each(
        self,
        n: int | None,
        next_trial: Callable[[torch.Generator], Trial],
        restore: Callable[[], None] | None = None,
    ) -> Trial | list[Trial]:
        """``ask`` for searchers that create their trials one by one (with budgets, checkpoints...): ``next_trial``
        makes and registers one pending trial from the ask's generator. A batch is all or nothing: if making one of
        its trials raises (a model's error, an interrupt), the trials already made are taken back, ``restore``
        puts back the searcher's own bookkeeping, and the exception propagates."""
        count = 1 if n is None else check_count(n, "n", minimum=1)
        generator = torch_generator(self.seed, _ASK_STREAM, self._n_asks)
        first = len(self._trials)
        try:
            trials = [next_trial(generator) for _ in range(count)]
        except BaseException:
            for trial_id in range(first, max(self._trials, default=-1) + 1):
                for table in (self._trials, self._keys, self._pending):
                    table.pop(trial_id, None)
            if restore is not None:
                restore()
            raise
        self._n_asks += 1
        return trials[0] if n is None else trials

    def _propose_distinct(self, count: int, generator: torch.Generator) -> list[Config]:
        taken = {self.space.key(t.params) for t in self._pending.values()}
        out = []
        for params in self._propose(count, generator):
            key = self.space.key(params)
            for _ in range(_MAX_REDRAWS):
                if key not in taken:
                    break
                params = self._propose(1, generator)[0]
                key = self.space.key(params)
            else:
                warnings.warn(
                    f"{type(self).__name__} found no configuration that is not already pending in {_MAX_REDRAWS} "
                    f"draws (the space may have fewer configurations than trials pending); proposing {params!r} again",
                    RuntimeWarning,
                    stacklevel=3,
                )
            taken.add(key)
            out.append(params)
        return out

    def _add_trial(
        self,
        params: Config,
        *,
        budget: float | None,
        started_at: float,
        config_id: int | None = None,
        checkpoint: int | None = None,
    ) -> Trial:
        trial = Trial(
            id=len(self._trials), params=params, budget=budget, started_at=started_at, searcher_id=self.id,
            config_id=config_id, checkpoint=checkpoint,
        )  # fmt: skip
        self._trials[trial.id] = trial
        self._keys[trial.id] = self.space.key(params)
        return trial

    # -- tell ---------------------------------------------------------------------------------------------------
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
        """Report the value of a trial, or of a configuration that was never asked.

        Args:
            trial: A pending trial of this searcher (the object ``ask`` returned, or an equal copy, say from another
                process), or a configuration ``{name: value}`` evaluated elsewhere, which joins the history.
            value: The objective, in this searcher's direction. Anything that is not a finite number marks the trial
                failed, with a warning. With several objectives, a mapping ``{name: value}`` of every objective, or
                a sequence of their values in order; one value that is not a finite number marks the trial failed.
            failed: Mark the trial failed whatever ``value`` is.
            budget: The budget a configuration was evaluated at; only with a configuration (a trial has its own).
            pruned: The trial was stopped early (by a pruner): its status is ``pruned`` and its value ``value``, by
                default the last value it reported. ``best`` counts complete trials only; the model-based and
                evolutionary searchers learn from a pruned trial at this value. Single-objective searchers only.
            constraints: With outcome constraints, their values (a mapping of every constraint's name, or a
                sequence in order); the trial is feasible when all are <= 0. A value that is not a finite number
                marks the trial failed. Not needed with ``failed=True``.

        Returns:
            The recorded trial, now complete, failed or pruned.

        Raises:
            ValueError: the trial was not asked by this searcher, or was told already; a bad configuration or
                budget; ``pruned`` with a configuration, with ``failed``, or with no value given or reported; objective
                or constraint values missing, unknown or of the wrong number. Nothing changes.
            TypeError: ``trial`` is neither a ``Trial`` nor a mapping.
        """
        if isinstance(trial, Trial):
            if budget is not None:
                raise ValueError("budget can only be given with a configuration; a Trial carries its own budget")
            record: Trial | None = self._pending_record(trial)
        elif isinstance(trial, Mapping):
            params = self.space.validate(trial)
            budget = _check_budget(budget)
            record = None
        else:
            raise TypeError(f"tell takes a Trial or a configuration mapping, got {type(trial).__name__}")
        if pruned:
            if failed or not isinstance(trial, Trial):
                raise ValueError("pruned=True takes a pending Trial (not a configuration) and no failed=True")
            if self.objectives.is_multi:
                raise ValueError(
                    "pruned=True needs a single-objective searcher; tell a multi-objective trial its values"
                )
            assert record is not None
            if value is None:
                if not record.intermediate:
                    raise ValueError(
                        f"trial {record.id} reported no value; tell a pruned trial with the value it stopped at"
                    )
                value = record.intermediate[record.last_step]  # type: ignore[index]
        values: tuple[float, ...] | None = None
        constraint_values: tuple[float, ...] | None = None
        if failed:
            number = None
        elif not self.objectives.is_plain:
            values = self.objectives.values(value)  # checked before anything changes
            number = None if values is None else values[0]
            if values is not None or constraints is not None:  # a failed value needs no constraints
                constraint_values = self.objectives.constraint_values(constraints)
        else:
            self.objectives.constraint_values(constraints)  # refuses constraints told to a searcher without them
            number = finite_float(value)

        now = time.time()
        if record is None:
            record = self._add_trial(params, budget=budget, started_at=now)
        else:
            del self._pending[record.id]
        record.finished_at = now
        usable = number is not None and (not self.objectives.constraints or constraint_values is not None)
        record.value = number if usable and not self.objectives.is_multi else None
        record.values = values if usable and self.objectives.is_multi else None
        record.constraints = constraint_values if usable and self.objectives.constraints else None
        if not usable:
            record.status = TrialStatus.FAILED
            if failed:
                why = "it was told as failed"
            elif number is None:
                why = f"its value {scalar(value)!r} is not a finite number"
            else:
                why = f"its constraint values {scalar(constraints)!r} are not all finite numbers"
            warnings.warn(
                f"trial {record.id} failed: {why}; it stays in the history as failed and the study goes on",
                TrialFailedWarning,
                stacklevel=2,
            )
        else:
            record.status = TrialStatus.PRUNED if pruned else TrialStatus.COMPLETE
        self._history.append(record)
        self._on_tell(record)
        return record

    @synchronized
    def report(self, trial: Trial, step: int, value: Any) -> None:
        """Record an intermediate value of a pending trial: one point of its learning curve, at ``step`` (an epoch,
        a number of trees...). Pruners decide from these (``pruner.prune(searcher, trial)``); they are kept in
        ``trial.intermediate``, in the JSON history and in the benchmark storage.

        A step reported twice keeps its first value, with a warning (a training loop that restarts from a
        checkpoint may report a step again).

        Raises:
            ValueError: the trial is not a pending trial of this searcher; ``step`` is negative; ``value`` is not a
                finite number (tell a diverged trial as failed). Nothing changes.
            TypeError: ``trial`` is not a ``Trial``, or ``step`` not an int.
        """
        if not isinstance(trial, Trial):
            raise TypeError(f"report takes a Trial, got {type(trial).__name__}")
        record = self._pending_record(trial)
        step = check_count(step, "step")
        number = finite_float(value)
        if number is None:
            raise ValueError(
                f"trial {record.id} reported {scalar(value)!r} at step {step}, not a finite number; tell a diverged "
                "trial as failed (tell(trial, failed=True))"
            )
        if step in record.intermediate:
            warnings.warn(
                f"trial {record.id} reported step {step} again; its first value {record.intermediate[step]!r} is kept",
                RuntimeWarning,
                stacklevel=3,
            )
            return
        record.intermediate[step] = number

    def _pending_record(self, trial: Trial) -> Trial:
        stored = self._trials.get(trial.id)
        if stored is None or trial.searcher_id != self.id:
            raise ValueError(f"trial {trial.id} was not asked by this {type(self).__name__}")
        if stored.status is not TrialStatus.PENDING:
            raise ValueError(f"trial {trial.id} was already told (status {stored.status.value!r})")
        try:
            unchanged = self.space.key(self.space.validate(trial.params)) == self._keys[trial.id]
        except (KeyError, TypeError, ValueError):
            unchanged = False
        if not unchanged or trial.budget != stored.budget:
            raise ValueError(
                f"trial {trial.id} no longer has the params or budget it was asked with; tell it unchanged "
                f"(evaluate a copy: dict(trial.params))"
            )
        return stored

    # -- save / resume ------------------------------------------------------------------------------------------
    @synchronized
    def to_json(self) -> str:
        """The whole history (trials, pending ones included, the seed, counters) as a JSON string."""
        data = {
            "format": _HISTORY_FORMAT,
            "version": _HISTORY_VERSION,
            "searcher": type(self).__name__,
            "space": self.space.signature(),
            "direction": self.direction,
            **({"objectives": self.objectives.describe()} if self._has_outcome_settings() else {}),
            "seed": self.seed,
            "id": self.id,
            "n_asks": self._n_asks,
            "settings": self._settings(),
            "state": self._state(),
            "trials": [{**t.to_dict(), "params": self.space.config_to_json(t.params)} for t in self._trials.values()],
            "told": [t.id for t in self._history],
        }
        return json.dumps(data, allow_nan=False)

    @synchronized
    def load_history(self, data: str | Mapping[str, Any]) -> Searcher:
        """Continue from a history saved by :meth:`to_json`: the next asks equal those of the original searcher.

        Call it on a fresh searcher built like the original (same class, space, direction and settings); the seed
        is taken from the history. Pending trials stay pending and can still be told.

        Returns:
            ``self``.

        Raises:
            RuntimeError: this searcher already has trials.
            ValueError: the history is malformed or was saved by another kind of searcher, space or direction.
        """
        if self._trials or self._n_asks:
            raise RuntimeError(f"load_history needs a fresh searcher; this one has {len(self._trials)} trials")
        if not isinstance(data, (str, Mapping)):
            raise TypeError(
                f"a history is the JSON text that to_json() returns, or that text parsed into a dict; got "
                f"{type(data).__name__}"
            )
        try:
            saved = json.loads(data) if isinstance(data, str) else dict(data)
        except json.JSONDecodeError as err:
            raise ValueError(f"a history must be JSON; this text is not ({err})") from None
        if not isinstance(saved, dict):
            raise ValueError(f"a history is a JSON object (to_json()'s), got a JSON {type(saved).__name__}")
        if saved.get("format") != _HISTORY_FORMAT or saved.get("version") != _HISTORY_VERSION:
            raise ValueError(f"not a bohpo history of version {_HISTORY_VERSION}: format={saved.get('format')!r}")
        expected = {"searcher": type(self).__name__, "direction": self.direction}
        for field, mine in expected.items():
            if saved.get(field) != mine:
                raise ValueError(f"the history was saved with {field} {saved.get(field)!r}, this searcher has {mine!r}")
        if saved.get("space") != self.space.signature():
            raise ValueError(f"the history was saved with another space: {saved.get('space')!r}")
        outcomes = self.objectives.describe() if self._has_outcome_settings() else None
        if saved.get("objectives") != outcomes:
            raise ValueError(
                f"the history was saved with objectives {saved.get('objectives')!r}, this searcher has {outcomes!r}"
            )
        self._check_saved_settings(saved.get("settings"))
        try:
            trials, history = self._parse_trials(saved["trials"], saved["told"])
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"malformed history: {type(err).__name__}: {err}") from None
        n_asks = check_count(saved.get("n_asks"), "n_asks")
        seed = check_count(saved.get("seed"), "seed")
        searcher_id = saved.get("id")
        if not isinstance(searcher_id, str):
            raise ValueError(f"malformed history: id must be a string, got {searcher_id!r}")

        previous = (self.seed, self.id, self._trials, self._keys, self._pending, self._history, self._n_asks)
        self.seed, self.id, self._trials, self._history, self._n_asks = seed, searcher_id, trials, history, n_asks
        self._keys = {i: self.space.key(t.params) for i, t in trials.items()}
        self._pending = {t.id: t for t in trials.values() if t.status is TrialStatus.PENDING}
        try:
            self._load_state(saved.get("state", {}))
        except Exception:
            self.seed, self.id, self._trials, self._keys, self._pending, self._history, self._n_asks = previous
            raise
        return self

    def _has_outcome_settings(self) -> bool:
        """Whether the objectives go into the history: named ones, or constraints (a plain single-objective history
        stays as it was)."""
        return not self.objectives.is_plain

    def _check_saved_settings(self, saved: object) -> None:
        """Refuse a history whose searcher was configured otherwise, naming each setting that differs (a history
        from before settings were saved has none and is taken as it is)."""
        if saved is None:
            return
        if not isinstance(saved, Mapping):
            raise ValueError(f"malformed history: settings must be a mapping, got {saved!r}")
        mine = json.loads(json.dumps(self._settings()))  # as it would read back from a history
        differ = [
            f"{name} {saved.get(name, '(none)')!r}, this searcher has {mine.get(name, '(none)')!r}"
            for name in sorted(set(saved) | set(mine))
            if saved.get(name) != mine.get(name)
        ]
        if differ:
            raise ValueError(f"the history was saved by a searcher configured otherwise: {'; '.join(differ)}")

    def _parse_trials(self, rows: list[Any], told: list[Any]) -> tuple[dict[int, Trial], list[Trial]]:
        trials: dict[int, Trial] = {}
        for position, row in enumerate(rows):
            trial = Trial.from_dict({**row, "params": self.space.config_from_json(row["params"])})
            if trial.id != position:
                raise ValueError(f"history trials must be numbered 0, 1, ... in order; found {trial.id} at {position}")
            if trial.status in (TrialStatus.COMPLETE, TrialStatus.PRUNED):
                self._check_saved_outcome(trial)
            trials[trial.id] = trial
        finished = {t.id for t in trials.values() if t.is_finished}
        if sorted(told) != sorted(finished) or len(set(told)) != len(told):
            raise ValueError("the history's told list does not match its finished trials")
        return trials, [trials[i] for i in told]

    def _check_saved_outcome(self, trial: Trial) -> None:
        """Refuse a finished trial of a history whose values do not fit this searcher's objectives and
        constraints."""
        objectives = self.objectives
        if objectives.is_multi:
            values = trial.values
            fits = (
                values is not None and len(values) == objectives.count and objectives.values(list(values)) is not None
            )
            told: object = values
        else:
            fits, told = finite_float(trial.value) is not None, trial.value
        if not fits:
            raise ValueError(f"history trial {trial.id} is {trial.status.value} but its value {told!r} is not finite")
        if objectives.constraints:
            c = trial.constraints
            if c is None or len(c) != len(objectives.constraints) or objectives.constraint_values(list(c)) is None:
                raise ValueError(
                    f"history trial {trial.id} has constraint values {c!r}, not "
                    f"{len(objectives.constraints)} finite numbers"
                )


def _check_budget(budget: Any) -> float | None:
    if budget is None:
        return None
    number = finite_float(budget)
    if number is None or number <= 0:
        raise ValueError(f"budget must be a positive finite number or None, got {budget!r}")
    return number
