"""The scorecard on real workbooks: malformed sheets named by row, the Settings weights, the
CLI's Scorecard Results sheet read back (openpyxl and LibreOffice), the Excel functions."""

import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

import addin.functions as udf
from addin.cli import cli
from addin.demo import MISSING_KPI, demo_workbook_path
from addin.errors import InputError
from addin.jobs.scorecard import perspective_weights, scorecard_workbook
from addin.scorecard import evaluate_scorecard, scorecard_trend
from addin.workbook import load_crm_workbook

HEADER = ["perspective", "objective", "kpi", "weight", "target", "actual", "baseline",
          "polarity"]
GOOD = ["Financial", "Grow", "Revenue", 1, 100, 75, 50, "higher"]


def scorecard_error(make_xlsx, row):
    path = make_xlsx({"Scorecard": [HEADER, GOOD, row]})
    with pytest.raises(InputError) as info:
        scorecard_workbook(load_crm_workbook(path))
    return str(info.value.problems[0])


def test_unknown_perspective_is_named_by_row(make_xlsx):
    text = scorecard_error(make_xlsx, ["Marketing", "Grow", "Leads", 1, 10, 5, 2, "higher"])
    assert "row 3" in text and "perspective" in text


def test_text_weight_is_named_by_row(make_xlsx):
    text = scorecard_error(make_xlsx, ["Customer", "Delight", "CSAT", "heavy", 4.5, 4, 3.5,
                                       "higher"])
    assert "row 3" in text and "'weight'" in text and "heavy" in text


def test_negative_weight_is_named_by_row(make_xlsx):
    text = scorecard_error(make_xlsx, ["Customer", "Delight", "CSAT", -1, 4.5, 4, 3.5, "higher"])
    assert "row 3" in text and "'weight'" in text


def test_target_equal_to_baseline_is_named_by_row(make_xlsx):
    text = scorecard_error(make_xlsx, ["Customer", "Delight", "CSAT", 1, 4.5, 4, 4.5, "higher"])
    assert text.startswith("sheet 'Scorecard', row 3, column 'baseline'")


def test_settings_ahp_judgements_weight_the_perspectives(make_xlsx):
    # F-C 1, F-I 3, F-L 3, C-I 3, C-L 3, I-L 1: F and C equal, each 3x I and L -> 3:3:1:1
    # is exactly consistent, so the weights are 0.375, 0.375, 0.125, 0.125.
    settings = pd.DataFrame({"key": ["perspective_ahp"], "value": ["1, 3, 3, 3, 3, 1"]},
                            index=pd.RangeIndex(2, 3, name="row"))
    w = perspective_weights(settings)["perspectives"]
    assert w.weights.tolist() == pytest.approx([0.375, 0.375, 0.125, 0.125])
    assert w.cr == pytest.approx(0.0, abs=1e-9)
    bad = settings.assign(value=["1, 3, x"])
    with pytest.raises(InputError, match=r"row 2, column 'value': setting 'perspective_ahp': "
                                         r"expected six "):
        perspective_weights(bad)
    plain = settings.assign(key=["perspective_weights"], value=["0.4, 0.3, 0.2, 0.1"])
    assert perspective_weights(plain)["perspectives"]["financial"] == 0.4


@pytest.fixture(scope="module")
def demo_kpis():
    return load_crm_workbook(demo_workbook_path()).get("Scorecard")


def test_demo_trend_finds_the_directions_the_generator_planted(demo_kpis):
    # workbooks/README.md lists the direction each synthetic series was generated with
    planted = {"Cost to serve": "worsening", "Retention rate": "worsening",
               "Cross-sell rate": "improving", "Complaint resolution time": "improving",
               "First response time": "improving", "On-time delivery": "improving",
               "Duplicate record rate": "improving", "Data completeness": "improving",
               "CRM adoption": "improving", "Training hours": "worsening",
               "Staff retention": "worsening"}
    t = scorecard_trend(demo_kpis).set_index("kpi")["direction"]
    assert {k: t[k] for k in planted} == planted


