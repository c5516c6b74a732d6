"""Objectives and outcome constraints: what a searcher is told about a trial, and how trials compare.

A study has one or several named objectives, each minimised or maximised, and optionally outcome constraints: a
trial is *feasible* when every constraint value is <= 0. :class:`Objectives` holds the names and directions and reads
what ``tell`` is given (a number, a mapping or a sequence). The functions below compare outcomes, always on values
*minimised* (a maximised objective negated):

    Y   (n, m) objective values of n trials, minimised;  m objectives.
    C   (n, k) constraint values, feasible where every entry is <= 0;  k constraints.

- :func:`pareto_mask`: the non-dominated rows (BoTorch's ``is_non_dominated``, exact duplicates kept);
- :func:`nondominated_ranks`: the fronts of a non-dominated sort (0 the Pareto front, 1 the next...; Deb et al.
  2002);
- :func:`crowding_distance`: NSGA-II's spread of each row within its front;
- :func:`hypervolume`: the volume dominated by the rows and bounded by a reference point (BoTorch's exact
  ``Hypervolume``);
- :func:`hypervolume_cells`: the boxes of the region that no row dominates (BoTorch's box decomposition);
- :func:`reference_point`: a reference point a margin beyond given worst values;
- :func:`hypervolume_subset`: a greedy hypervolume subset selection (the rows that together dominate the most);
- :func:`selection_order`: every row ranked best first: feasible before infeasible (infeasible by total violation,
  Deb's constrained domination), then by front, then by crowding distance (or, for the front a TPE's good group
  cuts, by hypervolume subset selection). With one objective it is the order of the values; the genetic
  algorithm's population and the TPE's good group are its first rows.

A single-objective, unconstrained study is the case m = 1, k = 0 of all of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import torch
from torch import Tensor

from bohpo._checks import check_count, finite_float, scalar

__all__ = [
    "ConstraintsArg",
    "Direction",
    "Objectives",
    "ObjectivesArg",
    "crowding_distance",
    "hypervolume",
    "hypervolume_cells",
    "hypervolume_subset",
    "nondominated_ranks",
    "pareto_mask",
    "reference_point",
    "selection_order",
    "total_violation",
]

Direction = Literal["minimize", "maximize"]
ObjectivesArg = Mapping[str, str] | Sequence[str] | None
"""What a searcher's ``objectives=`` takes: names mapped to directions, or a list of names (all minimised)."""
ConstraintsArg = Sequence[str] | int | None
"""What a searcher's ``constraints=`` takes: the constraints' names, or their number."""
_DIRECTIONS = ("minimize", "maximize")
VALUE = "value"  # the name of the one objective of a single-objective study


