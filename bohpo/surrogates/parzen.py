"""Parzen mixtures on the encoded unit cube: the two densities of a tree-structured Parzen estimator.

Glossary:
    b       points evaluated;  m kernels (observations, then the prior);  D encoded dimension.
    d       parameters: one per float or int column and one per categorical block, in column order.
    Dn      numeric (float and int) columns;  k choices of a categorical.
    weights (m,) mixture weights, summing to 1.
    mu, sigma   (m, Dn) centre and bandwidth of each numeric kernel, in encoded units.
    probs   one (m, k) matrix per categorical: each kernel's distribution over the choices (Aitchison–Aitken).

Numeric kernels are Gaussians truncated to [0, 1]. A float column has their density; an int column has, for each
integer, the mass its cell of the encoding takes from them (the cells partition [0, 1]), so a mixture is a density
with respect to Lebesgue measure on the float columns and counting measure on ints and categories.

Two ways of combining columns:
    multivariate   l(x) = sum_i w_i prod_p K_ip(x_p)     (each kernel is joint: interactions are kept)
    univariate     l(x) = prod_p sum_i w_i K_ip(x_p)     (a product of one mixture per parameter)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from bohpo.space import Categorical, Float, Int, Space

__all__ = ["ColumnLayout", "ParzenMixture", "log_normal_mass"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_CHUNK_ELEMENTS = 2**22  # b * m * d kernel values computed at once
_MIN_QUADRATIC_SIGMA = 1e-3  # smallest bandwidth for which the joint density uses matrix products


def _log1mexp(x: Tensor) -> Tensor:
    """log(1 - exp(x)) for x <= 0, accurate at both ends."""
    return torch.where(x > -math.log(2), torch.log(-torch.expm1(x)), torch.log1p(-torch.exp(x)))


def log_normal_mass(a: Tensor, b: Tensor) -> Tensor:
    """log(Phi(b) - Phi(a)) for a <= b, broadcast: accurate in either tail (an interval far above the mean is
    mirrored below it, where ``log_ndtr`` keeps its digits). -inf where a == b."""
    upper = a > 0
    lo = torch.where(upper, -b, a)
    hi = torch.where(upper, -a, b)
    log_hi = torch.special.log_ndtr(hi)
    return log_hi + _log1mexp((torch.special.log_ndtr(lo) - log_hi).clamp_max(0.0))


def _log_unit_mass(mu: Tensor, sigma: Tensor) -> Tensor:
    """log of the mass N(mu, sigma^2) puts on [0, 1], for centres in [0, 1] and sigma <= 1: at least 0.34, so the
    difference of the two CDFs keeps its digits without the log-space care of :func:`log_normal_mass`."""
    return torch.log(torch.special.ndtr((1 - mu) / sigma) - torch.special.ndtr(-mu / sigma))


@dataclass(frozen=True)
class ColumnLayout:
    """Which encoded columns are floats, ints and categorical blocks.

    Attributes:
        numeric: Indices of the float and int columns, in order.
        ints: ``(position in numeric, Int)`` for each int column.
        categoricals: The column slice of each categorical block.
        order: For each parameter, in column order: ``("numeric", j)`` or ``("categorical", j)``.
    """

    numeric: tuple[int, ...]
    ints: tuple[tuple[int, Int], ...]
    categoricals: tuple[slice, ...]
    order: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, space: Space) -> ColumnLayout:
        """The layout of ``space``'s encoding."""
        numeric: list[int] = []
        ints: list[tuple[int, Int]] = []
        categoricals: list[slice] = []
        order: list[tuple[str, int]] = []
        for name, param in space.items():
            cols = space.columns(name)
            if isinstance(param, Categorical):
                order.append(("categorical", len(categoricals)))
                categoricals.append(cols)
            else:
                assert isinstance(param, (Float, Int))
                if isinstance(param, Int):
                    ints.append((len(numeric), param))
                order.append(("numeric", len(numeric)))
                numeric.append(cols.start)
        return cls(tuple(numeric), tuple(ints), tuple(categoricals), tuple(order))

    @classmethod
    def continuous(cls, D: int) -> ColumnLayout:
        """``D`` float columns: the layout used when no space is known."""
        return cls(tuple(range(D)), (), (), tuple(("numeric", j) for j in range(D)))

    @property
    def dim(self) -> int:
        """Encoded dimension ``D``."""
        return len(self.numeric) + sum(s.stop - s.start for s in self.categoricals)

    @property
    def n_parameters(self) -> int:
        """Number of parameters ``d``."""
        return len(self.order)


