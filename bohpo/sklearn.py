"""scikit-learn integration: hyperparameter search estimators driven by bohpo's searchers.

``BayesSearchCV`` slots in where ``RandomizedSearchCV`` does: it is built on scikit-learn's ``BaseSearchCV``, so
``fit``, ``predict``, ``score``, ``best_params_``, ``best_score_``, ``best_estimator_``, ``cv_results_``, multi-metric
scoring, groups, ``n_jobs`` over folds and ``Pipeline`` parameter names (``step__param``) all behave as there. The
searcher is asked for ``n_points`` configurations at a time; each is scored by cross-validation, and its mean test
score (the refit metric's, under multi-metric scoring) is told back; scikit-learn's scores are maximised. A
configuration whose every fit fails is told as failed and the search goes on. The folds are split once per ``fit``,
so every configuration is scored on the same ones.

``HyperbandSearchCV`` is the multi-fidelity variant, like ``HalvingRandomSearchCV``: its trials carry a budget of a
resource, either the number of training samples (each fold's training part subsampled, class by class, the smaller
subsets nested in the larger ones) or an estimator parameter such as ``n_estimators``, and a successive-halving
searcher (Hyperband by default; successive halving, ASHA or BOHB) decides which configuration gets how much of it.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state

from bohpo._checks import finite_float, unknown_name
from bohpo.errors import TrialFailedWarning
from bohpo.searchers.base import Searcher
from bohpo.searchers.registry import (
    make_fidelity_searcher,
    make_searcher,
    searcher_names,
    searcher_needs_budgets,
)
from bohpo.seeding import derive_seed
from bohpo.space import Categorical, Float, Int, Space
from bohpo.trial import Trial

__all__ = [
    "BayesSearchCV",
    "HyperbandSearchCV",
    "as_space",
    "check_parameter_names",
    "estimator_params",
    "space_of_dicts",
]

_SUBSAMPLE_STREAM = 1  # seeding key of the n_samples subsets, apart from the searcher's seed


CHOICE = "__space"  # the root of a space built from a list of dicts: which dict a configuration comes from


def as_space(space: Any) -> Space:
    """A bohpo ``Space`` from a ``Space``, a mapping of names to bohpo parameters, or a list of such mappings
    (:func:`space_of_dicts`)."""
    if isinstance(space, Space):
        return space
    if isinstance(space, Mapping):
        for name, param in space.items():
            if not isinstance(param, (Float, Int, Categorical)):
                raise TypeError(
                    f"space[{name!r}] must be a bohpo Float, Int or Categorical, got {type(param).__name__} {param!r}"
                )
        return Space(dict(space))
    if isinstance(space, (list, tuple)):
        return space_of_dicts(space)
    raise TypeError(
        f"space must be a bohpo Space, a dict of bohpo parameters or a list of such dicts, got {type(space).__name__}"
    )


def space_of_dicts(spaces: list[Any] | tuple[Any, ...]) -> Space:
    """One conditional space from a list of spaces (dicts of bohpo parameters, or ``Space`` objects without
    conditions), as ``GridSearchCV`` and ``RandomizedSearchCV`` take a list of grids: a root categorical
    ``"__space"`` chooses the dict, and each dict's parameters are active under its choice.

    A name that several dicts give with the same parameter is one parameter, active under each of them (so a model
    learns from all of them); given with different parameters, it is one parameter per dict, named ``"name@i"``
    (:func:`estimator_params` gives it back its name). A dict whose choice is a pipeline step's estimator
    (``{"clf": Categorical([SVC()]), "clf__C": Float(...)}``) makes model selection and tuning one search.

    Example:
        >>> tree = space_of_dicts([{"kernel": Categorical(["rbf"]), "C": Float(0.1, 10.0, log=True),
        ...                         "gamma": Float(1e-3, 1.0, log=True)},
        ...                        {"kernel": Categorical(["linear"]), "C": Float(0.1, 10.0, log=True)}])
        >>> tree.names
        ['__space', 'kernel@0', 'C', 'gamma', 'kernel@1']
        >>> estimator_params(tree.validate({"__space": 1, "kernel@1": "linear", "C": 2.0}))
        {'C': 2.0, 'kernel': 'linear'}
    """
    if not spaces:
        raise ValueError("space: a list of dicts must hold at least one dict, got []")
    dicts = [_one_of_dicts(i, part) for i, part in enumerate(spaces)]
    if len(dicts) == 1:
        if not dicts[0]:
            raise ValueError("space: a list of one dict must give at least one parameter, got [{}]")
        return Space(dicts[0])
    holders: dict[str, list[tuple[int, Any]]] = {}
    for i, part in enumerate(dicts):
        for name, param in part.items():
            holders.setdefault(name, []).append((i, param))
    params: dict[str, Any] = {CHOICE: Categorical(list(range(len(dicts))))}
    conditions: dict[str, dict[str, Any]] = {}
    for i, part in enumerate(dicts):  # in the dicts' order, each name where it first appears
        for name, param in part.items():
            entries = holders[name]
            if all(other == param for _, other in entries):
                if entries[0][0] == i:
                    params[name] = param
                    if len(entries) < len(dicts):
                        conditions[name] = {CHOICE: [j for j, _ in entries]}
            else:
                params[f"{name}@{i}"] = param
                conditions[f"{name}@{i}"] = {CHOICE: i}
    return Space(params, conditions=conditions)


def _one_of_dicts(i: int, part: Any) -> dict[str, Any]:
    """Element ``i`` of a list of spaces as ``{name: parameter}`` (empty for ``{}``: the estimator as it is),
    checked, each error naming ``space[i]`` and the parameter."""
    if isinstance(part, Space):
        if part.conditions:
            raise ValueError(f"space[{i}]: a space in a list must have no conditions of its own")
        part = dict(part.items())
    if not isinstance(part, Mapping):
        raise TypeError(f"space[{i}] must be a bohpo Space or a dict of bohpo parameters, got {type(part).__name__}")
    for name, param in part.items():
        if name == CHOICE or "@" in name:
            raise ValueError(f"space[{i}][{name!r}]: a parameter name in a list of dicts may not be {CHOICE!r} nor "
                             "contain '@'")  # fmt: skip
        if not isinstance(param, (Float, Int, Categorical)):
            raise TypeError(
                f"space[{i}][{name!r}] must be a bohpo Float, Int or Categorical, got {type(param).__name__} {param!r}"
            )
    return dict(part)


def estimator_params(config: Mapping[str, Any]) -> dict[str, Any]:
    """A configuration of :func:`space_of_dicts`' space as the estimator's parameters: without the choice of dict,
    each ``"name@i"`` under its own name. Any other configuration (without the choice) is returned as it is."""
    if CHOICE not in config:
        return dict(config)
    return {name.split("@", 1)[0]: value for name, value in config.items() if name != CHOICE}


def check_parameter_names(estimator: BaseEstimator, names: list[str]) -> None:
    """Refuse a name the estimator (or a step of a pipeline, ``step__param``) does not have, naming it."""
    known = estimator.get_params(deep=True)
    for name in names:
        if name not in known:
            close = [k for k in known if k.split("__")[-1] == name.split("__")[-1]]
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"{type(estimator).__name__} has no parameter {name!r}{hint}")


def _check_names_with_choices(estimator: BaseEstimator, params: Mapping[str, Any], where: str = "") -> None:
    """:func:`check_parameter_names` for one dict of a list: a step the dict chooses among estimators
    (``{"clf": Categorical([SVC(), ...]), "clf__C": ...}``) is set to each of them in turn, and the names under it
    are checked against each; errors start with ``where``."""
    steps = {
        name: param.choices
        for name, param in params.items()
        if isinstance(param, Categorical) and all(isinstance(c, BaseEstimator) for c in param.choices)
    }
    try:
        check_parameter_names(estimator, list(steps))
        under = {step: [n for n in params if n.startswith(f"{step}__")] for step in steps}
        check_parameter_names(
            estimator, [n for n in params if n not in steps and not any(n in u for u in under.values())]
        )
    except ValueError as err:
        raise ValueError(f"{where}{err}") from None
    for step, choices in steps.items():
        for choice in choices:
            try:
                check_parameter_names(clone(estimator).set_params(**{step: choice}), under[step])
            except ValueError as err:
                raise ValueError(f"{where}{err} with {step}={choice!r}") from None


def _seed(random_state: Any) -> int:
    """One integer from ``random_state`` (an int, a ``RandomState``, which advances once, or None)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(2**31 - 1))


