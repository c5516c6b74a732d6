"""The acquisition optimizer: maximise any acquisition over the encoded mixed space.

Glossary:
    D   encoded dimension;  p raw candidates in the pool;  r restarts;  c continuous (float and int) columns.
    X   (p, D) or (r, D) points of the unit cube on the space's lattice (ints snapped, categoricals one-hot).

Three stages, each one batched tensor program over all candidates:
    1. a pool: scrambled Sobol points of the cube plus Gaussian perturbations of the best observed points (with
       random category flips), snapped onto the lattice and scored in one call;
    2. gradient refinement: the best ``r`` of the pool move together under L-BFGS-B in their float and int columns
       (ints relaxed), the restarts stacked into one (r * c)-vector whose loss is the sum of their acquisitions —
       one solver call refines all of them, with no Python loop over restarts (or, with ``refine="each"``, an
       L-BFGS-B run per restart, the runs' evaluations batched into one call: :mod:`bohpo.acquisition.lbfgsb`);
    3. a discrete search: ints are snapped, then each candidate tries its neighbouring int values and every other
       category of each categorical (all neighbours of all candidates scored in one call), moving to the best, for
       a few rounds.
Points already observed or pending (``exclude``) are never returned.

A density-ratio surrogate (TPE) has no useful gradient and its own proposal distribution: ``optimize_by_sampling``
scores a batch of candidates drawn from its good density l(x), in one call.

:class:`MultiStartOptimizer` and :class:`SamplingOptimizer` are the two as parts of the BO step
(:class:`~bohpo.acquisition.Proposer`): callables with the :class:`~bohpo.acquisition.AcquisitionOptimizer` signature.
"""

from __future__ import annotations

import warnings
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn
from torch.quasirandom import SobolEngine

from bohpo._checks import check_count
from bohpo._threads import single_threaded_blas
from bohpo.acquisition.lbfgsb import minimize_rows
from bohpo.errors import NumericalWarning
from bohpo.seeding import seed_entropy
from bohpo.space import Categorical, Float, Int, Space
from bohpo.surrogates.base import (
    DensityRatioSurrogate,
    FactorisingDensityRatio,
    GroupedDensityRatio,
    HasLengthscales,
    supports,
)

__all__ = ["MultiStartOptimizer", "SamplingOptimizer", "optimize_acquisition", "optimize_by_sampling"]

_CHUNK = 4096  # candidates scored per acquisition call in the pool
_DISCRETE_ROUNDS = 3
_STANDARDISE = True
_SAME = 1e-9  # encoded points closer than this (max-abs) are the same point