@dataclass(frozen=True)
class Objectives:
    """The objectives of a study, their directions, and the names of its outcome constraints.

    Attributes:
        names: One name per objective (``("value",)`` for a single-objective study built with ``direction=``).
        directions: ``"minimize"`` or ``"maximize"`` for each.
        constraints: The names of the constraint values told with each trial (feasible when all are <= 0).

    Example:
        >>> o = Objectives.of(objectives={"error": "minimize", "accuracy": "maximize"}, constraints=["memory"])
        >>> o.values({"accuracy": 0.9, "error": 0.1})
        (0.1, 0.9)
        >>> o.minimised((0.1, 0.9))
        (0.1, -0.9)
    """

    names: tuple[str, ...]
    directions: tuple[Direction, ...]
    constraints: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        direction: Direction = "minimize",
        objectives: ObjectivesArg = None,
        constraints: ConstraintsArg = None,
    ) -> Objectives:
        """Read a searcher's arguments: ``direction`` for one objective, or ``objectives``, a mapping of names to
        directions (or a sequence of names, all minimised), with ``direction`` left at its default; ``constraints``
        a sequence of names or their number (named ``c0``, ``c1``...).

        Raises:
            ValueError: an unknown direction, a repeated or empty name, fewer than one objective, or ``direction``
                given with ``objectives``.
        """
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
        if objectives is None:
            names: tuple[str, ...] = (VALUE,)
            directions: tuple[Direction, ...] = (direction,)
        else:
            if direction != "minimize":
                raise ValueError("give each objective's direction in objectives= (a mapping), not direction=")
            if isinstance(objectives, Mapping):
                pairs = list(objectives.items())
            elif isinstance(objectives, (list, tuple)):
                pairs = [(name, "minimize") for name in objectives]
            else:
                raise TypeError(
                    f"objectives must map names to 'minimize' or 'maximize' (or list names), got {objectives!r}"
                )
            if not pairs:
                raise ValueError("objectives must name at least one objective")
            for name, way in pairs:
                if way not in _DIRECTIONS:
                    raise ValueError(f"objective {name!r}: direction must be 'minimize' or 'maximize', got {way!r}")
            names = tuple(_check_names([name for name, _ in pairs], "objective"))
            directions = tuple(cast(Direction, way) for _, way in pairs)
        if constraints is None:
            constraint_names: tuple[str, ...] = ()
        elif isinstance(constraints, int) and not isinstance(constraints, bool):
            if constraints < 0:
                raise ValueError(f"constraints must be a list of names or a count >= 0, got {constraints}")
            constraint_names = tuple(f"c{i}" for i in range(constraints))
        elif isinstance(constraints, (list, tuple)):
            constraint_names = tuple(_check_names(list(constraints), "constraint"))
        else:
            raise TypeError(f"constraints must be a list of names or a count, got {constraints!r}")
        clash = set(names) & set(constraint_names)
        if clash:
            raise ValueError(f"{sorted(clash)[0]!r} names both an objective and a constraint")
        return cls(names, directions, constraint_names)

    @property
    def count(self) -> int:
        """The number of objectives, m."""
        return len(self.names)

    @property
    def is_multi(self) -> bool:
        """Whether there are several objectives."""
        return len(self.names) > 1

    @property
    def is_plain(self) -> bool:
        """Whether this is one objective built with ``direction=`` alone (told as a number), without constraints."""
        return self.names == (VALUE,) and not self.constraints

    def describe(self) -> dict[str, Any]:
        """JSON-safe form (saved with a searcher's history), in order: ``[[name, direction], ...]``."""
        return {
            "objectives": [[name, way] for name, way in zip(self.names, self.directions, strict=True)],
            "constraints": list(self.constraints),
        }

    def values(self, value: Any) -> tuple[float, ...] | None:
        """The told objective values in this study's order, or ``None`` when one is not a finite number (the
        trial failed).

        Args:
            value: One number (one objective), a mapping ``{name: number}`` with exactly the objectives' names, or
                a sequence of m numbers in the objectives' order.

        Raises:
            ValueError: a name missing or unknown, or a sequence of another length.
        """
        return self._read(value, self.names, "objective")

    def constraint_values(self, constraints: Any) -> tuple[float, ...] | None:
        """The told constraint values in order (``()`` for a study without constraints), ``None`` when one is not
        a finite number. Arguments and errors as for :meth:`values`; a study with constraints needs them told."""
        if not self.constraints:
            if constraints is None or (isinstance(constraints, (Mapping, list, tuple)) and not len(constraints)):
                return ()
            raise ValueError("this searcher was built without constraints; build it with constraints=[...] first")
        if constraints is None:
            raise ValueError(
                f"tell the constraint values too: constraints={{{', '.join(map(repr, self.constraints))}: ...}}"
            )
        return self._read(constraints, self.constraints, "constraint")

    def minimised(self, values: Sequence[float]) -> tuple[float, ...]:
        """The values with each maximised objective negated."""
        return tuple(v if way == "minimize" else -v for v, way in zip(values, self.directions, strict=True))

    def _read(self, told: Any, names: tuple[str, ...], kind: str) -> tuple[float, ...] | None:
        if isinstance(told, Mapping):
            missing = [n for n in names if n not in told]
            unknown = [n for n in told if n not in names]
            if missing or unknown:
                parts = ([f"missing {missing!r}"] if missing else []) + ([f"unknown {unknown!r}"] if unknown else [])
                raise ValueError(f"{kind} values must name exactly {list(names)!r}: {', '.join(parts)}")
            items = [told[n] for n in names]
        elif isinstance(told, (list, tuple)) or (isinstance(told, (Tensor, np.ndarray)) and told.ndim == 1):
            items = list(told)
            if len(items) != len(names):
                raise ValueError(f"{len(items)} {kind} values told, this searcher has {len(names)}: {list(names)!r}")
        elif len(names) == 1:
            items = [told]
        else:
            raise ValueError(
                f"this searcher has {len(names)} {kind}s {list(names)!r}: tell a mapping or a sequence of "
                f"{len(names)} values, got {scalar(told)!r}"
            )
        numbers = [finite_float(v) for v in items]
        if any(n is None for n in numbers):
            return None
        return tuple(n for n in numbers if n is not None)


