import pytest

from inspection.sampling.size import SizeError, sample_size, sizes_by_stratum


def test_ten_points_at_95_percent():
    assert sample_size(0.10).size == 97
    assert sample_size(0.10, population=300).size == 73
    assert sample_size(0.05, population=1000).size == 278


def test_scottish_joint_inspection_design_90_percent_15_points():
    assert sample_size(0.15, 0.90).size == 31


def test_expected_proportion_and_small_populations():
    assert sample_size(0.10, expected=0.2).size == 62
    assert sample_size(0.10, population=20).size == 17
    assert sample_size(0.10, population=1).size == 1


def test_per_stratum_sizes():
    sizes = sizes_by_stratum({"Team A": 40, "Team B": 300}, 0.10)
    assert {k: v.size for k, v in sizes.items()} == {"Team A": 29, "Team B": 73}


def test_bad_inputs_are_refused():
    with pytest.raises(SizeError, match="margin"):
        sample_size(0)
    with pytest.raises(SizeError, match="confidence"):
        sample_size(0.1, 1.5)