def test_demo_missing_kpi_is_left_out_and_said(demo_kpis):
    r = evaluate_scorecard(demo_kpis)
    assert r.kpis.set_index("kpi").loc[MISSING_KPI, "status"] == "no data"
    assert any(MISSING_KPI in n for n in r.notes)


def table_at(cells: list[list], title: str) -> pd.DataFrame:
    """The table written under ``title`` on a result sheet: header row, rows to the blank."""
    top = next(i for i, row in enumerate(cells) if row[0] == title)
    header = [h for h in cells[top + 1] if h is not None]
    rows = []
    for row in cells[top + 2:]:
        if row[0] is None:
            break
        rows.append(row[:len(header)])
    return pd.DataFrame(rows, columns=header)


@pytest.mark.libreoffice
def test_cli_writes_the_scorecard_sheet_with_numbers_checked_by_hand(tmp_path, soffice):
    book = shutil.copyfile(demo_workbook_path(), tmp_path / "demo.xlsx")
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(cli, ["scorecard", str(book), "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output

    # independent roll-up from the raw sheet, with the formulas written out: every demo KPI
    # has a baseline; progress clipped to 0..1; KPI weights normalised within the objective
    # over the KPIs with an actual; objectives and perspectives weigh equally (no Settings)
    k = load_crm_workbook(book).get("Scorecard").dropna(subset=["actual"])
    a, t, b = k["actual"], k["target"], k["baseline"]
    progress = np.select([k["polarity"] == "higher", k["polarity"] == "lower"],
                         [(a - b) / (t - b), (b - a) / (b - t)],
                         1 - (a - t).abs() / (t - b).abs()).clip(0, 1)
    w = k["weight"] / k.groupby("objective")["weight"].transform("sum")
    objective = (w * progress).groupby([k["perspective"], k["objective"]]).sum()
    perspective = 100 * objective.groupby(level=0).mean()
    assert len(k) == 19  # the demo's MISSING_KPI left out

    ws = openpyxl.load_workbook(out)["Scorecard Results"]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[0][0] == "Balanced scorecard"
    headline = table_at(cells, "Balanced scorecard").set_index("measure")["value"]
    assert headline["overall score (0-100)"] == pytest.approx(perspective.mean(), abs=0.05)
    assert headline["KPIs without an actual"] == 1
    shown = table_at(cells, "Perspectives").set_index("perspective")["score"]
    assert shown.to_dict() == pytest.approx(perspective.to_dict())
    assert f"overall {perspective.mean():.1f} of 100" in result.output
    kpis = table_at(cells, "KPIs").set_index("kpi")
    assert kpis.loc[MISSING_KPI, "status"] == "no data"
    assert "Trend and forecast" in {row[0] for row in cells}
    # the KPI table's progress bars and red/amber/green fills, and the native line chart of
    # the monthly scores
    top = next(i for i, row in enumerate(cells) if row[0] == "KPIs") + 2  # header, 1-based
    letter = {h: get_column_letter(j + 1) for j, h in enumerate(cells[top - 1]) if h}
    rules = {(str(cf.sqref), rule.type, tuple(rule.formula or ()))
             for cf in ws.conditional_formatting for rule in cf.rules}
    span = f"{top + 1}:{{}}{top + 20}"  # the 20 KPI rows
    assert (f"{letter['progress']}{span.format(letter['progress'])}", "dataBar", ()) in rules
    for word in ("green", "amber", "red"):
        status = letter["status"]
        assert (f"{status}{span.format(status)}", "cellIs", (f'"{word}"',)) in rules
    assert [type(c).__name__ for c in ws._charts] == ["LineChart"]

    shown = soffice.to_csv(out, sheet="Scorecard Results").read_text()
    assert "Revenue from key accounts" in shown and "learning and growth" in shown


def test_excel_functions_agree_with_the_routines(demo_kpis):
    assert udf.CRM_KPI_PROGRESS([[75]], [[100]], [[50]], None) == 0.5
    assert udf.CRM_KPI_PROGRESS([["actual"], [75], [12]], [["target"], [100], [10]],
                                [["baseline"], [50], [14]],
                                [["polarity"], ["higher"], ["lower"]]) == [[0.5], [0.5]]
    assert udf.CRM_KPI_STATUS([[10.7]], [[11]], [[10]], [["lower"]]) == "amber"
    assert udf.CRM_KPI_STATUS([[0.85]]) == "amber"
    assert udf.CRM_KPI_PROGRESS([[75]], [[100]], None, [["sideways"]]).startswith("#CRM! polarity")
    ahp = udf.CRM_AHP([[None, "A", "B", "C"], ["A", 1, 3, 5], ["B", 1 / 3, 1, 3],
                       ["C", 0.2, 1 / 3, 1]])
    assert [r[0] for r in ahp] == ["A", "B", "C", "lambda_max", "CI", "CR"]
    assert round(ahp[0][1], 3) == 0.637 and round(ahp[5][1], 3) == 0.033
    assert udf.CRM_AHP([[1, 3], [3, 1]]).startswith("#CRM! matrix row 2, column 1")
    cols = ["perspective", "objective", "kpi", "weight", "target", "actual", "baseline",
            "polarity"]
    rng = [cols] + demo_kpis.reset_index()[cols].astype(object).where(
        demo_kpis.reset_index()[cols].notna(), None).to_numpy().tolist()
    out = udf.CRM_BSC(rng)
    assert out[-1][0] == "overall"
    assert out[-1][1] == pytest.approx(evaluate_scorecard(demo_kpis).overall)


def test_a_judgement_typed_the_wrong_way_round_is_shown_to_revisit(make_xlsx):
    # Judgements consistent with weights 8:4:2:1 (F-C 2, F-I 4, F-L 8, C-I 2, C-L 4, I-L 2),
    # but F-L typed as 1/8: the sheet names F vs L and the value that makes the matrix
    # consistent again, 8 (CR 0).
    rows = [HEADER, GOOD, ["Customer", "Delight", "CSAT", 1, 4.5, 4, 3.5, "higher"],
            ["Internal process", "Fast", "Response", 1, 4, 5, 7, "lower"],
            ["Learning and growth", "Learn", "Training", 1, 4, 3, 2, "higher"]]
    path = make_xlsx({"Scorecard": rows, "Settings": [["key", "value"],
                                                      ["perspective_ahp", "2, 4, 1/8, 2, 4, 2"]]})
    report = scorecard_workbook(load_crm_workbook(path))
    assert not report.result.ahp.consistent
    block = next(t for t in report.result_sheets()["Scorecard Results"]
                 if t.title == "AHP consistency")
    row = block.frame.set_index("matrix").loc["perspectives"]
    assert row["judgement to revisit"] == "financial vs learning and growth: 1/8 -> 8 (CR 0.000)"
    assert row["consistent (CR < 0.10)"] == "no" and row["status"] == "red"
    assert row["RI"] == 0.90 and row["RI table"] == "saaty1980"


# --- the AHP sheet, Settings and drives on real workbooks -----------------------------------

CARD = [HEADER,
        ["Financial", "Grow", "Revenue", 0.6, 100, 75, 50, "higher"],
        ["Financial", "Grow", "Share of wallet", 0.4, 40, None, 30, "higher"],
        ["Financial", "Profit", "Margin", 1, 30, 30, 20, "higher"],
        ["Customer", "Delight", "CSAT", 3, 4.5, 4, 3.5, "higher"],
        ["Customer", "Delight", "Complaints", 1, 2, 3, 4, "lower"]]
AHP_HEADER = ["Matrix", "Element", "Versus", "Judgement"]


def test_non_reciprocal_ahp_sheet_is_named_by_row(make_xlsx):
    path = make_xlsx({"Scorecard": CARD, "AHP": [AHP_HEADER,
                                                 ["perspectives", "financial", "customer", 3],
                                                 ["perspectives", "customer", "financial", 2]]})
    with pytest.raises(InputError) as info:
        scorecard_workbook(load_crm_workbook(path))
    assert str(info.value.problems[0]).startswith(
        "sheet 'AHP', row 3, column 'judgement': the reciprocal of row 2's financial vs "
        "customer = 3, that is 0.3333")


def test_ahp_sheet_weighs_perspectives_and_objectives_worked_by_hand(make_xlsx):
    # Chinese headers and names; 1/3 typed as text. financial 3x customer -> 0.75 / 0.25;
    # Profit 3x Grow -> Grow 0.25, Profit 0.75. Progress: Revenue (75-50)/50 = 0.5 (Share of
    # wallet has no actual), Margin (30-20)/10 = 1, CSAT 0.5, Complaints (4-3)/2 = 0.5.
    # financial = 0.25 x 0.5 + 0.75 x 1 = 0.875; customer = (3 x 0.5 + 1 x 0.5) / 4 = 0.5;
    # overall = 100 x (0.75 x 0.875 + 0.25 x 0.5) = 78.125
    path = make_xlsx({"Scorecard": CARD,
                      "层次分析": [["矩阵", "要素", "相对于", "判断值"],
                               ["层面", "财务", "客户", 3],
                               ["财务", "Grow", "Profit", "1/3"]],
                      "Settings": [["key", "value"], ["AHP random index", "Saaty2005"],
                                   ["perspective_weights", "1, 1, 1, 1"]]})
    report = scorecard_workbook(load_crm_workbook(path))
    r = report.result
    assert r.overall == pytest.approx(78.125)
    assert r.weights_source == ("AHP perspective weights (AHP sheet); AHP objective weights in "
                                "financial")
    assert any("perspective_weights were not used" in n for n in r.notes)
    assert list(report.ahp) == ["perspectives", "financial"]
    assert all(a.ri_table == "saaty2005" for a in report.ahp.values())
    tables = {t.title: t.frame for t in report.result_sheets()["Scorecard Results"]}
    assert tables["AHP weights"].values.tolist() == [["perspectives", "financial", 0.75],
                                                     ["perspectives", "customer", 0.25],
                                                     ["financial", "Grow", 0.25],
                                                     ["financial", "Profit", 0.75]]
    assert tables["AHP consistency"]["CR"].tolist() == [0.0, 0.0]


def test_unknown_objective_in_the_ahp_sheet_is_named_by_row(make_xlsx):
    path = make_xlsx({"Scorecard": CARD, "AHP": [AHP_HEADER,
                                                 ["financial", "Grow", "Profit", 3],
                                                 ["financial", "Grow", "Prophet", 2]]})
    with pytest.raises(InputError) as info:
        scorecard_workbook(load_crm_workbook(path))
    assert str(info.value.problems[0]) == (
        "sheet 'AHP', row 3, column 'versus': an objective of the financial perspective on the "
        "Scorecard sheet (Grow, Profit) (found 'Prophet')")


def test_blank_judgement_is_named_by_the_reader(make_xlsx):
    path = make_xlsx({"Scorecard": CARD, "AHP": [AHP_HEADER,
                                                 ["perspectives", "financial", "customer", None],
                                                 ["perspectives", "financial", "", 2]]})
    with pytest.raises(InputError) as info:
        load_crm_workbook(path)
    text = [str(p) for p in info.value.problems]
    assert text[0].startswith("sheet 'AHP', row 2, column 'Judgement' (D): a value is required")
    assert text[1].startswith("sheet 'AHP', row 3, column 'Versus' (C): a value is required")


def test_red_above_amber_for_higher_is_better_is_named_by_row(make_xlsx):
    path = make_xlsx({"Scorecard": [HEADER + ["red", "amber"], GOOD + [60, 70],
                                    ["Customer", "Delight", "CSAT", 1, 4.5, 4, 3.5, "higher",
                                     4.2, 3.8]]})
    text = str(pytest.raises(InputError, scorecard_workbook,
                             load_crm_workbook(path)).value.problems[0])
    assert text == ("sheet 'Scorecard', row 3, column 'amber': an amber limit with the red limit "
                    "at or below it (higher is better; red is 4.2) (found 3.8)")


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("ahp_random_index", "golden", "setting 'ahp_random_index': expected saaty1980 or "
                                   "saaty2005"),
    ("fiscal_year_start", "13", "setting 'fiscal_year_start': expected a whole number from 1 "
                                "to 12"),
    ("perspective_ahp", "1, 3", "setting 'perspective_ahp': expected six positive judgements"),
])
def test_bad_scorecard_settings_are_named_by_row(make_xlsx, key, value, expected):
    path = make_xlsx({"Scorecard": CARD, "Settings": [["key", "value"], ["currency", "CNY"],
                                                      [key, value]]})
    text = str(pytest.raises(InputError, scorecard_workbook,
                             load_crm_workbook(path)).value.problems[0])
    assert text.startswith(f"sheet 'Settings', row 3, column 'value': {expected}")
    assert f"(found '{value}')" in text


