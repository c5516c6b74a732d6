"""Gaussian-process surrogate: a BoTorch ``SingleTaskGP`` with a Matérn-5/2 ARD kernel, fitted fast and warm.

Glossary:
    n   observations; D encoded dimension; m query points.
    X   (n, D) training inputs in the unit cube;  y (n,) training values (minimised), original units.
    z   (n,) standardised values (y - mu_y) / sigma_y: what the GP models, with a zero prior mean.
    s   output scale;  Kf (n, n) the unit-variance Matérn-5/2 matrix of X.
    K   (n, n) s Kf plus the noise variance on the diagonal;  L its lower Cholesky factor.
    alpha (n,) K^-1 z.

The model is made of BoTorch's and gpytorch's parts: a ``SingleTaskGP`` with a zero mean, a ``ScaleKernel`` over a
Matérn-5/2 kernel with one lengthscale per encoded column, and a Gaussian likelihood.
Priors:
    - lengthscales: the dimension-scaled log-normal of Hvarfner et al. (2024), floor 0.025; or, as an option, the
      "box" prior of :class:`BoxLengthscalePrior`, which keeps them near the width of the cube;
    - output scale: Gamma(2, 1);
    - noise variance: Gamma(1.1, 30), floor 1e-6.
The noise prior is the one that matters on the deterministic objectives of hyperparameter benchmarks. BoTorch's
default, log-normal(-4, 1), holds the noise near 1e-3 of the spread of z, so the posterior keeps some uncertainty
at the incumbent, and expected improvement keeps sampling around it. This one lets the noise fall to its floor.
One-hot columns of a categorical, and integer columns, are columns of the unit cube like any other: an int's value
sits at the centre of its cell, so ints one apart are one cell width apart. The acquisition optimizer keeps both
discrete. On a conditional space (once bound), each conditional float or int enters the kernel on an arc around a
point that stands for "inactive" (:class:`ConditionalArcs`: two kernel columns sharing one lengthscale), so the
kernel's inputs are E >= D columns; ``lengthscale`` still reports one per encoded column.

What bohpo adds is speed on the hot path. At the sizes BO works at (n up to a few thousand), gpytorch's general
lazy-tensor machinery costs ten times the arithmetic. Two quantities are computed densely instead:
    - the loss that is minimised, the negative log marginal likelihood plus log priors (as gpytorch's
      ``ExactMarginalLogLikelihood``), from one Cholesky factor, with its gradient in closed form
      (0.5 tr((K^-1 - alpha alpha^T) dK/dtheta), and the priors' derivatives);
    - the posterior the acquisition reads, with the same algebra and autograd for the gradient in the inputs.
Tests check both against gpytorch and BoTorch (the loss, its gradient by finite differences, ``posterior``).
Hyperparameters are refitted at every ``fit`` by L-BFGS-B, in log space, starting from the previous fit's values (a
fit with none to start from, on 1000 points or more, starts from a fit on 500 of them: ``SUBSET_FIT_FROM``), and,
with ``restart_from_prior``, also from the priors' modes, the fit with the higher posterior kept.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch
from botorch.exceptions import InputDataWarning
from botorch.models import SingleTaskGP
from botorch.optim.utils import get_parameters_and_bounds
from gpytorch.constraints import GreaterThan
from gpytorch.kernels import MaternKernel, ScaleKernel
from gpytorch.likelihoods import GaussianLikelihood
from gpytorch.means import ZeroMean
from gpytorch.priors import GammaPrior, LogNormalPrior, Prior
from scipy.optimize import minimize
from torch import Tensor

from bohpo._checks import check_count, is_real
from bohpo._threads import single_threaded_blas
from bohpo.errors import NumericalWarning
from bohpo.space import Space
from bohpo.surrogates.gp_parts import ArcInputs, BoxLengthscalePrior, CategoryBlocks, ConditionalArcs
from bohpo.surrogates.transforms import KumaraswamyWarp, YeoJohnson

__all__ = [
    "GP",
    "BoxLengthscalePrior",
    "CategoryBlocks",
    "CholeskyError",
    "ConditionalArcs",
    "matern52",
    "robust_cholesky",
]

_JITTERS = (0.0, 1e-8, 1e-6, 1e-4)  # added to the diagonal, relative to its mean, until the factorisation succeeds
_LOG_2PI = math.log(2 * math.pi)
_OUTPUT_TRANSFORMS = (None, "yeo-johnson", "robust-yeo-johnson")
_CATEGORY_KERNELS = ("one-hot", "overlap")
_INACTIVE_HANDLING = ("arc", "placeholder")
_LENGTHSCALE_PRIORS = ("dimension-scaled", "box")
_MIN_LENGTHSCALE = 2.5e-2
_MIN_OUTPUTSCALE = 1e-4
_MAX_RAW = 1e4  # raw (unconstrained) hyperparameters a fit produces stay far inside this; beyond it, a damaged file
_MIN_NOISE = 1e-6  # variance of standardised values: deterministic objectives are resolved to ~1e-3 of their spread


class CholeskyError(RuntimeError):
    """The kernel matrix could not be factorised, even with jitter."""


def robust_cholesky(K: Tensor) -> tuple[Tensor, float]:
    """Lower Cholesky factor of ``K`` (n, n), adding diagonal jitter when needed.

    Returns:
        ``(L, jitter)``: L (n, n) and the relative jitter that was added (0.0 when none).

    Raises:
        CholeskyError: ``K`` is not positive definite even with the largest jitter (or holds NaN).
    """
    for jitter in _JITTERS:
        jittered = K
        if jitter:
            scale = K.diagonal().mean().abs().clamp_min(1e-12).detach()
            jittered = K + (jitter * scale) * torch.eye(K.shape[-1], dtype=K.dtype, device=K.device)
        L, info = torch.linalg.cholesky_ex(jittered)
        if int(info) == 0 and not torch.isnan(L.diagonal()).any():
            return L, jitter
    raise CholeskyError(f"the {K.shape[-1]} x {K.shape[-1]} kernel matrix is not positive definite")


class GP:
    """Matérn-5/2 ARD Gaussian process on the unit cube, with standardised outputs and warm-started refits.

    Args:
        lengthscale_prior: ``"dimension-scaled"`` (default): log-normal(sqrt(2) + log(D) / 2, sqrt(3)), whose median
            grows with the dimension; or ``"box"``: :class:`BoxLengthscalePrior`, centred at the width of the unit
            cube. ``benchmarks/results/traps/lengthscale_prior.md`` measures both: the box prior cuts the regret
            on Levy-8 to a third but traps on a Branin seed and costs the Schwefel problem, so it is not the default.
        max_iter: L-BFGS-B iterations per fit.
        warm_start: Start each fit from the previous fit's hyperparameters (when the dimension matches). A fit
            without them on ``SUBSET_FIT_FROM`` (1000) points or more starts from a fit on ``SUBSET_FIT_SIZE`` (500).
        restart_from_prior: Fit a warm-started GP from the priors' modes too, and keep whichever of the two fits
            reaches the higher posterior (at every fit on fewer than 24 points, then ``RESTARTS_PER_DOUBLING`` (16)
            times while the data doubles: a fit from the priors costs ten warm ones). A warm start alone holds on
            to what the first points suggested after more points make another explanation far more probable (on
            Levy-8 after 20 evaluations, a log posterior 7.6 below the cold fit's, with shorter lengthscales and
            five times the noise). ``benchmarks/results/traps/restart.md`` measures it: level with warm starts
            alone on 25 problems, mean normalised regret 0.197 against 0.217 after 60 evaluations, 0.156 against
            0.164 after 100, and an ask at n = 25 up to 1.7 times as long.
        output_transform: ``None`` (values are only standardised) or ``"yeo-johnson"``: a power transform fitted to
            the distinct values at each fit, for heavy-tailed objectives. It is increasing, so the incumbent is kept;
            with it, ``predict`` and ``best_y`` are on the transformed scale (what the acquisitions compare). Or
            ``"robust-yeo-johnson"``: the same on values standardised by median and interquartile range
            (:class:`~bohpo.surrogates.transforms.YeoJohnson`), for objectives that report failures as huge values.
        input_warping: ``False``, ``True`` (warp every column) or a list of the encoded columns to warp with a
            learned Kumaraswamy CDF. The warp's two parameters per column are fitted with the kernel's; the fit then
            takes autograd's gradient instead of the closed form, and costs a few times more.
        categories: How a categorical parameter enters the kernel once the GP is bound to a space (:meth:`bind`,
            which a searcher does): ``"one-hot"`` (default), each one-hot column a numeric input with its own
            lengthscale; or ``"overlap"``, one lengthscale per categorical shared by its columns and capped
            (:class:`CategoryBlocks`). ``benchmarks/results/traps/categories.md`` measures both: the overlap kernel was
            not better on mixed problems (it costs the mixed Branin, whose categories share one function, nearly
            two orders of magnitude of regret), so one-hot stays the default. Unbound, the GP treats every column as
            numeric whatever this says.
        inactive: How a conditional space's inactive parameters enter the kernel once bound: ``"arc"`` (default),
            each conditional float or int on an arc around a point that stands for "inactive", so the kernel ignores
            the parameter between two rows where it is inactive (:class:`ConditionalArcs`), and the lengthscale
            prior scaled to the expected number of active columns; or ``"placeholder"``, the encoding's fixed
            middle value read as a value, the prior scaled to every column. ``benchmarks/results/conditional/``
            measures both. A space without conditions is the same either way.

    Attributes:
        model: The fitted BoTorch ``SingleTaskGP`` (on standardised values), for anything BoTorch can do with it.
        blocks: The bound space's categorical blocks (:class:`CategoryBlocks`), or ``None`` before :meth:`bind`.

    Example:
        >>> X = torch.rand(12, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> gp = GP().fit(X, (X - 0.5).square().sum(-1))
        >>> mean, var = gp.predict(torch.tensor([[0.5, 0.5]], dtype=torch.float64))
        >>> mean.shape, bool(mean < 0.05), bool(var > 0)
        (torch.Size([1]), True, True)
    """

    def __init__(
        self,
        *,
        lengthscale_prior: str = "dimension-scaled",
        max_iter: int = 200,
        warm_start: bool = True,
        output_transform: str | None = None,
        input_warping: bool | Sequence[int] = False,
        categories: str = "one-hot",
        inactive: str = "arc",
        restart_from_prior: bool = True,
    ) -> None:
        if lengthscale_prior not in _LENGTHSCALE_PRIORS:
            raise ValueError(f"lengthscale_prior must be one of {_LENGTHSCALE_PRIORS}, got {lengthscale_prior!r}")
        if categories not in _CATEGORY_KERNELS:
            raise ValueError(f"categories must be one of {_CATEGORY_KERNELS}, got {categories!r}")
        if inactive not in _INACTIVE_HANDLING:
            raise ValueError(f"inactive must be one of {_INACTIVE_HANDLING}, got {inactive!r}")
        self.max_iter = check_count(max_iter, "max_iter", minimum=1)
        if not isinstance(warm_start, bool):
            raise TypeError(f"warm_start must be a bool, got {warm_start!r}")
        if output_transform not in _OUTPUT_TRANSFORMS:
            raise ValueError(f"output_transform must be one of {_OUTPUT_TRANSFORMS}, got {output_transform!r}")
        if not isinstance(input_warping, bool):
            columns = list(input_warping) if isinstance(input_warping, (list, tuple)) else None
            if columns is None or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in columns):
                raise ValueError(f"input_warping must be a bool or a list of column indices, got {input_warping!r}")
        if not isinstance(restart_from_prior, bool):
            raise TypeError(f"restart_from_prior must be a bool, got {restart_from_prior!r}")
        self.warm_start = warm_start
        self.restart_from_prior = restart_from_prior
        self.output_transform = output_transform
        self.input_warping = input_warping
        self.categories = categories
        self.inactive = inactive
        self.lengthscale_prior = lengthscale_prior
        self.blocks: CategoryBlocks | None = None  # the bound space's categoricals
        self.arcs: ConditionalArcs | None = None  # the bound space's conditional numeric parameters, with "arc"
        self._warm: dict[str, Tensor] | None = None  # raw hyperparameters of the last fit
        self._fitted = False

    def __repr__(self) -> str:
        return (
            f"GP(lengthscale_prior={self.lengthscale_prior!r}, max_iter={self.max_iter}, warm_start={self.warm_start}, "
            f"restart_from_prior={self.restart_from_prior!r}, output_transform={self.output_transform!r}, "
            f"input_warping={self.input_warping!r}, categories={self.categories!r}, inactive={self.inactive!r})"
        )

    def bind(self, space: Space) -> GP:
        """Learn ``space``'s layout: with ``categories="overlap"``, the one-hot columns of each categorical then share
        one lengthscale, capped so that two different choices are never more than 90% correlated; with
        ``inactive="arc"`` and conditions, each conditional float or int enters the kernel on an arc. Returns
        ``self``.

        Unbound, or with ``categories="one-hot"``, every encoded column has its own lengthscale.
        """
        if not isinstance(space, Space):
            raise TypeError(f"bind takes a bohpo Space, got {type(space).__name__}")
        self.blocks = CategoryBlocks.of(space)
        self.arcs = ConditionalArcs.of(space) if space.conditions and self.inactive == "arc" else None
        return self

    # -- fitting ------------------------------------------------------------------------------------------------
    def fit(self, X: Tensor, y: Tensor) -> GP:
        """Fit hyperparameters by maximising the marginal likelihood plus log priors (MAP), then cache the posterior.

        Args:
            X: (n, D) points in the unit cube; float64 recommended, the device and dtype are followed.
            y: (n,) finite values to minimise.

        Returns:
            ``self``. If the optimisation fails numerically, the previous (or prior-mode) hyperparameters are kept
            and a ``NumericalWarning`` says so.
        """
        X, y = _check_data(X, y)
        transform = None
        if self.output_transform is not None:
            transform = YeoJohnson(robust=self.output_transform == "robust-yeo-johnson").fit(y)
        if transform is not None:
            y = transform(y)
        scale = 2.0 ** math.floor(math.log2(float(y.abs().max()))) if bool((y != 0).any()) else 1.0
        mu = (y / scale).mean() * scale  # by a power of two: exact, and no square overflows (see location_and_scale)
        sigma = (y / scale).std() * scale if y.shape[0] > 1 else y.new_tensor(1.0)
        if not torch.isfinite(sigma) or sigma <= 1e-300 * max(1.0, float(mu.abs())):
            sigma = y.new_tensor(1.0)  # constant values: nothing to scale
        z = (y - mu) / sigma
        blocks = self._ties(X.shape[-1])
        model = self._new_model(X, z)
        at_prior = _raw_of(model)
        if self.warm_start and self._warm is not None and _load_raw(model, self._warm):
            loss = _maximise_posterior(model, X, z, max_iter=self.max_iter, blocks=blocks)
            if self.restart_from_prior and restarts_from_prior_at(X.shape[0]):
                warm = _raw_of(model)
                if self._fit_from_prior(model, at_prior, X, z, blocks) >= loss:
                    _load_raw(model, warm)  # the warm-started fit reached the higher posterior
        else:
            self._fit_from_prior(model, at_prior, X, z, blocks)
        for p in model.parameters():
            p.requires_grad_(False)
        self._set_cache(X, z, model)  # raises CholeskyError before anything of this fit is kept
        self._warm = _raw_of(model)
        self._mu, self._sigma, self._transform = mu, sigma, transform
        self._train_values = y  # on the model's scale, exactly as transformed (not recovered from z)
        self._sigma_sq = sigma**2
        self._best_y = y.min()
        self._fitted = True
        return self

    def _new_model(self, X: Tensor, z: Tensor) -> SingleTaskGP:
        """This GP's model on X (m, D), z (m,), its hyperparameters at their initial values."""
        return _build_model(
            X, z, warp_columns=self._warp_columns(X.shape[-1]), box_prior=self.lengthscale_prior == "box",
            arcs=self.arcs,
        )  # fmt: skip

    def _fit_from_prior(
        self,
        model: SingleTaskGP,
        at_prior: dict[str, Tensor],
        X: Tensor,
        z: Tensor,
        blocks: CategoryBlocks | None,
    ) -> float:
        """Fit ``model`` (on X (n, D), z (n,)) from the priors' modes, its raw values ``at_prior`` (on
        ``SUBSET_FIT_FROM`` points or more, from a fit on a subset of them); returns the loss it reached."""
        _load_raw(model, self._subset_fit(X, z, blocks) if X.shape[0] >= SUBSET_FIT_FROM else at_prior)
        return _maximise_posterior(model, X, z, max_iter=self.max_iter, blocks=blocks)

    def _subset_fit(self, X: Tensor, z: Tensor, blocks: CategoryBlocks | None) -> dict[str, Tensor]:
        """The raw hyperparameters fitted to SUBSET_FIT_SIZE of the n points, evenly spread in the order told
        (X (n, D), z (n,)): where a cold fit of all n would take its dozens of O(n^3) iterations from the priors'
        modes, it takes them at (SUBSET_FIT_SIZE / n)^3 of the cost and ends with a few on all n."""
        rows = torch.linspace(0, X.shape[0] - 1, SUBSET_FIT_SIZE, device=X.device).round().long()
        X_sub, z_sub = X[rows], z[rows]
        model = self._new_model(X_sub, z_sub)
        _maximise_posterior(model, X_sub, z_sub, max_iter=self.max_iter, blocks=blocks)
        return _raw_of(model)

    def _ties(self, D: int) -> CategoryBlocks | None:
        """The lengthscales the fit ties, on the kernel's columns: the categorical blocks (with ``"overlap"``) and
        the arcs' pairs; or None."""
        blocks = self.blocks if self.categories == "overlap" else None
        layout = blocks if self.arcs is None else self.arcs.space
        if layout is not None and layout.dim != D:  # one-hot columns without arcs need no layout: any data fits
            raise ValueError(f"the GP was bound to a space of {layout.dim} columns, but X has {D}")
        if self.arcs is not None:
            return self.arcs.ties(blocks)
        return blocks if blocks is not None and blocks.blocks else None

    def _warp_columns(self, D: int) -> list[int] | None:
        if self.input_warping is False:
            return None
        columns = list(range(D)) if self.input_warping is True else list(self.input_warping)
        if any(c >= D for c in columns):
            raise ValueError(f"input_warping names column {max(columns)}, but X has {D} columns")
        return columns

    def _set_cache(self, X: Tensor, z: Tensor, model: SingleTaskGP) -> None:
        """Factorise the kernel matrix of ``model`` at X, then keep the model and the posterior's caches."""
        L, jitter = robust_cholesky(_kernel_matrix(model, X))
        if jitter:
            warnings.warn(
                f"GP: added {jitter:g} relative jitter to factorise the kernel matrix", NumericalWarning, stacklevel=3
            )
        self.model = model
        self._X, self._z, self._L = X, z, L
        self._lengthscale = _lengthscale(self.model).detach()  # (E,)
        self._X_scaled = _inputs(model, X).detach() / self._lengthscale  # (n, E), kept for predict
        self._X_scaled_sq = self._X_scaled.square().sum(-1)  # (n,)
        self._alpha = torch.cholesky_solve(z.unsqueeze(-1), L).squeeze(-1)  # (n,)
        self._outputscale = _outputscale(self.model).detach()
        # what predict reads at every call of the acquisition optimizer, looked up or computed once here
        self._input_warp = getattr(model, "input_warp", None)
        transform = getattr(model, "input_transform", None)
        self._arcs = transform.arcs if isinstance(transform, ArcInputs) else None
        self._var_floor = 1e-10 * self._outputscale

    # -- reading ------------------------------------------------------------------------------------------------
    @property
    def best_y(self) -> Tensor:
        """The lowest value fitted on (original units), a scalar tensor."""
        self._check_fitted()
        return self._best_y

    @property
    def lengthscale(self) -> Tensor:
        """(D,) the fitted lengthscales, one per encoded column (a conditional parameter's, its arc's)."""
        self._check_fitted()
        if self._arcs is not None:
            return self._lengthscale[torch.as_tensor(self._arcs.first_columns(), device=self._lengthscale.device)]
        return self._lengthscale

    @property
    def train_X(self) -> Tensor:
        """(n, D) the inputs the posterior is conditioned on (fantasies included)."""
        self._check_fitted()
        return self._X

    @property
    def train_values(self) -> Tensor:
        """(n,) the values the posterior is conditioned on (fantasies included), on the scale of :meth:`predict`
        (transformed, with an output transform)."""
        self._check_fitted()
        return self._train_values

    def to_model_scale(self, y: Tensor) -> Tensor:
        """Values y (...) in the original units, on the scale of :meth:`predict`: the output transform of the last
        fit applied (identity without one). Increasing, so it keeps every comparison between values."""
        self._check_fitted()
        return y if self._transform is None else self._transform(y)

    def predict(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior of the latent function.

        Args:
            X: (..., D) query points.

        Returns:
            ``(mean, var)``, each (...), in the original units of ``y``; differentiable in ``X``.
        """
        self._check_fitted()
        if X.shape[-1] != self._X.shape[-1]:
            raise ValueError(f"predict takes X of shape (..., {self._X.shape[-1]}), got {tuple(X.shape)}")
        batch = X.shape[:-1]
        Xf = X.reshape(-1, X.shape[-1])  # (m, D)
        if self._input_warp is not None:
            Xf = self._input_warp(Xf)
        if self._arcs is not None:
            Xf = self._arcs.embed(Xf)  # (m, E)
        mean, var = _MaternPosterior.apply(
            Xf, self._X_scaled, self._X_scaled_sq, self._lengthscale, self._outputscale, self._alpha, self._L
        )
        var = var.clamp_min(self._var_floor)
        return (mean * self._sigma + self._mu).reshape(batch), (var * self._sigma_sq).reshape(batch)

    def condition_on_mean(self, X_new: Tensor) -> GP:
        """A copy conditioned on fantasy observations at ``X_new`` (k, D) equal to the posterior mean there.

        The hyperparameters and the incumbent stay; the variance at and near ``X_new`` shrinks (kriging believer).
        """
        self._check_fitted()
        with torch.no_grad():
            mean, _ = self.predict(X_new)
        other = copy.copy(self)
        X = torch.cat([self._X, X_new.detach()])
        z = torch.cat([self._z, (mean - self._mu) / self._sigma])
        other._set_cache(X, z, self.model)
        other._train_values = torch.cat([self._train_values, mean])
        return other

    def negative_log_posterior(self, X: Tensor, y: Tensor) -> Tensor:
        """The loss ``fit`` minimises, at the current hyperparameters: -(log p(z | theta) + log p(theta)) / n."""
        self._check_fitted()
        X, y = _check_data(X, y)
        if self._transform is not None:
            y = self._transform(y)
        return _negative_log_posterior(self.model, X, (y - self._mu) / self._sigma, self._ties(X.shape[-1]))

    # -- warm-start state ---------------------------------------------------------------------------------------
    def warm_state(self) -> dict[str, list[float]] | None:
        """The raw hyperparameters the next fit starts from, as JSON-safe lists (``None`` before any fit)."""
        if self._warm is None:
            return None
        return {name: value.flatten().tolist() for name, value in self._warm.items()}

    def load_warm_state(self, state: dict[str, list[float]] | None) -> None:
        """Start the next fit from saved raw hyperparameters (from :meth:`warm_state`)."""
        if state is None:
            self._warm = None
            return
        if not isinstance(state, dict) or not all(isinstance(v, list) for v in state.values()):
            raise ValueError(f"a GP warm state maps parameter names to lists of numbers, got {state!r}")
        for name, values in state.items():
            bad = [v for v in values if not is_real(v) or not abs(v) <= _MAX_RAW]  # NaN fails the comparison too
            if not isinstance(name, str) or bad:
                raise ValueError(
                    f"a GP warm state holds finite raw hyperparameters of at most {_MAX_RAW:g} in size; "
                    f"{name!r} has {bad[:3]!r}: the saved history is damaged, nothing was loaded"
                )
        self._warm = {name: torch.tensor(values, dtype=torch.float64) for name, values in state.items()}

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError("the GP is not fitted yet: call fit(X, y) first")


def _check_data(X: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    if not isinstance(X, Tensor) or X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"X must be a tensor of shape (n, D) with n >= 1, got {getattr(X, 'shape', X)!r}")
    if not isinstance(y, Tensor) or y.shape != X.shape[:1]:
        raise ValueError(f"y must be a tensor of shape ({X.shape[0]},), got {getattr(y, 'shape', y)!r}")
    if not torch.isfinite(X).all() or not torch.isfinite(y).all():
        raise ValueError("X and y must be finite")
    return X, y.to(dtype=X.dtype, device=X.device)


def _build_model(
    X: Tensor,
    z: Tensor,
    *,
    warp_columns: list[int] | None = None,
    box_prior: bool = False,
    arcs: ConditionalArcs | None = None,
) -> SingleTaskGP:
    """The BoTorch model: zero mean (z is standardised), output scale x Matérn-5/2 ARD, Gaussian noise; with
    ``warp_columns``, a :class:`KumaraswamyWarp` of those columns as the submodule ``input_warp`` (its parameters and
    priors are then the model's); with ``arcs``, the kernel reads X (n, D) embedded by them (the model's
    ``input_transform``, :class:`ArcInputs`), with one lengthscale per kernel column (E) and the prior scaled to
    their ``effective_dim``."""
    D = X.shape[-1]
    scaled_to = D if arcs is None else arcs.effective_dim
    lengthscale_prior: Prior = (
        BoxLengthscalePrior()
        if box_prior
        else LogNormalPrior(loc=math.sqrt(2) + math.log(scaled_to) / 2, scale=math.sqrt(3))
    )
    matern = MaternKernel(
        nu=2.5,
        ard_num_dims=D if arcs is None else arcs.dim,
        lengthscale_prior=lengthscale_prior,
        lengthscale_constraint=GreaterThan(
            _MIN_LENGTHSCALE, transform=None, initial_value=_prior_mode(lengthscale_prior)
        ),
    )
    outputscale_prior = GammaPrior(concentration=2.0, rate=1.0)
    kernel = ScaleKernel(
        matern,
        outputscale_prior=outputscale_prior,
        outputscale_constraint=GreaterThan(_MIN_OUTPUTSCALE, transform=None, initial_value=1.0),
    )
    noise_prior = GammaPrior(concentration=1.1, rate=30.0)
    likelihood = GaussianLikelihood(
        noise_prior=noise_prior,
        noise_constraint=GreaterThan(_MIN_NOISE, transform=None, initial_value=1e-3),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputDataWarning)
        model = SingleTaskGP(
            X,
            z.unsqueeze(-1),
            covar_module=kernel,
            likelihood=likelihood,
            mean_module=ZeroMean(),
            outcome_transform=None,
            input_transform=None if arcs is None else ArcInputs(arcs),
        )
    if warp_columns is not None:
        model.input_warp = KumaraswamyWarp(warp_columns, dim=D)
    return model.to(dtype=X.dtype, device=X.device)


def _inputs(model: SingleTaskGP, X: Tensor) -> Tensor:
    """X (m, D) as the kernel reads it: through the model's input warp, if it has one, then its arcs (m, E)."""
    warp = getattr(model, "input_warp", None)
    W = X if warp is None else warp(X)
    transform = getattr(model, "input_transform", None)
    return W if transform is None else transform.transform(W)


def _raw_of(model: SingleTaskGP) -> dict[str, Tensor]:
    """A copy of the model's raw hyperparameters, by name (what ``_load_raw`` loads)."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _load_raw(model: SingleTaskGP, raw: dict[str, Tensor]) -> bool:
    """Load ``raw`` (from ``_raw_of``) into ``model``; False, and nothing loaded, if it is another model's."""
    params = dict(model.named_parameters())
    if set(params) != set(raw) or any(params[k].numel() != raw[k].numel() for k in raw):
        return False  # another dimension or model: start from the priors
    with torch.no_grad():
        for name, value in raw.items():
            params[name].copy_(value.reshape(params[name].shape))
    return True


_SQRT5 = math.sqrt(5.0)
# A fit with no warm start on at least SUBSET_FIT_FROM points starts from a fit on SUBSET_FIT_SIZE of them, half or
# less of the data (benchmarks/results/cold_fit.md: nine cold fits, three functions in d = 4, 10, 20, take 17% less
# time at n = 1000 and 28% less at n = 2000, the slowest from 54 s to 10 s, at the same posterior in 15 of 18 cells).
SUBSET_FIT_FROM, SUBSET_FIT_SIZE = 1000, 500
# A warm-started fit is also restarted from the priors' modes (``GP(restart_from_prior=True)``) RESTARTS_PER_DOUBLING
# times while the data doubles: where floor(16 log2 n) steps up, which is at every fit on fewer than 24 points, then
# at about every n / 23-rd (every 4th or 5th at n = 100, every 35th at 800). A fit from the priors takes about ten
# times a warm fit's iterations (seconds at n = 800), so restarting at every fit would cost more than the rest of the
# ask; this way it adds about 23 / n cold fits per ask (benchmarks/results/traps/restart.md measures the cost).
RESTARTS_PER_DOUBLING = 16


def restarts_from_prior_at(n: int) -> bool:
    """Whether a warm-started fit on ``n`` points is also restarted from the priors' modes. (log2 is exact where
    16 log2 n is a whole number, at powers of two, so the schedule is the same on every machine.)"""
    steps = math.floor(RESTARTS_PER_DOUBLING * math.log2(n))
    return n <= 1 or steps > math.floor(RESTARTS_PER_DOUBLING * math.log2(n - 1))


def matern52(X1: Tensor, X2: Tensor, lengthscale: Tensor) -> Tensor:
    """Matérn-5/2 ARD kernel with unit variance: X1 (m, D), X2 (n, D), lengthscale (D,) -> (m, n)."""
    B = X2 / lengthscale
    return _matern52_scaled(X1 / lengthscale, B, B.square().sum(-1))


def _matern52_scaled(A: Tensor, B: Tensor, B_sq: Tensor) -> Tensor:
    """The kernel of inputs already divided by the lengthscales: A (m, D), B (n, D), B_sq (n,) = |B_i|^2."""
    r2 = (A.square().sum(-1, keepdim=True) + B_sq - 2 * A @ B.transpose(-1, -2)).clamp_min(1e-36)
    r = r2.sqrt()
    return (1 + _SQRT5 * r + (5.0 / 3.0) * r2) * torch.exp(-_SQRT5 * r)


class _MaternPosterior(torch.autograd.Function):
    """Posterior mean and variance of standardised values at query points, with a closed-form backward in them.

    Autograd through the dozen tensor operations of the posterior costs three times the forward pass on the small
    batches the acquisition optimizer evaluates; the gradient is short in closed form. With M = s k0'(r) / r =
    -(5/3) s (1 + sqrt5 r) e^(-sqrt5 r) and G = M * dloss/dk, dloss/dA = A * G 1 - G B, and dA/dx = 1 / ls.

    Inputs: Xq (m, D) query points; B (n, D) training inputs / ls; B_sq (n,) |B_i|^2; ls (D,); s scalar output
    scale; alpha (n,) K^-1 z; L (n, n) lower Cholesky factor of K. Outputs: mean (m,), var (m,) (not clamped).
    Only Xq gets a gradient.
    """

    @staticmethod
    def forward(
        ctx: Any, Xq: Tensor, B: Tensor, B_sq: Tensor, ls: Tensor, s: Tensor, alpha: Tensor, L: Tensor
    ) -> tuple[Tensor, Tensor]:
        A = Xq / ls  # (m, D)
        r2 = (A.square().sum(-1, keepdim=True) + B_sq - 2 * A @ B.T).clamp_min(1e-36)  # (m, n)
        r = r2.sqrt()
        decay = torch.exp(-_SQRT5 * r)
        k = s * (1 + _SQRT5 * r + (5.0 / 3.0) * r2) * decay  # (m, n)
        mean = k @ alpha  # (m,)
        v = torch.linalg.solve_triangular(L, k.T, upper=False)  # (n, m)
        var = s - v.square().sum(0)  # (m,)
        ctx.save_for_backward(A, B, r, decay, v, alpha, L, ls, s)
        return mean, var

    @staticmethod
    def backward(ctx: Any, grad_mean: Tensor | None, grad_var: Tensor | None) -> tuple[Tensor | None, ...]:
        A, B, r, decay, v, alpha, L, ls, s = ctx.saved_tensors
        grad_k = torch.zeros_like(r)  # (m, n) dloss/dk
        if grad_mean is not None:
            grad_k = grad_k + grad_mean.unsqueeze(-1) * alpha
        if grad_var is not None:
            w = torch.linalg.solve_triangular(L.T, v, upper=True)  # (n, m) K^-1 k^T; dvar/dk = -2 w^T
            grad_k = grad_k - 2 * grad_var.unsqueeze(-1) * w.T
        G = grad_k * (-(5.0 / 3.0) * s * (1 + _SQRT5 * r) * decay)  # (m, n)
        grad_A = A * G.sum(-1, keepdim=True) - G @ B  # (m, D)
        return grad_A / ls, None, None, None, None, None, None


def _lengthscale(model: SingleTaskGP) -> Tensor:
    return model.covar_module.base_kernel.lengthscale.reshape(-1)  # (E,)


def _outputscale(model: SingleTaskGP) -> Tensor:
    return model.covar_module.outputscale  # scalar


def _kernel_matrix(model: SingleTaskGP, X: Tensor) -> Tensor:
    """(n, n) kernel matrix of X plus the noise variance on the diagonal."""
    W = _inputs(model, X)
    K = _outputscale(model) * matern52(W, W, _lengthscale(model))
    return K + model.likelihood.noise * torch.eye(X.shape[0], dtype=X.dtype, device=X.device)


def _log_prior(model: SingleTaskGP, like: Tensor, blocks: CategoryBlocks | None = None) -> Tensor:
    """Sum of the log priors; with ``blocks``, a block's lengthscale prior counts once, not once per column."""
    total = like.new_zeros(())
    lengthscale_prior = model.covar_module.base_kernel.lengthscale_prior
    named: Any = SingleTaskGP.named_priors(model)
    for _, module, prior, closure, _ in named:
        log_prob = prior.log_prob(closure(module))
        if blocks is not None and prior is lengthscale_prior:
            log_prob = log_prob * blocks.prior_weights(like)
        total = total + log_prob.sum()
    return total


def _negative_log_posterior(model: SingleTaskGP, X: Tensor, z: Tensor, blocks: CategoryBlocks | None = None) -> Tensor:
    """-(log N(z; c, K) + sum log priors) / n, as gpytorch's ExactMarginalLogLikelihood (negated); with ``blocks``, a
    categorical's lengthscale prior counts once."""
    n = X.shape[0]
    L, _ = robust_cholesky(_kernel_matrix(model, X))
    residual = z.unsqueeze(-1)  # (n, 1), the mean is zero
    alpha = torch.cholesky_solve(residual, L)  # (n, 1)
    log_lik = -0.5 * (residual * alpha).sum() - L.diagonal().log().sum() - 0.5 * n * _LOG_2PI
    return -(log_lik + _log_prior(model, z, blocks)) / n


def _loss_with_gradient(model: SingleTaskGP, X: Tensor, z: Tensor, blocks: CategoryBlocks | None = None) -> Tensor:
    """``_negative_log_posterior``, leaving its gradient in each raw parameter's ``.grad``, all in closed form.

    With K = s Kf + noise I, W = K^-1 - alpha alpha^T and M = 5/3 (1 + sqrt5 r) e^(-sqrt5 r):
    d/dl_j = 0.5 s sum_ik W_ik M_ik (x_ij - x_kj)^2 / l_j^3,  d/ds = 0.5 sum_ik W_ik Kf_ik,  d/dnoise = 0.5 tr W.
    """
    n = X.shape[0]
    X = _inputs(model, X)  # (n, E): no input warp on this path (it takes autograd's)
    ls, s = _lengthscale(model).detach(), _outputscale(model).detach()
    noise = model.likelihood.noise.detach()
    A = X / ls
    A_sq = A.square().sum(-1)  # (n,)
    r2 = (A_sq.unsqueeze(-1) + A_sq - 2 * A @ A.T).clamp_min(0.0)  # (n, n)
    r = r2.sqrt()
    decay = torch.exp(-_SQRT5 * r)
    Kf = (1 + _SQRT5 * r + (5.0 / 3.0) * r2) * decay  # (n, n)
    K = s * Kf
    K.diagonal().add_(noise.squeeze())
    L, _ = robust_cholesky(K)
    alpha = torch.cholesky_solve(z.unsqueeze(-1), L)  # (n, 1)
    data = 0.5 * (z.unsqueeze(-1) * alpha).sum() + L.diagonal().log().sum() + 0.5 * n * _LOG_2PI

    W = torch.cholesky_inverse(L) - alpha @ alpha.T  # (n, n)
    WM = W * ((5.0 / 3.0) * (1 + _SQRT5 * r) * decay)  # (n, n), symmetric
    # sum_ik WM_ik (x_ij - x_kj)^2 = 2 sum_i x_ij^2 (WM 1)_i - 2 x_j^T WM x_j
    spread = 2 * (X.square() * WM.sum(-1, keepdim=True)).sum(0) - 2 * (X * (WM @ X)).sum(0)  # (D,)
    grad_ls = 0.5 * s * spread / ls**3
    grad_s = 0.5 * (W * Kf).sum()
    grad_noise = 0.5 * W.diagonal().sum()

    covar = model.covar_module
    prior_ls, dprior_ls = _lengthscale_log_prior(covar.base_kernel.lengthscale_prior, ls)
    if blocks is not None:
        weights = blocks.prior_weights(ls)
        prior_ls, dprior_ls = prior_ls * weights, dprior_ls * weights
    prior_s, dprior_s = _gamma(covar.outputscale_prior, s)
    prior_noise, dprior_noise = _gamma(model.likelihood.noise_covar.noise_prior, noise)
    raw_ls = covar.base_kernel.raw_lengthscale
    raw_ls.grad = ((grad_ls - dprior_ls) / n).reshape(raw_ls.shape)
    covar.raw_outputscale.grad = ((grad_s - dprior_s) / n).reshape(covar.raw_outputscale.shape)
    model.likelihood.noise_covar.raw_noise.grad = (grad_noise - dprior_noise) / n
    return (data - prior_ls.sum() - prior_s.sum() - prior_noise.sum()) / n


def _loss_with_autograd(model: SingleTaskGP, X: Tensor, z: Tensor, blocks: CategoryBlocks | None = None) -> Tensor:
    """``_negative_log_posterior`` with its gradient left in ``.grad`` by autograd (for parameters, such as an input
    warp's, that the closed form does not cover)."""
    with torch.enable_grad():
        loss = _negative_log_posterior(model, X, z, blocks)
        loss.backward()
    return loss.detach()


def _lengthscale_log_prior(prior: Prior, x: Tensor) -> tuple[Tensor, Tensor]:
    """log p(l) and d log p / dl for either lengthscale prior, elementwise."""
    if isinstance(prior, BoxLengthscalePrior):
        return prior.log_prob(x), -2 * prior.strength.to(x) * (x - x.pow(-3))
    return _log_normal(cast(LogNormalPrior, prior), x)


def _prior_mode(prior: Prior) -> float:
    return 1.0 if isinstance(prior, BoxLengthscalePrior) else float(cast(LogNormalPrior, prior).mode)


def _log_normal(prior: LogNormalPrior, x: Tensor) -> tuple[Tensor, Tensor]:
    """log p(x) and d log p / dx for a log-normal prior, elementwise."""
    loc, scale = prior.loc.to(x), prior.scale.to(x)
    log_x = x.log()
    centred, variance = log_x - loc, scale**2
    value = -log_x - scale.log() - 0.5 * _LOG_2PI - centred.square() / (2 * variance)
    return value, -(1 + centred / variance) / x


def _gamma(prior: GammaPrior, x: Tensor) -> tuple[Tensor, Tensor]:
    """log p(x) and d log p / dx for a gamma prior (shape a, rate b), elementwise."""
    a, b = prior.concentration.to(x), prior.rate.to(x)
    a_less_one = a - 1
    value = a * b.log() - torch.lgamma(a) + a_less_one * x.log() - b * x
    return value, a_less_one / x - b


def _maximise_posterior(
    model: SingleTaskGP, X: Tensor, z: Tensor, *, max_iter: int, blocks: CategoryBlocks | None = None
) -> float:
    """L-BFGS-B over the raw hyperparameters, from their current values; returns the loss reached (infinite if the
    fit failed and the starting values were kept).

    Parameters bounded below by a positive number (lengthscales, noise) are searched in log space, where the loss
    is far better conditioned: a warm-started fit then takes a handful of iterations. With ``blocks``, the
    lengthscales of a categorical's columns are one variable of the solver (``member`` maps the P elements of the
    model's parameters to the solver's variables), capped at ``blocks.max_lengthscale``.
    """
    params, bounds = get_parameters_and_bounds(model)
    names = list(params)
    sizes = [params[k].numel() for k in names]
    lower = np.concatenate([_bound(bounds.get(k), 0, s, -np.inf) for k, s in zip(names, sizes, strict=True)])
    upper = np.concatenate([_bound(bounds.get(k), 1, s, np.inf) for k, s in zip(names, sizes, strict=True)])
    member = np.arange(lower.size)  # (P,) the solver variable of each element
    capped = np.zeros(lower.size, dtype=bool)  # (P,) the lengthscales of categoricals' columns
    if blocks is not None:
        offset = _offset_of(names, sizes, "covar_module.base_kernel.raw_lengthscale")
        member[offset : offset + blocks.dim] = offset + blocks.groups()
        for first, stop in blocks.blocks:
            capped[offset + first : offset + stop] = True
        upper[capped] = np.minimum(upper[capped], blocks.max_lengthscale)
    free, member = np.unique(member, return_inverse=True)  # free (F,): a representative element of each variable
    logged = (lower > 0) & (np.isinf(upper) | capped)  # (P,) elements searched as log(value)
    start = np.concatenate([params[k].detach().cpu().double().flatten().numpy() for k in names])
    start = np.clip(start, lower, upper)
    start[logged] = np.log(start[logged])
    lower[logged] = np.log(lower[logged])
    upper[logged & capped] = np.log(upper[logged & capped])
    # a variable starts at the mean of its elements (a warm start from an untied fit), within its bounds
    start = np.bincount(member, weights=start) / np.bincount(member)
    lower, upper, logged = lower[free], upper[free], logged[free]

    def assign(x: np.ndarray) -> np.ndarray:
        values = x.copy()
        values[logged] = np.exp(values[logged])
        values = values[member]
        offset = 0
        with torch.no_grad():
            for name, size in zip(names, sizes, strict=True):
                value = torch.as_tensor(values[offset : offset + size], dtype=X.dtype, device=X.device)
                params[name].copy_(value.reshape(params[name].shape))
                offset += size
        return values

    objective = _loss_with_autograd if hasattr(model, "input_warp") else _loss_with_gradient

    def loss_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        values = assign(x)
        for p in params.values():
            p.grad = None
        try:
            loss = objective(model, X, z, blocks)
        except (CholeskyError, ValueError, torch.linalg.LinAlgError):  # a probe outside a prior's support, ...
            return _FAILED, np.zeros_like(x)
        if not torch.isfinite(loss):
            return _FAILED, np.zeros_like(x)
        grad = np.bincount(member, weights=np.concatenate([_grad(params[k]) for k in names]), minlength=free.size)
        grad[logged] *= values[free][logged]  # chain rule through value = exp(x)
        return float(loss), grad

    with warnings.catch_warnings(), single_threaded_blas():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's line search may probe extreme values
        result: Any = minimize(
            loss_and_grad, start, jac=True, method="L-BFGS-B", bounds=list(zip(lower, upper, strict=True)),
            options={"maxiter": max_iter, "ftol": 1e-8, "gtol": 1e-3},
        )  # fmt: skip
    if np.isfinite(result.fun) and result.fun < _FAILED:
        assign(result.x)
        return float(result.fun)
    warnings.warn("GP: hyperparameter fit failed numerically; kept the starting values", NumericalWarning, stacklevel=3)
    assign(start)
    return math.inf


_FAILED = 1e10  # loss reported to L-BFGS-B where the kernel matrix cannot be factorised


def _offset_of(names: list[str], sizes: list[int], name: str) -> int:
    """Where parameter ``name`` starts in the flat vector of ``names`` with ``sizes``."""
    return sum(sizes[: names.index(name)])


def _bound(pair: Any, side: int, size: int, default: float) -> np.ndarray:
    value = None if pair is None else pair[side]
    if value is None:
        return np.full(size, default)
    return np.broadcast_to(value.detach().cpu().double().numpy(), (size,)).copy()


def _grad(p: Tensor) -> np.ndarray:
    if p.grad is None:
        return np.zeros(p.numel())
    return p.grad.detach().cpu().double().flatten().numpy()
