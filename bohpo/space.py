"""Search spaces: named parameters, their encoding into the unit cube, sampling and grids.

Glossary:
    d   number of named parameters.
    D   encoded dimension: one column per numeric parameter, one per choice of a categorical (one-hot).
    n   number of configurations.
    U   (n, d) "unit" numbers, one column per parameter, each mapped to a value by inverse-CDF sampling
        (uniform or log-uniform for numeric parameters, uniform over choices for categoricals).
    X   (n, D) encoded points in the unit cube.

Numeric parameters are encoded through a transform ``t`` (identity, or ``log`` when ``log=True``) scaled to [0, 1].
An ``Int`` owns the cell ``[v - 0.5, v + 0.5]`` around each value, so the cube is split into equal cells (equal in
log space for ``log=True``) and a uniform point of the cube decodes to a uniform (or log-uniform) integer.

Conditional (tree-structured) spaces: ``Space(params, conditions={child: {parent: values}})`` makes ``child`` active
only where ``parent`` is active and takes one of ``values``. A configuration holds its active parameters only; in the
encoding an inactive parameter's columns hold a fixed value (``INACTIVE``: the middle of a numeric column, zeros for
a categorical's one-hot block), and :meth:`Space.active_mask` says which parameters are active in each row.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch import Tensor
from torch.quasirandom import SobolEngine

from bohpo._checks import check_count, finite_float, is_bool, is_int, is_real, scalar

__all__ = ["INACTIVE", "Categorical", "Condition", "Float", "Int", "Parameter", "Space"]

Config = dict[str, Any]


def _evenly_spaced(lo: float, hi: float, n: int) -> Tensor:
    """(n,) float64 points from ``lo`` to ``hi``; the midpoint when ``n == 1``."""
    if n == 1:
        return torch.tensor([(lo + hi) / 2], dtype=torch.float64)
    return torch.linspace(lo, hi, n, dtype=torch.float64)


_MAX_EXACT_INT = 2**53  # ints beyond this are not exact in the float64 encoding


class _Numeric:
    """Shared transform logic of ``Float`` and ``Int``: values <-> unit interval through ``t``."""

    low: float
    high: float
    log: bool

    def _t(self, value: float) -> float:
        return math.log(value) if self.log else float(value)

    def _t_bounds(self) -> tuple[float, float]:
        raise NotImplementedError

    def _check_bounds(self, kind: str) -> None:
        if not self.low < self.high:
            raise ValueError(f"{kind}: low must be less than high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"{kind}: log=True needs low > 0, got low={self.low!r}")
        if not math.isfinite(self.high - self.low):
            raise ValueError(f"{kind}: the range high - low must be finite, got low={self.low!r}, high={self.high!r}")

    def _encode_column(self, values: Tensor) -> Tensor:
        """(n,) float64 values -> (n,) positions in [0, 1]."""
        lo, hi = self._t_bounds()
        t = values.log() if self.log else values
        return ((t - lo) / (hi - lo)).clamp(0.0, 1.0)

    def _untransform(self, u: Tensor) -> Tensor:
        """(n,) float64 positions, clamped to [0, 1] -> (n,) values in the original scale (not yet snapped)."""
        lo, hi = self._t_bounds()
        t = lo + u.clamp(0.0, 1.0) * (hi - lo)
        return t.exp() if self.log else t


@dataclass(frozen=True)
class Float(_Numeric):
    """A real parameter on ``[low, high]``, linear or logarithmic.

    Example:
        >>> Float(1e-4, 1e-1, log=True)
        Float(low=0.0001, high=0.1, log=True)
    """

    low: float
    high: float
    log: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        for arg in ("low", "high"):
            value = scalar(getattr(self, arg))
            if not is_real(value):
                raise TypeError(f"Float: {arg} must be a real number, got {type(value).__name__} {value!r}")
            if finite_float(value) is None:  # inf, NaN, or an int beyond any float (10**400)
                raise ValueError(f"Float: {arg} must be finite, got {value!r}")
            object.__setattr__(self, arg, float(value))
        if not isinstance(self.log, bool):
            raise TypeError(f"Float: log must be a bool, got {self.log!r}")
        self._check_bounds("Float")

    @property
    def width(self) -> int:
        """Number of encoded columns."""
        return 1

    def _t_bounds(self) -> tuple[float, float]:
        return self._t(self.low), self._t(self.high)

    def _check(self, name: str, value: Any) -> float:
        value = scalar(value)
        if not is_real(value):
            raise TypeError(f"parameter {name!r} = {value!r} must be a real number for {self!r}")
        if finite_float(value) is None:
            raise ValueError(f"parameter {name!r} = {value!r} must be finite")
        if not self.low <= value <= self.high:
            raise ValueError(f"parameter {name!r} = {value!r} is outside [{self.low!r}, {self.high!r}]")
        return float(value)

    def _from_unit(self, u: Tensor) -> list[float]:
        return [self._tidy(v) for v in self._untransform(u).tolist()]

    def _tidy(self, value: float) -> float:
        """Round off the last bits of the unit-cube round trip, so a typed value (0.01) decodes as typed.

        The rounding is far finer than any tuning needs: 14 significant digits on a log scale, 1e-12 of the range
        on a linear one.
        """
        tolerance = 1e-13 * abs(value) if self.log else 1e-12 * (self.high - self.low)
        for bound in (self.low, self.high):
            if abs(value - bound) <= tolerance:
                return bound
        if self.log:
            return min(max(float(f"{value:.14g}"), self.low), self.high)
        value = round(value, 12 - math.floor(math.log10(self.high - self.low)))
        return min(max(value, self.low), self.high)

    def _grid(self, n_points: int) -> list[float]:
        # Spaced in log10 for log=True, so decades land on round numbers (1e-3, not 0.0010000000000000002).
        lo, hi = (math.log10(self.low), math.log10(self.high)) if self.log else (self.low, self.high)
        values = [10.0**t if self.log else t for t in _evenly_spaced(lo, hi, n_points).tolist()]
        if n_points > 1:
            values[0], values[-1] = self.low, self.high
        return [min(max(v, self.low), self.high) for v in values]


@dataclass(frozen=True)
class Int(_Numeric):
    """An integer parameter on ``[low, high]`` (both included), linear or logarithmic.

    Example:
        >>> Int(1, 256, log=True)
        Int(low=1, high=256, log=True)
    """

    low: int
    high: int
    log: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        for arg in ("low", "high"):
            value = scalar(getattr(self, arg))
            if not is_int(value):
                raise TypeError(f"Int: {arg} must be an int, got {type(value).__name__} {value!r}")
            if abs(value) > _MAX_EXACT_INT:
                raise ValueError(f"Int: {arg} must lie within +-2**53 (exact in float64), got {value!r}")
            object.__setattr__(self, arg, int(value))
        if not isinstance(self.log, bool):
            raise TypeError(f"Int: log must be a bool, got {self.log!r}")
        self._check_bounds("Int")

    @property
    def width(self) -> int:
        """Number of encoded columns."""
        return 1

    def _t_bounds(self) -> tuple[float, float]:
        return self._t(self.low - 0.5), self._t(self.high + 0.5)

    def _check(self, name: str, value: Any) -> int:
        value = scalar(value)
        if not is_int(value):
            raise TypeError(f"parameter {name!r} = {value!r} must be an int for {self!r}, got {type(value).__name__}")
        if not self.low <= value <= self.high:
            raise ValueError(f"parameter {name!r} = {value!r} is outside [{self.low!r}, {self.high!r}]")
        return int(value)

    def _values(self, u: Tensor) -> Tensor:
        """(...) encoded positions -> (...) the integers they decode to, as floats of u's dtype."""
        return self._untransform(u).round().clamp(self.low, self.high)

    def _from_unit(self, u: Tensor) -> list[int]:
        return [int(v) for v in self._values(u).tolist()]

    def cell_edges(self, u: Tensor) -> tuple[Tensor, Tensor]:
        """The encoded interval of the integer each position decodes to.

        The integers' cells ``[v - 1/2, v + 1/2]`` (in log space where ``log=True``) partition the unit interval, so
        a density on [0, 1] gives each integer the mass of its cell.

        Args:
            u: (...) encoded positions, any dtype and device.

        Returns:
            ``(lower, upper)``, each (...), like ``u``; ``lower`` is 0 for ``low`` and ``upper`` is 1 for ``high``.
        """
        values = self._values(u)
        return self._encode_column(values - 0.5), self._encode_column(values + 0.5)

    def _grid(self, n_points: int) -> list[int]:
        lo, hi = self._t(self.low), self._t(self.high)
        t = _evenly_spaced(lo, hi, n_points)
        values = (t.exp() if self.log else t).round().clamp(self.low, self.high)
        return sorted({int(v) for v in values.tolist()})


