"""Agreement between two markers: percentage agreement, Cohen's kappa with quadratic weights,
Gwet's AC1. Pure functions over paired category indices (0 = best grade).

Each statistic comes with its number of pairs. Kappa is undefined (``None``) when the chance
agreement is perfect (for example every grade the same), AC1 when there are no pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    pairs: int
    agreed: int
    percent_agreement: float | None
    kappa_quadratic: float | None
    gwet_ac1: float | None


def contingency(first: Sequence[int], second: Sequence[int], categories: int) -> list[list[int]]:
    if len(first) != len(second):
        raise ValueError("Both markers must grade the same cases.")
    table = [[0] * categories for _ in range(categories)]
    for a, b in zip(first, second, strict=True):
        table[a][b] += 1
    return table


def percent_agreement(table: list[list[int]]) -> float | None:
    n = sum(map(sum, table))
    return sum(table[i][i] for i in range(len(table))) / n if n else None


def cohen_kappa_quadratic(table: list[list[int]]) -> float | None:
    """Weighted kappa with disagreement weights (i - j)^2 / (k - 1)^2."""
    k = len(table)
    n = sum(map(sum, table))
    if n == 0 or k < 2:
        return None
    rows = [sum(r) for r in table]
    cols = [sum(table[i][j] for i in range(k)) for j in range(k)]
    observed = expected = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            observed += w * table[i][j] / n
            expected += w * rows[i] * cols[j] / (n * n)
    if expected == 0:
        return None
    return 1 - observed / expected


def gwet_ac1(table: list[list[int]]) -> float | None:
    """Gwet (2008) AC1 for two raters over all ``k`` categories of the scale."""
    k = len(table)
    n = sum(map(sum, table))
    if n == 0 or k < 2:
        return None
    pa = sum(table[i][i] for i in range(k)) / n
    pe = 0.0
    for q in range(k):
        pi_q = (sum(table[q]) + sum(table[i][q] for i in range(k))) / (2 * n)
        pe += pi_q * (1 - pi_q)
    pe /= k - 1
    return (pa - pe) / (1 - pe)


def agreement(first: Sequence[int], second: Sequence[int], categories: int) -> Agreement:
    table = contingency(first, second, categories)
    n = len(first)
    return Agreement(
        pairs=n,
        agreed=sum(table[i][i] for i in range(categories)),
        percent_agreement=percent_agreement(table),
        kappa_quadratic=cohen_kappa_quadratic(table),
        gwet_ac1=gwet_ac1(table),
    )


def within_one_grade(table: list[list[int]]) -> int:
    """How many pairs are at most one grade apart (the exact agreements among them)."""
    k = len(table)
    return sum(table[i][j] for i in range(k) for j in range(k) if abs(i - j) <= 1)
