"""``minimize``: the ask -> evaluate -> tell loop, for when the objective is a Python function."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from bohpo._checks import check_count
from bohpo.errors import SearchExhausted, TrialFailedWarning
from bohpo.searchers.base import Direction, Searcher
from bohpo.searchers.registry import make_searcher
from bohpo.seeding import SeedLike
from bohpo.space import Space
from bohpo.trial import Trial

__all__ = ["minimize"]

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
) -> Searcher:
    """Run ``n_trials`` rounds of ask -> ``objective(params)`` -> tell.

    Args:
        objective: Called as ``objective(params)``, or ``objective(params, budget=b)`` for a trial with a budget;
            returns a number.
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

    with tqdm(total=n_trials, disable=not progress, desc=type(searcher).__name__, unit="trial") as bar:
        for _ in range(n_trials):
            try:
                trial = searcher.ask()
            except SearchExhausted as exhausted:
                logger.info("stopping early: %s", exhausted)
                break
            _evaluate_and_tell(objective, searcher, trial, catch)
            bar.update(1)
            if searcher.best is not None:
                bar.set_postfix(best=f"{searcher.best.value:.6g}")
    return searcher


def _evaluate_and_tell(
    objective: Objective, searcher: Searcher, trial: Trial, catch: tuple[type[Exception], ...]
) -> None:
    try:
        params = dict(trial.params)  # the objective may change its copy; the trial stays as asked
        value = objective(params) if trial.budget is None else objective(params, budget=trial.budget)
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
    searcher.tell(trial, value)