def _same_choice(a: Any, b: Any) -> bool:
    """Equality for choices that keeps ``True`` apart from ``1`` and never raises (a NaN equals nothing, itself
    included, whatever its identity)."""
    if a is b and not (isinstance(a, float) and math.isnan(a)):
        return True
    if is_bool(a) != is_bool(b):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Categorical:
    """An unordered choice among ``choices`` (any objects), one-hot encoded.

    Example:
        >>> Categorical(["rbf", "linear", "poly"]).width
        3
    """

    choices: Sequence[Any]  # stored as a tuple

    def __post_init__(self) -> None:
        choices = self.choices
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise TypeError(f"Categorical: choices must be a list or tuple, got {type(choices).__name__} {choices!r}")
        choices = tuple(choices)
        if not choices:
            raise ValueError("Categorical: choices must not be empty, got []")
        for j, later in enumerate(choices):
            if not _same_choice(later, later):
                raise ValueError(f"Categorical: choice {later!r} at position {j} is not equal to itself (NaN?), so "
                                 "it could never be looked up")  # fmt: skip
            for i in range(j):
                if _same_choice(choices[i], later):
                    raise ValueError(f"Categorical: duplicate choice {later!r} at positions {i} and {j}")
        object.__setattr__(self, "choices", choices)

    @property
    def width(self) -> int:
        """Number of encoded columns (one per choice)."""
        return len(self.choices)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Categorical)
            and len(self.choices) == len(other.choices)
            and all(_same_choice(a, b) for a, b in zip(self.choices, other.choices, strict=True))
        )

    def __hash__(self) -> int:
        return hash(len(self.choices))

    def index(self, value: Any) -> int | None:
        """Position of ``value`` among the choices, or ``None`` if it is not one of them."""
        value = scalar(value)
        return next((i for i, c in enumerate(self.choices) if _same_choice(c, value)), None)

    def _check(self, name: str, value: Any) -> Any:
        i = self.index(value)
        if i is None:
            raise ValueError(f"parameter {name!r} = {value!r} is not one of {list(self.choices)!r}")
        return self.choices[i]

    def _from_unit(self, u: Tensor) -> list[Any]:
        k = len(self.choices)
        idx = (u.clamp(0.0, 1.0) * k).floor().clamp(0, k - 1).long()
        return [self.choices[i] for i in idx.tolist()]

    def _grid(self, n_points: int) -> list[Any]:
        return list(self.choices)


