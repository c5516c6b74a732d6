"""Exploration policies beyond the model: when a step's points come from the space-filling design instead.

Glossary:
    n_rows  told rows in the order told: X (n_rows, D), y (n_rows,) minimised, +inf for a failed row.
    s       the spread of the finite values that sets what counts as a tie or an improvement: median - best.

A policy is called once per step with the proposer's :class:`~bohpo.acquisition.Step` and says how many of its points
come from the design: :class:`ModelOnly` none, :class:`RandomFraction` each with a fixed probability,
:class:`TieStagnation` one while the model's values stall on ties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from bohpo._checks import check_count, finite_float

if TYPE_CHECKING:
    from bohpo.acquisition.propose import Step

__all__ = ["ModelOnly", "RandomFraction", "TieStagnation", "is_tied_and_stagnant"]

# Relative difference below which two values tie whatever the tolerance: float64 rounding of a sum or mean of a few
# terms is ~1e-16 relative, a smooth objective near its optimum differs by far more (Branin's best runs by 1e-7)
_ROUNDING = 1e-12


class ModelOnly:
    """Once the initial design is done, every point comes from the model (the default for a density-ratio
    surrogate, whose draws from l(x) explore already)."""

    def __repr__(self) -> str:
        return "ModelOnly()"

    def __call__(self, step: Step) -> int:
        return 0


class RandomFraction:
    """Each point comes from the space-filling design with probability ``fraction`` (BOHB's random fraction, an
    epsilon-greedy guard against a model that is wrong where it is confident).

    One uniform draw per point from the step's generator, whatever ``fraction`` is.
    """

    def __init__(self, fraction: float) -> None:
        value = finite_float(fraction)
        if value is None or not 0 <= value <= 1:
            raise ValueError(f"fraction must be a number in [0, 1], got {fraction!r}")
        self.fraction = value

    def __repr__(self) -> str:
        return f"RandomFraction({self.fraction!r})"

    def __call__(self, step: Step) -> int:
        draws = torch.rand(step.n, generator=step.generator, dtype=torch.float64)
        return int((draws < self.fraction).sum())


class TieStagnation:
    """Space-filling points while the model keeps returning the incumbent's value without improving on it.

    The model is stalled when none of the last ``patience`` told values is below the best value before them by more
    than ``tolerance`` x s, and at least half of them tie the best (lie within ``tolerance`` x s of it), where s is
    the median of the finite values less the best (a scale that no single wild value sets). Then one of the step's
    points comes from the space-filling design (the proposer puts it last) and the others from the model. On a
    plateau the design's points tie too, so the design goes on giving points until one of them, or the model's,
    improves: where every value evaluated ties, the model has nothing to say that a space-filling point does not say
    better. With the default ``tolerance`` of 0 a tie is an exact one, up to rounding (a relative difference below
    1e-12 of the larger of |best| and s), which a smooth objective does not produce before it has converged to that
    precision, so smooth objectives are left alone; objectives whose values come in steps (a cross-validated
    accuracy, a tree's loss) do tie, and there the rule acts. Rounding matters: the same cross-validated loss,
    reached by another configuration, can differ in its last bits (0.01932929669306005 against
    0.01932929669306027), and without it the rule never fired on a linear model's plateau of such losses. A positive
    tolerance also counts near ties, and then also fires where a smooth optimum has converged.

    The rule reads ``step.y`` as the told values in the order told. A multi-fidelity searcher's model rows also
    hold its pending configurations as +inf (worse than any value), which never tie: with many pending the rule
    rarely fires there.

    Why ties: a GP with a stationary kernel cannot believe that a region is exactly flat. On a plateau at the
    incumbent's value its posterior mean equals the best and its spread between tied points is positive, so
    expected improvement keeps filling the plateau (a linear model's loss at five solver iterations returned 21
    times in 60 evaluations, above what random search's median reaches).
    ``benchmarks/results/traps/exploration.md`` measures it.

    Example:
        >>> policy = TieStagnation(patience=3)
        >>> history = torch.tensor([3.0, 1.0, 2.0, 1.0, 4.0, 1.0], dtype=torch.float64)  # ties, no improvement
        >>> is_tied_and_stagnant(history, policy.patience, policy.tolerance)
        True

    Args:
        patience: Evaluations in the window (default 5).
        tolerance: Ties and improvements, in units of s (default 0: exact ties, any improvement).
    """

    def __init__(self, patience: int = 5, tolerance: float = 0.0) -> None:
        self.patience = check_count(patience, "patience", minimum=1)
        value = finite_float(tolerance)
        if value is None or value < 0:
            raise ValueError(f"tolerance must be a number >= 0, got {tolerance!r}")
        self.tolerance = value

    def __repr__(self) -> str:
        return f"TieStagnation(patience={self.patience}, tolerance={self.tolerance!r})"

    def __call__(self, step: Step) -> int:
        if step.y.ndim != 1:
            return 0  # several outputs (objectives, constraints): ties of one of them say nothing of the front
        return int(is_tied_and_stagnant(step.y, self.patience, self.tolerance))


def is_tied_and_stagnant(y: Tensor, patience: int, tolerance: float) -> bool:
    """Whether the last ``patience`` of y (n_rows,) (minimised, in the order told, +inf for a failed row) brought no
    improvement beyond ``tolerance`` x s on the best before them, and at least half of them tie the best within it
    (s = median - best of the finite values; differences below 1e-12 of max(|best|, s) are rounding and always tie)."""
    check_count(patience, "patience", minimum=1)
    margin_factor = finite_float(tolerance)
    if margin_factor is None or margin_factor < 0:
        raise ValueError(f"tolerance must be a number >= 0, got {tolerance!r}")
    if y.ndim != 1:
        raise ValueError(f"y must be a tensor of shape (n_rows,), got {tuple(y.shape)}")
    earlier, recent = y[:-patience], y[-patience:]
    finite = y[torch.isfinite(y)]
    earlier = earlier[torch.isfinite(earlier)]
    if recent.shape[0] < patience or earlier.numel() == 0:
        return False
    best = finite.min()
    spread = float(finite.median() - best)
    # values equal up to the rounding of the arithmetic that produced them tie whatever the tolerance: a
    # cross-validated loss is a mean of fold scores, and the same loss summed in another order differs in its last bits
    rounding = _ROUNDING * max(abs(float(best)), spread)
    margin = max(margin_factor * spread, rounding)
    if float(earlier.min() - best) > margin:
        return False  # the window improved on what came before it
    ties = int(((recent - best).abs() <= margin).sum())
    return 2 * ties >= patience
