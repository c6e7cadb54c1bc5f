"""Kano: the evaluation table cell by cell (Berger et al. 1993), the summary worked by hand,
Fong's test, and a published study's Better/Worse coefficients reproduced from its counts."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from survey_helpers import demo_workbook

from addin.surveys import (
    Exclusions,
    fong_threshold,
    kano_category,
    kano_exclusions,
    kano_summary,
    kano_table,
)

# Berger et al., "Kano's methods for understanding customer-defined quality", Center for
# Quality of Management Journal 2(4), 1993, the evaluation table, written out here by hand:
# functional answer (row) x dysfunctional answer (column), 1 like .. 5 dislike.
BERGER_1993 = {
    (1, 1): "Q", (1, 2): "A", (1, 3): "A", (1, 4): "A", (1, 5): "O",
    (2, 1): "R", (2, 2): "I", (2, 3): "I", (2, 4): "I", (2, 5): "M",
    (3, 1): "R", (3, 2): "I", (3, 3): "I", (3, 4): "I", (3, 5): "M",
    (4, 1): "R", (4, 2): "I", (4, 3): "I", (4, 4): "I", (4, 5): "M",
    (5, 1): "R", (5, 2): "R", (5, 3): "R", (5, 4): "R", (5, 5): "Q",
}


@pytest.mark.parametrize(("functional", "dysfunctional"), sorted(BERGER_1993))
def test_evaluation_table_cell_by_cell(functional, dysfunctional):
    expected = BERGER_1993[(functional, dysfunctional)]
    assert kano_category(functional, dysfunctional) == expected
    assert kano_table()[functional - 1][dysfunctional - 1] == expected


def test_like_like_convention_is_a_setting():
    # Berger et al. code like/like Q; some practitioner tables code it O. Only that cell moves.
    assert kano_category(1, 1) == "Q"
    assert kano_category(1, 1, like_like="O") == "O"
    changed = [(r, c) for r in range(5) for c in range(5)
               if kano_table("O")[r][c] != kano_table("Q")[r][c]]
    assert changed == [(0, 0)]
    with pytest.raises(ValueError, match="kano_like_like"):
        kano_table("X")


def test_category_of_sequences_counts_what_it_left_out():
    cats = kano_category([1, 2, "N/A", None, 6, 5], [5, 5, 5, 1, 3, 5.0])
    assert cats.tolist() == ["O", "M", None, None, None, "Q"]
    # functional: "N/A" text, None blank, 6 out of range
    assert kano_exclusions([1, 2, "N/A", None, 6, 5], [5, 5, 5, 1, 3, 5.0]) == Exclusions(
        blank=1, text=1, out_of_range=1)


def test_scalar_with_a_bad_answer_says_which():
    with pytest.raises(ValueError, match="dysfunctional answer must be 1..5"):
        kano_category(1, "don't know")
    with pytest.raises(ValueError, match="differ in length"):
        kano_category([1, 2], [1])


def test_summary_worked_by_hand():
    pairs = ([(2, 5)] * 3 + [(1, 5)] * 3 + [(1, 3)] * 2 + [(3, 3)] + [(5, 1)]
             + [("N/A", 5), (1, None)])
    functional, dysfunctional = zip(*pairs, strict=True)
    row = kano_summary({"delivery": (list(functional), list(dysfunctional))}).iloc[0]
    # M 3, O 3, A 2, I 1, R 1, Q 0; n = 10 valid pairs
    assert [row[c] for c in "MOAIRQ"] == [3, 3, 2, 1, 1, 0] and row["n"] == 10
    # M and O tie at 3: M > O > A > I makes it M, O second
    assert (row["category"], row["category_name"], row["second"]) == ("M", "must-be", "O")
    # Fong: 1.65 * sqrt((3 + 3) * (20 - 3 - 3) / 20) = 1.65 * sqrt(4.2) = 3.38149;
    # |3 - 3| = 0 < 3.38: no significant difference
    assert row["fong_threshold"] == pytest.approx(3.38149, abs=1e-5)
    assert not row["significant"]
    # Better = (A + O) / (A + O + M + I) = 5 / 9; Worse = -(O + M) / 9 = -6 / 9
    assert row["better"] == pytest.approx(5 / 9)
    assert row["worse"] == pytest.approx(-6 / 9)
    assert row["better_worse"] == "O"  # 0.556 >= 0.5 and 0.667 >= 0.5
    assert row["excluded"] == "1 blank, 1 text"


@pytest.mark.parametrize(("counts", "expected"), [
    # ties resolved M > O > A > I (then R, Q)
    ({"A": 4, "I": 4}, "A"), ({"O": 2, "A": 2, "I": 2}, "O"), ({"I": 3, "R": 3}, "I"),
    ({"R": 2, "Q": 2}, "R"), ({"Q": 5, "M": 1}, "Q"),
])
def test_ties_are_resolved_in_the_literatures_order(counts, expected):
    answer = {"M": (2, 5), "O": (1, 5), "A": (1, 3), "I": (3, 3), "R": (5, 1), "Q": (1, 1)}
    pairs = [answer[c] for c, k in counts.items() for _ in range(k)]
    functional, dysfunctional = zip(*pairs, strict=True)
    assert kano_summary({"f": (functional, dysfunctional)}).iloc[0]["category"] == expected


def test_fong_threshold_by_hand():
    # a = 30, b = 10, n = 50: 1.65 * sqrt(40 * 60 / 100) = 1.65 * sqrt(24) = 8.08332;
    # |30 - 10| = 20 >= 8.08: significant
    assert fong_threshold(30, 10, 50) == pytest.approx(8.08332, abs=1e-5)
    assert math.isnan(fong_threshold(0, 0, 0))


def test_summary_from_a_frame_and_empty_features():
    frame = pd.DataFrame({"kano_f_portal": [1, 2, None], "kano_d_portal": [5, 5, None],
                          "kano_f_api": [None, None, None], "kano_d_api": [None, None, None]})
    table = kano_summary(frame).set_index("feature")
    assert table.loc["portal", "O"] == 1 and table.loc["portal", "M"] == 1
    assert table.loc["api", "n"] == 0 and pd.isna(table.loc["api", "category"])
    assert math.isnan(table.loc["api", "better"])
    assert table.loc["api", "excluded"] == "6 blank"
    with pytest.raises(ValueError, match="kano_d_x has no functional"):
        kano_summary(pd.DataFrame({"kano_d_x": [1]}))


# Miao, Xie, Wang & Xu, "A study on the design of literacy toy for children with parent-child
# interactions", Scientific Reports 15:6793 (2025), Table 7: counts of A, O, M, I, R among 174
# parents per requirement, Better (SI), |Worse| (DSI) and the type read from the Better-Worse
# diagram (0.5 lines), as printed.
MIAO_2025 = [
    # requirement, A, O, M, I, R, Better, |Worse|, type
    ("Word bank for preschoolers", 32, 37, 85, 20, 0, 0.397, 0.701, "M"),
    ("Regularized literacy sequences", 25, 42, 80, 27, 0, 0.385, 0.701, "M"),
    ("Recognizing Chinese characters in multiple dimensions", 49, 51, 59, 15, 0, 0.575,
     0.632, "O"),
    ("Literacy can be applied after learning", 20, 37, 92, 25, 0, 0.328, 0.741, "M"),
    ("Easy learning without the burden", 32, 48, 76, 18, 0, 0.460, 0.713, "M"),
    ("Safety and high quality", 32, 24, 113, 5, 0, 0.322, 0.787, "M"),
    ("Interesting enough to attract children", 22, 24, 109, 19, 0, 0.264, 0.764, "M"),
    ("Exercise thinking and hands-on skills", 110, 26, 25, 14, 0, 0.782, 0.293, "A"),
    ("Easy to review and recap", 49, 52, 59, 14, 0, 0.580, 0.638, "O"),
    ("Appropriate quality and quantity of Chinese characters", 29, 25, 95, 23, 2, 0.310,
     0.689, "M"),
    ("Parents become protagonists in teaching their children literacy", 32, 48, 38, 56, 0,
     0.459, 0.494, "I"),
    ("The child has to give immediate and correct feedback to the parents", 30, 33, 93, 18, 0,
     0.362, 0.724, "M"),
    ("Parents and children can participate in the play together", 108, 28, 25, 12, 1, 0.782,
     0.305, "A"),
    ("Mechanisms by which parents can reward their children accordingly", 34, 40, 44, 56, 0,
     0.425, 0.483, "I"),
    ("Children need to have ways to share their learning with their parents", 42, 60, 50, 22,
     0, 0.586, 0.632, "O"),
]
_PAIR = {"A": (1, 3), "O": (1, 5), "M": (2, 5), "I": (3, 3), "R": (5, 1)}


def _answers(a, o, m, i, r):
    pairs = [_PAIR["A"]] * a + [_PAIR["O"]] * o + [_PAIR["M"]] * m + [_PAIR["I"]] * i \
        + [_PAIR["R"]] * r
    functional, dysfunctional = zip(*pairs, strict=True)
    return list(functional), list(dysfunctional)


def test_published_study_miao_2025():
    table = kano_summary({row[0]: _answers(*row[1:6]) for row in MIAO_2025}).set_index(
        "feature")
    for name, a, o, m, i, r, better, worse_abs, kind in MIAO_2025:
        got = table.loc[name]
        assert [got[c] for c in "AOMIR"] == [a, o, m, i, r]
        assert got["better_worse"] == kind, name
        if a + o + m + i + r != 174:
            # "Exercise thinking...": the printed counts add up to 175, not 174 (a misprint);
            # the printed 0.782 and 0.293 fit 174 answers with A + O = 136 and O + M = 51
            assert (136 / 174, 51 / 174) == pytest.approx((better, worse_abs), abs=1e-3)
            continue
        if r == 0:
            # as printed, to the third decimal (one value is cut rather than rounded:
            # "Parents become protagonists": 80 / 174 = 0.4598, printed 0.459)
            assert got["better"] == pytest.approx(better, abs=1.01e-3), name
            assert -got["worse"] == pytest.approx(worse_abs, abs=1.01e-3), name
        else:
            # the paper divides by all 174 answers, R included, where Berger et al. divide by
            # A + O + M + I: "Appropriate quality...": (29 + 25) / 174 = 0.310 printed,
            # (29 + 25) / 172 = 0.314 here
            assert ((a + o) / 174, (o + m) / 174) == pytest.approx((better, worse_abs),
                                                                   abs=1e-3)
            assert got["better"] == pytest.approx((a + o) / (a + o + m + i))
            assert got["worse"] == pytest.approx(-(o + m) / (a + o + m + i))
    # the mode and the diagram disagree where the counts are spread: M has 59 of 174 answers
    # for "Recognizing ..." but Better 0.575 and |Worse| 0.632 put it in O
    recognizing = table.loc["Recognizing Chinese characters in multiple dimensions"]
    assert (recognizing["category"], recognizing["better_worse"]) == ("M", "O")


def test_demo_workbook_kano_counts():
    demo_survey = demo_workbook()["Survey"]
    # workbooks/README.md, "Survey design": the counts the generator planted, coded with the
    # standard table (like/like = Q)
    planted = {
        "online_portal": (763, 215, 110, 327, 37, 48, "M"),
        "same_day_delivery": (138, 267, 681, 330, 30, 54, "A"),
        "dedicated_manager": (302, 711, 164, 253, 26, 44, "O"),
        "invoice_api": (196, 161, 572, 482, 34, 55, "A"),
        "carbon_report": (66, 70, 360, 804, 120, 80, "I"),
        "training": (585, 287, 170, 380, 32, 46, "M"),
    }
    cols = [c for c in demo_survey.columns if c.startswith("kano_")]
    table = kano_summary(demo_survey[cols]).set_index("feature")
    for feature, (*counts, category) in planted.items():
        assert [table.loc[feature, c] for c in "MOAIRQ"] == counts
        assert table.loc[feature, "category"] == category


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=80))
def test_summary_invariants(pairs):
    functional, dysfunctional = zip(*pairs, strict=True)
    row = kano_summary({"f": (functional, dysfunctional)}).iloc[0]
    assert sum(row[c] for c in "MOAIRQ") == row["n"] == len(pairs)
    if not math.isnan(row["better"]):
        assert 0 <= row["better"] <= 1 and -1 <= row["worse"] <= 0
    assert row[row["category"]] == max(row[c] for c in "MOAIRQ")
