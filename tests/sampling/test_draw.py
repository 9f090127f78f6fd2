import hashlib
import math
import random

import pytest
from scipy.stats import chi2

from inspection.sampling import draw as d


def population(sizes: dict[str, int], seed: int = 7) -> dict[str, str]:
    rng = random.Random(seed)
    ids = rng.sample(range(1, 100_000), sum(sizes.values()))
    labels = [s for s, n in sizes.items() for _ in range(n)]
    return {str(i): label for i, label in zip(ids, labels, strict=True)}


def test_draw_does_not_depend_on_input_order():
    pop = population({"A": 40, "B": 25, "C": 9})
    items = list(pop.items())
    random.Random(3).shuffle(items)
    shuffled = dict(items)
    params = d.make_params(12, "proportional", "team", reserve=3)
    first = d.run(d.canonical_frame(pop), "ab12", params)
    second = d.run(d.canonical_frame(shuffled), "ab12", params)
    assert first == second
    assert d.snapshot_hash(d.canonical_frame(pop)) == d.snapshot_hash(d.canonical_frame(shuffled))


def test_known_answer_pins_the_algorithm():
    # Pins the documented method: if numpy's PCG64 stream or our steps change, this fails.
    pop = {str(i): "" for i in range(1, 21)}
    result = d.run(d.canonical_frame(pop), "00ff", d.make_params(4, "simple", reserve=2))
    assert [(m.key, m.role) for m in result.members] == [
        ("6", "selected"),
        ("18", "selected"),
        ("11", "selected"),
        ("1", "selected"),
        ("3", "reserve"),
        ("8", "reserve"),
    ]
    frame = d.canonical_frame({"2": "x", "10": "y"})
    assert frame.keys == ["10", "2"]
    keys = hashlib.sha256(b"10\n2\n").digest()
    strata = hashlib.sha256(b"y\nx\n").digest()
    assert d.snapshot_hash(frame) == hashlib.sha256(keys + strata).hexdigest()


def test_known_answer_is_reproducible_by_hand():
    import numpy as np

    pop = {str(i): "" for i in range(1, 21)}
    keys = sorted(pop)
    stream = int.from_bytes(hashlib.sha256(bytes.fromhex("00ff") + b"\x00").digest(), "big")
    raw = np.random.PCG64(stream).random_raw(20)
    by_hand = [keys[i] for i in sorted(range(20), key=lambda i: (int(raw[i]), i))[:6]]
    result = d.run(d.canonical_frame(pop), "00ff", d.make_params(4, "simple", reserve=2))
    assert [m.key for m in result.members] == by_hand


def test_proportional_allocation_uses_largest_remainder():
    assert d.allocate({"A": 20, "B": 10}, 7, "proportional") == {"A": 5, "B": 2}
    # 10 * (33, 33, 34) / 100 = 3.3, 3.3, 3.4: the spare unit goes to the largest remainder.
    assert d.allocate({"a": 33, "b": 33, "c": 34}, 10, "proportional") == {"a": 3, "b": 3, "c": 4}
    # Equal remainders: the larger stratum, then the earlier label.
    assert d.allocate({"a": 1, "b": 1}, 1, "proportional") == {"a": 1, "b": 0}


def test_equal_minimum_and_quota_allocations():
    assert d.allocate({"a": 5, "b": 1, "c": 10}, 9, "equal") == {"a": 4, "b": 1, "c": 4}
    assert d.allocate({"a": 5, "b": 5, "c": 5}, 7, "equal") == {"a": 3, "b": 2, "c": 2}
    assert d.allocate({"a": 5, "b": 1, "c": 10}, 9, "minimum", minimum=2) == {
        "a": 3,
        "b": 1,
        "c": 5,
    }
    assert d.allocate({"T1": 5, "T2": 3, "T3": 9}, 0, "quota", quotas={"T1": 2, "T2": 4}) == {
        "T1": 2,
        "T2": 3,
        "T3": 0,
    }
    with pytest.raises(d.DrawError, match="needs a sample of at least 6, not 5"):
        d.allocate({"a": 5, "b": 5, "c": 5}, 5, "minimum", minimum=2)
    with pytest.raises(d.DrawError, match="larger than the population"):
        d.allocate({"": 3}, 4, "simple")


