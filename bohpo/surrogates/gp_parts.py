"""Parts of the GP's model that know the search space or shape its prior: categorical blocks, the arcs of
conditional parameters, and the box prior.

Glossary:
    D   encoded dimension;  E the kernel's input dimension (D plus one column per arc);  l a lengthscale;
    r   a distance in lengthscales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import torch
from botorch.models.transforms.input import InputTransform
from gpytorch.priors import Prior
from torch import Tensor
from torch.distributions import constraints

from bohpo.space import Categorical, Space

__all__ = ["ArcInputs", "BoxLengthscalePrior", "CategoryBlocks", "ConditionalArcs"]

_SQRT5 = math.sqrt(5.0)
_MAX_CATEGORY_CORRELATION = 0.9  # prior correlation of one function's values under two different categories, at most


@dataclass(frozen=True)
class CategoryBlocks:
    """The one-hot blocks of a space's categoricals, each a category-aware part of the kernel.

    The columns of one block share a lengthscale l, so the squared scaled distance between two points is the
    numeric columns' part plus 2 / l^2 for each categorical whose choices differ: a Hamming (overlap) distance inside
    the Matérn kernel, the same for every pair of choices. The lengthscale is capped at ``max_lengthscale``, where
    two different choices are correlated ``_MAX_CATEGORY_CORRELATION`` (0.9) a priori: however alike the choices
    observed so far, the model keeps some doubt about a choice it has not tried at a point (given the value of
    one other choice there, a standard deviation of sqrt(1 - 0.9^2) = 0.44 of the output scale's; given every other
    choice's, still about sqrt(1 - 0.9) = 0.32), so it never rules out that another category is better untried.

    Example:
        >>> from bohpo.space import Float
        >>> blocks = CategoryBlocks.of(Space({"x": Float(0.0, 1.0), "c": Categorical(["a", "b", "c"])}))
        >>> blocks.blocks, blocks.groups().tolist(), round(blocks.max_lengthscale, 3)
        (((1, 4),), [0, 1, 1, 1], 3.85)

    Attributes:
        dim: D, the encoded dimension of the space (or E, the kernel's, for the ties of :meth:`ConditionalArcs.ties`).
        blocks: ``(start, stop)`` column ranges, one per categorical with two or more choices.
        pairs: ``(start, stop)`` column ranges that share a lengthscale without a cap: the two columns of a
            conditional parameter's arc (:class:`ConditionalArcs`). Empty for a space's own blocks.
    """

    dim: int
    blocks: tuple[tuple[int, int], ...]
    pairs: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if any(not 0 <= start < stop <= self.dim for start, stop in (*self.blocks, *self.pairs)):
            raise ValueError(f"blocks must be column ranges within 0..{self.dim}, got {self.blocks + self.pairs!r}")

    @classmethod
    def of(cls, space: Space) -> CategoryBlocks:
        """The blocks of ``space``'s categoricals with two or more choices."""
        blocks = []
        for name, param in space.items():
            columns = space.columns(name)
            if isinstance(param, Categorical) and columns.stop - columns.start > 1:
                blocks.append((columns.start, columns.stop))
        return cls(space.dim, tuple(blocks))

    @property
    def max_lengthscale(self) -> float:
        """The cap of a block's lengthscale: matern52(sqrt(2) / l) = ``_MAX_CATEGORY_CORRELATION``."""
        return math.sqrt(2.0) / _matern52_distance(_MAX_CATEGORY_CORRELATION)

    def groups(self) -> np.ndarray:
        """(D,) the column each column takes its lengthscale from: its block's (or pair's) first column, else itself."""
        group = np.arange(self.dim)
        for start, stop in (*self.blocks, *self.pairs):
            group[start:stop] = start
        return group

    def prior_weights(self, like: Tensor) -> Tensor:
        """(D,) 1 / width on a block's or a pair's columns, else 1: the lengthscale prior counts once per categorical
        and once per arc."""
        weights = torch.ones(self.dim, dtype=like.dtype, device=like.device)
        for start, stop in (*self.blocks, *self.pairs):
            weights[start:stop] = 1.0 / (stop - start)
        return weights


_ARC_ANGLE = math.pi / 2  # the angle an arc spans over its parameter's range
_ARC_RADIUS = 1.0 / _ARC_ANGLE  # so that two close values are as far apart on the arc as on the line


@dataclass(frozen=True, eq=False)
class ConditionalArcs:
    """How the kernel sees a conditional space: each conditional numeric parameter on an arc around "inactive".

    In the encoding an inactive parameter holds a placeholder (the middle of its column), which a stationary kernel
    reads as a value: an inactive row looks exactly like an active one at the middle of the range, and half as far
    from the ends. Following Swersky et al. (2014, "Raiders of the lost architecture: kernels for conditional
    parameter spaces"), the kernel here sees a conditional float or int column x as two columns,
    R (sin(theta x), cos(theta x)) where the parameter is active and (0, 0) where it is not, with one lengthscale
    for the pair. So two rows where it is inactive do not differ in it at all (the kernel ignores it), an active
    row is R from an inactive one whatever its value, and two active values are a chord 2 R sin(theta |dx| / 2)
    apart: |dx| for close values, as on the line. Theta = pi / 2 and R = 2 / pi are fixed (the paper fits them per
    parameter; with the few points of a BO run, two more hyperparameters per parameter are more than the data can
    set), which puts "inactive" 0.64 of the range from every active value. The product of such embeddings with a
    Matérn kernel is a kernel on the embedded points, so positive definite by construction, which a kernel that
    only masked inactive dimensions out of the distance would not be.

    A conditional categorical needs nothing: its one-hot block is all zeros where it is inactive, already one
    column's width from every choice and nothing from another inactive row.

    Built by :meth:`of`.

    Attributes:
        space: The space the columns come from.
        source: (E,) the encoded column each kernel column is read from.
        arcs: ``(column, parameter index)`` of each conditional numeric parameter, in column order.
        effective_dim: The expected number of encoded columns active in a uniform sample of the space (an arc
            counts as its parameter's one column): the dimension the dimension-scaled lengthscale prior is scaled
            to, since the distances between configurations grow with their active columns, not with every branch's.

    Example:
        >>> from bohpo.space import Float
        >>> space = Space({"kind": Categorical(["a", "b"]), "x": Float(0.0, 1.0)}, conditions={"x": {"kind": "b"}})
        >>> arcs = ConditionalArcs.of(space)
        >>> arcs.dim, arcs.source.tolist(), arcs.effective_dim
        (4, [0, 1, 2, 2], 2.5)
        >>> X = torch.tensor([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]], dtype=torch.float64)
        >>> arcs.embed(X).round(decimals=3).tolist()
        [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.637]]
    """

    space: Space = field(repr=False)
    source: np.ndarray = field(repr=False)
    arcs: tuple[tuple[int, int], ...]
    effective_dim: float

    @classmethod
    def of(cls, space: Space) -> ConditionalArcs:
        """The arcs of ``space``'s conditional floats and ints (none for a space without conditions)."""
        conditional = space.conditions
        probability = space.active_probabilities()
        source: list[int] = []
        arcs: list[tuple[int, int]] = []
        effective = 0.0
        for index, (name, param) in enumerate(space.items()):
            columns = space.columns(name)
            effective += probability[name] * (columns.stop - columns.start)
            if name in conditional and not isinstance(param, Categorical):
                arcs.append((columns.start, index))
                source += [columns.start, columns.start]
            else:
                source += list(range(columns.start, columns.stop))
        return cls(space, np.asarray(source), tuple(arcs), effective)

    @property
    def dim(self) -> int:
        """E, the kernel's input dimension: D plus one column per arc."""
        return int(self.source.size)

    def first_columns(self) -> np.ndarray:
        """(D,) the kernel column of each encoded column (an arc's first)."""
        return self._first_columns.copy()

    @cached_property
    def _first_columns(self) -> np.ndarray:
        first = np.zeros(self.space.dim, dtype=np.int64)
        for e in range(self.dim - 1, -1, -1):
            first[self.source[e]] = e
        return first

    @cached_property
    def _arc_layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(k,) each arc's encoded column, parameter index and first kernel column."""
        columns, indices = (np.asarray(v, dtype=np.int64) for v in zip(*self.arcs, strict=True))
        return columns, indices, self._first_columns[columns]

    def embed(self, X: Tensor) -> Tensor:
        """X (m, D) in the encoding -> (m, E) as the kernel sees it; differentiable in X's numeric columns."""
        out = X[:, torch.as_tensor(self.source, device=X.device)]
        if not self.arcs:
            return out
        columns, indices, first = (torch.as_tensor(v, device=X.device) for v in self._arc_layout)  # each (k,)
        on = self.space.active_mask(X.detach())[:, indices].to(X.dtype)  # (m, k), from the parents' columns
        angle = _ARC_ANGLE * X[:, columns]  # (m, k)
        out[:, first] = on * (_ARC_RADIUS * torch.sin(angle))
        out[:, first + 1] = on * (_ARC_RADIUS * torch.cos(angle))
        return out

    def ties(self, blocks: CategoryBlocks | None) -> CategoryBlocks:
        """The lengthscale ties on the kernel's columns: each arc's pair, and ``blocks`` (on the encoded columns,
        or None) moved to where their columns are."""
        first = self.first_columns()
        moved = () if blocks is None else tuple((int(first[a]), int(first[b - 1]) + 1) for a, b in blocks.blocks)
        pairs = tuple((int(first[column]), int(first[column]) + 2) for column, _ in self.arcs)
        return CategoryBlocks(self.dim, moved, pairs)


class ArcInputs(InputTransform):
    """:class:`ConditionalArcs` as a BoTorch input transform, so the GP's BoTorch model reads encoded points
    (..., D) as bohpo's own posterior does: anything BoTorch does with the model (a joint q-batch acquisition, say)
    sees the same kernel. It has no parameters; it applies in training, evaluation and fantasies alike."""

    is_one_to_many = False

    def __init__(self, arcs: ConditionalArcs) -> None:
        super().__init__()
        self.arcs = arcs
        self.transform_on_train = self.transform_on_eval = self.transform_on_fantasize = True

    def transform(self, X: Tensor) -> Tensor:
        """(..., D) -> (..., E)."""
        flat = self.arcs.embed(X.reshape(-1, X.shape[-1]))
        return flat.reshape(*X.shape[:-1], self.arcs.dim)

    def equals(self, other: InputTransform) -> bool:
        return isinstance(other, ArcInputs) and other.arcs is self.arcs


def _matern52_distance(correlation: float) -> float:
    """The scaled distance r at which the unit Matérn-5/2 kernel equals ``correlation`` in (0, 1), by bisection."""
    low, high = 0.0, 50.0
    for _ in range(100):
        mid = (low + high) / 2
        value = (1 + _SQRT5 * mid + 5.0 / 3.0 * mid**2) * math.exp(-_SQRT5 * mid)
        low, high = (mid, high) if value > correlation else (low, mid)
    return (low + high) / 2


class BoxLengthscalePrior(Prior):
    """The lengthscale prior log p(l) = -c (l^2 + 1 / l^2) (unnormalised, c = 0.1), elementwise.

    It centres every lengthscale at the width of the unit cube and is symmetric in log l, with tails that rise like
    e^(2 |log l|): l = 3 costs 0.9 nats, l = 10 costs 10. A lengthscale many times the box says that an input does not
    matter anywhere in it, which data inside the box cannot tell apart from "matters a little": the prior decides,
    and a prior that allows it makes the posterior certain in directions nobody looked (Hartmann6's second basin,
    the one-hot columns of a categorical that seemed not to matter, the flat side of a plateau). This is the prior
    Optuna's ``GPSampler`` places on its inverse squared lengthscales (the same function, as it is symmetric);
    ``benchmarks/results/traps/lengthscale_prior.md`` measures it against the dimension-scaled log-normal.

    Example:
        >>> prior = BoxLengthscalePrior()
        >>> [round(float(v), 3) for v in prior.log_prob(torch.tensor([0.5, 1.0, 2.0, 10.0]))]
        [-0.425, -0.2, -0.425, -10.001]
    """

    arg_constraints: ClassVar[dict[str, Any]] = {}
    support = constraints.positive

    def __init__(self, strength: float = 0.1) -> None:
        if not (isinstance(strength, (int, float)) and math.isfinite(strength) and strength > 0):
            raise ValueError(f"strength must be a finite number > 0, got {strength!r}")
        torch.nn.Module.__init__(self)
        torch.distributions.Distribution.__init__(self, batch_shape=torch.Size(), validate_args=False)
        self.register_buffer("strength", torch.tensor(float(strength), dtype=torch.float64))
        self._transform = None

    def log_prob(self, x: Tensor) -> Tensor:
        return -self.strength.to(x) * (x.square() + x.square().reciprocal())