def _choice_signature(choice: Any) -> str:
    if choice is None or isinstance(choice, (bool, int, float, str)):
        return f"{type(choice).__name__}:{choice!r}"
    named = choice if hasattr(choice, "__qualname__") else type(choice)
    return f"{getattr(named, '__module__', '?')}.{named.__qualname__}"


Parameter = Float | Int | Categorical
_PARAMETER_TYPES = (Float, Int, Categorical)

INACTIVE = 0.5  # the encoded value of an inactive numeric parameter; an inactive categorical's block is all zeros


@dataclass(frozen=True)
class Condition:
    """A child parameter is active only where ``parent`` is active and takes one of ``values`` (canonical)."""

    parent: str
    values: tuple[Any, ...]


class Space:
    """An ordered mapping of names to parameters, with its unit-cube encoding.

    Args:
        params: ``{name: Float | Int | Categorical}``; the order is kept and defines the encoded columns.
        conditions: ``{child: {parent: value or list of values}}``: ``child`` is active only where ``parent`` is
            active and takes one of the values. One parent per child, declared before it, a ``Categorical`` or an
            ``Int``; a parent may itself be conditional, to any depth. Why this form: a tree is most often written as
            "this parameter belongs to that choice" (ConfigSpace's ``InCondition``, scikit-learn's list of grids), and
            a mapping beside the parameters keeps ``Float``/``Int``/``Categorical`` plain values that compare, hash
            and serialise as before; a space without conditions is exactly the space it was.

    Example:
        >>> space = Space({"lr": Float(1e-4, 1e-1, log=True), "layers": Int(1, 4),
        ...                "act": Categorical(["relu", "tanh"])})
        >>> space.dim, len(space)
        (4, 3)
        >>> X = space.encode([{"lr": 1e-2, "layers": 3, "act": "tanh"}])
        >>> X.shape
        torch.Size([1, 4])
        >>> space.decode(X)
        [{'lr': 0.01, 'layers': 3, 'act': 'tanh'}]

        A tree: the polynomial kernel's degree exists only for that kernel.

        >>> svm = Space({"kernel": Categorical(["rbf", "poly"]), "C": Float(1e-2, 1e2, log=True),
        ...              "degree": Int(2, 5)}, conditions={"degree": {"kernel": "poly"}})
        >>> svm.validate({"kernel": "rbf", "C": 1.0})
        {'kernel': 'rbf', 'C': 1.0}
        >>> svm.active_names({"kernel": "poly", "C": 1.0, "degree": 3})
        ['kernel', 'C', 'degree']
    """

    def __init__(
        self, params: Mapping[str, Parameter], conditions: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        if not isinstance(params, Mapping):
            raise TypeError(f"Space takes a mapping of names to parameters, got {type(params).__name__}")
        if not params:
            raise ValueError("Space needs at least one parameter, got an empty mapping")
        for name, param in params.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"parameter names must be non-empty strings, got {name!r}")
            if not isinstance(param, _PARAMETER_TYPES):
                raise TypeError(
                    f"parameter {name!r} must be a Float, Int or Categorical, got {type(param).__name__} {param!r}"
                )
        self._params: dict[str, Parameter] = dict(params)
        self._columns: dict[str, slice] = {}
        start = 0
        for name, param in self._params.items():
            self._columns[name] = slice(start, start + param.width)
            start += param.width
        self._dim = start
        self._conditions = self._check_conditions(conditions)

    def _check_conditions(self, conditions: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Condition]:
        if conditions is None:
            return {}
        if not isinstance(conditions, Mapping):
            raise TypeError(f"conditions must be a mapping {{child: {{parent: values}}}}, got {conditions!r}")
        order = {name: i for i, name in enumerate(self._params)}
        checked: dict[str, Condition] = {}
        for child, rule in conditions.items():
            if child not in self._params:
                raise ValueError(f"conditions name {child!r}, which is not a parameter of {self.names!r}")
            if not isinstance(rule, Mapping) or len(rule) != 1:
                raise ValueError(f"conditions[{child!r}] must map one parent to its values, got {rule!r}")
            ((parent, values),) = rule.items()
            if parent not in self._params:
                raise ValueError(f"conditions[{child!r}] names parent {parent!r}, which is not a parameter")
            if order[parent] >= order[child]:
                raise ValueError(f"conditions[{child!r}]: parent {parent!r} must be declared before {child!r}")
            param = self._params[parent]
            if isinstance(param, Float):
                raise ValueError(f"conditions[{child!r}]: parent {parent!r} is a Float; a parent must be a "
                                 "Categorical or an Int")  # fmt: skip
            listed = list(values) if isinstance(values, (list, tuple)) else [values]
            if not listed:
                raise ValueError(f"conditions[{child!r}]: no values of {parent!r} given")
            try:
                canonical = tuple(param._check(parent, v) for v in listed)
            except (TypeError, ValueError) as err:
                raise type(err)(f"conditions[{child!r}]: {err}") from None
            checked[child] = Condition(parent, canonical)
        return checked

    # -- mapping-like access ------------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Parameter names, in order."""
        return list(self._params)

    @property
    def dim(self) -> int:
        """Encoded dimension ``D``."""
        return self._dim

    def columns(self, name: str) -> slice:
        """The encoded columns of parameter ``name``."""
        return self._columns[name]

    def __getitem__(self, name: str) -> Parameter:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def items(self) -> list[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs, in order."""
        return list(self._params.items())

    @property
    def conditions(self) -> dict[str, Condition]:
        """``{child: Condition(parent, values)}``; empty for a space without conditions."""
        return dict(self._conditions)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Space)
            and list(self._params.items()) == list(other._params.items())
            and self._condition_keys() == other._condition_keys()
        )

    def __hash__(self) -> int:
        return hash(tuple(self._params))

    def __repr__(self) -> str:
        if not self._conditions:
            return f"Space({self._params!r})"
        rules = {child: {c.parent: list(c.values)} for child, c in self._conditions.items()}
        return f"Space({self._params!r}, conditions={rules!r})"

    # -- conditions ---------------------------------------------------------------------------------------------
    def _condition_keys(self) -> dict[str, tuple[str, tuple[Any, ...]]]:
        """Each condition with its values as keys (a categorical's by index): what equality compares."""
        return {
            child: (c.parent, tuple(sorted(self._value_key(c.parent, v) for v in c.values)))
            for child, c in self._conditions.items()
        }

    def _value_key(self, name: str, value: Any) -> Any:
        param = self._params[name]
        return param.index(value) if isinstance(param, Categorical) else value

    def is_active(self, name: str, config: Mapping[str, Any]) -> bool:
        """Whether parameter ``name`` is active beside ``config``, a configuration of active parameters only (a
        partial one will do: ``name``'s parent, if it has one, is active exactly when it is in ``config``)."""
        condition = self._conditions.get(name)
        if condition is None:
            return True
        if condition.parent not in config:
            return False
        key = self._value_key(condition.parent, config[condition.parent])
        return any(key == self._value_key(condition.parent, v) for v in condition.values)

    def active_names(self, config: Mapping[str, Any]) -> list[str]:
        """The parameters active in ``config``, in space order. Inactive ones that ``config`` gives are ignored; an
        active parent it does not give leaves its children out."""
        names: list[str] = []
        given: Config = {}
        for name in self._params:
            if self.is_active(name, given):
                names.append(name)
                if name in config:
                    given[name] = config[name]
        return names

    def active_probabilities(self) -> dict[str, float]:
        """``{name: probability}`` that each parameter is active in a uniform sample (:meth:`sample`): the product,
        down its chain of parents, of each parent's mass on the values that activate the child (a categorical's
        choices 1/k each, an int's the width of its encoded cell). 1.0 for every parameter of a space without
        conditions.

        Example:
            >>> svm = Space({"kernel": Categorical(["rbf", "poly", "linear"]), "degree": Int(2, 5)},
            ...             conditions={"degree": {"kernel": "poly"}})
            >>> svm.active_probabilities()
            {'kernel': 1.0, 'degree': 0.3333333333333333}
        """
        probability: dict[str, float] = {}
        for name in self._params:  # parents first
            condition = self._conditions.get(name)
            if condition is None:
                probability[name] = 1.0
                continue
            parent = self._params[condition.parent]
            if isinstance(parent, Categorical):
                mass = len(condition.values) / len(parent.choices)
            else:
                u = cast(Int, parent)._encode_column(torch.tensor(condition.values, dtype=torch.float64))
                lower, upper = cast(Int, parent).cell_edges(u)
                mass = float((upper - lower).sum())
            probability[name] = probability[condition.parent] * mass
        return probability

    def active_mask(self, X: Tensor) -> Tensor:
        """(n, d) bool: which parameters are active in each row of ``X`` (n, D), read from the parents' columns.
        All true for a space without conditions."""
        if X.ndim != 2 or X.shape[-1] != self._dim:
            raise ValueError(f"active_mask takes a tensor of shape (n, {self._dim}), got {tuple(X.shape)}")
        mask = torch.ones(X.shape[0], len(self), dtype=torch.bool, device=X.device)
        if not self._conditions:
            return mask
        index = {name: j for j, name in enumerate(self._params)}
        for name in self._params:  # parents first: each is declared before its children
            condition = self._conditions.get(name)
            if condition is None:
                continue
            parent = self._params[condition.parent]
            block = X[:, self._columns[condition.parent]]
            # what the parent decodes to in each row: a choice's index, or an int (as decode reads them)
            chosen = block.argmax(-1) if isinstance(parent, Categorical) else cast(Int, parent)._values(block[:, 0])
            allowed = torch.tensor([self._value_key(condition.parent, v) for v in condition.values], device=X.device)
            holds = (chosen.unsqueeze(-1) == allowed.to(chosen.dtype)).any(-1)
            mask[:, index[name]] = holds & mask[:, index[condition.parent]]
        return mask

    def _drop_inactive(self, config: Config) -> Config:
        active = set(self.active_names(config))
        return {name: value for name, value in config.items() if name in active}

    # -- validation ---------------------------------------------------------------------------------------------
    def validate(self, config: Mapping[str, Any]) -> Config:
        """Check a configuration and return it with canonical Python values, in space order.

        Raises:
            TypeError: ``config`` is not a mapping, or a value has the wrong type (a float for an ``Int``).
            ValueError: an unknown or missing name, a value out of range or not among the choices.
        """
        if not isinstance(config, Mapping):
            raise TypeError(f"a configuration must be a mapping of parameter names to values, got {config!r}")
        unknown = [k for k in config if k not in self._params]
        if unknown:
            raise ValueError(f"unknown parameter {unknown[0]!r} (the space has {self.names!r})")
        if not self._conditions:
            missing = [k for k in self._params if k not in config]
            if missing:
                raise ValueError(f"missing parameter {missing[0]!r} (the space has {self.names!r})")
            return {name: param._check(name, config[name]) for name, param in self._params.items()}
        checked: Config = {}
        for name, param in self._params.items():
            condition = self._conditions.get(name)
            if self.is_active(name, checked):
                if name not in config:
                    why = (
                        ""
                        if condition is None
                        else f" (active because {condition.parent} = {checked[condition.parent]!r})"
                    )
                    raise ValueError(f"missing parameter {name!r}{why}")
                checked[name] = param._check(name, config[name])
            elif name in config:
                rule = cast(Condition, condition)  # only a conditional parameter can be inactive
                if rule.parent in checked:
                    because = f"{rule.parent} = {checked[rule.parent]!r} (it is active only where {rule.parent} is "
                    because += f"one of {list(rule.values)!r})"
                else:
                    because = f"its parent {rule.parent!r} is inactive"
                raise ValueError(f"parameter {name!r} is inactive because {because}; leave it out")
        return checked

    def signature(self) -> list[list[Any]]:
        """A JSON-safe description that is the same in every process: names, kinds, bounds, and the choices
        (primitives by value, other objects by their type's or their own qualified name, never by address)."""
        rows: list[list[Any]] = []
        for name, p in self._params.items():
            if isinstance(p, Categorical):
                rows.append([name, "categorical", [_choice_signature(c) for c in p.choices]])
            else:
                rows.append([name, type(p).__name__.lower(), repr(p.low), repr(p.high), p.log])
        for child, (parent, keys) in self._condition_keys().items():  # none in a space without conditions
            rows.append([child, "active where", parent, [repr(k) for k in keys]])
        return rows

    def key(self, config: Mapping[str, Any]) -> tuple[Any, ...]:
        """A hashable identity of a valid configuration (categoricals by the index of their choice; an inactive
        parameter is ``None``)."""
        return tuple(
            None if name not in config else p.index(config[name]) if isinstance(p, Categorical) else config[name]
            for name, p in self._params.items()
        )

    # -- encode / decode ----------------------------------------------------------------------------------------
    def encode(
        self,
        configs: Sequence[Mapping[str, Any]],
        *,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """Encode configurations into the unit cube.

        Args:
            configs: A sequence of ``n`` configurations (each is validated).
            dtype, device: Of the result.

        Returns:
            ``X``, shape (n, D): numeric parameters scaled (in log space where ``log=True``), categoricals one-hot.
        """
        if isinstance(configs, Mapping) or not isinstance(configs, Sequence):
            raise TypeError(f"encode takes a sequence of configurations, got {type(configs).__name__}; wrap one in [ ]")
        rows = []
        for i, config in enumerate(configs):
            try:
                rows.append(self.validate(config))
            except (TypeError, ValueError) as err:
                raise type(err)(f"configs[{i}]: {err}") from None
        X = torch.zeros(len(rows), self._dim, dtype=torch.float64)
        for name, param in self._params.items():
            cols = self._columns[name]
            present = [i for i, r in enumerate(rows) if name in r]  # every row, in a space without conditions
            at = torch.tensor(present, dtype=torch.long)
            if isinstance(param, Categorical):
                idx = torch.tensor([param.index(rows[i][name]) for i in present], dtype=torch.long)
                X[at, cols.start + idx] = 1.0
            else:
                X[:, cols.start] = INACTIVE
                values = torch.tensor([float(rows[i][name]) for i in present], dtype=torch.float64)
                X[at, cols.start] = param._encode_column(values)
        return X.to(dtype=dtype, device=device)

    def decode(self, X: Tensor) -> list[Config]:
        """Decode points of the unit cube into configurations.

        Args:
            X: (n, D). Values outside [0, 1] are clipped; ints are snapped to the nearest value, categoricals take the
                arg-max of their one-hot block.

        Returns:
            ``n`` configurations with Python values (``float``, ``int``, the original choice objects).
        """
        if not isinstance(X, Tensor):
            raise TypeError(f"decode takes a tensor of shape (n, {self._dim}), got {type(X).__name__}")
        if X.ndim != 2 or X.shape[-1] != self._dim:
            raise ValueError(f"decode takes a tensor of shape (n, {self._dim}), got {tuple(X.shape)}")
        X = X.detach().to(device="cpu", dtype=torch.float64)
        if torch.isnan(X).any():
            raise ValueError("decode got NaN in X")
        columns: dict[str, list[Any]] = {}
        for name, param in self._params.items():
            block = X[:, self._columns[name]]
            if isinstance(param, Categorical):
                columns[name] = [param.choices[i] for i in block.argmax(dim=1).tolist()]
            else:
                columns[name] = param._from_unit(block[:, 0])
        return self._rows(columns, X.shape[0])

    def snap(self, X: Tensor) -> Tensor:
        """Move points of the cube onto the space's lattice, as tensors (no round trip through Python values).

        Args:
            X: (n, D) any real values.

        Returns:
            (n, D), same dtype and device: floats clamped to [0, 1]; each int moved to the encoded position of the
            value it decodes to; each categorical block one-hot at its arg-max. ``decode`` of the result equals
            ``decode`` of ``X``, and ``encode(decode(.))`` leaves it unchanged.
        """
        if X.ndim != 2 or X.shape[-1] != self._dim:
            raise ValueError(f"snap takes a tensor of shape (n, {self._dim}), got {tuple(X.shape)}")
        out = X.clamp(0.0, 1.0)
        for name, param in self._params.items():
            cols = self._columns[name]
            if isinstance(param, Categorical):
                block = out[:, cols]
                out[:, cols] = torch.nn.functional.one_hot(block.argmax(-1), param.width).to(out.dtype)
            elif isinstance(param, Int):
                out[:, cols.start] = param._encode_column(param._values(out[:, cols.start]))
        if self._conditions:
            inactive = ~self.active_mask(out)
            for j, name in enumerate(self._params):
                cols = self._columns[name]
                fill = 0.0 if isinstance(self._params[name], Categorical) else INACTIVE
                out[:, cols] = torch.where(inactive[:, j : j + 1], fill, out[:, cols])
        return out

    def from_unit(self, U: Tensor) -> list[Config]:
        """Map ``U`` (n, d) in [0, 1), one column per parameter, to configurations by inverse-CDF sampling.

        Uniform ``U`` gives uniform floats (log-uniform where ``log=True``), uniform integers (log-uniform cells where
        ``log=True``) and uniform choices.
        """
        if not isinstance(U, Tensor) or U.ndim != 2 or U.shape[-1] != len(self):
            shape = tuple(U.shape) if isinstance(U, Tensor) else type(U).__name__
            raise ValueError(f"from_unit takes a tensor of shape (n, {len(self)}), got {shape}")
        U = U.detach().to(device="cpu", dtype=torch.float64)
        columns = {name: param._from_unit(U[:, j]) for j, (name, param) in enumerate(self._params.items())}
        return self._rows(columns, U.shape[0])

    def _rows(self, columns: dict[str, list[Any]], n: int) -> list[Config]:
        rows = [{name: columns[name][i] for name in self._params} for i in range(n)]
        return [self._drop_inactive(row) for row in rows] if self._conditions else rows

    # -- sampling -----------------------------------------------------------------------------------------------
    def sample(self, n: int, *, generator: torch.Generator) -> list[Config]:
        """``n`` independent configurations: uniform (log-uniform where ``log=True``) in every parameter."""
        check_count(n, "n")
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        U = torch.rand(n, len(self), generator=generator, dtype=torch.float64, device=generator.device)
        return self.from_unit(U)

    def sobol_engine(self, *, seed: int) -> SobolEngine:
        """A scrambled Sobol engine over the ``d`` unit columns of this space (feed its draws to ``from_unit``)."""
        return SobolEngine(len(self), scramble=True, seed=seed)

    def sobol(self, n: int, *, seed: int) -> list[Config]:
        """The first ``n`` points of a scrambled, seeded Sobol sequence, as configurations."""
        check_count(n, "n")
        return self.from_unit(self.sobol_engine(seed=seed).draw(n, dtype=torch.float64))

    # -- grids --------------------------------------------------------------------------------------------------
    def grid_values(self, n_points: int | Mapping[str, int] = 5) -> dict[str, list[Any]]:
        """The values each parameter takes on a grid.

        Args:
            n_points: Points per numeric parameter (evenly spaced, in log space where ``log=True``; integers are
                de-duplicated, so a narrow ``Int`` may give fewer), either one count for all or ``{name: count}``
                naming every numeric parameter. Categoricals always give all their choices.
        """
        numeric = [name for name, p in self._params.items() if not isinstance(p, Categorical)]
        if isinstance(n_points, Mapping):
            for name in n_points:
                if name not in numeric:
                    raise ValueError(f"n_points names {name!r}, which is not a numeric parameter of {numeric!r}")
            missing = [name for name in numeric if name not in n_points]
            if missing:
                raise ValueError(f"n_points gives no count for numeric parameter {missing[0]!r}")
            counts = {name: check_count(n_points[name], f"n_points[{name!r}]", minimum=1) for name in numeric}
        else:
            count = check_count(n_points, "n_points", minimum=1)
            counts = {name: count for name in numeric}
        return {name: p._grid(counts.get(name, 0)) for name, p in self._params.items()}

    def grid_size(self, n_points: int | Mapping[str, int] = 5) -> int:
        """``len(self.grid(n_points))``, counted without building the grid: a parameter that is no parent multiplies
        the count, a parent branches it."""
        values = self.grid_values(n_points)
        if not self._conditions:
            return math.prod(len(v) for v in values.values())
        parents = {condition.parent for condition in self._conditions.values()}
        names = self.names

        def count(i: int, config: Config) -> int:
            if i == len(names):
                return 1
            name = names[i]
            if not self.is_active(name, config):
                return count(i + 1, config)
            if name in parents:
                return sum(count(i + 1, {**config, name: value}) for value in values[name])
            return len(values[name]) * count(i + 1, config)

        return count(0, {})

    def grid(self, n_points: int | Mapping[str, int] = 5) -> list[Config]:
        """Every configuration of the grid (Cartesian product of :meth:`grid_values`, last parameter fastest); with
        conditions, every tree once: an inactive parameter's values are not multiplied in."""
        values = self.grid_values(n_points)
        if not self._conditions:
            return [dict(zip(values, combo, strict=True)) for combo in itertools.product(*values.values())]
        configs: list[Config] = [{}]
        for name in self._params:
            grown: list[Config] = []
            for config in configs:
                if self.is_active(name, config):
                    grown.extend({**config, name: value} for value in values[name])
                else:
                    grown.append(config)
            configs = grown
        return configs

    # -- JSON ---------------------------------------------------------------------------------------------------
    def config_to_json(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON-safe form of a valid configuration: categoricals by the index of their choice (active parameters
        only)."""
        return {name: k for name, k in zip(self._params, self.key(config), strict=True) if name in config}

    def config_from_json(self, data: Mapping[str, Any]) -> Config:
        """Inverse of :meth:`config_to_json`; the result is validated."""
        config = dict(data)
        for name, param in self._params.items():
            if isinstance(param, Categorical) and name in config:
                i = config[name]
                if not is_int(i) or not 0 <= i < len(param.choices):
                    raise ValueError(f"parameter {name!r}: {i!r} is not a choice index below {len(param.choices)}")
                config[name] = param.choices[i]
        return self.validate(config)
