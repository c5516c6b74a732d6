"""``import bohpo`` and the command's help start without the heavy libraries; the names still resolve."""

from __future__ import annotations

import subprocess
import sys

import pytest

import bohpo

HEAVY = ("torch", "gpytorch", "botorch", "sklearn", "scipy", "matplotlib")


@pytest.mark.parametrize("code", ["import bohpo", "import bohpo.cli", "import bohpo.bench.suites"])
def test_importing_the_package_or_the_command_loads_none_of_the_heavy_libraries(code: str) -> None:
    probe = f"{code}; import sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [(["--help"], ["usage: bohpo"]), (["bench", "list"], ["gp-logei", "svm-digits"])],
)
def test_the_command_answers_without_torch(argv: list[str], expected: list[str]) -> None:
    """``bohpo --help`` and ``bohpo bench list`` print what they should, and torch is never imported."""
    probe = (
        "import sys, contextlib, io\n"
        "from bohpo.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(out):\n"
        f"    main({argv!r})\n"
        "print('torch' in sys.modules, out.getvalue())"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.startswith("False ") and all(text in done.stdout for text in expected)


def test_every_public_name_resolves_and_dir_lists_it() -> None:
    for name in bohpo.__all__:
        assert getattr(bohpo, name) is not None
        assert name in dir(bohpo)
    from bohpo.searchers import BayesianOptimizer

    assert bohpo.BayesianOptimizer is BayesianOptimizer
    with pytest.raises(AttributeError, match=r"module 'bohpo' has no attribute 'BayesOptimizer'"):
        _ = bohpo.BayesOptimizer  # type: ignore[attr-defined]


def test_the_benchmark_names_resolve_lazily_too() -> None:
    import bohpo.bench as bench
    from bohpo.bench.storage import Storage

    assert bench.Storage is Storage and set(bench.__all__) <= set(dir(bench))


def test_the_lazy_tables_and_all_agree() -> None:
    import bohpo.bench as bench

    assert set(bohpo.__all__) == set(bohpo._WHERE) and set(bench.__all__) == set(bench._WHERE)


def test_the_catalogue_lists_exactly_the_registered_names() -> None:
    """``bohpo bench list`` reads the catalogue, which must not drift from what the registries build."""
    from bohpo._catalogue import PRUNERS, builtin_problem_names, builtin_searcher_names
    from bohpo.problems import problem_names
    from bohpo.pruners import pruner_names
    from bohpo.searchers import searcher_names

    assert builtin_problem_names() == problem_names()
    assert builtin_searcher_names() == searcher_names()
    assert list(PRUNERS) == pruner_names()