@dataclass(frozen=True, eq=False)
class ParzenMixture:
    """A weighted mixture of product kernels on the encoded cube (see the module glossary for shapes).

    Attributes:
        layout: The column layout.
        weights: (m,) mixture weights, summing to 1.
        mu, sigma: (m, Dn) numeric kernel centres and bandwidths.
        probs: One (m, k) matrix per categorical, rows summing to 1.
        multivariate: Joint kernels (True) or a product of per-parameter mixtures (False).
    """

    layout: ColumnLayout
    weights: Tensor
    mu: Tensor
    sigma: Tensor
    probs: tuple[Tensor, ...]
    multivariate: bool
    _float_columns: list[int] = field(init=False, repr=False)
    _int_columns: list[int] = field(init=False, repr=False)
    _float_mu: Tensor = field(init=False, repr=False)
    _float_inv_sigma: Tensor = field(init=False, repr=False)
    _float_log_norm: Tensor = field(init=False, repr=False)
    _int_mu: Tensor = field(init=False, repr=False)
    _int_sigma: Tensor = field(init=False, repr=False)
    _int_log_mass: Tensor = field(init=False, repr=False)
    _order: Tensor = field(init=False, repr=False)
    _float_s2: Tensor = field(init=False, repr=False)
    _float_mu_s2: Tensor = field(init=False, repr=False)
    _float_const: Tensor = field(init=False, repr=False)
    _quadratic: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Per-kernel constants of the float columns, computed once: log K = -z^2 / 2 + log_norm, z = (x - mu) / sigma.
        layout = self.layout
        int_positions = {j for j, _ in layout.ints}
        floats = [j for j in range(len(layout.numeric)) if j not in int_positions]
        ints = [j for j, _ in layout.ints]
        mu, sigma = self.mu[:, floats], self.sigma[:, floats]  # (m, Df)
        log_norm = -torch.log(sigma) - _LOG_SQRT_2PI - _log_unit_mass(mu, sigma)
        int_mu, int_sigma = self.mu[:, ints], self.sigma[:, ints]  # (m, Di)
        int_log_mass = _log_unit_mass(int_mu, int_sigma)
        # parameters are computed floats first, then ints, then categoricals; `_order` puts them back
        position = {("numeric", j): i for i, j in enumerate(floats + ints)}
        n_numeric = len(layout.numeric)
        order = [position[(kind, j)] if kind == "numeric" else n_numeric + j for kind, j in layout.order]
        for name, value in (
            ("_float_columns", [layout.numeric[j] for j in floats]),
            ("_int_columns", [layout.numeric[j] for j in ints]),
            ("_float_mu", mu),
            ("_float_inv_sigma", sigma.reciprocal()),
            ("_float_log_norm", log_norm),
            ("_int_mu", int_mu),
            ("_int_sigma", int_sigma),
            ("_int_log_mass", int_log_mass),
            ("_order", torch.tensor(order, dtype=torch.long, device=self.mu.device)),
            # the joint float term sum_p log K_ip as a quadratic form: two matrix products instead of (b, m, Df)
            ("_float_s2", sigma.pow(-2)),
            ("_float_mu_s2", mu * sigma.pow(-2)),
            ("_float_const", (log_norm - 0.5 * (mu / sigma).square()).sum(-1)),
            # ... exact only while 1 / sigma^2 is moderate: the expanded terms cancel to the squared distance
            ("_quadratic", bool(sigma.numel() == 0 or sigma.min() >= _MIN_QUADRATIC_SIGMA)),
        ):
            object.__setattr__(self, name, value)

    def log_kernels(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b, m, d): log K_ip(x_p) of every kernel i and parameter p, without the weights."""
        return self._log_kernels(X)[..., self._order]

    def _log_kernels(self, X: Tensor, *, floats: bool = True) -> Tensor:
        """(b, m, d) as :meth:`log_kernels`, with the parameters ordered floats, ints, categoricals (without the
        floats if ``floats`` is False)."""
        parts: list[Tensor] = []
        if floats and self._float_columns:
            z = (X[:, self._float_columns].unsqueeze(1) - self._float_mu) * self._float_inv_sigma  # (b, m, Df)
            parts.append(self._float_log_norm - 0.5 * z.square())
        if self._int_columns:
            x = X[:, self._int_columns]  # (b, Di)
            edges = [param.cell_edges(x[:, i]) for i, (_, param) in enumerate(self.layout.ints)]
            lower = torch.stack([lo for lo, _ in edges], dim=-1).unsqueeze(1)  # (b, 1, Di)
            upper = torch.stack([hi for _, hi in edges], dim=-1).unsqueeze(1)
            mu, sigma = self._int_mu, self._int_sigma  # (m, Di)
            parts.append(log_normal_mass((lower - mu) / sigma, (upper - mu) / sigma) - self._int_log_mass)
        for cols, probs in zip(self.layout.categoricals, self.probs, strict=True):
            parts.append(torch.log((X[:, cols] @ probs.T).clamp_min(0.0)).unsqueeze(-1))  # (b, m, 1)
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)

    def log_density_terms(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b, d): log of each parameter's marginal mixture sum_i w_i K_ip(x_p).

        In univariate mode these sum to :meth:`log_density`."""
        return torch.cat([self._terms(chunk) for chunk in X.split(self._chunk_rows())])[:, self._order]

    def log_density(self, X: Tensor) -> Tensor:
        """X: (..., D) -> (...): log of the mixture's density at each point."""
        flat = X.reshape(-1, X.shape[-1])
        out = torch.cat([self._log_density(chunk) for chunk in flat.split(self._chunk_rows())])
        return out.reshape(X.shape[:-1])

    def _chunk_rows(self) -> int:
        return max(1, _CHUNK_ELEMENTS // max(1, self.weights.shape[0] * self.layout.n_parameters))

    def _terms(self, X: Tensor) -> Tensor:
        """(b, d) in computing order (floats, ints, categoricals)."""
        log_w = torch.log(self.weights).unsqueeze(-1)  # (m, 1)
        return torch.logsumexp(self._log_kernels(X) + log_w, dim=1)  # (b, d)

    def _log_density(self, X: Tensor) -> Tensor:
        if not self.multivariate:
            return self._terms(X).sum(-1)
        return torch.logsumexp(self._log_joint(X) + torch.log(self.weights), dim=1)  # (b,)

    def _log_joint(self, X: Tensor) -> Tensor:
        """X: (b, D) -> (b, m): sum_p log K_ip(x_p), the joint kernels' log values.

        In float64, with every float bandwidth at least 1e-3 of the range (the magic clip keeps them above 1e-2),
        the float columns' part is the quadratic form -(x^2 . s^2 - 2 x . mu s^2) / 2 + const (s = 1 / sigma): two
        matrix products, whose cancellation costs at most about 1e-9. Otherwise, and for ints and categoricals, the
        kernels are summed directly."""
        if X.dtype != torch.float64 or not self._float_columns or not self._quadratic:
            return self._log_kernels(X).sum(-1)
        x = X[:, self._float_columns]  # (b, Df)
        joint = self._float_const - 0.5 * (x.square() @ self._float_s2.T) + x @ self._float_mu_s2.T  # (b, m)
        if self._int_columns or self.layout.categoricals:
            rest = self._log_kernels(X, floats=False)
            joint = joint + rest.sum(-1)
        return joint

    def sample(self, n: int, *, generator: torch.Generator, space: Space | None = None) -> Tensor:
        """``n`` points drawn from the mixture: (n, D), on the mixture's device and dtype.

        Randomness is drawn on the CPU from ``generator``, so a seed gives the same points on any device. Ints are
        drawn as their cell's mass and placed at the cell's encoded value (``space.snap``); without a space every
        column is a float.
        """
        layout = self.layout
        d = layout.n_parameters
        weights = self.weights.detach().to("cpu", torch.float64)
        n_draws = 1 if self.multivariate else d
        component = torch.multinomial(weights, n * n_draws, replacement=True, generator=generator).reshape(n, n_draws)
        component = component.expand(n, d) if self.multivariate else component  # (n, d) kernel of each parameter
        device, dtype = self.mu.device, self.mu.dtype
        X = torch.zeros(n, layout.dim, dtype=dtype, device=device)
        which = {(kind, j): p for p, (kind, j) in enumerate(layout.order)}
        if layout.numeric:
            pick = torch.stack([component[:, which[("numeric", j)]] for j in range(len(layout.numeric))], -1)
            pick = pick.to(device)  # (n, Dn)
            columns = torch.arange(len(layout.numeric), device=device)
            mu, sigma = self.mu[pick, columns], self.sigma[pick, columns]  # (n, Dn)
            u = torch.rand(n, len(layout.numeric), generator=generator, dtype=torch.float64).to(device, dtype)
            X[:, list(layout.numeric)] = _truncated_normal(mu, sigma, u)
        for j, (cols, probs) in enumerate(zip(layout.categoricals, self.probs, strict=True)):
            rows = probs.detach().to("cpu", torch.float64)[component[:, which[("categorical", j)]]]  # (n, k)
            choice = torch.multinomial(rows, 1, generator=generator).squeeze(-1)
            X[:, cols] = torch.nn.functional.one_hot(choice, cols.stop - cols.start).to(device, dtype)
        return space.snap(X) if space is not None else X


def _truncated_normal(mu: Tensor, sigma: Tensor, u: Tensor) -> Tensor:
    """Inverse-CDF draws of N(mu, sigma^2) truncated to [0, 1], from uniforms u; all shapes equal."""
    lower = torch.special.ndtr(-mu / sigma)
    upper = torch.special.ndtr((1 - mu) / sigma)
    p = (lower + u * (upper - lower)).clamp(1e-300, 1 - 1e-16)
    return (mu + sigma * torch.special.ndtri(p)).clamp(0.0, 1.0)
