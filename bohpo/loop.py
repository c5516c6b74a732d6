"""``minimize``: the ask -> evaluate -> tell loop, for when the objective is a Python function."""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from bohpo._checks import check_count, finite_float, scalar
from bohpo.errors import SearchExhausted, TrialFailedWarning, TrialPruned
from bohpo.searchers.base import Direction, Searcher
from bohpo.searchers.registry import make_searcher
from bohpo.seeding import SeedLike
from bohpo.space import Space
from bohpo.trial import Trial

if TYPE_CHECKING:
    from bohpo.pruners import Pruner

__all__ = ["Reporter", "minimize"]

logger = logging.getLogger(__name__)

Objective = Callable[..., Any]


def minimize(
    objective: Objective,
    space: Space,
    searcher: Searcher | str,
    n_trials: int,
    *,
    seed: SeedLike = None,
    direction: Direction = "minimize",
    progress: bool = False,
    catch: tuple[type[Exception], ...] = (),
    pruner: Pruner | None = None,
) -> Searcher:
    """Run ``n_trials`` rounds of ask -> ``objective(params)`` -> tell.

    Args:
        objective: Called as ``objective(params)``, or ``objective(params, budget=b)`` for a trial with a budget;
            returns a number; for a searcher with several objectives, a mapping ``{name: value}`` or a sequence of
            values; for one with outcome constraints, ``(values, constraints)``. A result of the wrong form marks
            the trial failed and stops the loop with the error. An objective with a ``report`` parameter is also
            given ``report=``, a :class:`Reporter`: ``report(step, value)`` records a point of the trial's learning
            curve and raises :class:`~bohpo.errors.TrialPruned` when ``pruner`` stops the trial (let it propagate:
            the trial is told pruned, with its last reported value).
        space: The search space (a given searcher must have this space).
        searcher: A :class:`Searcher`, or a registered name (``"random"``, ``"sobol"``, ``"grid"``...) built with
            ``seed``, ``direction`` and ``n_trials``.
        n_trials: Trials to run in this call; a searcher that runs out (a finished grid) stops the loop early.
        seed, direction: For a searcher given by name; with a ``Searcher`` they must be left at their defaults.
        progress: Show a progress bar with the best value so far.
        catch: Exceptions of the objective that mark the trial failed (with a warning) and go on to the next
            trial, for objectives that are expected to fail on some configurations (``(Exception,)`` catches
            every error). Any other exception, and an interrupt (Ctrl-C), is raised after the trial is told as
            failed, so the history keeps every trial asked and the searcher can be continued or saved: by
            default a bug in the objective stops the study at its first trial instead of failing every one.
        pruner: A :mod:`bohpo.pruners` rule that stops trials early from their reports; the objective must take
            ``report``.

    Returns:
        The searcher, with ``history`` and ``best``.

    Example:
        >>> from bohpo.space import Float, Space
        >>> space = Space({"x": Float(-2.0, 2.0)})
        >>> searcher = minimize(lambda p: (p["x"] - 1) ** 2, space, "sobol", 16, seed=0)
        >>> abs(searcher.best.params["x"] - 1) < 0.2
        True
    """
    check_count(n_trials, "n_trials", minimum=1)
    if isinstance(searcher, str):
        searcher = make_searcher(searcher, space, seed=seed, direction=direction, n_trials=n_trials)
    elif isinstance(searcher, Searcher):
        if seed is not None or direction != "minimize":
            raise ValueError("seed and direction belong to the searcher when one is given; leave them unset here")
        if searcher.space != space:
            raise ValueError(f"the searcher's space {searcher.space!r} is not the given space {space!r}")
    else:
        raise TypeError(f"searcher must be a Searcher or a registered name, got {type(searcher).__name__}")
    if not callable(objective):
        raise TypeError(f"objective must be callable, got {type(objective).__name__}")
    if not isinstance(catch, tuple) or not all(isinstance(c, type) and issubclass(c, Exception) for c in catch):
        raise TypeError(f"catch must be a tuple of exception classes, got {catch!r}")
    reports = _takes_report(objective)
    if pruner is not None:
        from bohpo.pruners import Pruner

        if not isinstance(pruner, Pruner):
            raise TypeError(f"pruner must be a bohpo.pruners.Pruner, got {type(pruner).__name__}")
        if not reports:
            raise TypeError("a pruner decides from reports: the objective must take a 'report' argument")
        if searcher.objectives.is_multi:
            raise ValueError("a pruner compares one reported value; this searcher has several objectives")

    with tqdm(total=n_trials, disable=not progress, desc=type(searcher).__name__, unit="trial") as bar:
        for _ in range(n_trials):
            try:
                trial = searcher.ask()
            except SearchExhausted as exhausted:
                logger.info("stopping early: %s", exhausted)
                break
            reporter = Reporter(searcher, trial, pruner) if reports else None
            _evaluate_and_tell(objective, searcher, trial, catch, reporter)
            bar.update(1)
            if progress and not searcher.objectives.is_multi and searcher.best is not None:
                bar.set_postfix(best=f"{searcher.best.value:.6g}")
    return searcher


