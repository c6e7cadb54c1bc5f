"""Key drivers (Johnson's relative weights) and Cronbach's alpha: hand-worked cases, an
independent regression, and the values pingouin's documentation prints for its data sets."""

from __future__ import annotations

import importlib.metadata
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.surveys import Exclusions, cronbach_alpha, key_drivers, relative_weights


def test_relative_weights_two_correlated_predictors_by_hand():
    # r12 = 0.6, r1y = 0.5, r2y = 0.3.
    # R_xx eigenvalues 1.6 and 0.4 with vectors (1,1)/sqrt2 and (1,-1)/sqrt2, so
    # Lambda = R_xx^(1/2) = [[a, b], [b, a]] with a = (sqrt1.6 + sqrt0.4)/2 = 0.948683,
    # b = (sqrt1.6 - sqrt0.4)/2 = 0.316228 (a^2 = 0.9, b^2 = 0.1, det = 0.8).
    # beta = Lambda^-1 r = ((0.948683*0.5 - 0.316228*0.3)/0.8, (-0.316228*0.5 +
    # 0.948683*0.3)/0.8) = (0.474342, 0.158114): beta^2 = (0.225, 0.025).
    # eps1 = 0.9*0.225 + 0.1*0.025 = 0.205; eps2 = 0.1*0.225 + 0.9*0.025 = 0.045.
    # R^2 = r' R_xx^-1 r = (0.25 + 0.09 - 2*0.6*0.5*0.3) / (1 - 0.36) = 0.16/0.64 = 0.25.
    weights = relative_weights(np.array([[1, 0.6], [0.6, 1]]), np.array([0.5, 0.3]))
    assert weights == pytest.approx([0.205, 0.045])
    assert weights.sum() == pytest.approx(0.25)


def test_key_drivers_uncorrelated_attributes_by_hand():
    # x1 and x2 are orthogonal with mean 0 and sd 1; e is orthogonal to both.
    # overall = x1 + 2*x2 + e = (4, 0, -2, -2): mean 0, population variance 24/4 = 6.
    # r1 = mean(x1*y)/sqrt6 = 1/sqrt6, r2 = mean(x2*y)/sqrt6 = 2/sqrt6; uncorrelated, so
    # the weights are r^2: 1/6 and 4/6, R^2 = 5/6, shares 0.2 and 0.8.
    attributes = pd.DataFrame({"x1": [1, -1, 1, -1], "x2": [1, 1, -1, -1]})
    result = key_drivers([4, 0, -2, -2], attributes)
    out = result.table.set_index("attribute")
    assert out.loc["x1", "r"] == pytest.approx(1 / math.sqrt(6))
    assert out.loc["x2", "r"] == pytest.approx(2 / math.sqrt(6))
    assert out.loc["x1", "raw_weight"] == pytest.approx(1 / 6)
    assert out.loc["x2", "raw_weight"] == pytest.approx(4 / 6)
    assert (out.loc["x1", "share"], out.loc["x2", "share"]) == pytest.approx((0.2, 0.8))
    assert (out.loc["x2", "rank"], out.loc["x1", "rank"]) == (1, 2)
    assert result.r_squared == pytest.approx(5 / 6)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6), st.integers(10, 200))
