"""Warnings and exceptions that bohpo raises on purpose."""

from __future__ import annotations

__all__ = ["NumericalWarning", "SearchExhausted", "TrialFailedWarning", "TrialPruned"]


class TrialFailedWarning(UserWarning):
    """A trial was told as failed (explicitly, or with a value that is not a finite number).

    The trial stays in the history with status ``failed`` and the study goes on.
    """


class NumericalWarning(RuntimeWarning):
    """A model ran into numerical trouble and fell back to a safe suggestion."""


class SearchExhausted(RuntimeError):
    """A searcher has nothing left to propose (every grid point has been asked, for instance)."""


class TrialPruned(Exception):
    """Raised by the ``report`` callable that ``minimize`` and the benchmark runner hand an objective, when the pruner
    stops the trial: let it propagate out of the objective, and the trial is told pruned with its last reported value.
    """
