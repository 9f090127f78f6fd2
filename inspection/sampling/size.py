"""How many cases to sample to estimate a proportion to a given margin of error.

For a proportion ``p`` estimated to ±``margin`` with ``confidence`` (two-sided, normal
approximation): ``n0 = z² p (1 - p) / margin²`` with ``z`` the standard normal quantile at
``(1 + confidence) / 2``. With a finite population of ``N``, the finite population correction
gives ``n = n0 / (1 + (n0 - 1) / N)``. Both are rounded up, and never exceed ``N``.
``p = 0.5`` (the default) is the cautious choice: it gives the largest sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist


class SizeError(ValueError):
    pass


@dataclass(frozen=True)
class SampleSize:
    margin: float
    confidence: float
    expected: float
    z: float
    infinite: int  # n0 rounded up: the size for a very large population
    population: int | None
    size: int  # with the finite population correction when a population is given


def _check(margin: float, confidence: float, expected: float) -> None:
    if not 0 < margin < 1:
        raise SizeError("The margin of error must be between 0 and 1 (e.g. 0.10 for ±10 points).")
    if not 0 < confidence < 1:
        raise SizeError("The confidence must be between 0 and 1 (e.g. 0.95).")
    if not 0 < expected < 1:
        raise SizeError("The expected proportion must be between 0 and 1 (0.5 if unknown).")


def sample_size(
    margin: float, confidence: float = 0.95, expected: float = 0.5, population: int | None = None
) -> SampleSize:
    """The sample size for one population (or an infinite one when ``population`` is None)."""
    _check(margin, confidence, expected)
    if population is not None and population < 1:
        raise SizeError("The population must have at least one member.")
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    n0 = z * z * expected * (1 - expected) / (margin * margin)
    # Round up, but not past float noise (96.0000000001 is 96).
    infinite = math.ceil(round(n0, 9))
    size = infinite
    if population is not None:
        size = min(population, math.ceil(round(n0 / (1 + (n0 - 1) / population), 9)))
    return SampleSize(margin, confidence, expected, z, infinite, population, size)


def sizes_by_stratum(
    strata: Mapping[str, int], margin: float, confidence: float = 0.95, expected: float = 0.5
) -> dict[str, SampleSize]:
    """The size each stratum needs for the same precision within that stratum."""
    return {
        name: sample_size(margin, confidence, expected, count)
        for name, count in sorted(strata.items())
    }