def optimize_acquisition(
    acquisition: nn.Module,
    space: Space,
    *,
    generator: torch.Generator,
    exclude: Tensor | None = None,
    incumbents: Tensor | None = None,
    warm_starts: Tensor | None = None,
    n_raw: int = 1024,
    n_restarts: int = 10,
    max_iter: int = 60,
    scales: Tensor | None = None,
    refine: str = "stacked",
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor]:
    """Find the point of the space with the largest acquisition value.

    Args:
        acquisition: Maps X (b, D) -> (b,), larger is better, differentiable in X.
        space: The search space (defines the lattice and the kinds of columns).
        generator: Source of randomness for the pool (CPU generator).
        exclude: (m, D) encoded points that must not be returned (observed and pending).
        incumbents: (k, D) encoded points to perturb for the local part of the pool (best observed first).
        warm_starts: (w, D) encoded points refined whatever their value (the best observed point: a local search
            from the incumbent itself); they take w of the ``n_restarts``, the pool the rest (at least one).
        n_raw: Pool size.
        n_restarts: Candidates refined by gradient.
        max_iter: L-BFGS-B iterations.
        scales: (D,) positive length scales of the acquisition's landscape, per column (a GP's lengthscales).
            Gradient refinement moves in x / scales, where the landscape is closer to isotropic and L-BFGS-B
            converges in fewer steps. Default: ones.
        refine: ``"stacked"`` (default): one L-BFGS-B run on all restarts stacked into one vector, the sum of
            their acquisitions as its loss; ``"each"``: an L-BFGS-B run per restart, their evaluations batched, each
            with its own line search and stopping test (:mod:`bohpo.acquisition.lbfgsb`). Measured against each
            other in ``benchmarks/results/traps/refine.md``: the runs per restart end at higher acquisition values
            in low dimensions, but the optimizer's regrets are level on 24 of 25 problems and its asks at d = 2
            slower, so the stacked run stays the default.
        dtype, device: Of the candidates.

    Returns:
        ``(x, value)``: x (D,) on the lattice, value a scalar tensor. When no candidate is allowed (every point of a
        tiny space is excluded), the best pool point is returned if its value is finite, else the first, with value
        -inf; the caller decides what to do with a repeat.
    """
    check_count(n_raw, "n_raw", minimum=1)
    check_count(n_restarts, "n_restarts", minimum=1)
    check_count(max_iter, "max_iter", minimum=0)
    _check_refine(refine)
    D = space.dim
    # Excluded points go through the same snapping arithmetic as candidates, so equal points compare equal in any
    # dtype; the tolerance is a few units of the dtype's resolution.
    exclude = (
        torch.empty(0, D, dtype=dtype, device=device)
        if exclude is None
        else space.snap(exclude.to(dtype=dtype, device=device))
    )
    same = max(_SAME, 8 * torch.finfo(dtype).eps)
    pool = _pool(space, n_raw, generator, incumbents, dtype=dtype, device=device)  # (p, D)
    pool_values = _score(acquisition, pool)  # (p,)
    pool_values = torch.where(_is_excluded(pool, exclude, same), torch.full_like(pool_values, -torch.inf), pool_values)

    starts = pool[_pick_starts(pool_values, max(n_restarts - _count(warm_starts), 1), generator)]  # (r, D)
    if warm_starts is not None and warm_starts.shape[0]:
        starts = torch.cat([space.snap(warm_starts.detach().to(dtype=dtype, device=device)), starts])
    if scales is not None:
        scales = scales.detach().to(dtype=dtype, device=device)
        if scales.shape != (D,) or not bool((scales > 0).all()) or not bool(torch.isfinite(scales).all()):
            raise ValueError(f"scales must be a ({D},) tensor of finite positive numbers, got {scales!r}")
    refined = space.snap(_refine(acquisition, space, starts, max_iter=max_iter, scales=scales, refine=refine))
    candidates, values = _discrete_search(acquisition, space, torch.cat([refined, starts]), exclude, same)

    best = int(values.argmax())
    if torch.isfinite(values[best]):
        return candidates[best], values[best]
    finite = torch.isfinite(pool_values)
    if finite.any():
        best = int(torch.where(finite, pool_values, torch.full_like(pool_values, -torch.inf)).argmax())
        return pool[best], pool_values[best]
    return pool[0], pool_values.new_tensor(-torch.inf)


_REFINES = ("stacked", "each")


def _check_refine(refine: str) -> str:
    if refine not in _REFINES:
        raise ValueError(f"refine must be one of {_REFINES}, got {refine!r}")
    return refine


def _count(X: Tensor | None) -> int:
    return 0 if X is None else X.shape[0]


