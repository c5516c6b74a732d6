"""Seeding: every seed form reduces to one integer; streams are independent and reproducible."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from bohpo.seeding import derive_seed, numpy_generator, seed_entropy, torch_generator


def test_seed_forms_reduce_to_integers() -> None:
    assert seed_entropy(5) == 5 and seed_entropy(np.int64(5)) == 5
    assert seed_entropy(torch.Generator().manual_seed(1)) == seed_entropy(torch.Generator().manual_seed(1))
    assert seed_entropy(np.random.default_rng(1)) == seed_entropy(np.random.default_rng(1))
    assert seed_entropy(np.random.SeedSequence(1)) == seed_entropy(np.random.SeedSequence(1))
    fresh = {seed_entropy(None) for _ in range(3)}
    assert len(fresh) == 3 and all(e >= 0 for e in fresh)


def test_a_generator_seed_advances_the_generator() -> None:
    g = torch.Generator().manual_seed(1)
    assert seed_entropy(g) != seed_entropy(g)


@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [
        (-1, ValueError, r"seed must be a non-negative int, got -1"),
        (True, TypeError, r"seed must be an int, a generator or None, got the bool True"),
        (1.5, TypeError, r"got float 1\.5"),
        ("7", TypeError, r"got str '7'"),
    ],
)
def test_bad_seeds_are_rejected(seed: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        seed_entropy(seed)


def test_streams_are_reproducible_and_independent() -> None:
    same = torch.rand(4, generator=torch_generator(9, 0, 1)), torch.rand(4, generator=torch_generator(9, 0, 1))
    assert torch.equal(*same)
    assert not torch.equal(same[0], torch.rand(4, generator=torch_generator(9, 0, 2)))
    assert not torch.equal(same[0], torch.rand(4, generator=torch_generator(10, 0, 1)))
    assert numpy_generator(9, 3).random() == numpy_generator(9, 3).random() != numpy_generator(9, 4).random()
    assert 0 <= derive_seed(2**100, 1) < 2**63
