"""Named benchmark suites: which problems, searchers, seeds and budget a ``bohpo bench run --suite NAME`` means."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from bohpo._checks import unknown_name

__all__ = ["SUITES", "Suite", "get_suite"]


@dataclass(frozen=True)
class Suite:
    """Defaults of a benchmark run; every field can be overridden on the command line."""

    description: str
    problems: tuple[str, ...]
    searchers: tuple[str, ...]
    seeds: int
    budget: int


SUITES: dict[str, Suite] = {
    "quick": Suite(
        description="a few minutes on 2 cores: three synthetic problems and two real models, 5 seeds, 30 trials",
        problems=("branin", "hartmann6", "mixed-branin", "knn-wine", "decision-tree-diabetes"),
        searchers=("random", "sobol", "grid", "gp-logei", "tpe"),
        seeds=5,
        budget=30,
    ),
    "full": Suite(
        description="the real comparison: synthetic problems with known optima and real models, 10 seeds, 100 trials",
        problems=(
            "branin",
            "hartmann6",
            "mixed-branin",
            "six-hump-camel",
            "michalewicz",
            "svm-digits",
            "svm-diabetes",
            "random-forest-breast-cancer",
            "gradient-boosting-wine",
            "mlp-iris",
            "knn-digits",
            "linear-breast-cancer",
            "decision-tree-diabetes",
            "adaboost-wine",
        ),
        searchers=("random", "sobol", "gp-logei", "gp-ei", "gp-ucb", "tpe", "tpe-univariate"),
        seeds=10,
        budget=100,
    ),
    "traps": Suite(
        description="plateaus, ties, categories and boundaries: trap problems with known optima and the real models "
        "that show them, with Optuna's and BoTorch's samplers where installed, 10 seeds, 60 trials",
        problems=(
            "schwefel-5",
            "flag-plateau",
            "step-function",
            "boundary-4",
            "categorical-offsets",
            "mixed-branin",
            "linear-flags-breast-cancer",
            "decision-tree-diabetes",
            "knn-breast-cancer",
            "svm-wine",
        ),
        searchers=(
            "random",
            "sobol",
            "gp-logei",
            "tpe",
            # Optuna's samplers are registered only where Optuna is installed (bohpo[peers]); looked up, not imported
            *(("optuna-gp", "optuna-tpe") if importlib.util.find_spec("optuna") is not None else ()),
            "botorch-logei",
        ),
        seeds=10,
        budget=60,
    ),
    "conditional": Suite(
        description="tree-structured spaces: Jenatton et al.'s tree, choosing a model family, an MLP's depth, with "
        "Optuna's samplers (define-by-run) where installed, 10 seeds, 60 trials",
        problems=("jenatton", "model-selection-wine", "mlp-depth-wine"),
        searchers=(
            "random",
            "sobol",
            "gp-logei",
            "tpe",
            *(("optuna-gp", "optuna-tpe") if importlib.util.find_spec("optuna") is not None else ()),
        ),
        seeds=10,
        budget=60,
    ),
}


def get_suite(name: str) -> Suite:
    """The suite called ``name``; a ValueError lists the known ones."""
    if name not in SUITES:
        raise unknown_name("suite", name, SUITES)
    return SUITES[name]