def _pool(
    space: Space,
    n_raw: int,
    generator: torch.Generator,
    incumbents: Tensor | None,
    *,
    dtype: torch.dtype,
    device: torch.device | str | None,
) -> Tensor:
    """(p, D) snapped pool: 3/4 Sobol (all of it without incumbents), 1/4 perturbations of the incumbents."""
    n_local = n_raw // 4 if incumbents is not None and incumbents.shape[0] else 0
    sobol = SobolEngine(space.dim, scramble=True, seed=seed_entropy(generator) % 2**62)
    parts = [sobol.draw(n_raw - n_local, dtype=torch.float64)]
    if n_local:
        base = incumbents.detach().to(dtype=torch.float64, device="cpu")  # type: ignore[union-attr]
        pick = torch.randint(0, base.shape[0], (n_local,), generator=generator)
        local = base[pick].clone()
        scales = torch.tensor([0.01, 0.05, 0.2], dtype=torch.float64)[
            torch.randint(0, 3, (n_local, 1), generator=generator)
        ]
        noise = torch.randn(n_local, space.dim, generator=generator, dtype=torch.float64) * scales
        flip_rate = 1.0 / max(len(space), 1)
        for name, param in space.items():
            cols = space.columns(name)
            if isinstance(param, Categorical):
                flip = torch.rand(n_local, generator=generator, dtype=torch.float64) < flip_rate
                random_block = torch.rand(n_local, param.width, generator=generator, dtype=torch.float64)
                local[:, cols] = torch.where(flip.unsqueeze(-1), random_block, local[:, cols])
            else:
                local[:, cols] = local[:, cols] + noise[:, cols]
        parts.append(local)
    return space.snap(torch.cat(parts)).to(dtype=dtype, device=device)


def _pick_starts(values: Tensor, n_restarts: int, generator: torch.Generator) -> Tensor:
    """(r,) pool indices to refine: the best point, then a draw without replacement with probabilities
    proportional to exp((value - max) / std) — the best regions, but not all restarts in the same basin."""
    order = values.argsort(descending=True, stable=True)  # ties in pool order, on every device
    if not torch.isfinite(values[order[0]]):
        return order[:n_restarts]
    finite = values[torch.isfinite(values)]
    spread = finite.std() if finite.numel() > 1 else finite.new_tensor(1.0)
    spread = spread if torch.isfinite(spread) and spread > 0 else finite.new_tensor(1.0)
    # exp of the standardised value (as BoTorch's initialize_q_batch): the same choice for EI, LogEI, PI or UCB,
    # whatever the scale of their values
    weights = torch.exp((values - values[order[0]]) / (spread if _STANDARDISE else 1.0)).double().cpu()
    weights[order[0]] = 0.0
    n_more = min(n_restarts - 1, int((weights > 0).sum()))
    if n_more == 0:
        return order[:1]
    more = torch.multinomial(weights, n_more, replacement=False, generator=generator).to(values.device)
    return torch.cat([order[:1], more])


def _score(acquisition: nn.Module, X: Tensor) -> Tensor:
    """(p,) acquisition values, NaN replaced by -inf, scored in chunks without gradient."""
    with torch.no_grad():
        values = torch.cat([acquisition(chunk) for chunk in X.split(_CHUNK)])
    return torch.nan_to_num(values, nan=-torch.inf)


def _is_excluded(X: Tensor, exclude: Tensor, same: float) -> Tensor:
    """(b,) whether each row of X (b, D) equals (within ``same``, max-abs) a row of exclude (m, D)."""
    if exclude.shape[0] == 0:
        return torch.zeros(X.shape[0], dtype=torch.bool, device=X.device)
    return (torch.cdist(X, exclude, p=float("inf")) < same).any(-1)


def _continuous_columns(space: Space) -> list[int]:
    return [space.columns(name).start for name, p in space.items() if isinstance(p, (Float, Int))]


