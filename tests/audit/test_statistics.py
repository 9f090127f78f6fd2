import random

import pytest
from scipy.stats import binomtest
from sklearn.metrics import cohen_kappa_score

from inspection.audit.agreement import agreement, cohen_kappa_quadratic, gwet_ac1
from inspection.audit.findings import kish_effective_n, share_good, wilson
from inspection.audit.moderation import seeded_choice


def test_kappa_matches_sklearn_quadratic():
    rng = random.Random(42)
    for _ in range(50):
        n = rng.randint(5, 40)
        a = [rng.randint(0, 3) for _ in range(n)]
        b = [min(3, max(0, x + rng.choice([-1, 0, 0, 1]))) for x in a]
        ours = agreement(a, b, 4).kappa_quadratic
        theirs = cohen_kappa_score(a, b, weights="quadratic", labels=[0, 1, 2, 3])
        assert ours == pytest.approx(theirs, abs=1e-12)


def test_published_worked_example_irrcac_cont3x3abstractors():
    # Gwet's irrCAC package, dataset cont3x3abstractors: AC1 0.8493305, percent agreement 0.89.
    table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    assert gwet_ac1(table) == pytest.approx(0.8493305, abs=5e-8)
    first = [i for i in range(3) for j in range(3) for _ in range(table[i][j])]
    second = [j for i in range(3) for j in range(3) for _ in range(table[i][j])]
    result = agreement(first, second, 3)
    assert result.pairs == 100
    assert result.percent_agreement == pytest.approx(0.89)
    # unweighted kappa on the same table is 0.7964094 in irrCAC; sklearn agrees
    assert cohen_kappa_score(first, second) == pytest.approx(0.7964094, abs=5e-8)


def test_kappa_undefined_when_every_grade_is_the_same_but_ac1_is_not():
    result = agreement([1] * 6, [1] * 6, 4)
    assert result.kappa_quadratic is None
    assert result.gwet_ac1 == pytest.approx(1.0)
    assert result.percent_agreement == 1.0
    assert cohen_kappa_quadratic([[0] * 4 for _ in range(4)]) is None


def test_wilson_against_hand_and_scipy():
    ci = wilson(24, 30)
    ref = binomtest(24, 30).proportion_ci(method="wilson")
    assert ci.low == pytest.approx(ref.low, abs=1e-12)
    assert ci.high == pytest.approx(ref.high, abs=1e-12)
    assert round(ci.low, 4) == 0.6269 and round(ci.high, 4) == 0.9049
    assert wilson(0, 0) is None


def test_weighted_share_uses_design_weights_and_kish_effective_n():
    rows = [(1, True, 2.0), (2, True, 2.0), (3, False, 6.0), (4, True, 6.0)]
    s = share_good(rows)
    assert s.good == 3 and s.n == 4 and s.share == 0.75
    assert s.weighted_share == pytest.approx(10 / 16)
    assert s.effective_n == pytest.approx(16**2 / 80)  # 3.2
    assert kish_effective_n([1, 1, 1]) == 3
    ref = wilson(10 / 16 * 3.2, 3.2)
    assert (s.weighted_low, s.weighted_high) == (ref.low, ref.high)
    assert s.audit_ids == [1, 2, 3, 4] and s.good_audit_ids == [1, 2, 4]


def test_second_marking_choice_is_a_seeded_fifth():
    ids = list(range(100, 130))
    chosen = seeded_choice("seed-1", ids, 0.2)
    assert len(chosen) == 6
    assert chosen == seeded_choice("seed-1", list(reversed(ids)), 0.2)
    assert chosen != seeded_choice("seed-2", ids, 0.2)