class _FixedSplits:
    """The folds of one ``fit``, split once and replayed, so every configuration sees the same ones."""

    def __init__(self, splits: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.splits = splits

    def split(self, X: Any = None, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        yield from self.splits

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return len(self.splits)


class _SubsampledSplits(_FixedSplits):
    """The folds with each training part cut to its first ``n`` rows in a seeded order that takes the classes in
    proportion (so every prefix is stratified, and a larger ``n`` keeps every row a smaller one had); the test
    parts are whole."""

    def __init__(self, base: _FixedSplits, n: int, seed: int, y: np.ndarray | None) -> None:
        cut = []
        for fold, (train, test) in enumerate(base.splits):
            order = _stratified_order(len(train), None if y is None else y[train], seed, fold)
            cut.append((train[np.sort(order[:n])], test))
        super().__init__(cut)


def _stratified_order(n: int, labels: np.ndarray | None, seed: int, fold: int) -> np.ndarray:
    """(n,) a seeded order of n rows: each class shuffled, the classes interleaved by the fraction of each taken."""
    rng = np.random.default_rng([seed, fold])
    if labels is None:
        return rng.permutation(n)
    keys = np.empty(n)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        ranks = rng.permutation(len(members))
        keys[members] = (ranks + rng.random(len(members))) / len(members)
    return np.argsort(keys, kind="stable")


class _SearchMixin:
    """What both search estimators share: the space, the searcher, the folds, the metric told back."""

    estimator: BaseEstimator
    space: Any
    searcher: Any
    random_state: Any
    refit: Any
    scoring: Any
    cv: Any
    n_points: int
    _checked_cv_orig: Any  # set by BaseSearchCV.fit
    _folds: _FixedSplits
    _data: tuple[Any, Any, Any] | None
    _n_recorded: int
    _first_failure: ValueError | None

    def _prepare(self, X: Any, y: Any, groups: Any) -> tuple[Space, int]:
        """Every check that needs neither a fit nor the data (scikit-learn checks those, with its own messages).
        Returns the space and the seed."""
        space = as_space(self.space)
        if isinstance(self.space, (list, tuple)):
            for i, part in enumerate(self.space):
                _check_names_with_choices(self.estimator, _one_of_dicts(i, part), f"space[{i}]: ")
        else:
            check_parameter_names(self.estimator, space.names)
        if not isinstance(self.n_points, numbers.Integral) or isinstance(self.n_points, bool) or self.n_points < 1:
            raise ValueError(f"n_points must be an int >= 1, got {self.n_points!r}")
        if isinstance(self.scoring, (list, tuple, set, dict)) and not isinstance(self.refit, str):
            raise ValueError(
                "with several metrics, refit must name the one to optimise (refit='accuracy', for instance); "
                f"got refit={self.refit!r}"
            )
        if isinstance(self.cv, Iterator):
            raise TypeError("cv must be a number of folds, a splitter or a list of (train, test) pairs, not an iter")
        self._data = (X, y, groups)
        return space, _seed(self.random_state)

    def _split_once(self) -> None:
        """The folds of this fit, from the splitter scikit-learn checked, split once (called by _run_search, after
        scikit-learn validated the data); the data is not kept afterwards."""
        assert self._data is not None
        X, y, groups = self._data
        self._folds = _FixedSplits(list(self._checked_cv_orig.split(X, y, groups)))

    def _metric_key(self, results: Mapping[str, Any]) -> str:
        """The cv_results_ column the searcher is told: the single metric's, or the refit metric's."""
        if "mean_test_score" in results:
            return "mean_test_score"
        return f"mean_test_{self.refit}"

    def _evaluate(
        self,
        evaluate_candidates: Callable[..., dict[str, Any]],
        searcher: Searcher,
        trials: list[Trial],
        candidates: list[dict[str, Any]],
        **options: Any,
    ) -> None:
        """Cross-validate the candidates and tell the searcher; a batch whose every fit failed is told as failed
        (scikit-learn refuses to record it) and the search goes on."""
        try:
            results = evaluate_candidates(candidates, **options)
        except ValueError as err:
            if "fits failed" not in str(err):
                raise
            if getattr(self, "_first_failure", None) is None:
                self._first_failure = err
            warnings.warn(f"every fit of {len(trials)} configuration(s) failed: {err}", UserWarning, stacklevel=3)
            scores = np.full(len(trials), np.nan)
        else:
            scores = np.asarray(results[self._metric_key(results)][-len(trials) :], dtype=float)
            self._n_recorded = len(results["params"])
        for trial, score in zip(trials, scores, strict=True):
            if np.isfinite(score):
                searcher.tell(trial, float(score))
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", TrialFailedWarning)  # scikit-learn warned already
                    searcher.tell(trial, failed=True)

    def _finish(self, searcher: Searcher) -> None:
        self.searcher_ = searcher
        self._data = None
        first, self._first_failure = getattr(self, "_first_failure", None), None
        if not getattr(self, "_n_recorded", 0) and first is not None:
            raise first  # nothing succeeded: scikit-learn's own error, with the fits' messages


def _check_searcher(searcher: Any) -> Searcher:
    if not isinstance(searcher, Searcher):
        raise TypeError(f"searcher must build a bohpo Searcher, got {type(searcher).__name__}")
    if searcher.direction != "maximize":
        raise ValueError("searcher must maximise (direction='maximize'): scikit-learn's scores grow")
    return searcher


class BayesSearchCV(_SearchMixin, BaseSearchCV):
    """Search over a bohpo space with any bohpo searcher, scored by cross-validation.

    Args:
        estimator: A scikit-learn estimator or ``Pipeline``.
        space: A bohpo ``Space``, a dict ``{name: Float | Int | Categorical}``, or a list of such dicts (one
            search over all of them, as ``RandomizedSearchCV`` takes a list of grids: :func:`space_of_dicts`; a
            pipeline step may be chosen among estimators, ``{"clf": Categorical([SVC()]), "clf__C": ...}``); names
            are the estimator's parameters (``step__param`` in a pipeline).
        searcher: A registered name (``"gp-logei"``, ``"tpe"``, ``"random"``...; see
            :func:`bohpo.searchers.searcher_names`), or a callable ``searcher(space=..., seed=...)`` returning a
            bohpo ``Searcher`` that maximises.
        n_iter: Configurations evaluated.
        n_points: Configurations asked for (and cross-validated, in parallel with ``n_jobs``) at a time.
        scoring, n_jobs, refit, cv, verbose, pre_dispatch, error_score, return_train_score: As for
            ``RandomizedSearchCV``. With several metrics, ``refit`` names the one the searcher maximises.
        random_state: Seeds the searcher (an int, a ``RandomState`` or None).

    Attributes:
        searcher_: The searcher after the search, its history included.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.svm import SVC
        >>> from bohpo.space import Float
        >>> X, y = load_iris(return_X_y=True)
        >>> search = BayesSearchCV(SVC(), {"C": Float(1e-2, 1e2, log=True)}, searcher="random", n_iter=4, cv=3,
        ...                        random_state=0).fit(X, y)
        >>> sorted(search.best_params_), len(search.cv_results_["params"])
        (['C'], 4)
    """

    def __init__(
        self,
        estimator: BaseEstimator,
        space: Any,
        *,
        searcher: Any = "gp-logei",
        n_iter: int = 50,
        n_points: int = 1,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: Any = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: Any = "2*n_jobs",
        random_state: Any = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
    ) -> None:
        super().__init__(
            estimator=estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
            pre_dispatch=pre_dispatch, error_score=error_score, return_train_score=return_train_score,
        )  # fmt: skip
        self.space = space
        self.searcher = searcher
        self.n_iter = n_iter
        self.n_points = n_points
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None, **params: Any) -> BayesSearchCV:
        """Search, then refit the best configuration (as ``BaseSearchCV.fit``). The space and its names,
        ``n_iter``, ``n_points``, the metric and the searcher are checked before anything is fitted."""
        if not isinstance(self.n_iter, numbers.Integral) or isinstance(self.n_iter, bool) or self.n_iter < 1:
            raise ValueError(f"n_iter must be an int >= 1, got {self.n_iter!r}")
        space, seed = self._prepare(X, y, params.get("groups"))
        if callable(self.searcher):
            self._searcher = _check_searcher(self.searcher(space=space, seed=seed))
        elif self.searcher in searcher_names():
            self._searcher = make_searcher(self.searcher, space, seed=seed, direction="maximize")
        else:
            raise unknown_name("searcher", self.searcher, searcher_names())
        return super().fit(X, y, **params)

    _searcher: Searcher

    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]]) -> None:
        self._split_once()
        searcher, done, self._n_recorded = self._searcher, 0, 0
        while done < self.n_iter:
            trials = searcher.ask(min(self.n_points, self.n_iter - done))
            candidates = [estimator_params(t.params) for t in trials]
            self._evaluate(evaluate_candidates, searcher, trials, candidates, cv=self._folds)
            done += len(trials)
        self._finish(searcher)