def _check_names(names: list[Any], kind: str) -> list[str]:
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"each {kind} name must be a non-empty string, got {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{kind} names must differ, got {names!r}")
    return names


# -- comparing outcomes (all minimised) -------------------------------------------------------------------------


def pareto_mask(Y: Tensor) -> Tensor:
    """(n,) bool: the rows of Y (n, m), minimised, that no other row dominates (no worse in every objective,
    better in one). Rows equal to each other are all kept."""
    from botorch.utils.multi_objective.pareto import is_non_dominated

    _check_Y(Y)
    if Y.shape[0] == 0:
        return torch.zeros(0, dtype=torch.bool, device=Y.device)
    return is_non_dominated(-Y, deduplicate=False)


def nondominated_ranks(Y: Tensor) -> Tensor:
    """(n,) long: the front of each row of Y (n, m), minimised: 0 for the Pareto front, 1 for the front of what is
    left, and so on (a non-dominated sort).

    Deb et al.'s fast sort, vectorised: each row's count of rows dominating it, then front by front the rows whose
    count is 0, whose removal lowers the counts of the rows they dominate. O(n^2 m) work in all, O(b n) memory for
    blocks of b rows (peeling one Pareto front at a time with ``pareto_mask`` costs that per front: seconds at
    n = 1000 in two objectives, with about sixty fronts)."""
    _check_Y(Y)
    n = Y.shape[0]
    ranks = torch.full((n,), -1, dtype=torch.long, device=Y.device)
    dominators = torch.zeros(n, dtype=torch.long, device=Y.device)
    for rows in torch.arange(n, device=Y.device).split(_BLOCK):
        dominators += _dominates(Y[rows], Y).sum(0)
    front, current = 0, torch.nonzero(dominators == 0).squeeze(-1)
    while current.numel():
        ranks[current] = front
        dominators -= _dominates(Y[current], Y).sum(0)
        dominators[current] = -1  # placed: never 0 again
        front, current = front + 1, torch.nonzero(dominators == 0).squeeze(-1)
    return ranks


def _dominates(A: Tensor, B: Tensor) -> Tensor:
    """(a, b) bool: row i of A (a, m) dominates row j of B (b, m): no worse in every objective, better in one."""
    A, B = A.unsqueeze(1), B.unsqueeze(0)
    return (A <= B).all(-1) & (A < B).any(-1)


_BLOCK = 1024  # rows per block of the dominance matrix: (1024, n) at a time


def crowding_distance(Y: Tensor) -> Tensor:
    """(n,) NSGA-II's crowding distance of each row of Y (n, m) among the rows given (one front): the sum over
    objectives of the gap between a row's two neighbours in that objective, divided by the objective's range;
    +inf for the extreme rows of each objective (for every row when n <= 2)."""
    _check_Y(Y)
    n, m = Y.shape
    distance = torch.zeros(n, dtype=Y.dtype, device=Y.device)
    if n <= 2:
        return torch.full_like(distance, math.inf)
    for j in range(m):
        order = Y[:, j].argsort(stable=True)
        values = Y[order, j]
        span = values[-1] - values[0]
        gaps = (values[2:] - values[:-2]) / span if span > 0 else torch.zeros_like(values[2:])
        distance[order[1:-1]] += gaps
        distance[order[[0, -1]]] = math.inf
    return distance


