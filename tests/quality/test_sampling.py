"""ISO 2859-1 tables and plans against known plans, the exact Clopper-Pearson interval against hand-computed
values and scipy, confidence-bound sample sizes, and the reproducible draw."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from dure.quality import sampling
from dure.quality.sampling import (
    AQLS,
    CODE_LETTERS,
    MASTER_TABLE,
    clopper_pearson,
    code_letter,
    confidence_plan,
    confidence_sample_size,
    draw_sample,
    iso_plan,
)

# --- Table 1: lot size → code letter (level II) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lot", "letter"),
    [
        (2, "A"), (8, "A"), (9, "B"), (15, "B"), (16, "C"), (25, "C"), (26, "D"), (50, "D"), (51, "E"),
        (90, "E"), (91, "F"), (150, "F"), (151, "G"), (280, "G"), (281, "H"), (500, "H"), (501, "J"),
        (1_200, "J"), (1_201, "K"), (3_200, "K"), (3_201, "L"), (10_000, "L"), (10_001, "M"),
        (35_000, "M"), (35_001, "N"), (50_000, "N"), (150_000, "N"), (150_001, "P"), (500_000, "P"),
        (500_001, "Q"), (10_000_000, "Q"),
    ],
)  # fmt: skip
def test_code_letters_at_level_two(lot, letter):
    assert code_letter(lot) == letter


def test_sample_sizes_per_code_letter():
    assert [sampling.SAMPLE_SIZES[c] for c in CODE_LETTERS] == [
        2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000
    ]  # fmt: skip


# --- Table 2-A: the master table -----------------------------------------------------------------------------

PLANS_ALONG_A_DIAGONAL = ["0 1", "↑", "↓", "1 2", "2 3", "3 4", "5 6", "7 8", "10 11", "14 15", "21 22"]
FULL_AQL_SERIES = ["0.010", "0.015", "0.025", "0.040", *AQLS]


def test_master_table_follows_the_standards_diagonals():
    """Each row repeats one sequence shifted by a column per code letter: Ac = 0 for letter A at AQL 6.5, for
    Q at 0.010; after it ↑, ↓, then 1 2 … 21 22, then ↑ (this is how the printed table is laid out)."""
    for row, letter in enumerate(CODE_LETTERS):
        zero = FULL_AQL_SERIES.index("6.5") - row  # the column of the row's "0 1" in the full AQL series
        for column, aql in enumerate(AQLS):
            offset = FULL_AQL_SERIES.index(aql) - zero
            if offset < 0:
                expected = "↓"
            elif offset < len(PLANS_ALONG_A_DIAGONAL):
                expected = PLANS_ALONG_A_DIAGONAL[offset]
            else:
                expected = "↑"
            assert MASTER_TABLE[letter][column] == expected, (letter, aql)


def test_every_cell_is_a_plan_or_an_arrow_and_re_is_ac_plus_one():
    for letter, row in MASTER_TABLE.items():
        assert len(row) == len(AQLS), letter
        for cell in row:
            if cell in {"↓", "↑"}:
                continue
            accept, reject = map(int, cell.split())
            assert reject == accept + 1


@pytest.mark.parametrize(
    ("lot", "aql", "n", "ac", "re", "letter", "used"),
    [
        (1_000, "1.0", 80, 2, 3, "J", "J"),  # the example
        (1_000, "2.5", 80, 5, 6, "J", "J"),
        (1_000, "4.0", 80, 7, 8, "J", "J"),
        (500, "2.5", 50, 3, 4, "H", "H"),
        (3_200, "1.0", 125, 3, 4, "K", "K"),
        (10_000, "2.5", 200, 10, 11, "L", "L"),
        (10_000, "4.0", 200, 14, 15, "L", "L"),
        (20_000, "0.65", 315, 5, 6, "M", "M"),
        # Lot 50,000 is code letter N at level II (35,001-150,000): n = 500, Ac 7, Re 8 at AQL 0.65.
        # (n = 315, Ac 5, Re 6 is the plan of letter M, i.e. lots of 10,001-35,000.)
        (50_000, "0.65", 500, 7, 8, "N", "N"),
        # Arrows: ↓ takes the first plan below, ↑ the first above, with that row's sample size.
        (1_000, "0.40", 125, 1, 2, "J", "K"),
        (1_000, "0.25", 50, 0, 1, "J", "H"),
        (1_000, "0.10", 125, 0, 1, "J", "K"),
        (100, "1.0", 13, 0, 1, "F", "E"),
        (100, "0.065", 100, 0, 1, "F", "L"),  # n = 200 ≥ lot: every item is inspected
        (20, "4.0", 3, 0, 1, "C", "B"),
        (20, "6.5", 8, 1, 2, "C", "D"),
        (5, "0.065", 5, 0, 1, "A", "L"),
        (600_000, "6.5", 200, 21, 22, "Q", "L"),  # ↑ through P, N and M to the 21 22 plan
        (600_000, "0.065", 1250, 2, 3, "Q", "Q"),
    ],
)  # fmt: skip
def test_known_single_sampling_plans(lot, aql, n, ac, re, letter, used):
    plan = iso_plan(lot_size=lot, aql=aql)
    assert (plan.sample_size, plan.accept, plan.reject) == (n, ac, re)
    assert (plan.code_letter, plan.plan_letter) == (letter, used)
    assert plan.full_inspection == (sampling.SAMPLE_SIZES[used] >= lot)


def test_aql_given_as_a_number_and_unknown_aqls():
    assert iso_plan(lot_size=1_000, aql=1).sample_size == 80
    with pytest.raises(sampling.NotAnAql):
        iso_plan(lot_size=1_000, aql="0.5")


# --- Clopper-Pearson ------------------------------------------------------------------------------------------


def test_clopper_pearson_hand_computed_values():
    # All n correct: the lower bound solves p^n = alpha/2, so p = 0.025^(1/n); the upper bound is 1.
    lower, upper = clopper_pearson(80, 80)
    assert lower == pytest.approx(0.025 ** (1 / 80), abs=1e-12)
    assert upper == 1.0
    # None correct: the upper bound solves (1-p)^n = alpha/2.
    lower, upper = clopper_pearson(0, 10)
    assert lower == 0.0
    assert upper == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-12)
    # One trial, one success: [0.025, 1].
    assert clopper_pearson(1, 1) == pytest.approx((0.025, 1.0))
    # 1 of 2: the lower bound solves 1 - (1-p)^2 = 0.025, the upper p^2 = 0.975.
    lower, upper = clopper_pearson(1, 2)
    assert lower == pytest.approx(1 - math.sqrt(0.975), abs=1e-12)
    assert upper == pytest.approx(math.sqrt(0.975), abs=1e-12)


@pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 5), (78, 80), (490, 500), (1, 1250), (315, 315), (17, 40)])
def test_clopper_pearson_matches_scipy_binomtest(k, n):
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    lower, upper = clopper_pearson(k, n)
    assert lower == pytest.approx(expected.low, abs=1e-10)
    assert upper == pytest.approx(expected.high, abs=1e-10)


def test_clopper_pearson_input_checks():
    assert clopper_pearson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        clopper_pearson(5, 4)


# --- confidence-bound sample sizes ----------------------------------------------------------------------------


def test_confidence_sample_size_with_no_defects_is_closed_form():
    # 0.025^(1/n) >= 0.99  ⇔  n >= ln 0.025 / ln 0.99 = 367.04…
    assert confidence_sample_size(target=0.99) == 368
    assert clopper_pearson(368, 368)[0] >= 0.99 > clopper_pearson(367, 367)[0]
    assert confidence_sample_size(target=0.95) == math.ceil(math.log(0.025) / math.log(0.95))


@pytest.mark.parametrize(("target", "defects"), [(0.99, 1), (0.99, 3), (0.95, 2), (0.9, 5)])
def test_confidence_sample_size_is_the_smallest_that_proves_the_target(target, defects):
    n = confidence_sample_size(target=target, defects=defects)
    assert clopper_pearson(n - defects, n)[0] >= target
    assert clopper_pearson(n - 1 - defects, n - 1)[0] < target


def test_confidence_plan_caps_at_the_lot():
    plan = confidence_plan(lot_size=100, target=0.99)
    assert (plan.sample_size, plan.accept, plan.reject, plan.full_inspection) == (100, 0, 1, True)
    plan = confidence_plan(lot_size=10_000, target=0.99, defects=2)
    assert (plan.accept, plan.reject, plan.full_inspection) == (2, 3, False)


# --- the draw -------------------------------------------------------------------------------------------------


def test_the_draw_is_reproducible_from_the_documented_recipe():
    ids = [17, 3, 99, 42, 8, 1000, 5, 64, 23, 11]
    sample = draw_sample(ids, 4, seed=20261130)
    again = np.random.Generator(np.random.PCG64(20261130)).choice(sorted(ids), size=4, replace=False)
    assert sample == [int(i) for i in again]
    assert len(set(sample)) == 4 and set(sample) <= set(ids)
    assert draw_sample(list(reversed(ids)), 4, seed=20261130) == sample  # the order given does not matter
    assert draw_sample(ids, 4, seed=1) != sample


def test_the_draw_is_uniform():
    """Each of 20 ids lands in a sample of 5 with probability 1/4; over 4,000 draws every id's count stays
    within a wide band around 1,000 (a fixed seed series, so this never flakes)."""
    ids = list(range(1, 21))
    counts = dict.fromkeys(ids, 0)
    for seed in range(4_000):
        for i in draw_sample(ids, 5, seed=seed):
            counts[i] += 1
    assert all(880 <= c <= 1_120 for c in counts.values()), counts


def test_draw_record_names_the_lot():
    record = sampling.draw_record([3, 1, 2], [2], 7)
    assert record["population_sha256"] == sampling.population_digest([1, 2, 3])
    assert record["seed"] == 7 and record["sample_ids"] == [2] and record["population_size"] == 3
