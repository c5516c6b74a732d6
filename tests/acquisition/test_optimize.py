"""The acquisition optimizer: finds known maxima on continuous and mixed spaces, never returns excluded points."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch import Tensor, nn

from bohpo.acquisition import ExpectedImprovement, MultiStartOptimizer, optimize_acquisition, optimize_by_sampling
from bohpo.acquisition.optimize import _neighbours, _refine
from bohpo.errors import NumericalWarning
from bohpo.space import Categorical, Float, Int, Space
from bohpo.surrogates import TPE
from tests.conftest import DTYPES


class Bowl(nn.Module):
    """-|x - target|^2, largest at ``target`` (b, D) -> (b,)."""

    def __init__(self, target: Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target)
        self.calls = 0

    def forward(self, X: Tensor) -> Tensor:
        self.calls += 1
        return -(X - self.target).square().sum(-1)


def test_finds_the_maximum_of_a_continuous_bowl() -> None:
    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(4)})
    target = torch.tensor([0.123, 0.876, 0.5, 0.31], dtype=torch.float64)
    x, value = optimize_acquisition(Bowl(target), space, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4,) and (x - target).abs().max() < 1e-4 and value.item() > -1e-8


class NaNGradientBowl(Bowl):
    """The bowl's values with a NaN gradient: a masked branch of a torch.where that is 0 * inf in backward."""

    def forward(self, X: Tensor) -> Tensor:
        infinite = torch.full_like(X[:, :1], -torch.inf)
        masked = (infinite - X[:, :1]) / X[:, :1].clamp_min(1e-3)  # its gradient in X is inf, times 0 below: NaN
        return super().forward(X) + torch.where(torch.zeros_like(masked, dtype=torch.bool), masked, 0.0).sum(-1)


@pytest.mark.parametrize("refine", ["stacked", "each"])
def test_a_nan_gradient_under_finite_values_is_warned_about_not_hidden(refine: str) -> None:
    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(2)})
    target = torch.tensor([0.3, 0.6], dtype=torch.float64)
    with pytest.warns(NumericalWarning, match="finite \\(at 10 of 10 starts\\)"):  # every start, counted once
        optimize_acquisition(NaNGradientBowl(target), space, generator=torch.Generator().manual_seed(0), refine=refine)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NumericalWarning)  # a sound gradient: no warning
        optimize_acquisition(Bowl(target), space, generator=torch.Generator().manual_seed(0), refine=refine)


def test_mixed_space_lands_on_the_lattice_at_the_best_combination() -> None:
    space = Space({"x": Float(0.0, 1.0), "k": Int(0, 9), "c": Categorical(["a", "b", "c"])})
    # best: x = 0.3, k = 7, c = "b"; the int's encoded centre for 7 is 7.5 / 10
    target = torch.tensor([0.3, 0.75, 0.0, 1.0, 0.0], dtype=torch.float64)
    x, _ = optimize_acquisition(Bowl(target), space, generator=torch.Generator().manual_seed(1))
    assert space.decode(x.unsqueeze(0))[0] == {"x": space.decode(x.unsqueeze(0))[0]["x"], "k": 7, "c": "b"}
    assert abs(x[0].item() - 0.3) < 1e-4
    torch.testing.assert_close(x, space.snap(x.unsqueeze(0))[0])  # exactly on the lattice


def test_categories_are_searched_not_rounded() -> None:
    # The relaxed optimum sits between choices a and c (0.5 each); rounding it would pick a, but c is better.
    space = Space({"c": Categorical(["a", "b", "c"]), "k": Int(0, 3)})

    class Table(nn.Module):
        def forward(self, X: Tensor) -> Tensor:
            score = torch.tensor([1.0, 0.0, 1.2], dtype=X.dtype) @ X[:, :3].T
            return score - (X[:, 3] - 0.625).abs()

    x, _ = optimize_acquisition(Table(), space, generator=torch.Generator().manual_seed(2), n_raw=4)
    assert space.decode(x.unsqueeze(0))[0] == {"c": "c", "k": 2}


@pytest.mark.parametrize("dtype", DTYPES)
def test_excluded_points_are_never_returned(dtype: torch.dtype) -> None:
    space = Space({"k": Int(0, 4), "c": Categorical(["a", "b"]), "w": Int(1, 1000, log=True)})
    best = space.encode([{"k": 2, "c": "b", "w": 7}], dtype=dtype)
    seen = [best]
    for _ in range(9):
        x, _ = optimize_acquisition(
            Bowl(best[0]), space, generator=torch.Generator().manual_seed(3), exclude=torch.cat(seen), dtype=dtype
        )
        assert x.dtype == dtype
        keys = {space.key(c) for c in space.decode(torch.cat(seen))}
        assert space.key(space.decode(x.unsqueeze(0))[0]) not in keys
        seen.append(x.unsqueeze(0))
    assert len({space.key(c) for c in space.decode(torch.cat(seen))}) == 10