class Reporter:
    """The ``report`` callable an objective is given: ``report(step, value)`` records one point of the trial's
    learning curve (``searcher.report``) and raises :class:`~bohpo.errors.TrialPruned` when the pruner stops the
    trial. A value that is not a finite number (a diverged training) ends the trial as failed, with a warning, and
    the study goes on, as when an objective returns one.

    Attributes:
        trial: The trial being evaluated.
    """

    def __init__(self, searcher: Searcher, trial: Trial, pruner: Pruner | None) -> None:
        self._searcher, self.trial, self._pruner = searcher, trial, pruner

    def __call__(self, step: int, value: float) -> None:
        if finite_float(value) is None:  # a diverged training: the trial fails, as a non-finite result would
            raise _Diverged(f"it reported {scalar(value)!r} at step {step}")
        self._searcher.report(self.trial, step, value)
        if self._pruner is not None and self._pruner.prune(self._searcher, self.trial):
            raise TrialPruned(f"trial {self.trial.id} pruned at step {step} by {self._pruner!r}")


class _Diverged(Exception):
    """A reported value that is not a finite number: the trial is told failed and the study goes on."""


def _takes_report(objective: Objective) -> bool:
    """Whether ``objective`` has a parameter named ``report``."""
    try:
        return "report" in inspect.signature(objective).parameters
    except (TypeError, ValueError):  # a builtin or extension callable without a signature
        return False


def _evaluate_and_tell(
    objective: Objective,
    searcher: Searcher,
    trial: Trial,
    catch: tuple[type[Exception], ...],
    reporter: Reporter | None = None,
) -> None:
    try:
        params = dict(trial.params)  # the objective may change its copy; the trial stays as asked
        kwargs: dict[str, Any] = {} if trial.budget is None else {"budget": trial.budget}
        if reporter is not None:
            kwargs["report"] = reporter
        value = objective(params, **kwargs)
    except _Diverged as diverged:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrialFailedWarning)
            searcher.tell(trial, failed=True)
        warnings.warn(f"trial {trial.id} failed: {diverged}; the study goes on", TrialFailedWarning, stacklevel=3)
        return
    except TrialPruned:
        if trial.intermediate:
            searcher.tell(trial, pruned=True)
        else:  # stopped before it reported anything: no value to keep
            searcher.tell(trial, failed=True)
        return
    except catch as err:
        logger.debug("trial %d raised", trial.id, exc_info=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrialFailedWarning)
            searcher.tell(trial, failed=True)
        warnings.warn(
            f"trial {trial.id} failed: the objective raised {type(err).__name__}: {err}; the study goes on",
            TrialFailedWarning,
            stacklevel=3,
        )
        return
    except BaseException:
        # not the objective's expected failure: record the trial, then let the exception stop the loop
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrialFailedWarning)
            searcher.tell(trial, failed=True)
        raise
    try:
        if not searcher.objectives.constraints:
            searcher.tell(trial, value)
        elif isinstance(value, tuple) and len(value) == 2:
            searcher.tell(trial, value[0], constraints=value[1])
        else:
            raise TypeError(
                f"the searcher has outcome constraints: the objective returns (values, constraints), got {value!r}"
            )
    except (TypeError, ValueError):  # a malformed result: the trial is recorded as failed, then the loop stops
        if any(t.id == trial.id for t in searcher.pending):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TrialFailedWarning)
                searcher.tell(trial, failed=True)
        raise