def hypervolume(Y: Tensor, reference: Tensor) -> float:
    """The volume of the region that the rows of Y (n, m), minimised, dominate and that dominates ``reference``
    (m,): rows not strictly better than the reference in every objective add nothing. Exact (BoTorch's
    ``Hypervolume``)."""
    from botorch.utils.multi_objective.hypervolume import Hypervolume

    _check_Y(Y)
    if reference.shape != (Y.shape[1],):
        raise ValueError(f"the reference point must have shape ({Y.shape[1]},), got {tuple(reference.shape)}")
    reference = reference.to(Y)
    inside = Y[(reference > Y).all(-1)]
    if inside.shape[0] == 0:
        return 0.0
    front = inside[pareto_mask(inside)]
    return float(Hypervolume(-reference).compute(-front))


REFERENCE_MARGIN = 0.1
"""How far beyond the worst values a reference point lies, as a share of the range of the values."""


def reference_point(worst: Tensor, span: Tensor) -> Tensor:
    """(m,) a reference point for hypervolume: ``worst`` (m,) plus :data:`REFERENCE_MARGIN` times ``span`` (m,), the
    range of the values in each objective (where a range is 0, 1 stands in for it, so that the point lies strictly
    beyond). Every hypervolume that bohpo computes from observed values alone takes its reference from here."""
    return worst + REFERENCE_MARGIN * torch.where(span > 0, span, torch.ones_like(span))


def total_violation(C: Tensor) -> Tensor:
    """(n,) the sum of the positive constraint values of each row of C (n, k): 0 for a feasible row."""
    if C.ndim != 2:
        raise ValueError(f"C must be a tensor of shape (n, k), got {tuple(C.shape)}")
    return C.clamp_min(0).sum(-1)


def hypervolume_cells(front: Tensor, reference: Tensor) -> tuple[Tensor, Tensor]:
    """The boxes that partition the region below ``reference`` (m,) that no row of ``front`` (p, m), minimised,
    dominates: lower corners (c, m) (-inf where unbounded) and upper corners (c, m). An empty front gives the one box
    below the reference."""
    m = reference.shape[0]
    inside = front[(reference > front).all(-1)] if front.shape[0] else front
    if inside.shape[0] == 0:
        return torch.full((1, m), -math.inf).to(reference), reference.unsqueeze(0)
    if m == 1:
        return torch.full((1, 1), -math.inf).to(reference), inside.min(0).values.unsqueeze(0)
    from botorch.utils.multi_objective.box_decompositions.non_dominated import FastNondominatedPartitioning

    partitioning = FastNondominatedPartitioning(ref_point=-reference, Y=-inside[pareto_mask(inside)])
    lower, upper = partitioning.get_hypercell_bounds()  # maximisation: (c, m) each, upper may be +inf
    return -upper, -lower


def hypervolume_subset(Y: Tensor, k: int, reference: Tensor) -> Tensor:
    """(min(k, p),) indices of rows of Y (p, m), minimised, in the order a greedy hypervolume subset selection adds
    them: each time the row that adds the most hypervolume (bounded by ``reference`` (m,)) to the rows chosen
    before it; ties to the earlier row. Greedy selection keeps at least 1 - 1/e of the best subset's hypervolume
    (hypervolume is monotone and submodular in the rows).

    Two objectives: a row's gain is the area it dominates in the boxes that the chosen rows leave
    (:func:`hypervolume_cells`), every row's at once. More: BoTorch's box decomposition grows slow there (seconds
    for a few dozen rows), so gains are re-evaluated lazily with :func:`hypervolume` instead: a row's gain only
    shrinks as rows are chosen (submodularity), so a row whose fresh gain tops every other row's last gain is taken
    without re-evaluating the others. Hand-written: BoTorch has no subset selection, and Optuna's
    (``_solve_hssp``) is private to its samplers."""
    _check_Y(Y)
    if reference.shape != (Y.shape[1],):
        raise ValueError(f"the reference point must have shape ({Y.shape[1]},), got {tuple(reference.shape)}")
    p = Y.shape[0]
    k = min(check_count(k, "k"), p)
    reference = reference.to(Y)
    chosen: list[int] = []
    if Y.shape[1] == 2:
        left = torch.ones(p, dtype=torch.bool, device=Y.device)
        for _ in range(k):
            lower, upper = hypervolume_cells(Y[chosen], reference)  # (c, 2) each
            areas = (upper - torch.maximum(Y.unsqueeze(-2), lower)).clamp_min(0).prod(-1).sum(-1)  # (p,)
            best = int(torch.where(left, areas, -1.0).argmax())  # the first of equal gains
            chosen.append(best)
            left[best] = False
        return torch.tensor(chosen, dtype=torch.long, device=Y.device)
    gains = (reference - Y).clamp_min(0).prod(-1).tolist()  # each row's gain with nothing chosen: its own box
    stale = [False] * p  # a gain computed before the last row was chosen is an upper bound
    candidates = list(range(p))
    while len(chosen) < k:
        best = max(candidates, key=lambda i: (gains[i], -i))
        if stale[best]:
            box = float((reference - Y[best]).clamp_min(0).prod())
            gains[best], stale[best] = max(box - hypervolume(torch.maximum(Y[chosen], Y[best]), reference), 0.0), False
            continue
        chosen.append(best)
        candidates.remove(best)
        stale = [True] * p
    return torch.tensor(chosen, dtype=torch.long, device=Y.device)