def test_a_fully_excluded_space_still_gives_an_answer() -> None:
    space = Space({"c": Categorical(["a", "b"])})
    everything = space.encode(space.grid())
    x, _ = optimize_acquisition(Bowl(everything[0]), space, generator=torch.Generator(), exclude=everything)
    assert x.shape == (2,) and space.decode(x.unsqueeze(0))[0]["c"] in ("a", "b")


def test_restarts_are_refined_together_not_one_by_one() -> None:
    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(3)})
    target = torch.tensor([0.2, 0.4, 0.6], dtype=torch.float64)
    calls = []
    for n_restarts in (2, 32):
        bowl = Bowl(target)
        optimize_acquisition(bowl, space, generator=torch.Generator().manual_seed(0), n_restarts=n_restarts)
        calls.append(bowl.calls)
    assert calls[1] < 2 * calls[0]  # sixteen times the restarts, not sixteen times the calls


def test_restarts_refined_each_on_their_own_end_as_if_refined_alone() -> None:
    # Two bumps a thousand times apart in height, starts near each and between: each restart's run is its own (the
    # same point, to the last bit, as that restart refined alone), and climbs to its own peak; later calls carry only
    # the runs still going.
    space = Space({"x0": Float(0.0, 1.0), "x1": Float(0.0, 1.0)})
    peaks = torch.tensor([[0.25, 0.25], [0.75, 0.7]], dtype=torch.float64)
    sizes: list[int] = []

    class TwoBumps(nn.Module):
        def forward(self, X: Tensor) -> Tensor:
            sizes.append(X.shape[0])
            near = -(X.unsqueeze(-2) - peaks).square().sum(-1) / 0.02  # (b, 2)
            return torch.logsumexp(near + torch.tensor([0.0, -math.log(1e3)], dtype=X.dtype), -1)

    starts = torch.tensor([[0.3, 0.2], [0.7, 0.75], [0.5, 0.45], [0.9, 0.1]], dtype=torch.float64)
    together = _refine(TwoBumps(), space, starts, max_iter=100, scales=None, refine="each")
    assert sizes[0] == 4 and min(sizes) < 4
    for i in range(starts.shape[0]):
        alone = _refine(TwoBumps(), space, starts[i : i + 1], max_iter=100, scales=None, refine="each")
        assert torch.equal(together[i], alone[0])
    assert torch.allclose(together[:2], peaks, atol=2e-3)
    x, _ = optimize_acquisition(TwoBumps(), space, generator=torch.Generator().manual_seed(0), refine="each")
    assert torch.allclose(x, peaks[0], atol=1e-3)


def test_an_unknown_refinement_is_refused_naming_it() -> None:
    space = Space({"x": Float(0.0, 1.0)})
    with pytest.raises(ValueError, match="refine must be one of"):
        optimize_acquisition(Bowl(torch.zeros(1)), space, generator=torch.Generator(), refine="joint")
    with pytest.raises(ValueError, match="refine must be one of"):
        MultiStartOptimizer(refine="Each")


def test_incumbent_perturbations_reach_a_narrow_peak() -> None:
    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(6)})
    target = torch.full((6,), 0.61803, dtype=torch.float64)

    class Needle(nn.Module):
        def forward(self, X: Tensor) -> Tensor:
            return torch.exp(-(X - target).square().sum(-1) / 1e-4)

    near = (target + 0.01).unsqueeze(0)
    x, _ = optimize_acquisition(Needle(), space, generator=torch.Generator().manual_seed(4), incumbents=near)
    assert (x - target).abs().max() < 1e-3


