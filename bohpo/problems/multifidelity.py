"""Multi-fidelity problems: a ``budget`` buys a better estimate of the objective at a higher cost.

Real ones, each scored by the error on a fixed, seeded, stratified validation split of a bundled dataset (a quarter
of it); the model is fitted on the rest:
    - ``mlp-epochs-digits``: an MLP trained with ``partial_fit`` for ``budget`` epochs (1..27);
    - ``boosting-trees-breast-cancer``: histogram gradient boosting with ``budget`` trees (2..162);
    - ``svm-fraction-digits``: an SVM fitted on a ``budget`` fraction of the training split (1/27..1; the smaller
      subsets are nested in the larger ones).
Synthetic ones with a known optimum and a tunable fidelity bias (``mf-branin``, ``mf-hartmann6``; budgets 1..81):

    f_b(x) = f(x) + bias * (1 - phi(b)) * amplitude * h(u),    phi(b) = log(b / min_b) / log(max_b / min_b)

where u is x scaled to the unit cube and h(u) = mean_i sin(3 pi u_i + i) in [-1, 1] moves the minimiser at low
budgets; at ``max_budget`` (or ``budget=None``) f_b is the original f, so the optimum is f's.

Every problem takes ``budget=None`` as its largest budget, so searchers without budgets run at full fidelity.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable, Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from bohpo._checks import finite_float
from bohpo.problems.base import Problem, SyntheticProblem
from bohpo.problems.sklearn import load_dataset
from bohpo.problems.synthetic import Branin, Hartmann6
from bohpo.space import Categorical, Float, Int, Space

__all__ = [
    "BoostingTrees",
    "DataFraction",
    "FidelityBiased",
    "MLPEpochs",
    "MultiFidelityProblem",
    "make_multifidelity_problem",
    "multifidelity_problem_names",
]


class MultiFidelityProblem(Problem):
    """A problem whose ``__call__(params, budget)`` takes a budget in ``[min_budget, max_budget]``."""

    min_budget: float
    max_budget: float

    def check_budget(self, budget: Any) -> float:
        """``budget`` as a float in [min_budget, max_budget]; None means max_budget."""
        if budget is None:
            return self.max_budget
        number = finite_float(budget)
        if number is None or not self.min_budget * (1 - 1e-9) <= number <= self.max_budget * (1 + 1e-9):
            raise ValueError(f"{self.name}: budget must lie in [{self.min_budget}, {self.max_budget}], got {budget!r}")
        return min(max(number, self.min_budget), self.max_budget)

    def fidelity(self, budget: float) -> float:
        """phi(budget) = log(budget / min_budget) / log(max_budget / min_budget), in [0, 1]."""
        return math.log(budget / self.min_budget) / math.log(self.max_budget / self.min_budget)


class FidelityBiased(MultiFidelityProblem):
    """A synthetic function whose low budgets are biased towards another minimiser (see the module docstring).

    Args:
        base: The function at full fidelity (its optimum is this problem's).
        bias: Strength of the low-fidelity bias, >= 0 (0: every budget gives the exact function).
        amplitude: Scale of the bias in the function's units.
        min_budget, max_budget: The budget range.
        name: Registry name.

    Example:
        >>> problem = FidelityBiased(Branin(), amplitude=10.0)
        >>> x = {"x0": float(problem.base.minimizers[0, 0]), "x1": float(problem.base.minimizers[0, 1])}
        >>> round(problem(x) - problem.optimum, 9), problem(x, budget=1) != problem(x)
        (0.0, True)
    """

    def __init__(
        self,
        base: SyntheticProblem,
        *,
        bias: float = 1.0,
        amplitude: float = 1.0,
        min_budget: float = 1.0,
        max_budget: float = 81.0,
        name: str | None = None,
    ) -> None:
        strength, scale = finite_float(bias), finite_float(amplitude)
        if strength is None or strength < 0:
            raise ValueError(f"bias must be a finite number >= 0, got {bias!r}")
        if scale is None or scale < 0:
            raise ValueError(f"amplitude must be a finite number >= 0, got {amplitude!r}")
        low, high = finite_float(min_budget), finite_float(max_budget)
        if low is None or high is None or not 0 < low < high:
            raise ValueError(f"need 0 < min_budget < max_budget, got {min_budget!r} and {max_budget!r}")
        self.base, self.bias, self.amplitude = base, strength, scale
        self.min_budget, self.max_budget = low, high
        self.space, self.optimum = base.space, base.optimum
        self.name = name or f"mf-{base.name}"

    def evaluate_true(self, X: torch.Tensor) -> torch.Tensor:
        """The full-fidelity values: X (n, d) in the problem's coordinates -> (n,), the base function's."""
        return self.base.evaluate_true(X)

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        b = self.check_budget(budget)
        X = self.base.to_tensor([params])  # (1, d)
        value = float(self.base.evaluate_true(X)[0])
        lo, hi = self.base.bounds[:, 0], self.base.bounds[:, 1]
        u = (X[0] - lo) / (hi - lo)
        h = torch.sin(3 * math.pi * u + torch.arange(u.shape[0], dtype=u.dtype)).mean()
        return value + self.bias * (1.0 - self.fidelity(b)) * self.amplitude * float(h)

    def __repr__(self) -> str:
        return f"FidelityBiased({self.base!r}, bias={self.bias}, amplitude={self.amplitude})"


@cache
def _split(dataset: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardised (X_train, X_valid, y_train, y_valid): a stratified quarter held out, the training rows in a
    seeded random order (so the first k of them are a random subset, nested in every larger one)."""
    X, y = load_dataset(dataset)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(X_train)
    order = np.random.default_rng(seed).permutation(len(X_train))
    return scaler.transform(X_train)[order], scaler.transform(X_valid), y_train[order], y_valid


def _no_report(step: int, value: float) -> None:
    """A ``report`` that keeps nothing: ``__call__`` of a problem with a learning curve."""


class _HoldoutProblem(MultiFidelityProblem):
    """Shared: a dataset, a seeded split, and a validation error."""

    dataset: str

    def __init__(self, *, seed: int = 0) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        self.seed = seed
        self.optimum = None

    def _data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return _split(self.dataset, self.seed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed})"


