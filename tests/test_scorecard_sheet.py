"""The scorecard on real workbooks: malformed sheets named by row, the Settings weights, the
CLI's Scorecard Results sheet read back (openpyxl and LibreOffice), the Excel functions."""

import re
import shutil

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import addin.functions as udf
from addin.cli import cli
from addin.demo import MISSING_KPI, demo_workbook_path
from addin.errors import InputError
from addin.jobs.scorecard import perspective_weights, scorecard_workbook
from addin.scorecard import evaluate_scorecard, kpi_progress, scorecard_trend
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
    with pytest.raises(InputError, match=r"sheet 'Settings', row 2, column 'value': six "):
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


@pytest.mark.libreoffice
def test_cli_writes_the_scorecard_sheet_with_numbers_checked_by_hand(tmp_path, soffice):
    book = shutil.copyfile(demo_workbook_path(), tmp_path / "demo.xlsx")
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(cli, ["scorecard", str(book), "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    overall = float(re.search(r"overall ([\d.]+) of 100", result.output).group(1))

    # independent roll-up from the raw sheet, with pandas only
    k = load_crm_workbook(book).get("Scorecard")
    p = kpi_progress(k["actual"], k["target"], k["baseline"], k["polarity"])
    k = k.assign(p=p).dropna(subset=["p"])
    k["w"] = k["weight"] / k.groupby("objective")["weight"].transform("sum")
    obj = (k["w"] * k["p"]).groupby([k["perspective"], k["objective"]]).sum()
    persp = obj.groupby(level=0).mean()
    assert overall == pytest.approx(100 * persp.mean(), abs=0.05)

    ws = openpyxl.load_workbook(out)["Scorecard Results"]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[0][0] == "Balanced scorecard"
    flat = [v for row in cells for v in row if v is not None]
    assert "Perspectives" in flat and "KPIs" in flat and "Trend and forecast" in flat
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
                 if t.title.startswith("AHP consistency"))
    text = block.frame.set_index("measure")["value"]["judgement to revisit"]
    assert text == "financial vs learning and growth: 1/8 -> 8 (CR 0.000)"