def selection_order(Y: Tensor, C: Tensor | None = None, *, first: int | None = None) -> Tensor:
    """(n,) the rows of Y (n, m), minimised, best first: feasible rows (C (n, k) all <= 0) by front, within a
    front by crowding distance (largest first), ties in row order; then infeasible rows by total violation.
    With one objective, the feasible rows come in the order of their values.

    With ``first`` (a count: the TPE's good group), the front that the first ``first`` rows cut in two is cut by
    hypervolume instead (Optuna's MOTPE): the rows a greedy :func:`hypervolume_subset` takes from it come first, in
    its order, against a reference a tenth of that front's range beyond its worst values. Crowding distance puts
    every front's extreme rows first, and in three or more objectives a front's extremes are mostly rows far from
    the Pareto front (on DTLZ2 with three objectives a TPE whose good group was chosen by crowding did worse than
    random search); hypervolume prefers the rows that dominate the most."""
    _check_Y(Y)
    n = Y.shape[0]
    violation = torch.zeros(n, dtype=Y.dtype, device=Y.device) if C is None or C.shape[1] == 0 else total_violation(C)
    feasible = torch.nonzero(violation <= 0).squeeze(-1)
    infeasible = torch.nonzero(violation > 0).squeeze(-1)
    if Y.shape[1] == 1:
        best = feasible[Y[feasible, 0].argsort(stable=True)]
    else:
        ranks = nondominated_ranks(Y[feasible])
        crowding = torch.zeros(feasible.numel(), dtype=Y.dtype, device=Y.device)
        for front in range(int(ranks.max()) + 1 if feasible.numel() else 0):
            members = torch.nonzero(ranks == front).squeeze(-1)
            crowding[members] = crowding_distance(Y[feasible[members]])
        if first is not None and 0 < check_count(first, "first") < feasible.numel():
            cut = _cut_front(ranks, first)
            if cut is not None:
                members = torch.nonzero(ranks == cut).squeeze(-1)
                before = int((ranks < cut).sum())
                points = Y[feasible[members]]
                reference = reference_point(points.max(0).values, points.max(0).values - points.min(0).values)
                taken = members[hypervolume_subset(points, first - before, reference)]
                # the taken rows before the rest of their front, in the order taken
                crowding[members] = -math.inf
                crowding[taken] = torch.arange(taken.numel(), 0, -1, dtype=Y.dtype, device=Y.device) + 1.0
        # by front, then by crowding (descending); a stable sort on the second key, then the first
        by_crowding = (-crowding).argsort(stable=True)
        by_front = ranks[by_crowding].argsort(stable=True)
        best = feasible[by_crowding[by_front]]
    rest = infeasible[violation[infeasible].argsort(stable=True)]
    return torch.cat([best, rest])


def _cut_front(ranks: Tensor, first: int) -> int | None:
    """The front that the first ``first`` rows, taken front by front, end inside of, or None if they end with a
    front."""
    fronts = torch.bincount(ranks)
    reached = fronts.cumsum(0)
    cut = int((reached < first).sum())
    return None if int(reached[cut]) == first else cut


def _check_Y(Y: Tensor) -> None:
    if not isinstance(Y, Tensor) or Y.ndim != 2 or Y.shape[1] < 1:
        raise ValueError(f"Y must be a tensor of shape (n, m) with m >= 1, got {getattr(Y, 'shape', Y)!r}")