class MLPEpochs(_HoldoutProblem):
    """An MLP classifier on digits trained for ``budget`` epochs (one ``partial_fit`` pass each, Adam).

    The budget is rounded to the nearest whole epoch (half to even); Hyperband's budgets on [1, 27] with eta = 3
    are whole already. Training is deterministic under the problem's seed, so a configuration
    trained for 9 epochs passes through exactly the state it had after 3.
    """

    dataset = "digits"
    name = "mlp-epochs-digits"
    min_budget = 1.0
    max_budget = 27.0
    space = Space(
        {
            "alpha": Float(1e-6, 1e-1, log=True),
            "learning_rate_init": Float(1e-4, 1e-1, log=True),
            "hidden_size": Int(16, 128, log=True),
            "batch_size": Int(16, 256, log=True),
            "activation": Categorical(["relu", "tanh", "logistic"]),
        }
    )

    max_step = 27  # epochs
    schedulable = ("alpha", "learning_rate_init", "batch_size")  # may change between epochs (population training)
    architecture: Mapping[str, Any] = MappingProxyType({"hidden_size": 64, "activation": "relu"})

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        return self.curve(params, _no_report, budget)

    @property
    def schedule_space(self) -> Space:
        """The hyperparameters that may change during training (:attr:`schedulable`), for population-based training."""
        return Space({name: self.space[name] for name in self.schedulable})

    def train(self, params: Mapping[str, Any], state: Any, *, until: int) -> tuple[Any, float]:
        """Continue training ``state`` (``None``: a new network) to epoch ``until`` with ``params``' regularisation,
        learning rate and batch size, which may differ from the epochs before (population-based training changes
        them); returns the new state, a checkpoint (``state`` itself is left as it was), and the validation error.

        A new network takes ``hidden_size`` and ``activation`` from ``params`` where given, else
        :attr:`architecture`; training is deterministic under the problem's seed, so the same schedule gives the same
        network whether trained in one go or in segments."""
        from sklearn.neural_network import MLPClassifier

        X_train, X_valid, y_train, y_valid = self._data()
        if state is None:
            shape = {**self.architecture, **{k: params[k] for k in self.architecture if k in params}}
            model, epoch = (
                MLPClassifier(
                    hidden_layer_sizes=(shape["hidden_size"],), activation=shape["activation"], random_state=self.seed
                ),
                0,
            )
        else:
            model, epoch = copy.deepcopy(state)
        if until < epoch:
            raise ValueError(f"until = {until} is before the state's epoch {epoch}")
        model.set_params(alpha=params["alpha"], learning_rate_init=params["learning_rate_init"],
                         batch_size=params["batch_size"])  # fmt: skip
        if hasattr(model, "_optimizer"):  # Adam keeps its own copy of the learning rate once training started
            model._optimizer.learning_rate_init = params["learning_rate_init"]
        classes = np.unique(y_train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for _ in range(epoch, until):
                model.partial_fit(X_train, y_train, classes=classes)
        error = float(1.0 - model.score(X_valid, y_valid)) if until > 0 else 1.0
        return (model, until), error

    def curve(
        self, params: Mapping[str, Any], report: Callable[[int, float], None], budget: float | None = None
    ) -> float:
        """Train for ``budget`` epochs, reporting the validation error after each (step: the epochs trained)."""
        from sklearn.neural_network import MLPClassifier

        epochs = round(self.check_budget(budget))
        p = self.space.validate(params)
        X_train, X_valid, y_train, y_valid = self._data()
        model = MLPClassifier(
            hidden_layer_sizes=(p["hidden_size"],), activation=p["activation"], alpha=p["alpha"],
            learning_rate_init=p["learning_rate_init"], batch_size=p["batch_size"], random_state=self.seed,
        )  # fmt: skip
        classes = np.unique(y_train)
        error = math.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for epoch in range(epochs):
                model.partial_fit(X_train, y_train, classes=classes)
                error = float(1.0 - model.score(X_valid, y_valid))
                report(epoch + 1, error)
        return error


class BoostingTrees(_HoldoutProblem):
    """Histogram gradient boosting on breast cancer with ``budget`` trees (rounded to the nearest whole number, half
    to even; Hyperband's budgets on [2, 162] with eta = 3 are whole already), without early stopping."""

    dataset = "breast-cancer"
    name = "boosting-trees-breast-cancer"
    min_budget = 2.0
    max_budget = 162.0
    space = Space(
        {
            "learning_rate": Float(1e-3, 1.0, log=True),
            "max_leaf_nodes": Int(4, 64, log=True),
            "min_samples_leaf": Int(1, 64, log=True),
            "l2_regularization": Float(1e-6, 10.0, log=True),
            "max_features": Float(0.1, 1.0),
        }
    )

    max_step = 162  # trees

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        from sklearn.ensemble import HistGradientBoostingClassifier

        trees = round(self.check_budget(budget))
        X_train, X_valid, y_train, y_valid = self._data()
        model = HistGradientBoostingClassifier(
            max_iter=trees, early_stopping=False, random_state=self.seed, **self.space.validate(params)
        )
        return float(1.0 - model.fit(X_train, y_train).score(X_valid, y_valid))

    def curve(
        self, params: Mapping[str, Any], report: Callable[[int, float], None], budget: float | None = None
    ) -> float:
        """Fit ``budget`` trees, then report the validation error of the first 2, 4, 6, ... trees (step: the trees;
        a model of k trees is the first k stages of the full one, so the curve is what training would show). The
        fit is paid whole: ``report`` raising stops the reading, not the fitting, so a pruner saves steps here, not
        seconds."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        trees = round(self.check_budget(budget))
        X_train, X_valid, y_train, y_valid = self._data()
        model = HistGradientBoostingClassifier(
            max_iter=trees, early_stopping=False, random_state=self.seed, **self.space.validate(params)
        ).fit(X_train, y_train)
        error = math.nan
        for stage, predicted in enumerate(model.staged_predict(X_valid)):
            if stage % 2 == 1 or stage == trees - 1:
                error = float(1.0 - np.mean(predicted == y_valid))  # as 1 - score, to the last bit
                report(stage + 1, error)
        return error


class DataFraction(_HoldoutProblem):
    """An RBF / polynomial SVM on digits fitted on the first ``budget`` fraction of the (shuffled) training split."""

    dataset = "digits"
    name = "svm-fraction-digits"
    min_budget = 1.0 / 27.0
    max_budget = 1.0
    space = Space(
        {
            "C": Float(1e-2, 1e3, log=True),
            "gamma": Float(1e-5, 1e1, log=True),
            "kernel": Categorical(["rbf", "poly", "sigmoid"]),
        }
    )

    def training_rows(self, fraction: float) -> slice:
        """The training rows a budget fraction uses: a prefix of the shuffled split (so smaller fractions are
        nested in larger ones), at least two rows per class."""
        _, _, y_train, _ = self._data()
        return slice(0, max(round(fraction * len(y_train)), 2 * len(np.unique(y_train))))

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> float:
        from sklearn.svm import SVC

        rows = self.training_rows(self.check_budget(budget))
        X_train, X_valid, y_train, y_valid = self._data()
        model = SVC(**self.space.validate(params), max_iter=20_000, random_state=self.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train[rows], y_train[rows])
        return float(1.0 - model.score(X_valid, y_valid))


_PROBLEMS: dict[str, Callable[[], MultiFidelityProblem]] = {
    "mf-branin": lambda: FidelityBiased(Branin(), amplitude=20.0, name="mf-branin"),
    "mf-hartmann6": lambda: FidelityBiased(Hartmann6(), amplitude=1.0, name="mf-hartmann6"),
    "mlp-epochs-digits": MLPEpochs,
    "boosting-trees-breast-cancer": BoostingTrees,
    "svm-fraction-digits": DataFraction,
}


def multifidelity_problem_names() -> list[str]:
    """Names of the multi-fidelity problems, sorted."""
    return sorted(_PROBLEMS)


def make_multifidelity_problem(name: str) -> MultiFidelityProblem:
    """Build a multi-fidelity problem by name."""
    return _PROBLEMS[name]()
