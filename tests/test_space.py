"""Search space: parameter validation, encode/decode laws, sampling distributions, Sobol, grids."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from bohpo.space import Categorical, Float, Int, Space
from tests.conftest import DEVICES, DTYPES

# -- bad parameter definitions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Float(1.0, 1.0), ValueError, r"Float: low must be less than high, got low=1\.0, high=1\.0"),
        (lambda: Float(2.0, 1.0), ValueError, r"low must be less than high, got low=2\.0, high=1\.0"),
        (lambda: Int(5, 3), ValueError, r"Int: low must be less than high, got low=5, high=3"),
        (lambda: Int(4, 4), ValueError, r"Int: low must be less than high, got low=4, high=4"),
        (lambda: Float(0.0, 1.0, log=True), ValueError, r"Float: log=True needs low > 0, got low=0\.0"),
        (lambda: Float(-1.0, 1.0, log=True), ValueError, r"log=True needs low > 0, got low=-1\.0"),
        (lambda: Int(0, 10, log=True), ValueError, r"Int: log=True needs low > 0, got low=0"),
        (lambda: Float(0.0, math.inf), ValueError, r"Float: high must be finite, got inf"),
        (lambda: Float(-1e308, 1e308), ValueError, r"range high - low must be finite"),
        (lambda: Float("0", 1.0), TypeError, r"Float: low must be a real number, got str '0'"),
        (lambda: Float(0.0, 1.0, log=1), TypeError, r"Float: log must be a bool, got 1"),
        (lambda: Int(1.0, 5), TypeError, r"Int: low must be an int, got float 1\.0"),
        (lambda: Int(1, True), TypeError, r"Int: high must be an int, got bool True"),
        (lambda: Categorical([]), ValueError, r"Categorical: choices must not be empty"),
        (lambda: Categorical(["a", "b", "a"]), ValueError, r"duplicate choice 'a' at positions 0 and 2"),
        (lambda: Categorical([math.nan, math.nan]), ValueError, r"choice nan at position 0 is not equal to itself"),
        (lambda: Categorical(["a", float("nan")]), ValueError, r"choice nan at position 1 is not equal to itself"),
        (lambda: Float(0.0, 10**400), ValueError, r"Float: high must be finite, got 1000"),
        (lambda: Categorical("abc"), TypeError, r"choices must be a list or tuple, got str 'abc'"),
        (lambda: Categorical({"a", "b"}), TypeError, r"choices must be a list or tuple, got set"),
    ],
)
def test_bad_parameters_are_rejected_with_the_value(build: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_true_and_one_are_different_choices() -> None:
    assert Categorical([1, True]).width == 2
    assert Categorical([1, True]).index(True) == 1
    assert Categorical([1, True]) != Categorical([True, 1])  # the encoded columns differ
    assert Space({"c": Categorical([1, True])}) != Space({"c": Categorical([True, 1])})


def test_a_value_beyond_any_float_is_refused_not_an_overflow() -> None:
    with pytest.raises(ValueError, match=r"parameter 'x' = 1000.* must be finite"):
        Space({"x": Float(0.0, 1.0)}).validate({"x": 10**400})


def test_log_is_keyword_only_and_huge_ints_are_refused() -> None:
    with pytest.raises(TypeError):
        Float(1.0, 2.0, True)  # type: ignore[misc]
    with pytest.raises(ValueError, match=r"Int: high must lie within \+-2\*\*53"):
        Int(0, 10**17)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({}, ValueError, r"at least one parameter"),
        ({"x": (0.0, 1.0)}, TypeError, r"parameter 'x' must be a Float, Int or Categorical, got tuple"),
        ({1: Float(0.0, 1.0)}, TypeError, r"names must be non-empty strings, got 1"),
        ({"": Float(0.0, 1.0)}, TypeError, r"names must be non-empty strings, got ''"),
    ],
)
def test_bad_spaces_are_rejected(params: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Space(params)


# -- validation of configurations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        ({"momentum": 0.5, "layers": 2, "width": 16, "act": "relu"}, ValueError, r"missing parameter 'lr'"),
        (
            {"lr": 1e-3, "momentum": 0.5, "layers": 2, "width": 16, "act": "relu", "depth": 3},
            ValueError,
            r"unknown parameter 'depth'",
        ),
        (
            {"lr": 0.5, "momentum": 0.5, "layers": 2, "width": 16, "act": "relu"},
            ValueError,
            r"parameter 'lr' = 0\.5 is outside \[1e-05, 0\.1\]",
        ),
        (
            {"lr": 1e-3, "momentum": 0.5, "layers": 7, "width": 16, "act": "relu"},
            ValueError,
            r"parameter 'layers' = 7 is outside \[1, 6\]",
        ),
        (
            {"lr": 1e-3, "momentum": 0.5, "layers": 2.5, "width": 16, "act": "relu"},
            TypeError,
            r"parameter 'layers' = 2\.5 must be an int",
        ),
        (
            {"lr": 1e-3, "momentum": 0.5, "layers": 2.0, "width": 16, "act": "relu"},
            TypeError,
            r"parameter 'layers' = 2\.0 must be an int",
        ),
        (
            {"lr": 1e-3, "momentum": 0.5, "layers": True, "width": 16, "act": "relu"},
            TypeError,
            r"parameter 'layers' = True must be an int",
        ),
        (
            {"lr": 1e-3, "momentum": "high", "layers": 2, "width": 16, "act": "relu"},
            TypeError,
            r"parameter 'momentum' = 'high' must be a real number",
        ),
        (
            {"lr": 1e-3, "momentum": math.nan, "layers": 2, "width": 16, "act": "relu"},
            ValueError,
            r"parameter 'momentum' = nan must be finite",
        ),
        (
            {"lr": 1e-3, "momentum": 0.5, "layers": 2, "width": 16, "act": "gelu"},
            ValueError,
            r"parameter 'act' = 'gelu' is not one of \['relu', 'tanh', None, 3\]",
        ),
        ([("lr", 1e-3)], TypeError, r"must be a mapping of parameter names to values"),
    ],
)
def test_bad_configs_are_rejected_naming_parameter_and_value(
    mixed_space: Space, config: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        mixed_space.validate(config)


def test_validate_returns_canonical_python_values(mixed_space: Space) -> None:
    choice = "tanh"
    config = {
        "act": choice,
        "lr": np.float32(1e-3),
        "momentum": torch.tensor(0.25),
        "layers": np.int64(3),
        "width": 64,
    }
    out = mixed_space.validate(config)
    assert list(out) == mixed_space.names  # space order, whatever order the input had
    assert type(out["lr"]) is float and type(out["momentum"]) is float
    assert type(out["layers"]) is int and out["layers"] == 3
    assert out["act"] is choice
    assert mixed_space.validate({**config, "act": 3})["act"] == 3


def test_encode_names_the_offending_config(mixed_space: Space) -> None:
    good = {"lr": 1e-3, "momentum": 0.5, "layers": 2, "width": 16, "act": "relu"}
    with pytest.raises(ValueError, match=r"configs\[1\]: parameter 'width' = 4 is outside"):
        mixed_space.encode([good, {**good, "width": 4}])
    with pytest.raises(TypeError, match=r"sequence of configurations, got dict; wrap one in \[ \]"):
        mixed_space.encode(good)


# -- encoding, exactly ----------------------------------------------------------------------------------------------


def test_encoding_of_each_kind_by_hand() -> None:
    space = Space(
        {
            "f": Float(0.0, 10.0),
            "g": Float(1e-3, 1e1, log=True),
            "k": Int(0, 3),
            "w": Int(1, 8, log=True),
            "c": Categorical(["a", "b", "c"]),
        }
    )
    X = space.encode([{"f": 2.5, "g": 1e-1, "k": 2, "w": 1, "c": "b"}])
    # An Int owns the cell [v - 0.5, v + 0.5]: 2 in [-0.5, 3.5] sits at 2.5 / 4; 1 in log [0.5, 8.5].
    w_pos = (math.log(1) - math.log(0.5)) / (math.log(8.5) - math.log(0.5))
    expected = torch.tensor([[0.25, 0.5, 2.5 / 4, w_pos, 0.0, 1.0, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(X, expected)
    assert space.dim == 7 and space.columns("c") == slice(4, 7)


def test_decode_snaps_clips_and_takes_argmax() -> None:
    space = Space({"k": Int(0, 3), "f": Float(-1.0, 1.0), "c": Categorical(["a", "b", "c"])})
    X = torch.tensor(
        [
            [0.0, -0.5, 0.2, 0.7, 0.1],  # k in the first cell, f clipped to low, c -> "b"
            [0.26, 1.5, 0.9, 0.0, 0.9],  # k in the second cell, f clipped to high, c -> "a"
            [0.999, 0.5, 0.0, 0.0, 1.0],  # k in the last cell, f at the middle, c -> "c"
        ]
    )
    configs = space.decode(X)
    assert configs == [{"k": 0, "f": -1.0, "c": "b"}, {"k": 1, "f": 1.0, "c": "a"}, {"k": 3, "f": 0.0, "c": "c"}]
    assert all(type(c["k"]) is int and type(c["f"]) is float for c in configs)


def test_decode_returns_the_original_choice_objects() -> None:
    marker = object()
    space = Space({"c": Categorical([marker, "b"])})
    assert space.decode(torch.tensor([[0.9, 0.1]]))[0]["c"] is marker


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (torch.zeros(3), r"shape \(n, 2\), got \(3,\)"),
        (torch.zeros(2, 3), r"shape \(n, 2\), got \(2, 3\)"),
        (torch.tensor([[0.5, math.nan]]), r"NaN"),
    ],
)
def test_decode_rejects_bad_tensors(X: torch.Tensor, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Space({"a": Float(0.0, 1.0), "b": Int(0, 3)}).decode(X)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_encode_follows_dtype_and_device(mixed_space: Space, dtype: torch.dtype, device: str) -> None:
    configs = mixed_space.sample(4, generator=torch.Generator().manual_seed(0))
    X = mixed_space.encode(configs, dtype=dtype, device=device)
    assert X.dtype == dtype and X.device.type == device and X.shape == (4, mixed_space.dim)
    assert mixed_space.decode(X)[0]["act"] == configs[0]["act"]


# -- property tests on random spaces --------------------------------------------------------------------------------


@st.composite
def _parameters(draw: st.DrawFn) -> Float | Int | Categorical:
    kind = draw(st.sampled_from(["float", "logfloat", "int", "logint", "categorical"]))
    if kind == "float":
        low = draw(st.floats(-1e6, 1e6))
        return Float(low, low + draw(st.floats(1e-6, 1e6)))
    if kind == "logfloat":
        low = draw(st.floats(1e-8, 1e3))
        return Float(low, low * draw(st.floats(1.001, 1e8)), log=True)
    if kind == "int":
        low = draw(st.integers(-1000, 1000))
        return Int(low, low + draw(st.integers(1, 10**12)))
    if kind == "logint":
        low = draw(st.integers(1, 1000))
        return Int(low, low + draw(st.integers(1, 100_000)), log=True)
    atoms = st.one_of(
        st.text(max_size=4), st.integers(-5, 5), st.none(), st.booleans(), st.floats(-10, 10), st.tuples(st.integers())
    )
    # Distinct as Categorical sees them: 0 == 0.0 == False in Python, and only bools are kept apart from numbers.
    return Categorical(draw(st.lists(atoms, min_size=1, max_size=6, unique_by=lambda c: (isinstance(c, bool), c))))


@st.composite
def _space_and_configs(draw: st.DrawFn) -> tuple[Space, list[dict[str, Any]]]:
    params = draw(st.lists(_parameters(), min_size=1, max_size=5))
    space = Space({f"p{i}": p for i, p in enumerate(params)})
    configs = []
    for _ in range(draw(st.integers(1, 4))):
        config: dict[str, Any] = {}
        for name, p in space.items():
            if isinstance(p, Float):
                config[name] = draw(st.floats(p.low, p.high))
            elif isinstance(p, Int):
                config[name] = draw(st.integers(p.low, p.high))
            else:
                config[name] = draw(st.sampled_from(p.choices))
        configs.append(config)
    return space, configs


def _assert_same_config(space: Space, got: dict[str, Any], want: dict[str, Any]) -> None:
    assert list(got) == list(want)
    for name, p in space.items():
        if isinstance(p, Float):
            assert type(got[name]) is float
            assert math.isclose(got[name], want[name], rel_tol=1e-9, abs_tol=1e-12 * (p.high - p.low))
        else:
            assert type(got[name]) is type(want[name]) and got[name] == want[name]


@settings(max_examples=200, deadline=None)
@given(_space_and_configs())
def test_decode_inverts_encode(case: tuple[Space, list[dict[str, Any]]]) -> None:
    space, configs = case
    X = space.encode(configs)
    assert X.shape == (len(configs), space.dim)
    assert bool(((X >= 0) & (X <= 1)).all())
    for got, want in zip(space.decode(X), configs, strict=True):
        _assert_same_config(space, got, want)


@settings(max_examples=200, deadline=None)
@given(_space_and_configs())
def test_typed_values_round_trip_exactly(case: tuple[Space, list[dict[str, Any]]]) -> None:
    """Values as a person types them (10 significant digits on a log scale, a millionth of the range on a linear
    one) come back from the unit cube exactly, not with the last bits of the round trip."""
    space, configs = case
    for config in configs:
        typed = dict(config)
        for name, p in space.items():
            if isinstance(p, Float):
                v = config[name]
                v = float(f"{v:.10g}") if p.log else round(v, 6 - math.floor(math.log10(p.high - p.low)))
                v = min(max(v, p.low), p.high)
                if 0 < min(abs(v - p.low), abs(v - p.high)) <= 1e-12 * (p.high - p.low):
                    v = p.low if abs(v - p.low) < abs(v - p.high) else p.high  # decodes as the bound, by design
                typed[name] = v
        assert space.decode(space.encode([typed])) == [typed]


@settings(max_examples=200, deadline=None)
@given(_space_and_configs(), st.integers(0, 2**32 - 1))
def test_every_decoded_point_is_valid(case: tuple[Space, list[dict[str, Any]]], seed: int) -> None:
    space, _ = case
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(16, space.dim, generator=g, dtype=torch.float64) * 1.4 - 0.2  # also outside the cube: clipped
    for config in space.decode(X):
        assert space.validate(config) == config
    for config in space.sample(16, generator=g):
        assert space.validate(config) == config


@settings(max_examples=100, deadline=None)
@given(_space_and_configs())
def test_json_form_round_trips_exactly(case: tuple[Space, list[dict[str, Any]]]) -> None:
    space, configs = case
    for config in configs:
        text = json.dumps(space.config_to_json(config))
        assert space.config_from_json(json.loads(text)) == config
        assert space.key(space.config_from_json(json.loads(text))) == space.key(config)


# -- sampling distributions -----------------------------------------------------------------------------------------


def test_sample_is_uniform_over_ints_and_choices() -> None:
    space = Space({"k": Int(1, 4), "c": Categorical(["a", "b", "c"])})
    n = 12_000
    configs = space.sample(n, generator=torch.Generator().manual_seed(1))
    for name, values in (("k", [1, 2, 3, 4]), ("c", ["a", "b", "c"])):
        counts = np.array([sum(c[name] == v for c in configs) for v in values])
        expected = n / len(values)
        chi2 = ((counts - expected) ** 2 / expected).sum()
        assert chi2 < 20, (name, counts)  # chi-square with <= 3 dof: 20 is far in the tail (p < 2e-4)


def test_log_parameters_sample_log_uniformly() -> None:
    space = Space({"lr": Float(1e-4, 1e0, log=True), "n": Int(1, 1000, log=True)})
    configs = space.sample(8000, generator=torch.Generator().manual_seed(2))
    lr = np.log10([c["lr"] for c in configs])
    assert abs(lr.mean() - (-2.0)) < 0.05  # log10 uniform on [-4, 0]
    assert abs(np.mean(lr < -3) - 0.25) < 0.02
    n = np.array([c["n"] for c in configs])
    # n <= 31 means a point of the log cell range [0.5, 1000.5] below 31.5
    expected = (math.log(31.5) - math.log(0.5)) / (math.log(1000.5) - math.log(0.5))
    assert abs(np.mean(n <= 31) - expected) < 0.02


def test_sample_is_reproducible_and_touches_no_global_state(mixed_space: Space) -> None:
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    a = mixed_space.sample(5, generator=torch.Generator().manual_seed(3))
    b = mixed_space.sample(5, generator=torch.Generator().manual_seed(3))
    c = mixed_space.sample(5, generator=torch.Generator().manual_seed(4))
    assert a == b and a != c
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == np_state[1].tolist()


def test_sample_argument_errors(mixed_space: Space) -> None:
    with pytest.raises(TypeError, match=r"generator must be a torch\.Generator, got int"):
        mixed_space.sample(3, generator=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be >= 0, got -1"):
        mixed_space.sample(-1, generator=torch.Generator())


def test_sobol_is_seeded_and_stratified() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    a, b, c = space.sobol(16, seed=5), space.sobol(16, seed=5), space.sobol(16, seed=6)
    assert a == b and a != c
    # A scrambled Sobol sequence keeps its net property: the first 16 points put one point in each 1/16 strip.
    for name in ("x", "y"):
        assert sorted(math.floor(p[name] * 16) for p in a) == list(range(16))


# -- grids ----------------------------------------------------------------------------------------------------------


def test_grid_values_per_kind() -> None:
    space = Space(
        {
            "f": Float(-1.0, 1.0),
            "lr": Float(1e-4, 1e-1, log=True),
            "k": Int(1, 3),
            "w": Int(1, 1000, log=True),
            "c": Categorical(["a", "b"]),
        }
    )
    values = space.grid_values(4)
    assert values["f"] == pytest.approx([-1.0, -1 / 3, 1 / 3, 1.0])
    assert values["lr"] == [1e-4, 1e-3, 1e-2, 1e-1]  # decades land exactly
    assert values["k"] == [1, 2, 3]  # a narrow Int gives fewer, distinct values
    assert values["w"] == [1, 10, 100, 1000]
    assert values["c"] == ["a", "b"]
    assert space.grid_values(1)["f"] == [0.0]  # one point: the middle
    grid = space.grid({"f": 2, "lr": 1, "k": 3, "w": 2})
    assert len(grid) == 2 * 1 * 3 * 2 * 2
    assert len({space.key(c) for c in grid}) == len(grid)
    assert grid[0] == {"f": -1.0, "lr": pytest.approx(10**-2.5), "k": 1, "w": 1, "c": "a"}
    assert grid[1]["c"] == "b"  # the last parameter moves fastest


@pytest.mark.parametrize(
    ("n_points", "error", "message"),
    [
        (0, ValueError, r"n_points must be >= 1, got 0"),
        (2.5, TypeError, r"n_points must be an int, got float 2\.5"),
        ({"f": 2}, ValueError, r"n_points gives no count for numeric parameter 'k'"),
        ({"f": 2, "k": 2, "c": 2}, ValueError, r"n_points names 'c', which is not a numeric parameter"),
        ({"f": 2, "k": 0}, ValueError, r"n_points\['k'\] must be >= 1, got 0"),
    ],
)
def test_grid_argument_errors(n_points: Any, error: type[Exception], message: str) -> None:
    space = Space({"f": Float(0.0, 1.0), "k": Int(0, 9), "c": Categorical(["a"])})
    with pytest.raises(error, match=message):
        space.grid(n_points)


def test_space_is_an_ordered_mapping(mixed_space: Space) -> None:
    assert mixed_space.names == ["lr", "momentum", "layers", "width", "act"]
    assert list(mixed_space) == mixed_space.names and len(mixed_space) == 5 and "lr" in mixed_space
    assert mixed_space["layers"] == Int(1, 6)
    assert mixed_space == Space(dict(mixed_space.items()))
    assert mixed_space != Space({"lr": Float(1e-5, 1e-1, log=True)})
    assert "Float(low=1e-05, high=0.1, log=True)" in repr(mixed_space)
