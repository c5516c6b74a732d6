"""Independent L-BFGS-B runs, one per row, whose function evaluations are batched into one call.

    r   rows (restarts);  c variables per row.

Each row is minimised by its own ``scipy.optimize.minimize(method="L-BFGS-B")``: its own curvature pairs, its own
line search, its own stopping test. The runs are interleaved as greenlets: every run advances until it asks for a
function value, then all the points asked for are evaluated in one call of ``fun``, and each run resumes with its
value. So the cost in calls is that of the longest run, not the sum of the runs, and a row's result does not depend
on the other rows (a row run alone gives the same iterates, as far as the batched evaluation gives the same values).

The acquisition optimizer uses it both ways (``refine=`` of :func:`~bohpo.acquisition.optimize_acquisition`): with
one row per restart (``"each"``), or with one row holding every restart stacked into one vector whose loss is the sum
of their acquisitions (``"stacked"``, the default, as BoTorch's ``gen_candidates_scipy``). The stacked run shares one
line search and one relative stopping test among restarts whose acquisitions differ by orders of magnitude, and
stops while some are still climbing: at d <= 6 the runs per restart end higher in 14 of 36 asks, never lower
(``benchmarks/results/traps/refine_diagnostic.md``). The optimizer's regrets were level all the same (24 of 25
problems, ``refine.md``), and at d = 2 the runs per restart cost more, so the stacked run stays the default. Running
many independent problems' L-BFGS-B in one batch of calls is what this module is for either way.

scipy gives no batched L-BFGS-B and no reverse-communication interface; greenlets (the ``greenlet`` package, as
Optuna's GP sampler uses) turn its calls into a batch. Without ``greenlet`` the rows run one after another, with the
same results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import minimize

__all__ = ["minimize_rows"]

BatchedLoss = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``fun(rows, U)``: the row indices (k,) being evaluated and their points U (k, c) -> losses (k,), gradients (k, c)."""


def minimize_rows(
    fun: BatchedLoss,
    x0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    max_iter: int,
    ftol: float,
    gtol: float,
) -> np.ndarray:
    """Minimise each row of x0 (r, c) within [lower, upper] (c,) by its own L-BFGS-B run; returns the results (r, c).

    ``fun`` is called with the rows still running (in increasing order) and their current points; each run stops by
    its own test (``ftol``, ``gtol``, ``max_iter`` iterations) and keeps scipy's result for it."""
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.ndim != 2 or x0.shape[0] == 0:
        raise ValueError(f"x0 must be of shape (r, c) with r >= 1, got {x0.shape}")
    bounds = list(zip(lower, upper, strict=True))
    options = {"maxiter": max_iter, "ftol": ftol, "gtol": gtol}
    if x0.shape[0] == 1:  # nothing to interleave
        return _run_alone(fun, 0, x0[0], bounds, options)[None, :]
    try:
        from greenlet import getcurrent, greenlet
    except ImportError:  # the same runs, one after another
        return np.stack([_run_alone(fun, i, x0[i], bounds, options) for i in range(x0.shape[0])])

    parent = getcurrent()

    def run(i: int) -> tuple[str, int, np.ndarray]:
        def row_loss(u: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = parent.switch(("eval", i, u.copy()))
            return value, grad

        result: Any = minimize(row_loss, x0[i], jac=True, method="L-BFGS-B", bounds=bounds, options=options)
        return ("done", i, np.asarray(result.x, dtype=np.float64))

    runs = [greenlet(run) for _ in range(x0.shape[0])]
    results: list[np.ndarray | None] = [None] * x0.shape[0]
    waiting: dict[int, np.ndarray] = {}

    def receive(message: tuple[str, int, np.ndarray]) -> None:
        kind, i, u = message
        if kind == "done":
            results[i] = u
        else:
            waiting[i] = u

    for i, g in enumerate(runs):
        receive(g.switch(i))
    while waiting:
        rows = np.array(sorted(waiting))
        values, grads = fun(rows, np.stack([waiting[i] for i in rows]))
        waiting.clear()
        for j, i in enumerate(rows):
            receive(runs[i].switch((float(values[j]), np.asarray(grads[j], dtype=np.float64))))
    finished = [u for u in results if u is not None]
    if len(finished) != len(results):  # every run ends by returning its result; a missing one is a defect here
        raise RuntimeError("an L-BFGS-B run ended without a result")
    return np.stack(finished)


def _run_alone(fun: BatchedLoss, i: int, x0: np.ndarray, bounds: list[Any], options: dict[str, Any]) -> np.ndarray:
    rows = np.array([i])

    def row_loss(u: np.ndarray) -> tuple[float, np.ndarray]:
        values, grads = fun(rows, u[None, :])
        return float(values[0]), np.asarray(grads[0], dtype=np.float64)

    result: Any = minimize(row_loss, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
    return np.asarray(result.x, dtype=np.float64)