def test_fiscal_year_sets_where_the_forecast_ends(make_xlsx):
    header = HEADER + ["2026-07", "2026-08"]
    rows = [header, GOOD + [70, 75]]  # revenue +5 a month
    april = make_xlsx({"Scorecard": rows, "Settings": [["key", "value"],
                                                       ["fiscal_year_start", "04"]]})
    trend = scorecard_workbook(load_crm_workbook(april)).trend
    # the fiscal year ends in March 2027: seven months after August, 75 + 7 x 5 = 110,
    # reaching the target 100 in January (75 + 5 x 5)
    assert trend.loc[2, "forecast_year_end"] == pytest.approx(110.0)
    assert trend.loc[2, "reaches_target"] == "2027-01"


def test_drives_cycle_is_named_by_row_and_a_good_map_is_written(make_xlsx):
    header = HEADER + ["drives"]
    rows = [header, CARD[1] + [None], CARD[3] + ["Grow"], CARD[4] + ["Profit"],
            CARD[5] + [None]]
    report = scorecard_workbook(load_crm_workbook(make_xlsx({"Scorecard": rows})))
    links = next(t.frame for t in report.result_sheets()["Scorecard Results"]
                 if t.title.startswith("Strategy map"))
    assert links.values.tolist() == [["Profit", "financial", "Grow", "financial"],
                                     ["Delight", "customer", "Profit", "financial"]]
    assert report.strategy.graph()["nodes"][0] == {"id": "Delight", "perspective": "customer"}
    rows[1] = CARD[1] + ["Delight"]  # Grow -> Delight -> Profit -> Grow
    path = make_xlsx({"Scorecard": rows}, name="cycle.xlsx")
    text = str(pytest.raises(InputError, scorecard_workbook,
                             load_crm_workbook(path)).value.problems[0])
    assert text.startswith("sheet 'Scorecard', row ") and "column 'drives': links without a " \
        "cycle" in text


