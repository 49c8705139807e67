"""When to try a failed request again: exponential backoff, jitter, and the server's word.

The wait before attempt ``n + 1`` (after ``n`` failures) is::

    retry_after                                  if the server sent Retry-After (capped)
    min(max_delay, base_delay · 2^(n-1)) · (1 − jitter · u)      otherwise, u ~ U[0, 1)

``u`` comes from a :class:`random.Random` seeded with the sample id, so the waits are the same on
every run whatever the thread scheduling (no global random state); ``jitter = 0`` turns it off.
Jitter spreads out the retries of requests that failed together (say, on one 429 burst).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from sgbench.boundary import public_class
from sgbench.errors import InputError
from sgbench.runner.client import MAX_TIMEOUT

MAX_ATTEMPTS = 100
"""Most attempts per sample (``--max-attempts``): a failing server is asked at most this often."""


@public_class
@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry (see the module docstring for the formula)."""

    max_attempts: int = 6
    """Attempts per sample, the first included; then the failure is recorded as an error line."""
    base_delay: float = 1.0
    """Seconds before the second attempt (before jitter)."""
    max_delay: float = 30.0
    """Cap of the exponential backoff, in seconds."""
    max_retry_after: float = 60.0
    """Cap on a server's ``Retry-After``, in seconds, so one header cannot stall a run."""
    jitter: float = 0.5
    """Fraction of the backoff that is random, in [0, 1]; 0 for fixed waits."""

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS:
            raise InputError(f"max_attempts {self.max_attempts}: must lie in 1..{MAX_ATTEMPTS}")
        delays = (self.base_delay, self.max_delay, self.max_retry_after)
        # A wait is slept with a timer, which overflows far beyond a day (as --timeout does).
        if not all(math.isfinite(d) and 0 <= d <= MAX_TIMEOUT for d in delays):
            raise InputError(f"retry delays must be finite seconds in 0..{MAX_TIMEOUT:g}")
        if not 0.0 <= self.jitter <= 1.0:
            raise InputError(f"jitter {self.jitter}: must lie in [0, 1]")


def retry_delay(
    policy: RetryPolicy, failures: int, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait after ``failures`` (≥ 1) failed attempts; formula in the module docstring."""
    if retry_after is not None:
        return min(retry_after, policy.max_retry_after)
    backoff = min(policy.max_delay, policy.base_delay * 2.0 ** (failures - 1))
    return backoff * (1.0 - policy.jitter * rng.random()) if policy.jitter else backoff


def sample_rng(sample_id: str) -> random.Random:
    """The jitter generator of one sample, seeded with its id (deterministic across runs)."""
    return random.Random(f"sgbench-retry:{sample_id}")