class HyperbandSearchCV(_SearchMixin, BaseSearchCV):
    """Multi-fidelity search: configurations start on a small budget of a resource and the best are promoted.

    Args:
        estimator: A scikit-learn estimator or ``Pipeline``.
        space: As for :class:`BayesSearchCV`; it must not contain the resource parameter.
        resource: ``"n_samples"`` (training rows of each fold) or the name of an estimator parameter that takes an
            int budget (``"n_estimators"``, ``"max_iter"``, ``"clf__n_estimators"``).
        min_resources: The smallest budget (default: 2 per class for ``"n_samples"`` (at least one per class is
            required), 1 for a parameter).
        max_resources: The largest budget (default ``"auto"``: the smallest training fold's size for
            ``"n_samples"``, which it may not exceed; required for a parameter).
        eta: Halving rate, > 1.
        searcher: ``"hyperband"`` (default), ``"successive-halving"``, ``"asha"``, ``"asha-gp"``, ``"bohb"``,
            ``"bohb-gp"``, or a callable ``searcher(space=..., seed=..., min_budget=..., max_budget=...)`` returning
            a bohpo ``Searcher`` that maximises.
        n_iter: Total budget, in evaluations at ``max_resources`` (a trial at budget b costs b / max_resources);
            the last ask may overshoot it by up to ``n_points`` trials.
        n_points: Trials asked for (and cross-validated) at a time.
        scoring, n_jobs, refit, cv, verbose, pre_dispatch, random_state, error_score, return_train_score: As for
            :class:`BayesSearchCV`.

    Attributes:
        min_resources_, max_resources_: The budget range used.
        searcher_: The searcher after the search.

    ``cv_results_`` has the usual columns plus ``n_resources`` (each candidate's budget) and ``config_id`` (the
    identity of a configuration across budgets). ``best_params_`` is chosen among the candidates evaluated at the
    largest budget reached, and includes the resource parameter if there is one.
    """

    def __init__(
        self,
        estimator: BaseEstimator,
        space: Any,
        *,
        resource: str = "n_samples",
        min_resources: int | None = None,
        max_resources: int | str = "auto",
        eta: float = 3,
        searcher: Any = "hyperband",
        n_iter: float = 20,
        n_points: int = 1,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: Any = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: Any = "2*n_jobs",
        random_state: Any = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
    ) -> None:
        super().__init__(
            estimator=estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
            pre_dispatch=pre_dispatch, error_score=error_score, return_train_score=return_train_score,
        )  # fmt: skip
        self.space = space
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.eta = eta
        self.searcher = searcher
        self.n_iter = n_iter
        self.n_points = n_points
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None, **params: Any) -> HyperbandSearchCV:
        """Search, then refit the best configuration at the largest budget. Everything is checked first."""
        if (
            not isinstance(self.n_iter, numbers.Real)
            or isinstance(self.n_iter, bool)
            or not (math.isfinite(self.n_iter) and self.n_iter > 0)
        ):
            raise ValueError(f"n_iter must be a positive, finite number of full-budget evaluations, got {self.n_iter}")
        space, seed = self._prepare(X, y, params.get("groups"))
        if self.resource != "n_samples":
            if isinstance(self.space, (list, tuple)):  # against each dict's steps: it may choose the estimator
                for i, part in enumerate(self.space):
                    with_resource = {**_one_of_dicts(i, part), self.resource: Int(1, 2)}
                    _check_names_with_choices(self.estimator, with_resource, f"space[{i}]: ")
            else:
                check_parameter_names(self.estimator, [self.resource])
            if self.resource in estimator_params(dict.fromkeys(space.names)):
                raise ValueError(f"the resource {self.resource!r} must not be a parameter of the space too")
            if self.max_resources == "auto":
                raise ValueError(f"max_resources must be given for the resource {self.resource!r} (an int)")
        named = isinstance(self.searcher, str) and searcher_needs_budgets(self.searcher)
        if not callable(self.searcher) and not named:
            known = ", ".join(n for n in searcher_names() if searcher_needs_budgets(n))
            raise ValueError(
                f"searcher must be a multi-fidelity searcher ({known}) or a callable, got {self.searcher!r}"
            )
        self._space, self._seed = space, seed
        return super().fit(X, y, **params)

    _space: Space
    _seed: int
    _labels: np.ndarray | None
    min_resources_: int
    max_resources_: int

    def _resources(self, y: Any) -> tuple[int, int]:
        n_classes, smallest = 1, 0
        if self.resource == "n_samples":
            smallest = min(len(train) for train, _ in self._folds.splits)
            n_classes = len(np.unique(y)) if is_classifier(self.estimator) and y is not None else 1
            high = smallest if self.max_resources == "auto" else self.max_resources
            low = 2 * n_classes if self.min_resources is None else self.min_resources
        else:
            high, low = self.max_resources, 1 if self.min_resources is None else self.min_resources
        for name, value in (("min_resources", low), ("max_resources", high)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        low, high = int(low), int(high)
        if self.resource == "n_samples":
            if low < n_classes:
                raise ValueError(f"min_resources must be at least the number of classes ({n_classes}), got {low}")
            if high > smallest:
                raise ValueError(f"max_resources ({high}) exceeds the smallest training fold ({smallest} samples)")
        eta = finite_float(self.eta)
        if eta is None or eta <= 1:
            raise ValueError(f"eta must be a finite number > 1, got {self.eta!r}")
        if not low * eta <= high:
            raise ValueError(
                f"max_resources ({high}) must be at least eta ({self.eta}) times min_resources ({low}): "
                "room for one halving"
            )
        return low, high

    def _build_searcher(self, space: Space, seed: int) -> Searcher:
        low, high = float(self.min_resources_), float(self.max_resources_)
        if callable(self.searcher):
            return _check_searcher(self.searcher(space=space, seed=seed, min_budget=low, max_budget=high))
        return make_fidelity_searcher(
            self.searcher, space, budgets=(low, high), eta=self.eta, seed=seed, direction="maximize"
        )

    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]]) -> None:
        self._split_once()
        assert self._data is not None
        y = self._data[1]
        self.min_resources_, self.max_resources_ = self._resources(y)  # before any fit: a bad budget fits nothing
        self._labels = np.asarray(y) if is_classifier(self.estimator) and y is not None else None
        searcher, spent, self._n_recorded = self._build_searcher(self._space, self._seed), 0.0, 0
        high = self.max_resources_
        subsample_seed = derive_seed(self._seed, _SUBSAMPLE_STREAM)
        while spent < self.n_iter - 1e-9:
            trials = searcher.ask(self.n_points)
            for budget in sorted({float(t.budget) for t in trials}):  # type: ignore[arg-type]
                batch = [t for t in trials if float(t.budget) == budget]  # type: ignore[arg-type]
                n = max(round(budget), 1)
                candidates = [estimator_params(t.params) for t in batch]
                if self.resource == "n_samples":
                    cv: _FixedSplits = _SubsampledSplits(self._folds, n, subsample_seed, self._labels)
                else:
                    cv = self._folds
                    candidates = [{**c, self.resource: n} for c in candidates]
                more = {"n_resources": [n] * len(batch), "config_id": [t.config_id for t in batch]}
                self._evaluate(evaluate_candidates, searcher, batch, candidates, cv=cv, more_results=more)
                spent += len(batch) * budget / high
        self._finish(searcher)

    @staticmethod
    def _select_best_index(refit: Any, refit_metric: str, results: dict[str, Any]) -> int:
        """The best candidate among those evaluated at the largest budget reached."""
        if callable(refit):
            return int(BaseSearchCV._select_best_index(refit, refit_metric, results))
        resources = np.asarray(results["n_resources"])
        scores = np.asarray(results[f"mean_test_{refit_metric}"], dtype=float)
        finite = np.isfinite(scores)
        top = finite & (resources == resources[finite].max()) if finite.any() else resources == resources.max()
        return int(np.argmax(np.where(top & finite, scores, -np.inf)))