def test_crm_ahp_reads_fractions_and_takes_the_random_index_table():
    # 0.0193 / RI(3): 0.58 (Saaty 1980) -> 0.033; 0.52 (Saaty 2005) -> 0.037
    m = [[None, "A", "B", "C"], ["A", 1, 3, 5], ["B", "1/3", 1, 3], ["C", "1/5", "1/3", 1]]
    assert round(udf.CRM_AHP(m)[5][1], 3) == 0.033
    assert round(udf.CRM_AHP(m, [["saaty2005"]])[5][1], 3) == 0.037
    assert udf.CRM_AHP(m, "golden").startswith("#CRM! random index table 'golden'")
    assert udf.CRM_AHP([[1, 3], ["three", 1]]) == (
        "#CRM! matrix: row 2, column 1 is not a positive number (found 'three')")


BSC_HEADER = ["层面", "战略目标", "指标", "权重", "目标值", "实际值", "基准值", "方向"]


def test_crm_bsc_on_a_range_as_excel_sends_it():
    # Chinese headers; an actual that is #N/A (a lookup with nothing yet) is left out like a
    # blank; the first polarity "target" is a value, not a header; a generous selection ends
    # in blank rows. Revenue: 1 - |95 - 100| / |100 - 50| = 0.9 alone in Grow (SoW has no
    # actual); CSAT (4 - 3.5) / 1 = 0.5. financial 90, customer 50, overall 70.
    rng = [BSC_HEADER,
           ["财务", "Grow", "Revenue", 0.6, 100, 95, 50, "target"],
           ["财务", "Grow", "SoW", 0.4, 40, "#N/A", 30, None],
           [None] * 8,
           ["Customer", "Delight", "CSAT", 1, 4.5, 4, 3.5, "越高越好"],
           [None] * 8, [None] * 8]
    out = udf.CRM_BSC(rng)
    assert out[0] == ["perspective", "score", "status"]
    assert out[1][:2] == ["financial", pytest.approx(90.0)]
    assert out[2][:2] == ["customer", pytest.approx(50.0)]
    assert out[3][:2] == ["overall", pytest.approx(70.0)]
    assert rng[2][5] == "#N/A"  # the caller's range is not modified


