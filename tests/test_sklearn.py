"""The scikit-learn search estimators: scikit-learn's own checks, its result format, its tooling, early errors."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from scipy.stats import loguniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import check_estimator

from bohpo.searchers import Hyperband, RandomSearch
from bohpo.sklearn import BayesSearchCV, HyperbandSearchCV
from bohpo.space import Categorical, Float, Int, Space

IRIS = load_iris(return_X_y=True)


@pytest.mark.slow
@pytest.mark.parametrize(
    "search",
    [
        BayesSearchCV(LogisticRegression(), {"C": Float(1e-2, 1e2, log=True)}, searcher="random", n_iter=2, cv=2,
                      random_state=0),
        BayesSearchCV(Ridge(), {"alpha": Float(1e-2, 1e2, log=True)}, n_iter=2, cv=2, random_state=0),
        BayesSearchCV(LogisticRegression(), [{"C": Float(1e-2, 1e2, log=True), "fit_intercept": Categorical([True])},
                                             {"C": Float(1e-1, 1e1, log=True), "fit_intercept": Categorical([False])}],
                      searcher="tpe", n_iter=3, cv=2, random_state=0),
    ],
    ids=["classifier", "regressor", "list-of-dicts"],
)  # fmt: skip
def test_scikit_learns_estimator_checks_pass(search: BayesSearchCV) -> None:
    # check_supervised_y_2d expects a DataConversionWarning for a 2-d y; Ridge takes a 2-d y without one, and
    # RandomizedSearchCV(Ridge()) fails this check the same way.
    expected = {"check_supervised_y_2d": "Ridge accepts a 2-d y without warning"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(search, on_fail=None, expected_failed_checks=expected)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert failed == []
    assert len(results) > 60


@pytest.mark.parametrize("scoring", [None, ["accuracy", "f1_macro"]])
@pytest.mark.parametrize("return_train_score", [False, True])
def test_cv_results_have_randomized_search_cvs_keys_and_shapes(scoring: Any, return_train_score: bool) -> None:
    refit = "accuracy" if isinstance(scoring, list) else True
    common = {"n_iter": 5, "cv": 3, "scoring": scoring, "refit": refit, "return_train_score": return_train_score}
    ours = BayesSearchCV(SVC(), {"C": Float(1e-2, 1e2, log=True), "gamma": Float(1e-3, 1e1, log=True)},
                         random_state=0, **common).fit(*IRIS)  # fmt: skip
    theirs = RandomizedSearchCV(SVC(), {"C": loguniform(1e-2, 1e2), "gamma": loguniform(1e-3, 1e1)},
                                random_state=0, **common).fit(*IRIS)  # fmt: skip
    assert sorted(ours.cv_results_) == sorted(theirs.cv_results_)
    for key, value in theirs.cv_results_.items():
        assert np.shape(ours.cv_results_[key]) == np.shape(value), key
    frame = pd.DataFrame(ours.cv_results_)  # scikit-learn's own tooling reads it
    assert len(frame) == 5 and frame["rank_test_accuracy" if refit == "accuracy" else "rank_test_score"].min() == 1
    metric = "mean_test_accuracy" if refit == "accuracy" else "mean_test_score"
    assert ours.best_score_ == ours.cv_results_[metric][ours.best_index_] == max(ours.cv_results_[metric])
    assert ours.best_params_ == ours.cv_results_["params"][ours.best_index_]
    assert ours.score(*IRIS) == ours.best_estimator_.score(*IRIS)


def test_the_searcher_is_told_every_cross_validated_score() -> None:
    search = BayesSearchCV(SVC(), {"C": Float(1e-2, 1e2, log=True)}, n_iter=7, n_points=3, cv=3, random_state=1)
    search.fit(*IRIS)
    told = [t.value for t in search.searcher_.history]
    assert told == pytest.approx(list(search.cv_results_["mean_test_score"]))
    assert [len(batch) for batch in _batches(search.searcher_.trials)] == [3, 3, 1]
    assert search.searcher_.direction == "maximize"


def _batches(trials: list[Any]) -> list[list[Any]]:
    """Trials grouped by the ask that created them (one timestamp per ask)."""
    groups: dict[float, list[Any]] = {}
    for trial in trials:
        groups.setdefault(trial.started_at, []).append(trial)
    return list(groups.values())


def test_a_pipeline_with_step_names_is_searched_and_refitted() -> None:
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    space = Space({"logisticregression__C": Float(1e-3, 1e2, log=True), "standardscaler__with_mean": Categorical(
        [True, False])})  # fmt: skip
    search = BayesSearchCV(pipe, space, searcher="tpe", n_iter=12, cv=3, random_state=0).fit(*IRIS)
    assert set(search.best_params_) == {"logisticregression__C", "standardscaler__with_mean"}
    assert search.best_estimator_.get_params()["logisticregression__C"] == search.best_params_["logisticregression__C"]
    assert search.best_score_ > 0.9


class _CountingClassifier(ClassifierMixin, BaseEstimator):
    """Records every fit, to show that bad input is refused before any."""

    fits: ClassVar[list[int]] = []

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: Any, y: Any) -> _CountingClassifier:
        type(self).fits.append(1)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), self.classes_[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"space": {"gamma": Float(0.1, 1.0)}}, ValueError, "_CountingClassifier has no parameter 'gamma'"),
        ({"space": {"C": (0.1, 1.0)}}, TypeError, r"space\['C'\] must be a bohpo Float, Int or Categorical"),
        ({"space": [("C", 1)]}, TypeError, r"space\[0\] must be a bohpo Space or a dict of bohpo parameters, got tup"),
        ({"space": "C"}, TypeError, "space must be a bohpo Space, a dict of bohpo parameters or a list of such dicts"),
        ({"n_iter": 0}, ValueError, "n_iter must be an int >= 1"),
        ({"n_points": 0}, ValueError, "n_points must be an int >= 1"),
        ({"searcher": "nope"}, ValueError, "unknown searcher 'nope'"),
    ],
)
def test_bad_input_fails_before_any_fit(kwargs: dict[str, Any], error: type, match: str) -> None:
    _CountingClassifier.fits.clear()
    options: dict[str, Any] = {"space": {"C": Float(0.1, 1.0)}, "n_iter": 2, "cv": 2, **kwargs}
    with pytest.raises(error, match=match):
        BayesSearchCV(_CountingClassifier(), **options).fit(*IRIS)
    assert _CountingClassifier.fits == []


def test_a_step_name_mistake_suggests_the_full_name() -> None:
    pipe = make_pipeline(StandardScaler(), SVC())
    with pytest.raises(ValueError, match=r"Pipeline has no parameter 'C'; did you mean 'svc__C'\?"):
        BayesSearchCV(pipe, {"C": Float(0.1, 1.0)}, n_iter=2).fit(*IRIS)


def test_multi_metric_scoring_optimises_and_refits_the_named_metric() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    search = BayesSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression()), {"logisticregression__C": Float(1e-4, 1e2, log=True)},
        scoring={"acc": "accuracy", "auc": "roc_auc"}, refit="auc", n_iter=6, cv=3, random_state=0,
    ).fit(X, y)  # fmt: skip
    told = [t.value for t in search.searcher_.history]
    assert told == pytest.approx(list(search.cv_results_["mean_test_auc"]))
    assert search.best_score_ == max(search.cv_results_["mean_test_auc"])
    with pytest.raises(ValueError, match="refit must name the one to optimise"):
        BayesSearchCV(LogisticRegression(), {"C": Float(0.1, 1.0)}, scoring=["accuracy", "f1_macro"], refit=False,
                      n_iter=2, cv=2).fit(X, y)  # fmt: skip


def test_groups_reach_the_splitter_and_folds_run_in_parallel() -> None:
    X, y = IRIS
    groups = np.arange(len(y)) % 5
    search = BayesSearchCV(SVC(), {"C": Float(0.1, 10.0, log=True)}, n_iter=3, cv=GroupKFold(5), n_jobs=2,
                           random_state=0).fit(X, y, groups=groups)  # fmt: skip
    assert search.n_splits_ == 5 and len(search.cv_results_["split4_test_score"]) == 3


def test_the_same_random_state_gives_the_same_search() -> None:
    def params(seed: int) -> list[dict[str, Any]]:
        search = BayesSearchCV(SVC(), {"C": Float(0.1, 10.0, log=True)}, searcher="tpe", n_iter=12, cv=2,
                               random_state=seed)  # fmt: skip
        return list(search.fit(*IRIS).cv_results_["params"])

    assert params(3) == params(3) != params(4)


def test_a_searcher_factory_drives_the_search() -> None:
    search = BayesSearchCV(
        SVC(), {"C": Float(0.1, 10.0, log=True)}, n_iter=3, cv=2,
        searcher=lambda space, seed: RandomSearch(space, seed=seed, direction="maximize"),
    ).fit(*IRIS)  # fmt: skip
    assert isinstance(search.searcher_, RandomSearch)
    with pytest.raises(ValueError, match="must maximise"):
        BayesSearchCV(SVC(), {"C": Float(0.1, 10.0)}, n_iter=2,
                      searcher=lambda space, seed: RandomSearch(space, seed=seed)).fit(*IRIS)  # fmt: skip


def test_nested_cross_validation_runs_the_search_inside_each_outer_fold() -> None:
    inner = BayesSearchCV(SVC(), {"C": Float(0.1, 10.0, log=True)}, searcher="random", n_iter=3, cv=3,
                          random_state=0)  # fmt: skip
    scores = cross_val_score(inner, *IRIS, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


# -- the multi-fidelity variant -------------------------------------------------------------------------------------


def test_hyperband_search_on_samples_follows_the_schedule_and_picks_at_the_full_budget() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    search = HyperbandSearchCV(
        make_pipeline(StandardScaler(), SVC()), {"svc__C": Float(1e-2, 1e3, log=True),
        "svc__gamma": Float(1e-5, 1.0, log=True)}, min_resources=20, max_resources=180, n_iter=6, cv=3,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    resources = np.asarray(search.cv_results_["n_resources"])
    assert set(resources.tolist()) <= {20, 60, 180} and resources[:9].tolist() == [20] * 9  # bracket 0, rung 0
    budget_spent = resources.sum() / 180
    assert 6 <= budget_spent < 6 + 1
    top = resources == 180
    assert top[search.best_index_]
    assert search.best_score_ == max(np.asarray(search.cv_results_["mean_test_score"])[top])
    ids = np.asarray(search.cv_results_["config_id"])
    params = search.cv_results_["params"]
    promoted = {i for i in ids if (ids == i).sum() > 1}
    assert promoted  # some configurations went up, keeping their identity and their parameters
    for i in promoted:
        rows = np.nonzero(ids == i)[0]
        assert all(params[r] == params[rows[0]] for r in rows) and list(resources[rows]) == sorted(resources[rows])
    assert search.best_estimator_.score(X, y) > 0.9


def test_a_budget_of_samples_uses_nested_stratified_subsets_of_each_training_fold() -> None:
    from sklearn.model_selection import StratifiedKFold

    from bohpo.sklearn import _FixedSplits, _SubsampledSplits

    y = np.array([0] * 140 + [1] * 10)  # imbalanced: a plain random subset of 30 often has 0 or 4 of class 1
    X = np.zeros((150, 1))
    base = _FixedSplits(list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y)))
    for seed in range(50):
        small, large = _SubsampledSplits(base, 30, seed, y), _SubsampledSplits(base, 60, seed, y)
        for (train_s, test_s), (train_l, _), (train, test) in zip(small.splits, large.splits, base.splits,
                                                                 strict=True):  # fmt: skip
            assert len(train_s) == 30 and len(train_l) == 60 and np.array_equal(test_s, test)
            assert set(train_s) <= set(train_l) <= set(train)
            expected = 30 * (y[train] == 1).mean()  # the minority class in proportion, give or take one
            assert abs((y[train_s] == 1).sum() - expected) <= 1


def test_hyperband_search_on_an_estimator_parameter() -> None:
    search = HyperbandSearchCV(
        RandomForestClassifier(random_state=0), {"max_depth": Int(1, 8)}, resource="n_estimators",
        min_resources=3, max_resources=27, n_iter=4, cv=3, searcher="asha", random_state=0,
    ).fit(*IRIS)  # fmt: skip
    assert {p["n_estimators"] for p in search.cv_results_["params"]} <= {3, 9, 27}
    assert search.best_params_["n_estimators"] == 27 == search.best_estimator_.n_estimators


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"resource": "n_trees"}, "RandomForestClassifier has no parameter 'n_trees'"),
        ({"resource": "max_depth"}, "must not be a parameter of the space too"),
        ({"resource": "n_estimators"}, "max_resources must be given"),
        ({"resource": "n_estimators", "max_resources": 4, "min_resources": 2}, "room for one halving"),
        ({"searcher": "gp-logei"}, "must be a multi-fidelity searcher"),
        ({"n_iter": 0}, "n_iter must be a positive, finite number"),
        ({"n_iter": float("inf")}, "n_iter must be a positive, finite number"),
        ({"eta": "3"}, "eta must be a finite number > 1, got '3'"),
        ({"eta": 1}, "eta must be a finite number > 1, got 1"),
    ],
)
def test_hyperband_search_refuses_bad_settings(kwargs: dict[str, Any], match: str) -> None:
    options: dict[str, Any] = {"n_iter": 2, "cv": 2, **kwargs}
    estimator = RandomForestClassifier()
    with pytest.raises(ValueError, match=match):
        HyperbandSearchCV(estimator, {"max_depth": Int(1, 8)}, **options).fit(*IRIS)
    assert not hasattr(estimator, "estimators_")  # nothing was fitted


def test_hyperband_search_takes_a_searcher_factory() -> None:
    search = HyperbandSearchCV(
        SVC(), {"C": Float(0.1, 10.0, log=True)}, min_resources=8, max_resources=72, n_iter=3, cv=2,
        searcher=lambda space, seed, min_budget, max_budget: Hyperband(
            space, min_budget, max_budget, seed=seed, direction="maximize"
        ),
    ).fit(*IRIS)  # fmt: skip
    assert isinstance(search.searcher_, Hyperband)


class _FragileClassifier(ClassifierMixin, BaseEstimator):
    """Fails to fit when C > 1, as a badly configured model does."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: Any, y: Any) -> _FragileClassifier:
        if self.C > 1:
            raise RuntimeError("diverged")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.full(len(X), self.classes_[0])


