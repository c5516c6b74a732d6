"""Turning a user's ``seed`` into independent, reproducible random streams.

A searcher reduces whatever seed it is given to one integer, its *entropy*, once, at construction. Every random
stream it needs afterwards is derived from that entropy and a *key* (a tuple of small integers naming the stream,
such as ``(ask_index,)``) through :class:`numpy.random.SeedSequence`. The stream for a key never depends on what was
drawn before, so a searcher rebuilt from its entropy and counters continues exactly where the original stopped.
No global random state is read or written.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["SeedLike", "derive_seed", "numpy_generator", "seed_entropy", "torch_generator"]

SeedLike = int | np.integer | np.random.SeedSequence | np.random.Generator | torch.Generator | None

_MAX_TORCH_SEED = 2**63 - 1


def seed_entropy(seed: SeedLike, *, name: str = "seed") -> int:
    """Reduce a seed to one non-negative integer.

    Args:
        seed: A non-negative int; a ``SeedSequence``; a numpy or torch generator (one number is drawn from it, so
            the generator advances); or ``None`` for fresh entropy from the operating system (the result is kept by
            the caller, so such a run can still be repeated).
        name: The argument's name, for error messages.

    Returns:
        A non-negative Python int.

    Example:
        >>> seed_entropy(7)
        7
        >>> seed_entropy(torch.Generator().manual_seed(0)) == seed_entropy(torch.Generator().manual_seed(0))
        True
    """
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool):
        raise TypeError(f"{name} must be an int, a generator or None, got the bool {seed!r}")
    if isinstance(seed, (int, np.integer)):
        if seed < 0:
            raise ValueError(f"{name} must be a non-negative int, got {seed!r}")
        return int(seed)
    if isinstance(seed, np.random.SeedSequence):
        words = seed.generate_state(4, np.uint32)
        return sum(int(w) << (32 * i) for i, w in enumerate(words))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, _MAX_TORCH_SEED, dtype=np.int64))
    if isinstance(seed, torch.Generator):
        draw = torch.randint(0, _MAX_TORCH_SEED, (1,), generator=seed, device=seed.device, dtype=torch.int64)
        return int(draw.item())
    raise TypeError(
        f"{name} must be an int, a numpy.random.SeedSequence, a numpy or torch generator, or None; "
        f"got {type(seed).__name__} {seed!r}"
    )


def derive_seed(entropy: int, *key: int) -> int:
    """A 63-bit integer seed for the stream ``key`` of ``entropy`` (for engines that take an int seed)."""
    words = np.random.SeedSequence(entropy, spawn_key=key).generate_state(2, np.uint32)
    return ((int(words[0]) << 32) | int(words[1])) & _MAX_TORCH_SEED


def torch_generator(entropy: int, *key: int) -> torch.Generator:
    """A CPU ``torch.Generator`` for the stream ``key`` of ``entropy``.

    Random tensors are drawn on the CPU with it and then moved, so a seed gives the same numbers on any device.

    Example:
        >>> a = torch.rand(2, generator=torch_generator(0, 3))
        >>> b = torch.rand(2, generator=torch_generator(0, 3))
        >>> bool((a == b).all()), bool((a == torch.rand(2, generator=torch_generator(0, 4))).any())
        (True, False)
    """
    return torch.Generator().manual_seed(derive_seed(entropy, *key))


def numpy_generator(entropy: int, *key: int) -> np.random.Generator:
    """A numpy ``Generator`` for the stream ``key`` of ``entropy``."""
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=key))