@pytest.mark.parametrize(("row", "column", "value", "message"), [
    (1, 0, "Marketing", "scorecard: row 2 perspective 'Marketing' is not financial"),
    (1, 3, "heavy", "scorecard: row 2 column 'weight' is not a number (found 'heavy')"),
    (1, 3, -1, "scorecard: row 2 has a negative weight"),
    (3, 4, "#DIV/0!", "scorecard: row 4 column 'target' holds the Excel error #DIV/0!"),
    (3, 4, None, "scorecard: row 4 needs a target"),
    (3, 7, "sideways", "scorecard: row 4 polarity 'sideways' is not higher, lower or target"),
    (3, 6, 4.5, "row 4, column 'baseline': a baseline different from the target"),
    (1, 5, "#N/A", "no KPI of the Scorecard sheet has an actual"),
])
def test_crm_bsc_names_the_row_of_a_bad_cell(row, column, value, message):
    rng = [BSC_HEADER, ["财务", "Grow", "Revenue", 1, 100, 75, 50, "higher"], [None] * 8,
           ["客户", "Delight", "CSAT", 1, 4.5, None, 3.5, "higher"]]
    rng[row][column] = value
    assert udf.CRM_BSC(rng).startswith(f"#CRM! {message}")


def test_kpi_functions_read_an_error_actual_as_no_data():
    assert udf.CRM_KPI_STATUS([["#N/A"]]) == "no data"
    assert udf.CRM_KPI_PROGRESS([["#N/A"]], [[100]], [[50]], None) == ""
    # 75 / 100 without a baseline; the #N/A actual gives a blank, whatever its polarity
    assert udf.CRM_KPI_PROGRESS([["actual"], [75], ["#N/A"]], [["target"], [100], [100]],
                                None, [["方向"], ["higher"], ["target"]]) == [[0.75], [""]]


def test_a_month_column_not_filled_in_yet_is_left_out_of_the_monthly_scores(make_xlsx):
    rows = [HEADER + ["2026-09", "2026-10", "2026-11"], GOOD + [60, 75, None],
            ["Customer", "Delight", "CSAT", 1, 4.5, 4, 3.5, "higher", 3.5, 4, None]]
    report = scorecard_workbook(load_crm_workbook(make_xlsx({"Scorecard": rows})))
    # September: Revenue (60-50)/50 = 0.2, CSAT 0 -> 10; October: 0.5, 0.5 -> 50
    assert report.by_period["period"].tolist() == ["2026-09", "2026-10"]
    assert report.by_period["overall"].tolist() == pytest.approx([10.0, 50.0])
    with pytest.raises(InputError, match="has an actual for 2026-11"):
        scorecard_workbook(load_crm_workbook(make_xlsx({"Scorecard": rows}, name="b.xlsx")),
                           period="2026-11")