def test_weights_add_up_to_the_r_squared_of_least_squares(seed, k, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k)) @ rng.normal(size=(k, k))  # correlated attributes
    y = x @ rng.normal(size=k) + rng.normal(size=n) * 2
    result = key_drivers(pd.Series(y), pd.DataFrame(x, columns=[f"a{j}" for j in range(k)]))
    out = result.table
    design = np.column_stack([np.ones(n), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    r2 = 1 - ((y - design @ coef) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert out["raw_weight"].sum() == pytest.approx(r2, abs=1e-8)
    assert result.r_squared == pytest.approx(r2, abs=1e-8)
    assert (out["raw_weight"] >= -1e-12).all()
    assert out["share"].sum() == pytest.approx(1.0)
    for col in out["attribute"]:
        j = int(col[1:])
        r = np.corrcoef(x[:, j], y)[0, 1]
        assert out.set_index("attribute").loc[col, "r"] == pytest.approx(r)


def test_one_attribute_weight_is_r_squared():
    out = key_drivers([1, 2, 3, 5], pd.DataFrame({"speed": [2, 3, 3, 6]})).table
    r = np.corrcoef([2, 3, 3, 6], [1, 2, 3, 5])[0, 1]
    assert out.iloc[0]["raw_weight"] == pytest.approx(r ** 2)


def test_key_drivers_listwise_and_constant_attribute():
    attributes = pd.DataFrame({"a": [1, 2, 3, 4, "N/A", 5], "flat": [3, 3, 3, 3, 3, 3],
                               "b": [2, 1, 4, 3, 2, 9]})
    overall = [1, 2, 3, 5, 4, None]
    result = key_drivers(overall, attributes, (1, 5), (1, 7))
    out = result.table.set_index("attribute")
    # row 5 ("N/A") and row 6 (blank overall, 9 off 1..7) are dropped: 4 rows used
    assert result.n == 4 and result.rows_dropped == 2
    assert result.excluded == Exclusions(blank=1, text=1, out_of_range=1)
    assert math.isnan(out.loc["flat", "r"]) and math.isnan(out.loc["flat", "raw_weight"])
    assert pd.isna(out.loc["flat", "rank"])
    assert out[["raw_weight"]].sum().iloc[0] == pytest.approx(result.r_squared)
    few = key_drivers([1, 2], pd.DataFrame({"a": [1, 2]})).table
    assert math.isnan(few.iloc[0]["raw_weight"])  # fewer than 3 rows


def test_alpha_worked_by_hand():
    # items A = 1,2,3 and B = 2,3,5: var(A) = 1, var(B) = 7/3, total 3,5,8: var 19/3
    # alpha = 2/1 * (1 - (1 + 7/3) / (19/3)) = 2 * 9/19 = 18/19 = 0.947368
    result = cronbach_alpha(pd.DataFrame({"A": [1, 2, 3], "B": [2, 3, 5]}))
    assert result.alpha == pytest.approx(18 / 19)
    # Feldt, n = 3, k = 2: F(0.975; 2, 2) = 39.00 and F(0.025; 2, 2) = 1/39 (printed tables)
    # lower = 1 - (1/19) * 39 = -1.052632; upper = 1 - (1/19) / 39 = 0.998650
    assert result.ci_low == pytest.approx(1 - 39 / 19, abs=1e-6)
    assert result.ci_high == pytest.approx(1 - 1 / (19 * 39), abs=1e-6)
    assert (result.n, result.k, result.rows_dropped) == (3, 2, 0)


def test_alpha_if_item_deleted_by_hand():
    # add C = 3,3,3 (no variance): total variance stays 19/3, item variances 1, 7/3, 0
    # alpha = 3/2 * (1 - (10/3)/(19/3)) = 3/2 * 9/19 = 27/38 = 0.710526
    # without C: 18/19 (above); without A: items B, C: 2 * (1 - (7/3)/(7/3)) = 0; without B: 0
    result = cronbach_alpha(pd.DataFrame({"A": [1, 2, 3], "B": [2, 3, 5], "C": [3, 3, 3]}))
    assert result.alpha == pytest.approx(27 / 38)
    deleted = result.if_deleted.set_index("item")["alpha_if_deleted"]
    assert deleted.to_dict() == pytest.approx({"A": 0.0, "B": 0.0, "C": 18 / 19})
    # item-rest correlation of A with B + C (= B + 3): corr(A, B) = cov 1.5 / sqrt(1 * 7/3)
    rest = result.if_deleted.set_index("item")["item_rest_r"]
    assert rest["A"] == pytest.approx(1.5 / math.sqrt(7 / 3))
    assert math.isnan(rest["C"])  # C does not vary


def test_alpha_listwise_deletion_is_reported():
    items = pd.DataFrame({"A": [1, 2, 3, "N/A", 4], "B": [2, 3, 5, 4, None]})
    result = cronbach_alpha(items)
    assert result.alpha == pytest.approx(18 / 19)  # rows 4 and 5 are dropped
    assert result.rows_dropped == 2 and result.excluded == Exclusions(blank=1, text=1)
    scaled = cronbach_alpha(pd.DataFrame({"A": [1, 2, 3, 9], "B": [2, 3, 5, 1]}), (1, 7))
    assert scaled.rows_dropped == 1 and scaled.excluded == Exclusions(out_of_range=1)


def test_alpha_edges():
    one_item = cronbach_alpha(pd.DataFrame({"A": [1, 2, 3]}))
    assert math.isnan(one_item.alpha) and one_item.k == 1
    assert math.isnan(one_item.if_deleted.iloc[0]["alpha_if_deleted"])
    one_row = cronbach_alpha(pd.DataFrame({"A": [1], "B": [2]}))
    assert math.isnan(one_row.alpha) and one_row.n == 1
    flat = cronbach_alpha(pd.DataFrame({"A": [2, 2], "B": [3, 3]}))
    assert math.isnan(flat.alpha)
    # items that disagree give a negative alpha
    assert cronbach_alpha(pd.DataFrame({"A": [1, 2, 3], "B": [3, 2, 1.5]})).alpha < 0


def _pingouin_dataset(name: str) -> pd.DataFrame:
    # the CSV files pingouin ships (read from the installed package, without importing it)
    path = importlib.metadata.distribution("pingouin").locate_file(
        f"pingouin/datasets/{name}.csv")
    return pd.read_csv(path)


def test_alpha_matches_pingouins_documented_example():
    # pingouin 0.7.0, pingouin.cronbach_alpha docstring ("Likert-type long-format dataframe"):
    #   >>> data = pg.read_dataset("cronbach_alpha")
    #   >>> pg.cronbach_alpha(data=data, items="Items", scores="Scores", subject="Subj")
    #   (0.5917188485995826, array([0.195, 0.84 ]))
    data = _pingouin_dataset("cronbach_alpha").pivot(index="Subj", columns="Items",
                                                     values="Scores")
    result = cronbach_alpha(data)
    assert result.alpha == pytest.approx(0.5917188485995826, abs=1e-12)
    assert (round(result.ci_low, 3), round(result.ci_high, 3)) == (0.195, 0.84)
    assert (result.n, result.k) == (15, 10)


def test_alpha_listwise_matches_pingouin_on_missing_data():
    # the same docstring: pg.cronbach_alpha(data=data, nan_policy="listwise") on
    # "cronbach_wide_missing" prints (0.8016949152542373, array([0.581, 0.933])). Our alpha is
    # the same; our interval is not, because pingouin takes n = 12 rows before deleting the 3
    # incomplete ones: Feldt's n is the rows used (9) here, a wider interval.
    result = cronbach_alpha(_pingouin_dataset("cronbach_wide_missing"))
    assert result.alpha == pytest.approx(0.8016949152542373, abs=1e-12)
    assert (result.n, result.rows_dropped) == (9, 3)
    assert result.ci_low < 0.581 and result.ci_high > 0.933


@given(st.lists(st.lists(st.integers(1, 5), min_size=4, max_size=4), min_size=3,
                max_size=40))
def test_alpha_is_at_most_one_and_inside_its_interval(rows):
    result = cronbach_alpha(pd.DataFrame(rows))
    if not math.isnan(result.alpha):
        assert result.alpha <= 1 + 1e-12
        assert result.ci_low <= result.alpha <= result.ci_high
