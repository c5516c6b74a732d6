"""scikit-learn integration: hyperparameter search estimators driven by bohpo's searchers.

``BayesSearchCV`` slots in where ``RandomizedSearchCV`` does: it is built on scikit-learn's ``BaseSearchCV``, so
``fit``, ``predict``, ``score``, ``best_params_``, ``best_score_``, ``best_estimator_``, ``cv_results_``, multi-metric
scoring, groups, ``n_jobs`` over folds and ``Pipeline`` parameter names (``step__param``) all behave as there. The
searcher is asked for ``n_points`` configurations at a time; each is scored by cross-validation, and its mean test
score (the refit metric's, under multi-metric scoring) is told back; scikit-learn's scores are maximised.

``HyperbandSearchCV`` is the multi-fidelity variant, like ``HalvingRandomSearchCV``: its trials carry a budget of a
resource, either the number of training samples (each fold's training part subsampled, the smaller subsets nested
in the larger ones) or an estimator parameter such as ``n_estimators``, and a successive-halving searcher
(Hyperband by default; successive halving, ASHA or BOHB) decides which configuration gets how much of it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.model_selection import check_cv
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state

from bohpo.errors import TrialFailedWarning
from bohpo.searchers.base import Searcher
from bohpo.searchers.registry import make_searcher, searcher_names, searcher_needs_budgets
from bohpo.space import Categorical, Float, Int, Space
from bohpo.trial import Trial

__all__ = ["BayesSearchCV", "HyperbandSearchCV"]

SearcherSpec = str | Callable[[Space, int], Searcher]


def as_space(space: Any) -> Space:
    """A bohpo ``Space`` from a ``Space`` or a mapping of names to bohpo parameters."""
    if isinstance(space, Space):
        return space
    if isinstance(space, Mapping):
        for name, param in space.items():
            if not isinstance(param, (Float, Int, Categorical)):
                raise TypeError(
                    f"space[{name!r}] must be a bohpo Float, Int or Categorical, got {type(param).__name__} {param!r}"
                )
        return Space(dict(space))
    raise TypeError(f"space must be a bohpo Space or a dict of bohpo parameters, got {type(space).__name__}")


def check_parameter_names(estimator: BaseEstimator, names: list[str]) -> None:
    """Refuse a name the estimator (or a step of a pipeline, ``step__param``) does not have, naming it."""
    known = estimator.get_params(deep=True)
    for name in names:
        if name not in known:
            close = [k for k in known if k.split("__")[-1] == name.split("__")[-1]]
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"{type(estimator).__name__} has no parameter {name!r}{hint}")


def _seed(random_state: Any) -> int:
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(2**31 - 1))


class _SearchMixin:
    """What both search estimators share: the space, the searcher, the metric told back."""

    estimator: BaseEstimator
    space: Any
    searcher: SearcherSpec
    random_state: Any
    refit: Any
    n_points: int

    def _checked_space(self) -> Space:
        space = as_space(self.space)
        check_parameter_names(self.estimator, space.names)
        return space

    def _check_points(self) -> None:
        if isinstance(self.n_points, bool) or not isinstance(self.n_points, int) or self.n_points < 1:
            raise ValueError(f"n_points must be an int >= 1, got {self.n_points!r}")

    def _build_searcher(self, space: Space, budgets: tuple[float, float] | None) -> Searcher:
        seed = _seed(self.random_state)
        if callable(self.searcher):
            searcher = self.searcher(space, seed)
            if not isinstance(searcher, Searcher):
                raise TypeError(f"searcher must build a bohpo Searcher, got {type(searcher).__name__}")
            if searcher.direction != "maximize":
                raise ValueError("searcher must maximise (direction='maximize'): scikit-learn's scores grow")
            return searcher
        if self.searcher not in searcher_names():
            raise ValueError(f"unknown searcher {self.searcher!r}; known: {', '.join(searcher_names())}")
        return make_searcher(self.searcher, space, seed=seed, direction="maximize", budgets=budgets)

    def _metric_key(self, results: Mapping[str, Any]) -> str:
        """The cv_results_ column the searcher is told: the single metric's, or the refit metric's."""
        if "mean_test_score" in results:
            return "mean_test_score"
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in results:
            return f"mean_test_{self.refit}"
        raise ValueError(
            "with several metrics, refit must name the one to optimise (refit='accuracy', for instance); "
            f"got refit={self.refit!r}"
        )

    @staticmethod
    def _tell(searcher: Searcher, trials: list[Trial], scores: np.ndarray) -> None:
        for trial, score in zip(trials, scores, strict=True):
            if np.isfinite(score):
                searcher.tell(trial, float(score))
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", TrialFailedWarning)  # error_score: scikit-learn warned already
                    searcher.tell(trial, failed=True)


class BayesSearchCV(_SearchMixin, BaseSearchCV):
    """Search over a bohpo space with any bohpo searcher, scored by cross-validation.

    Args:
        estimator: A scikit-learn estimator or ``Pipeline``.
        space: A bohpo ``Space``, or a dict ``{name: Float | Int | Categorical}``; names are the estimator's
            parameters (``step__param`` in a pipeline).
        searcher: A registered name (``"gp-logei"``, ``"tpe"``, ``"random"``...; see
            :func:`bohpo.searchers.searcher_names`), or a callable ``(space, seed) -> Searcher`` building one that
            maximises.
        n_iter: Configurations evaluated.
        n_points: Configurations asked for (and cross-validated) at a time.
        scoring, n_jobs, refit, cv, verbose, pre_dispatch, error_score, return_train_score: As for
            ``RandomizedSearchCV``. With several metrics, ``refit`` names the one the searcher maximises.
        random_state: Seeds the searcher (an int, a ``RandomState`` or None).

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
        searcher: SearcherSpec = "gp-logei",
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
        """Search, then refit the best configuration (as ``BaseSearchCV.fit``). The space, its names, ``n_iter``,
        ``n_points`` and the searcher are checked before anything is fitted."""
        space = self._checked_space()
        if isinstance(self.n_iter, bool) or not isinstance(self.n_iter, int) or self.n_iter < 1:
            raise ValueError(f"n_iter must be an int >= 1, got {self.n_iter!r}")
        self._check_points()
        self._build_searcher(space, None)  # a bad name or factory fails here, before any fit
        return super().fit(X, y, **params)

    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]]) -> None:
        space = as_space(self.space)
        searcher = self._build_searcher(space, None)
        done = 0
        while done < self.n_iter:
            trials = searcher.ask(min(self.n_points, self.n_iter - done))
            results = evaluate_candidates([dict(t.params) for t in trials])
            scores = np.asarray(results[self._metric_key(results)][-len(trials) :], dtype=float)
            self._tell(searcher, trials, scores)
            done += len(trials)
        self.searcher_ = searcher