def test_a_configuration_whose_every_fit_fails_is_a_failed_trial_not_a_failed_search() -> None:
    search = BayesSearchCV(_FragileClassifier(), {"C": Float(0.1, 10.0, log=True)}, searcher="random", n_iter=8,
                           cv=2, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(*IRIS)
    statuses = [t.status.value for t in search.searcher_.history]
    assert "failed" in statuses and "complete" in statuses and len(statuses) == 8
    recorded = [p["C"] for p in search.cv_results_["params"]]
    assert all(c <= 1 for c in recorded) and len(recorded) == statuses.count("complete")
    with pytest.raises(ValueError, match="fits failed"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        BayesSearchCV(_FragileClassifier(), {"C": Float(2.0, 10.0)}, searcher="random", n_iter=2, cv=2).fit(*IRIS)


def test_a_random_state_object_seeds_one_searcher_and_the_search_pickles() -> None:
    import pickle

    search = BayesSearchCV(SVC(), {"C": Float(0.1, 10.0, log=True)}, searcher="tpe", n_iter=4, cv=2,
                           random_state=np.random.RandomState(5))  # fmt: skip
    search.fit(*IRIS)
    again = pickle.loads(pickle.dumps(search))
    assert again.predict(IRIS[0]).tolist() == search.predict(IRIS[0]).tolist()
    assert again.searcher_.to_json() == search.searcher_.to_json()


def test_hyperband_search_refuses_a_budget_below_the_classes_or_above_the_folds() -> None:
    _CountingClassifier.fits.clear()
    for kwargs, match in (({"min_resources": 2}, "at least the number of classes"),
                          ({"max_resources": 1000}, "exceeds the smallest training fold")):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            HyperbandSearchCV(_CountingClassifier(), {"C": Float(0.1, 1.0)}, cv=2, **kwargs).fit(*IRIS)
    assert _CountingClassifier.fits == []


SVM_GRIDS = [
    {"kernel": Categorical(["rbf"]), "C": Float(1e-2, 1e2, log=True), "gamma": Float(1e-3, 1e1, log=True)},
    {"kernel": Categorical(["linear"]), "C": Float(1e-2, 1e2, log=True)},
]


@pytest.mark.parametrize("searcher", ["gp-logei", "tpe", "random"])
def test_a_list_of_dicts_is_searched_as_one_tree_with_randomized_search_cvs_results(searcher: str) -> None:
    ours = BayesSearchCV(SVC(), SVM_GRIDS, searcher=searcher, n_iter=14, cv=3, random_state=0).fit(*IRIS)
    theirs = RandomizedSearchCV(SVC(), [{"kernel": ["rbf"], "C": loguniform(1e-2, 1e2), "gamma": loguniform(1e-3, 1e1)},
                                        {"kernel": ["linear"], "C": loguniform(1e-2, 1e2)}],
                                n_iter=14, cv=3, random_state=0).fit(*IRIS)  # fmt: skip
    assert sorted(ours.cv_results_) == sorted(theirs.cv_results_)
    for key, value in theirs.cv_results_.items():
        assert np.shape(ours.cv_results_[key]) == np.shape(value), key
    kernels = set()
    for params, gamma in zip(ours.cv_results_["params"], ours.cv_results_["param_gamma"], strict=True):
        kernels.add(params["kernel"])
        # each configuration holds its own dict's names, and the other dict's columns are masked, as scikit-learn's
        assert set(params) == ({"kernel", "C", "gamma"} if params["kernel"] == "rbf" else {"kernel", "C"})
        assert (gamma is np.ma.masked) == (params["kernel"] == "linear")
    assert kernels == {"rbf", "linear"}
    # the best score is its configuration's cross-validated score (cv=3: the same unshuffled stratified folds), and
    # the searcher was told every configuration
    model = SVC(**ours.cv_results_["params"][ours.best_index_])
    assert ours.best_score_ == pytest.approx(cross_val_score(model, *IRIS, cv=3).mean(), abs=1e-12)
    assert len(ours.searcher_.history) == 14


def test_a_pipeline_step_chosen_among_estimators_selects_the_model_and_tunes_it() -> None:
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
    grids = [
        {"clf": Categorical([SVC()]), "clf__C": Float(1e-2, 1e2, log=True)},
        {"clf": Categorical([RandomForestClassifier(n_estimators=15, random_state=0)]), "clf__max_depth": Int(1, 6)},
        {"clf": Categorical([LogisticRegression(max_iter=500)]), "clf__C": Float(1e-3, 1e3, log=True)},
    ]
    search = BayesSearchCV(pipeline, grids, searcher="tpe", n_iter=16, cv=3, random_state=1).fit(*IRIS)
    families = [type(p["clf"]).__name__ for p in search.cv_results_["params"]]
    assert set(families) == {"SVC", "RandomForestClassifier", "LogisticRegression"}
    for params in search.cv_results_["params"]:
        own = {"SVC": {"clf", "clf__C"}, "LogisticRegression": {"clf", "clf__C"},
               "RandomForestClassifier": {"clf", "clf__max_depth"}}[type(params["clf"]).__name__]  # fmt: skip
        assert set(params) == own
    best = search.best_estimator_.named_steps["clf"]
    assert type(best) is type(search.best_params_["clf"])
    tuned = next(name for name in search.best_params_ if name.startswith("clf__"))
    assert best.get_params()[tuned.removeprefix("clf__")] == search.best_params_[tuned]
    assert search.best_score_ == max(search.cv_results_["mean_test_score"]) > 0.9


def test_a_list_of_dicts_names_its_mistakes_before_any_fit() -> None:
    with pytest.raises(ValueError, match="SVC has no parameter 'gama'"):
        BayesSearchCV(SVC(), [SVM_GRIDS[0], {"gama": Float(1e-3, 1.0)}], n_iter=2).fit(*IRIS)
    with pytest.raises(ValueError, match="at least one dict"):
        BayesSearchCV(SVC(), [], n_iter=2).fit(*IRIS)
    with pytest.raises(TypeError, match=r"space\[1\]\['C'\] must be a bohpo Float, Int or Categorical"):
        BayesSearchCV(SVC(), [SVM_GRIDS[0], {"C": [1, 10]}], n_iter=2).fit(*IRIS)
    with pytest.raises(ValueError, match=r"space\[0\]\['C@1'\]: a parameter name in a list of dicts may not"):
        BayesSearchCV(SVC(), [{"C@1": Float(0.1, 1.0)}, SVM_GRIDS[1]], n_iter=2).fit(*IRIS)
    pipeline = make_pipeline(StandardScaler(), SVC())  # every estimator a step may take is checked
    grids = [{"svc": Categorical([SVC(), LogisticRegression()]), "svc__kernel": Categorical(["rbf"])}]
    with pytest.raises(ValueError, match=r"space\[0\]: Pipeline has no parameter 'svc__kernel'.* with svc=Logistic"):
        BayesSearchCV(pipeline, grids, n_iter=2).fit(*IRIS)


def test_hyperband_search_takes_a_list_of_dicts() -> None:
    search = HyperbandSearchCV(SVC(), SVM_GRIDS, resource="n_samples", n_iter=6, cv=3, random_state=0).fit(*IRIS)
    params = search.cv_results_["params"]
    assert {p["kernel"] for p in params} == {"rbf", "linear"}
    assert all(set(p) == ({"kernel", "C", "gamma"} if p["kernel"] == "rbf" else {"kernel", "C"}) for p in params)
    assert {"param_kernel", "param_C", "param_gamma"} <= set(search.cv_results_)


def test_hyperband_search_checks_its_resource_against_the_estimator_each_dict_chooses() -> None:
    from sklearn.ensemble import ExtraTreesClassifier
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline([("clf", SVC())])  # no n_estimators until a dict puts a forest there
    grids = [
        {"clf": Categorical([RandomForestClassifier(random_state=0)]), "clf__max_depth": Int(1, 4)},
        {"clf": Categorical([ExtraTreesClassifier(random_state=0)]), "clf__max_depth": Int(1, 4)},
    ]
    search = HyperbandSearchCV(pipeline, grids, resource="clf__n_estimators", max_resources=9, n_iter=3, cv=3,
                               random_state=0).fit(*IRIS)  # fmt: skip
    assert {type(p["clf"]).__name__ for p in search.cv_results_["params"]} <= {"RandomForestClassifier",
                                                                                 "ExtraTreesClassifier"}  # fmt: skip
    with pytest.raises(ValueError, match=r"space\[1\]: Pipeline has no parameter 'clf__n_estimators'.* with clf=SVC"):
        HyperbandSearchCV(pipeline, [grids[0], {"clf": Categorical([SVC()]), "clf__C": Float(0.1, 1.0)}],
                          resource="clf__n_estimators", max_resources=9, n_iter=3).fit(*IRIS)  # fmt: skip
    with pytest.raises(ValueError, match="the resource 'clf__max_depth' must not be a parameter of the space too"):
        HyperbandSearchCV(pipeline, grids, resource="clf__max_depth", max_resources=9, n_iter=3).fit(*IRIS)
