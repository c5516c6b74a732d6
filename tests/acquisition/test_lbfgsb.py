"""Independent L-BFGS-B runs with batched evaluations: each row as if minimised alone, in the calls of the longest."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from scipy.optimize import minimize

from bohpo.acquisition.lbfgsb import minimize_rows

OPTIONS: dict[str, Any] = {"max_iter": 200, "ftol": 1e-12, "gtol": 1e-10}


class ShiftedRosenbrocks:
    """Row i: offset_i + weight_i * Rosenbrock(u - shift_i + 1), minimised at u = shift_i; records the rows of every
    call."""

    def __init__(self, shifts: np.ndarray, weights: np.ndarray, offsets: np.ndarray | None = None) -> None:
        self.shifts, self.weights = shifts, weights
        self.offsets = np.zeros(len(weights)) if offsets is None else offsets
        self.calls: list[list[int]] = []

    def __call__(self, rows: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls.append(rows.tolist())
        values, grads = zip(*(self.one(int(i), u) for i, u in zip(rows, U, strict=True)), strict=True)
        return np.array(values), np.stack(grads)

    def one(self, i: int, u: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = u - self.shifts[i] + 1.0
        w = self.weights[i]
        value = self.offsets[i] + w * ((1 - a) ** 2 + 100 * (b - a**2) ** 2)
        grad = w * np.array([-2 * (1 - a) - 400 * a * (b - a**2), 200 * (b - a**2)])
        return value, grad


def _alone(f: ShiftedRosenbrocks, i: int, x0: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> Any:
    return minimize(
        lambda u: f.one(i, u), x0, jac=True, method="L-BFGS-B", bounds=list(zip(lower, upper, strict=True)),
        options={"maxiter": OPTIONS["max_iter"], "ftol": OPTIONS["ftol"], "gtol": OPTIONS["gtol"]},
    )  # fmt: skip


def _problem() -> tuple[ShiftedRosenbrocks, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    shifts = rng.uniform(0.5, 1.5, size=(5, 2))
    weights = np.array([1e6, 1.0, 1e-3, 30.0, 1.0])  # losses orders of magnitude apart
    x0 = rng.uniform(0.0, 2.0, size=(5, 2))
    return ShiftedRosenbrocks(shifts, weights), x0, np.zeros(2), np.full(2, 2.0)


def test_each_row_gets_the_iterates_it_would_get_alone() -> None:
    f, x0, lower, upper = _problem()
    together = minimize_rows(f, x0, lower, upper, **OPTIONS)
    for i in range(x0.shape[0]):
        np.testing.assert_array_equal(together[i], _alone(f, i, x0[i], lower, upper).x)
        np.testing.assert_allclose(together[i], f.shifts[i], atol=1e-4)  # each at its own minimum


def test_the_calls_are_those_of_the_longest_run_and_finished_rows_drop_out() -> None:
    f, x0, lower, upper = _problem()
    evaluations = [_alone(f, i, x0[i], lower, upper).nfev for i in range(x0.shape[0])]
    f.calls.clear()
    minimize_rows(f, x0, lower, upper, **OPTIONS)
    assert len(f.calls) == max(evaluations) < sum(evaluations)
    assert f.calls[0] == [0, 1, 2, 3, 4]
    for i, n in enumerate(evaluations):  # row i is in exactly its own run's number of calls
        assert sum(i in rows for rows in f.calls) == n
    assert all(rows == sorted(rows) for rows in f.calls)


def test_a_row_converges_beside_one_whose_loss_is_large_wherever_it_is() -> None:
    # As a restart far from the data, whose log EI is about -1e4 everywhere near it. One solver on the stacked rows
    # stops when the sum stops falling relative to its size, which happens while the second row is still far off.
    shifts = np.array([[1.0, 1.0], [0.7, 1.3]])
    f = ShiftedRosenbrocks(shifts, np.array([1e-3, 1.0]), offsets=np.array([1e4, 0.0]))
    x0 = np.array([[1.2, 0.8], [0.2, 0.4]])
    result = minimize_rows(f, x0, np.zeros(2), np.full(2, 2.0), max_iter=100, ftol=1e-6, gtol=1e-5)
    np.testing.assert_allclose(result[1], shifts[1], atol=1e-2)


def test_bounds_hold_where_the_minimum_lies_outside() -> None:
    f = ShiftedRosenbrocks(np.array([[2.5, 2.5], [0.5, 0.5]]), np.ones(2))
    result = minimize_rows(f, np.full((2, 2), 1.0), np.zeros(2), np.full(2, 2.0), **OPTIONS)
    assert np.all(result >= 0) and np.all(result <= 2.0)
    np.testing.assert_allclose(result[1], [0.5, 0.5], atol=1e-4)


def test_without_greenlet_the_rows_run_one_after_another_to_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    f, x0, lower, upper = _problem()
    together = minimize_rows(f, x0, lower, upper, **OPTIONS)
    monkeypatch.setitem(sys.modules, "greenlet", None)  # import greenlet now raises ImportError
    f.calls.clear()
    alone = minimize_rows(f, x0, lower, upper, **OPTIONS)
    np.testing.assert_array_equal(alone, together)
    assert all(len(rows) == 1 for rows in f.calls)


def test_an_error_in_the_loss_reaches_the_caller() -> None:
    def broken(rows: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise FloatingPointError("the loss failed")

    with pytest.raises(FloatingPointError, match="the loss failed"):
        minimize_rows(broken, np.zeros((3, 2)), np.zeros(2), np.ones(2), **OPTIONS)
    with pytest.raises(ValueError, match=r"shape \(r, c\)"):
        minimize_rows(broken, np.zeros(3), np.zeros(2), np.ones(2), **OPTIONS)