class _SubsampledSplits:
    """A cross-validation splitter whose training parts keep their first ``n`` rows of a seeded permutation of
    each fold (so a larger ``n`` keeps every row a smaller one had); the test parts are whole."""

    def __init__(self, base: Any, n: int, seed: int) -> None:
        self.base, self.n, self.seed = base, n, seed

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for fold, (train, test) in enumerate(self.base.split(X, y, groups)):
            order = np.random.default_rng([self.seed, fold]).permutation(len(train))
            yield train[np.sort(order[: self.n])], test

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return int(self.base.get_n_splits(X, y, groups))


class HyperbandSearchCV(_SearchMixin, BaseSearchCV):
    """Multi-fidelity search: configurations start on a small budget of a resource and the best are promoted.

    Args:
        estimator: A scikit-learn estimator or ``Pipeline``.
        space: As for :class:`BayesSearchCV`; it must not contain the resource parameter.
        resource: ``"n_samples"`` (training rows of each fold) or the name of an estimator parameter that takes an
            int budget (``"n_estimators"``, ``"max_iter"``, ``"clf__n_estimators"``).
        min_resources: The smallest budget (default: 2 x classes x folds samples, or 1 for a parameter).
        max_resources: The largest budget (default ``"auto"``: the smallest training fold's size for
            ``"n_samples"``; required for a parameter).
        eta: Halving rate, > 1.
        searcher: ``"hyperband"`` (default), ``"successive-halving"``, ``"asha"``, ``"bohb"``, ``"bohb-gp"``, or a
            callable ``(space, seed, min_budget, max_budget) -> Searcher`` that maximises.
        n_iter: Total budget, in evaluations at ``max_resources`` (a trial at budget b costs b / max_resources).
        n_points: Trials asked for (and cross-validated) at a time.
        scoring, n_jobs, refit, cv, verbose, pre_dispatch, random_state, error_score, return_train_score: As for
            :class:`BayesSearchCV`.

    ``cv_results_`` has the usual columns plus ``n_resources`` (each candidate's budget) and ``config_id`` (the
    identity of a configuration across budgets). ``best_params_`` is chosen among the candidates evaluated at the
    largest budget reached (all of them when none was), and includes the resource parameter if there is one.
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
        space = self._checked_space()
        if self.resource != "n_samples":
            check_parameter_names(self.estimator, [self.resource])
            if self.resource in space:
                raise ValueError(f"the resource {self.resource!r} must not be a parameter of the space too")
        if isinstance(self.n_iter, bool) or not isinstance(self.n_iter, (int, float)) or not self.n_iter > 0:
            raise ValueError(f"n_iter must be a positive number of full-budget evaluations, got {self.n_iter!r}")
        self._check_points()
        self._budgets = self._resources(X, y, params.get("groups"))
        self._build_searcher(space, self._budgets)
        return super().fit(X, y, **params)

    def _resources(self, X: Any, y: Any, groups: Any) -> tuple[float, float]:
        if self.resource == "n_samples":
            cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
            smallest = min(len(train) for train, _ in cv.split(X, y, groups))
            high = smallest if self.max_resources == "auto" else self.max_resources
            n_classes = len(np.unique(y)) if is_classifier(self.estimator) and y is not None else 1
            low = 2 * n_classes * cv.get_n_splits(X, y, groups) if self.min_resources is None else self.min_resources
        else:
            if self.max_resources == "auto":
                raise ValueError(f"max_resources must be given for the resource {self.resource!r} (an int)")
            high = self.max_resources
            low = 1 if self.min_resources is None else self.min_resources
        for name, value in (("min_resources", low), ("max_resources", high)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        low, high = int(low), int(high)
        if not low * self.eta <= high:
            raise ValueError(
                f"max_resources ({high}) must be at least eta ({self.eta}) times min_resources ({low}): "
                "room for one halving"
            )
        return float(low), float(high)

    def _build_searcher(self, space: Space, budgets: tuple[float, float] | None) -> Searcher:
        assert budgets is not None
        if callable(self.searcher):
            build: Callable[..., Searcher] = self.searcher
            searcher = build(space, _seed(self.random_state), budgets[0], budgets[1])
            if not isinstance(searcher, Searcher) or searcher.direction != "maximize":
                raise ValueError("searcher must build a bohpo Searcher that maximises (direction='maximize')")
            return searcher
        if self.searcher not in searcher_names() or not searcher_needs_budgets(self.searcher):
            raise ValueError(
                f"searcher must be a multi-fidelity searcher (hyperband, successive-halving, asha, bohb, bohb-gp), "
                f"got {self.searcher!r}"
            )
        from bohpo.searchers import BOHB, AsyncSuccessiveHalving, Hyperband, SuccessiveHalving

        classes: dict[str, Callable[..., Searcher]] = {
            "hyperband": Hyperband, "successive-halving": SuccessiveHalving, "asha": AsyncSuccessiveHalving,
            "bohb": BOHB,
        }  # fmt: skip
        seed = _seed(self.random_state)
        if self.searcher == "bohb-gp":
            from bohpo.searchers.bayesian import default_surrogate

            return BOHB(space, budgets[0], budgets[1], self.eta, surrogate=default_surrogate(), seed=seed,
                        direction="maximize")  # fmt: skip
        return classes[self.searcher](space, budgets[0], budgets[1], self.eta, seed=seed, direction="maximize")

    def _run_search(self, evaluate_candidates: Callable[..., dict[str, Any]]) -> None:
        space = as_space(self.space)
        high = self._budgets[1]
        searcher = self._build_searcher(space, self._budgets)
        base_cv = self._checked_cv_orig  # the splitter BaseSearchCV.fit checked
        seed = _seed(self.random_state)
        spent = 0.0
        while spent < self.n_iter - 1e-9:
            trials = searcher.ask(self.n_points)
            for budget in sorted({float(t.budget) for t in trials}):  # type: ignore[arg-type]
                batch = [t for t in trials if float(t.budget) == budget]  # type: ignore[arg-type]
                n = max(round(budget), 1)
                candidates = [dict(t.params) for t in batch]
                cv = None
                if self.resource == "n_samples":
                    cv = _SubsampledSplits(base_cv, n, seed)
                else:
                    candidates = [{**c, self.resource: n} for c in candidates]
                more = {"n_resources": [n] * len(batch), "config_id": [t.config_id for t in batch]}
                results = evaluate_candidates(candidates, cv=cv, more_results=more)
                scores = np.asarray(results[self._metric_key(results)][-len(batch) :], dtype=float)
                self._tell(searcher, batch, scores)
                spent += len(batch) * budget / high
        self.searcher_ = searcher

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
