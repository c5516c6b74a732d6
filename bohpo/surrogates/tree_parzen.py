"""Parzen densities on a conditional (tree-structured) space: one mixture per group of parameters that are active
together, each fitted on the observations where its group was active.

Glossary (as ``bohpo.surrogates.parzen``, plus):
    group   parameters with the same activation rule (the same chain of conditions up to the root); the
            unconditional parameters form the root group. Parameters of a group are active in exactly the same rows.
    D_G     a group's encoded columns, in space order.

The density of a configuration is the product over the groups active in it:
    l(x) = prod_{G active in x} l_G(x_G)
which is Bergstra et al.'s (2011) tree-structured density: a parent's own kernels carry the probability of its
branch, and the densities of a branch's parameters come only from the observations that took that branch (an
inactive parameter's placeholder column never becomes a kernel centre). Within a group the mixture is multivariate
or univariate as the TPE asks; across groups it factors, as Optuna's TPESampler does with ``group=True``. Groups
are read from the space's declared conditions, not inferred from the trials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import Tensor

from bohpo.space import Space
from bohpo.surrogates.parzen import ColumnLayout, ParzenMixture

__all__ = ["ParameterGroup", "TreeMixture", "parameter_groups"]


@dataclass(frozen=True)
class ParameterGroup:
    """Parameters active together.

    Attributes:
        names: The parameters, in space order.
        positions: Each parameter's index in the space (a column of ``Space.active_mask``).
        columns: (D_G,) the group's encoded columns, in space order.
        space: The group's parameters as a space of their own, without conditions (its encoding is the columns').
    """

    names: tuple[str, ...]
    positions: tuple[int, ...]
    columns: Tensor
    space: Space


@lru_cache(maxsize=64)
def parameter_groups(space: Space) -> tuple[ParameterGroup, ...]:
    """The groups of ``space``'s parameters that share an activation rule, ordered by their first parameter (cached
    per space: every fit and every ask reads them)."""
    conditions = space.conditions

    def chain(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        links = []
        while name in conditions:
            condition = conditions[name]
            links.append((condition.parent, tuple(sorted(repr(v) for v in condition.values))))
            name = condition.parent
        return tuple(links)

    members: dict[tuple[tuple[str, tuple[str, ...]], ...], list[int]] = {}
    for position, name in enumerate(space.names):
        members.setdefault(chain(name), []).append(position)
    groups = []
    for positions in members.values():
        names = tuple(space.names[p] for p in positions)
        columns = [c for name in names for c in range(space.columns(name).start, space.columns(name).stop)]
        groups.append(
            ParameterGroup(names, tuple(positions), torch.tensor(columns), Space({n: space[n] for n in names}))
        )
    return tuple(groups)


class TreeMixture:
    """One Parzen mixture per parameter group; densities and draws on the whole space's encoded cube.

    Args:
        space: The conditional space.
        groups: Its :func:`parameter_groups`.
        mixtures: One mixture per group, on the group's columns (its ``space``'s layout).
    """

    def __init__(self, space: Space, groups: tuple[ParameterGroup, ...], mixtures: list[ParzenMixture]) -> None:
        if len(groups) != len(mixtures):
            raise ValueError(f"one mixture per group: {len(groups)} groups, {len(mixtures)} mixtures")
        self.space, self.groups, self.mixtures = space, groups, mixtures
        self.layout = ColumnLayout.of(space)

    @classmethod
    def fit(cls, space: Space, X: Tensor, build: Callable[[Tensor, ColumnLayout], ParzenMixture]) -> TreeMixture:
        """Each group's mixture from the rows of ``X`` (m, D) where the group is active, by ``build(centres,
        layout)`` (centres (m_G, D_G) in the order observed)."""
        groups = parameter_groups(space)
        active = space.active_mask(X)  # (m, d)
        mixtures = []
        for group in groups:
            rows = active[:, group.positions[0]]
            centres = X[rows][:, group.columns.to(X.device)]
            mixtures.append(build(centres, ColumnLayout.of(group.space)))
        return cls(space, groups, mixtures)

    @property
    def multivariate(self) -> bool:
        """Whether each group's kernels are joint over its parameters."""
        return self.mixtures[0].multivariate

    def log_density(self, X: Tensor) -> Tensor:
        """X: (..., D) -> (...): the sum over the groups active in each point of the group's log density."""
        terms = self.log_group_terms(X.reshape(-1, X.shape[-1]))  # (b, G)
        total = terms[:, 0]
        for g in range(1, terms.shape[1]):  # summed group by group, the order the recorded runs used
            total = total + terms[:, g]
        return total.reshape(X.shape[:-1])

    def log_group_terms(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b, G): each group's log density, 0 where the group is inactive; they sum to
        :meth:`log_density`."""
        active = self.space.active_mask(X)
        terms = X.new_zeros(X.shape[0], len(self.groups))
        for g, (group, mixture) in enumerate(zip(self.groups, self.mixtures, strict=True)):
            term = mixture.log_density(X[:, group.columns.to(X.device)])
            terms[:, g] = torch.where(active[:, group.positions[0]], term, 0.0)
        return terms

    def log_density_terms(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b, d): each parameter's log marginal density, 0 where it is inactive; in univariate mode
        these sum to :meth:`log_density`."""
        active = self.space.active_mask(X)
        terms = X.new_zeros(X.shape[0], len(self.space))
        for group, mixture in zip(self.groups, self.mixtures, strict=True):
            positions = list(group.positions)
            part = mixture.log_density_terms(X[:, group.columns.to(X.device)])  # (b, |G|)
            terms[:, positions] = torch.where(active[:, positions], part, 0.0)
        return terms

    def sample(self, n: int, *, generator: torch.Generator, space: Space | None = None) -> Tensor:
        """(n, D) points drawn group by group, each from its own mixture, then made valid trees (a group left
        inactive by the drawn parents takes the inactive placeholder). ``space`` must be this mixture's or None."""
        if space is not None and space != self.space:
            raise ValueError("a tree mixture draws on its own space")
        first = self.mixtures[0]
        X = torch.zeros(n, self.layout.dim, dtype=first.mu.dtype, device=first.mu.device)
        for group, mixture in zip(self.groups, self.mixtures, strict=True):
            X[:, group.columns.to(X.device)] = mixture.sample(n, generator=generator, space=group.space)
        return self.space.snap(X)