def test_stratum_allocations_are_exact_and_weights_sum_to_population():
    sizes = {"A": 137, "B": 52, "C": 11, "D": 300}
    frame = d.canonical_frame(population(sizes))
    for allocation, minimum in (("proportional", 0), ("equal", 0), ("minimum", 10)):
        params = d.make_params(60, allocation, "x", minimum=minimum, reserve=4)
        result = d.run(frame, "c0ffee", params)
        want = d.allocate(sizes, 60, allocation, minimum)
        for stratum, count in sizes.items():
            chosen = [m for m in result.selected if m.stratum == stratum]
            assert len(chosen) == want[stratum]
            assert len({m.key for m in chosen}) == want[stratum]
            assert math.isclose(sum(m.weight for m in chosen), count, rel_tol=1e-12)
            assert all(m.probability == want[stratum] / count for m in chosen)
            reserves = [m for m in result.reserves if m.stratum == stratum]
            assert [m.order for m in reserves] == list(
                range(want[stratum], want[stratum] + len(reserves))
            )
            assert len(reserves) == min(4, count - want[stratum])
        assert sum(want.values()) == 60


def _chi_square(counts: dict[str, int], expected: dict[str, float]) -> float:
    statistic = sum((counts[k] - e) ** 2 / e for k, e in expected.items())
    return float(chi2.sf(statistic, df=len(expected) - 1))


def test_every_member_is_selected_with_its_intended_probability():
    # Fixed master seed: deterministic, yet a biased algorithm would fail it.
    sizes = {"A": 30, "B": 12, "C": 18}
    frame = d.canonical_frame(population(sizes, seed=11))
    params = d.make_params(15, "proportional", "x")
    alloc = d.allocate(sizes, 15, "proportional")
    draws = 3000
    counts = dict.fromkeys(frame.keys, 0)
    for i in range(draws):
        seed = hashlib.sha256(f"master-seed-2026/{i}".encode()).hexdigest()
        for m in d.run(frame, seed, params).selected:
            counts[m.key] += 1
    strata = dict(zip(frame.keys, frame.strata, strict=True))
    for stratum, count in sizes.items():
        keys = [k for k in frame.keys if strata[k] == stratum]
        expected = {k: draws * alloc[stratum] / count for k in keys}
        assert sum(counts[k] for k in keys) == draws * alloc[stratum]
        assert _chi_square({k: counts[k] for k in keys}, expected) > 0.001


def test_chi_square_detects_a_biased_draw():
    # The same test on a draw that favours low keys must fail: the test has teeth.
    keys = [str(i) for i in range(10, 40)]
    counts = dict.fromkeys(keys, 0)
    for i in range(3000):
        rng = random.Random(i)
        weights = [1.0 + 0.02 * j for j in range(len(keys))]
        for k in set(rng.choices(keys, weights=weights, k=10)):
            counts[k] += 1
    total = sum(counts.values())
    assert _chi_square(counts, {k: total / len(keys) for k in keys}) < 0.001


def test_simple_random_selection_probability_is_uniform():
    frame = d.canonical_frame({str(i): "" for i in range(1, 41)})
    params = d.make_params(5, "simple")
    counts = dict.fromkeys(frame.keys, 0)
    for i in range(4000):
        for m in d.run(frame, f"{i:08x}", params).selected:
            counts[m.key] += 1
    assert _chi_square(counts, {k: 4000 * 5 / 40 for k in frame.keys}) > 0.001


def test_strata_draws_are_independent_of_each_other():
    pop = population({"A": 30, "B": 20})
    more = {**pop, "99999991": "C", "99999992": "C"}
    alloc = {"A": 4, "B": 3}
    first = d.draw(d.canonical_frame(pop), "beef", alloc)
    second = d.draw(d.canonical_frame(more), "beef", {**alloc, "C": 1})
    assert [m.key for m in first.members] == [m.key for m in second.members if m.stratum != "C"]


def test_bad_seed_is_refused():
    with pytest.raises(d.DrawError, match="hexadecimal"):
        d.run(d.canonical_frame({"1": ""}), "xyz", d.make_params(1, "simple"))