def test_same_generator_same_answer() -> None:
    space = Space({"x": Float(0.0, 1.0), "c": Categorical(["a", "b"])})
    target = torch.tensor([0.4, 0.2, 0.8], dtype=torch.float64)
    a, _ = optimize_acquisition(Bowl(target), space, generator=torch.Generator().manual_seed(5))
    b, _ = optimize_acquisition(Bowl(target), space, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_scaled_refinement_converges_faster_on_an_anisotropic_landscape() -> None:
    # A bowl stretched 30x along x0: given its length scales, the refinement sees a round bowl.
    space = Space({"x0": Float(0.0, 1.0), "x1": Float(0.0, 1.0)})
    target = torch.tensor([0.3, 0.7], dtype=torch.float64)
    widths = torch.tensor([1.0, 1 / 30], dtype=torch.float64)

    class Stretched(Bowl):
        def forward(self, X: Tensor) -> Tensor:
            self.calls += 1
            return -((X - self.target) / widths).square().sum(-1)

    values, calls = [], []
    for scales in (None, widths):
        bowl = Stretched(target)
        _, value = optimize_acquisition(
            bowl, space, generator=torch.Generator().manual_seed(0), n_restarts=4, scales=scales
        )
        values.append(value.item())
        calls.append(bowl.calls)
    assert values[1] > -1e-10 and values[1] >= values[0]  # at least as close, in fewer calls
    assert calls[1] < calls[0]


@pytest.mark.parametrize("scales", [torch.ones(3), torch.tensor([1.0, 0.0]), torch.tensor([1.0, float("nan")])])
def test_bad_scales_are_refused(scales: Tensor) -> None:
    space = Space({"x0": Float(0.0, 1.0), "x1": Float(0.0, 1.0)})
    with pytest.raises(ValueError, match="scales must be a \\(2,\\) tensor of finite positive numbers"):
        optimize_acquisition(Bowl(torch.zeros(2)), space, generator=torch.Generator(), scales=scales)


# -- by sampling, for a density-ratio surrogate -----------------------------------------------------------------


def _tpe_on(space: Space, multivariate: bool, n: int = 30) -> TPE:
    configs = space.sample(n, generator=torch.Generator().manual_seed(20))
    X = space.encode(configs)
    return TPE(multivariate=multivariate).bind(space).fit(X, (X - 0.6).square().sum(-1))


def test_sampling_finds_the_best_of_all_combinations_when_the_ratio_factors() -> None:
    """Univariate TPE: the point returned scores as well as the best of the n_candidates^P combinations of the
    candidates' parameter values, found by brute force."""
    space = Space({"x": Float(0.0, 1.0), "k": Int(0, 9), "c": Categorical(["a", "b", "c"])})
    tpe = _tpe_on(space, multivariate=False)
    acquisition = ExpectedImprovement(tpe)
    x, value = optimize_by_sampling(
        acquisition, tpe, space, generator=torch.Generator().manual_seed(21), n_candidates=8
    )
    candidates = space.snap(tpe.sample_good(8, generator=torch.Generator().manual_seed(21)))
    i, j, k = torch.meshgrid(torch.arange(8), torch.arange(8), torch.arange(8), indexing="ij")
    grid = torch.cat([candidates[i.flatten(), :1], candidates[j.flatten(), 1:2], candidates[k.flatten(), 2:]], -1)
    assert value.item() == pytest.approx(acquisition(grid).max().item(), rel=1e-12)
    assert value.item() > acquisition(candidates).max().item()  # the combination beats every single candidate
    assert torch.equal(space.snap(x.unsqueeze(0))[0], x)


def test_sampling_takes_the_best_candidate_when_the_ratio_does_not_factor() -> None:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    tpe = _tpe_on(space, multivariate=True)
    acquisition = ExpectedImprovement(tpe)
    x, _ = optimize_by_sampling(acquisition, tpe, space, generator=torch.Generator().manual_seed(22))
    candidates = tpe.sample_good(24, generator=torch.Generator().manual_seed(22))
    assert torch.equal(x, candidates[acquisition(candidates).argmax()])


@pytest.mark.parametrize("multivariate", [True, False])
def test_sampling_never_returns_an_excluded_point(multivariate: bool) -> None:
    space = Space({"k": Int(0, 3), "c": Categorical(["a", "b"])})  # eight configurations
    tpe = _tpe_on(space, multivariate, n=8)
    everything = space.encode(space.grid({"k": 4}))
    for keep in range(8):
        exclude = torch.cat([everything[:keep], everything[keep + 1 :]])
        x, value = optimize_by_sampling(
            ExpectedImprovement(tpe), tpe, space, generator=torch.Generator().manual_seed(keep), exclude=exclude
        )
        assert torch.equal(x, everything[keep]) and torch.isfinite(value)
    _, value = optimize_by_sampling(
        ExpectedImprovement(tpe), tpe, space, generator=torch.Generator().manual_seed(0), exclude=everything
    )
    assert value.item() == -torch.inf


def test_neighbours_are_every_one_parameter_move_in_order() -> None:
    space = Space({"x": Float(0.0, 1.0), "k": Int(0, 3), "c": Categorical(["a", "b", "c"]), "f": Categorical([0, 1])})
    configs = [
        {"x": 0.2, "k": 0, "c": "a", "f": 1},
        {"x": 0.9, "k": 3, "c": "c", "f": 0},
        {"x": 0.5, "k": 2, "c": "b", "f": 0},
    ]
    X = space.encode(configs)
    moves, owners = _neighbours(space, X)
    # oracle, in configuration terms: each parameter in turn, each of its values in turn, then each row
    expected, expected_owners = [], []
    for name, values in (("k", None), ("c", ["a", "b", "c"]), ("f", [0, 1])):
        steps = [-1, 1] if values is None else values
        for step in steps:
            for row, config in enumerate(configs):
                value = config["k"] + step if values is None else step
                if value == config[name] or (values is None and not 0 <= value <= 3):
                    continue
                expected.append({**config, name: value})
                expected_owners.append(row)
    assert space.decode(moves) == expected and owners.tolist() == expected_owners
    assert torch.equal(moves[:, 0], X[owners, 0])  # floats never move