def _refine(
    acquisition: nn.Module,
    space: Space,
    starts: Tensor,
    *,
    max_iter: int,
    scales: Tensor | None,
    refine: str = "stacked",
) -> Tensor:
    """L-BFGS-B on the float and int columns of the restarts: (r, D) -> (r, D).

    The solver's variables are u = x / scale (bounds [0, 1 / scale]), c per restart. ``refine="stacked"``: one run on
    the restarts stacked into one (r * c)-vector, the sum of their acquisitions its loss; ``"each"``: one run per
    restart, the runs' evaluations batched (:func:`~bohpo.acquisition.lbfgsb.minimize_rows`); the acquisition must
    then value each row of its input on its own (every acquisition here does)."""
    each = _check_refine(refine) == "each"
    columns = _continuous_columns(space)
    if not columns or max_iter == 0:
        return starts
    index = torch.tensor(columns, device=starts.device)
    r, c = starts.shape[0], len(columns)
    scale = torch.ones(c, dtype=starts.dtype, device=starts.device) if scales is None else scales[index]
    scale_np = scale.cpu().double().numpy()
    u0 = (starts[:, index].detach() / scale).cpu().double().numpy()  # (r, c)
    whole = c == starts.shape[1]  # every column is refined: no copy into the fixed ones
    unusable: set[int] = set()  # the starts at which a finite value had a NaN gradient

    def loss_and_grad(rows: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The runs' rows (k,) at u (k, c), or the one stacked run at u (1, r * c): losses (k,), gradients (k, c)."""
        free = torch.as_tensor(u, dtype=starts.dtype, device=starts.device).reshape(-1, c).requires_grad_(True)
        x = free * scale
        fixed = starts.detach()[torch.as_tensor(rows, device=starts.device)] if each else starts.detach()
        X = x if whole else fixed.index_copy(1, index, x)  # (k or r, D)
        values = acquisition(X)
        losses = -torch.nan_to_num(values, nan=-1e10, neginf=-1e10)
        total = losses.sum()
        (grad,) = torch.autograd.grad(total, free)
        broken = (torch.isnan(grad).any(-1) & torch.isfinite(values.detach())).cpu().numpy()  # (k or r,)
        unusable.update((rows[broken] if each else np.flatnonzero(broken)).tolist())
        grad = torch.nan_to_num(grad).detach().cpu().double()
        if each:
            return losses.detach().cpu().double().numpy(), grad.numpy()
        return np.array([total.item()]), grad.reshape(1, -1).numpy()

    lower, upper = np.zeros_like(scale_np), 1.0 / scale_np
    if not each:
        u0, lower, upper = u0.reshape(1, -1), np.tile(lower, r), np.tile(upper, r)
    with warnings.catch_warnings(), single_threaded_blas():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = minimize_rows(loss_and_grad, u0, lower, upper, max_iter=max_iter, ftol=1e-6, gtol=1e-4)
    if unusable:  # zeros stand in for the NaNs, so those starts barely move: say so rather than hide it
        warnings.warn(
            f"the acquisition's gradient is NaN where its value is finite (at {len(unusable)} of {r} starts); "
            f"the refinement cannot follow it there",
            NumericalWarning,
            stacklevel=3,
        )
    refined = (torch.as_tensor(result, dtype=starts.dtype, device=starts.device).reshape(r, c) * scale).clamp(0, 1)
    return starts.detach().index_copy(1, index, refined)


def _neighbours(space: Space, X: Tensor) -> tuple[Tensor, Tensor]:
    """Every one-parameter discrete move of each row of X (b, D): ints one value up or down, categoricals to each
    other choice. Returns (moves (k, D), owner (k,) the row each move came from), ordered by parameter, then move
    (an int down, then up; a categorical's choices in turn), then row: the discrete search takes the first of tied
    moves."""
    moves, owners = [], []
    rows = torch.arange(X.shape[0], device=X.device)
    for name, param in space.items():
        cols = space.columns(name)
        if isinstance(param, Categorical):
            # every choice at once, in the order of a loop over choices, then rows
            moved = X.unsqueeze(0).repeat(param.width, 1, 1)  # (w, b, D)
            moved[:, :, cols] = torch.eye(param.width, dtype=X.dtype, device=X.device).unsqueeze(1)
            keep = (X[:, cols] < 0.5).T  # (w, b): rows not already at each choice
            moves.append(moved[keep])
            owners.append(rows.expand(param.width, -1)[keep])
        elif isinstance(param, Int):
            values = param._untransform(X[:, cols.start]).round()
            for step in (-1.0, 1.0):
                target = values + step
                keep = (target >= param.low) & (target <= param.high)
                moved = X.clone()
                moved[:, cols.start] = param._encode_column(target.clamp(param.low, param.high))
                moves.append(moved[keep])
                owners.append(rows[keep])
    if not moves:
        return X.new_empty(0, X.shape[1]), rows.new_empty(0)
    if space.conditions:  # a move can switch a branch: the parameters it deactivates go to their fixed value, and
        # a move of an inactive parameter is no move at all (so never an improvement, nor a way round `exclude`)
        return space.snap(torch.cat(moves)), torch.cat(owners)
    return torch.cat(moves), torch.cat(owners)


def _discrete_search(
    acquisition: nn.Module, space: Space, X: Tensor, exclude: Tensor, same: float
) -> tuple[Tensor, Tensor]:
    """Greedy best-neighbour moves over ints and categoricals, all rows at once: (b, D) -> (b, D) and their
    acquisition values (b,), -inf for excluded rows."""
    current = X.clone()
    values = _score(acquisition, current)
    values = torch.where(_is_excluded(current, exclude, same), torch.full_like(values, -torch.inf), values)
    for _ in range(_DISCRETE_ROUNDS):
        moves, owners = _neighbours(space, current)
        if moves.shape[0] == 0:
            break
        move_values = _score(acquisition, moves)
        excluded = _is_excluded(moves, exclude, same)
        move_values = torch.where(excluded, torch.full_like(move_values, -torch.inf), move_values)
        best = torch.full_like(values, -torch.inf).scatter_reduce(0, owners, move_values, reduce="amax")
        improved = best > values
        if not improved.any():
            break
        # for each improved row, the first move that reaches its best value
        hit = (move_values == best[owners]) & improved[owners]
        first = torch.full((current.shape[0],), moves.shape[0], dtype=torch.long, device=X.device)
        first = first.scatter_reduce(0, owners[hit], torch.nonzero(hit).squeeze(-1), reduce="amin")
        rows = torch.nonzero(improved).squeeze(-1)
        current[rows] = moves[first[rows]]
        values[rows] = best[rows]
    return current, values


def optimize_by_sampling(
    acquisition: nn.Module,
    surrogate: DensityRatioSurrogate,
    space: Space,
    *,
    generator: torch.Generator,
    exclude: Tensor | None = None,
    n_candidates: int = 24,
    max_rounds: int = 4,
) -> tuple[Tensor, Tensor]:
    """Maximise an acquisition over candidates drawn from a density-ratio surrogate's good density l(x).

    ``n_candidates`` points are drawn (``surrogate.sample_good``) and scored in one batch. When the surrogate's
    densities factor over parameters (univariate TPE: ``log_density_terms`` returns per-parameter terms), the ratio
    l / g is a product, so the best candidate of every parameter taken together is the best point of the whole grid
    of n_candidates^d combinations; it joins the batch, with each variant that swaps one parameter for its runner-up.
    When they factor over groups of parameters (:class:`GroupedDensityRatio`: the multivariate TPE on a conditional
    space), the best candidate of every group is taken the same way. On a conditional space the factor-by-factor
    best is the proposal, each factor chosen by its own ratio among the candidates where it is active, parents'
    first (then its variants, if it is excluded; the acquisition's best candidate only if they all are): a ratio
    summed over the factors of different branches is not comparable. If every candidate is excluded, rounds of four
    times as many are drawn.

    Args:
        acquisition: Maps X (b, D) -> (b,), larger is better.
        surrogate: The fitted surrogate the acquisition was built on.
        space: The search space.
        generator: Source of randomness for the draws (CPU generator).
        exclude: (m, D) encoded points that must not be returned (observed and pending).
        n_candidates: Draws in the first round.
        max_rounds: Rounds before giving up on finding a point not excluded.

    Returns:
        ``(x, value)``: x (D,) on the lattice, value a scalar tensor; value -inf (and the first candidate) when
        every candidate of every round was excluded.
    """
    check_count(n_candidates, "n_candidates", minimum=1)
    check_count(max_rounds, "max_rounds", minimum=1)
    first: Tensor | None = None
    for round_ in range(max_rounds):
        candidates = space.snap(surrogate.sample_good(n_candidates * 4**round_, generator=generator))  # (c, D)
        if first is None:
            first = candidates[0]
        combinations = _best_combinations(space, surrogate, candidates)
        pool = torch.cat([combinations, candidates])
        values = _score(acquisition, pool)
        if exclude is not None and exclude.shape[0]:
            same = max(_SAME, 8 * torch.finfo(pool.dtype).eps)
            excluded = _is_excluded(pool, space.snap(exclude.to(dtype=pool.dtype, device=pool.device)), same)
            values = torch.where(excluded, torch.full_like(values, -torch.inf), values)
        if space.conditions and combinations.shape[0]:
            # on a tree the proposal is chosen as Hyperopt and Optuna choose, each factor by its own ratio
            # (a summed ratio would favour a branch with no good observation, whose prior-only l dwarfs a sparse g):
            # the group-wise best, else its variants in turn, and only when all are excluded the acquisition's best
            k = combinations.shape[0]
            allowed = torch.isfinite(values[:k]).nonzero()
            best = int(allowed[0]) if allowed.numel() else k + int(values[k:].argmax())
        else:  # over parameters the product's best is the acquisition's best anyway
            best = int(values.argmax())
        if torch.isfinite(values[best]):
            return pool[best], values[best]
    assert first is not None
    return first, first.new_tensor(-torch.inf)


def _best_combinations(space: Space, surrogate: DensityRatioSurrogate, candidates: Tensor) -> Tensor:
    """(k, D) points assembled factor by factor from ``candidates`` (c, D) where the density ratio factors (over
    parameters, or over groups of parameters: :class:`GroupedDensityRatio`): the best value of every factor, then
    that point with one factor at its runner-up. Empty when it does not factor.

    On a conditional space a factor's best value is taken from the candidates where it is active, and the points are
    made valid trees (a factor whose assembled parent leaves it inactive takes the placeholder)."""
    factorising = supports(surrogate, FactorisingDensityRatio)
    terms = cast(FactorisingDensityRatio, surrogate).log_density_terms(candidates) if factorising else None
    if terms is None or candidates.shape[0] < 2:
        return candidates[:0]
    factors = (
        cast(GroupedDensityRatio, surrogate).density_factors() if supports(surrogate, GroupedDensityRatio) else None
    )
    factors = factors if factors is not None else [(name,) for name in space.names]
    log_ratio = terms[0] - terms[1]  # (c, F)
    if space.conditions:
        position = {name: j for j, name in enumerate(space.names)}
        active = space.active_mask(candidates)[:, [position[names[0]] for names in factors]]  # (c, F)
        log_ratio = torch.where(active, log_ratio, -torch.inf)
    # (2, F): best and runner-up candidate of each factor, ties in candidate order (topk breaks them by device)
    top = log_ratio.argsort(dim=0, descending=True, stable=True)[:2]
    columns = [
        torch.cat([torch.arange(space.columns(n).start, space.columns(n).stop) for n in names]).to(candidates.device)
        for names in factors
    ]
    best = candidates[0].clone()
    for f, cols in enumerate(columns):
        best[cols] = candidates[top[0, f], cols]
    points = [best]
    for f, cols in enumerate(columns):
        if space.conditions and not bool(torch.isfinite(log_ratio[top[1, f], f])):
            continue  # no runner-up where the factor is active: a variant would copy an inactive placeholder
        variant = best.clone()
        variant[cols] = candidates[top[1, f], cols]
        points.append(variant)
    return space.snap(torch.stack(points)) if space.conditions else torch.stack(points)


class MultiStartOptimizer:
    """The acquisition optimizer for a differentiable acquisition: :func:`optimize_acquisition` from a pool of
    ``n_raw`` points (the 5 best observed ones perturbed among them), ``n_restarts`` of them refined by gradient, the
    best observed point always one of those; steps scaled by the model's lengthscales when it has them
    (:class:`~bohpo.surrogates.HasLengthscales`).

    Args:
        n_raw: Pool size, >= 1.
        n_restarts: Candidates refined by gradient, >= 1.
        refine: How they are refined: ``"stacked"`` (default) or ``"each"`` (see :func:`optimize_acquisition`).

    Example:
        >>> from bohpo.space import Float, Space
        >>> space = Space({"x": Float(0.0, 1.0)})
        >>> bowl = lambda X: -(X[:, 0] - 0.3).square()
        >>> x = MultiStartOptimizer(n_raw=64, n_restarts=2)(bowl, None, space=space, exclude=torch.zeros(0, 1),
        ...                                                 incumbents=torch.zeros(0, 1),
        ...                                                 generator=torch.Generator().manual_seed(0))
        >>> round(float(x[0]), 3)
        0.3
    """

    def __init__(self, *, n_raw: int = 1024, n_restarts: int = 10, refine: str = "stacked") -> None:
        self.n_raw = check_count(n_raw, "n_raw", minimum=1)
        self.n_restarts = check_count(n_restarts, "n_restarts", minimum=1)
        self.refine = _check_refine(refine)

    def __repr__(self) -> str:
        return f"MultiStartOptimizer(n_raw={self.n_raw}, n_restarts={self.n_restarts}, refine={self.refine!r})"

    def __call__(
        self,
        acquisition: Any,
        model: Any,
        *,
        space: Space,
        exclude: Tensor,
        incumbents: Tensor,
        generator: torch.Generator,
    ) -> Tensor:
        """(D,) the best point found, on the lattice, in the dtype and on the device of ``exclude`` (m, D)."""
        x, _ = optimize_acquisition(
            acquisition, space, generator=generator, exclude=exclude, incumbents=incumbents,
            warm_starts=incumbents[:1], n_raw=self.n_raw, n_restarts=self.n_restarts,
            scales=_lengthscales(model, space.dim), refine=self.refine, dtype=exclude.dtype, device=exclude.device,
        )  # fmt: skip
        return x


class SamplingOptimizer:
    """The acquisition optimizer for a density-ratio surrogate: :func:`optimize_by_sampling` over ``n_candidates``
    draws from its good density l(x).

    Args:
        n_candidates: Draws in the first round, >= 1 (24: Hyperopt's and Optuna's default).
    """

    def __init__(self, *, n_candidates: int = 24) -> None:
        self.n_candidates = check_count(n_candidates, "n_candidates", minimum=1)

    def __repr__(self) -> str:
        return f"SamplingOptimizer(n_candidates={self.n_candidates})"

    def __call__(
        self,
        acquisition: Any,
        model: Any,
        *,
        space: Space,
        exclude: Tensor,
        incumbents: Tensor,
        generator: torch.Generator,
    ) -> Tensor:
        """(D,) the best candidate not in ``exclude`` (m, D); ``model`` is the fitted density-ratio surrogate."""
        x, _ = optimize_by_sampling(
            acquisition, model, space, generator=generator, exclude=exclude, n_candidates=self.n_candidates
        )
        return x


def _lengthscales(model: Any, D: int) -> Tensor | None:
    """(D,) the model's lengthscales, when it has usable ones, to scale the gradient steps."""
    if not supports(model, HasLengthscales):
        return None
    lengthscale = cast(HasLengthscales, model).lengthscale
    if isinstance(lengthscale, Tensor) and lengthscale.shape == (D,) and bool((lengthscale > 0).all()):
        return lengthscale
    return None
