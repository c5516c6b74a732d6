"""Conditional (tree-structured) spaces: property checks on random trees, the errors, and what stays as it was."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
import torch

from bohpo.space import INACTIVE, Categorical, Float, Int, Space


def _random_tree(seed: int) -> Space:
    """3 to 8 parameters of every kind; each after the first is, with probability 0.6, a child of an earlier
    Categorical or Int, active for a random non-empty subset of its values (depth grows through chains)."""
    rng = random.Random(seed)
    params: dict[str, Any] = {}
    conditions: dict[str, dict[str, list[Any]]] = {}
    for i in range(rng.randint(3, 8)):
        kind = rng.choice(["float", "log", "int", "cat", "cat"])
        name = f"p{i}"
        if kind == "float":
            params[name] = Float(-1.0, 2.0)
        elif kind == "log":
            params[name] = Float(1e-3, 10.0, log=True)
        elif kind == "int":
            low = rng.randint(0, 2)
            params[name] = Int(low, low + rng.randint(1, 4))
        else:
            params[name] = Categorical([f"c{j}" for j in range(rng.randint(2, 4))])
        parents = [n for n, p in params.items() if n != name and not isinstance(p, Float)]
        if parents and rng.random() < 0.6:
            parent = rng.choice(parents)
            p = params[parent]
            values = list(p.choices) if isinstance(p, Categorical) else list(range(p.low, p.high + 1))
            conditions[name] = {parent: rng.sample(values, rng.randint(1, len(values)))}
    return Space(params, conditions=conditions)


SEEDS = range(40)


def _close(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(
        math.isclose(a[k], b[k], rel_tol=1e-9) if isinstance(a[k], float) else a[k] == b[k] for k in a
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_sampled_and_sobol_configurations_are_valid_trees(seed: int) -> None:
    space = _random_tree(seed)
    configs = space.sample(60, generator=torch.Generator().manual_seed(seed)) + space.sobol(32, seed=seed)
    for config in configs:
        assert space.validate(config) == config
        assert list(config) == space.active_names(config)


@pytest.mark.parametrize("seed", SEEDS)
def test_encode_decode_snap_and_the_active_mask_agree(seed: int) -> None:
    space = _random_tree(seed)
    g = torch.Generator().manual_seed(seed)
    configs = space.sample(50, generator=g)
    X = space.encode(configs)
    assert all(_close(a, b) for a, b in zip(space.decode(X), configs, strict=True))
    mask = space.active_mask(X)
    for row, config in zip(mask.tolist(), configs, strict=True):
        assert [name for name, on in zip(space.names, row, strict=True) if on] == list(config)
    for j, name in enumerate(space.names):  # inactive columns hold the fixed value
        fill = 0.0 if isinstance(space[name], Categorical) else INACTIVE
        assert bool((X[~mask[:, j]][:, space.columns(name)] == fill).all())
    # any point of the cube: the mask says what decode keeps; snapped, it decodes to valid trees and is its own
    # encoding
    raw = torch.rand(50, space.dim, generator=g, dtype=torch.float64)
    raw[:5] = torch.tensor([0.0, 1.0], dtype=torch.float64)[torch.randint(2, (5, space.dim), generator=g)]  # edges
    for row, config in zip(space.active_mask(raw).tolist(), space.decode(raw), strict=True):
        assert [name for name, on in zip(space.names, row, strict=True) if on] == list(config)
    snapped = space.snap(torch.rand(50, space.dim, generator=g, dtype=torch.float64) * 1.2 - 0.1)
    decoded = space.decode(snapped)
    assert all(space.validate(c) == c for c in decoded)
    torch.testing.assert_close(space.encode(decoded), snapped, rtol=0, atol=1e-12)
    torch.testing.assert_close(space.snap(snapped), snapped, rtol=0, atol=0)


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_active_probabilities_match_the_frequencies_of_uniform_samples(seed: int) -> None:
    space = _random_tree(seed)
    n = 40_000
    configs = space.sample(n, generator=torch.Generator().manual_seed(seed))
    for name, probability in space.active_probabilities().items():
        frequency = sum(name in config for config in configs) / n
        # binomial standard error at most 0.0025: 5 of them is a test that fails on a wrong mass, not on chance
        assert frequency == pytest.approx(probability, abs=0.0125), name
    assert set(Space({"x": Float(0.0, 1.0)}).active_probabilities().values()) == {1.0}


def test_an_int_parent_gives_its_values_the_mass_of_their_cells() -> None:
    space = Space({"n": Int(1, 100, log=True), "w": Float(0.0, 1.0)}, conditions={"w": {"n": [1, 2]}})
    # sampled log-uniformly by cells: 1 and 2 hold [log 0.5, log 2.5] of [log 0.5, log 100.5]
    expected = math.log(2.5 / 0.5) / math.log(100.5 / 0.5)
    assert space.active_probabilities()["w"] == pytest.approx(expected, rel=1e-12)
    configs = space.sample(40_000, generator=torch.Generator().manual_seed(0))
    assert sum("w" in c for c in configs) / 40_000 == pytest.approx(expected, abs=0.0125)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_grid_holds_every_tree_once_and_json_round_trips(seed: int) -> None:
    space = _random_tree(seed)
    grid = space.grid(3)
    keys = [space.key(c) for c in grid]
    assert len(grid) == len(set(keys)) == space.grid_size(3)
    assert all(space.validate(c) == c for c in grid)
    values = space.grid_values(3)
    assert all(config[name] in values[name] for config in grid for name in config)
    for config in grid[:20] + space.sample(20, generator=torch.Generator().manual_seed(seed + 1)):
        text = json.dumps(space.config_to_json(config))
        assert space.config_from_json(json.loads(text)) == config


def test_validate_names_the_parameter_at_fault_and_changes_nothing() -> None:
    space = Space(
        {"model": Categorical(["svm", "knn"]), "kernel": Categorical(["rbf", "poly"]), "degree": Int(2, 5),
         "k": Int(1, 30)},
        conditions={"kernel": {"model": "svm"}, "degree": {"kernel": "poly"}, "k": {"model": "knn"}},
    )  # fmt: skip
    config = {"model": "svm", "kernel": "poly"}
    with pytest.raises(ValueError, match=r"missing parameter 'degree' \(active because kernel = 'poly'\)"):
        space.validate(config)
    assert config == {"model": "svm", "kernel": "poly"}
    with pytest.raises(ValueError, match=r"parameter 'k' is inactive because model = 'svm'.*leave it out"):
        space.validate({"model": "svm", "kernel": "rbf", "k": 3})
    with pytest.raises(ValueError, match=r"parameter 'degree' is inactive because its parent 'kernel' is inactive"):
        space.validate({"model": "knn", "k": 3, "degree": 2})
    assert space.validate({"model": "knn", "k": 3}) == {"model": "knn", "k": 3}
    assert space.key({"model": "knn", "k": 3}) == (1, None, None, 3)


def test_bad_conditions_are_refused_with_the_reason() -> None:
    params = {"a": Categorical(["x", "y"]), "f": Float(0.0, 1.0), "n": Int(0, 3)}
    for conditions, message in [
        ({"zz": {"a": "x"}}, "not a parameter"),
        ({"f": {"zz": "x"}}, "names parent 'zz'"),
        ({"a": {"n": 1}}, "must be declared before"),
        ({"n": {"f": 0.5}}, "is a Float"),
        ({"n": {"a": []}}, "no values"),
        ({"n": {"a": "q"}}, "'q' is not one of"),
        ({"n": {"a": "x", "f": 0.1}}, "one parent"),
    ]:
        with pytest.raises(ValueError, match=message):
            Space(params, conditions=conditions)


def test_a_space_without_conditions_is_the_space_it_was() -> None:
    params = {"a": Categorical(["x", "y"]), "f": Float(0.0, 1.0), "n": Int(0, 3)}
    plain = Space(params)
    assert Space(params, conditions={}) == plain and Space(params, conditions=None) == plain
    assert plain.signature() == [["a", "categorical", ["str:'x'", "str:'y'"]], ["f", "float", "0.0", "1.0", False],
                                 ["n", "int", "0", "3", False]]  # fmt: skip
    assert repr(plain) == f"Space({dict(plain.items())!r})"
    tree = Space(params, conditions={"n": {"a": "y"}})
    assert tree != plain and tree.signature()[:3] == plain.signature()
    assert tree == Space(params, conditions={"n": {"a": ["y"]}})
